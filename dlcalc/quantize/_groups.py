"""Groups of heads quantized alike, and the quantized class (THEORY §4, §5, §8).

A group (a family level, a run of explicit heads) is quantized in ``O(1)``: its precision,
its requirement set and its level cost alone come in closed form, so a class of 2^20 heads
costs what its groups cost.  :class:`QuantizedClass` is what flows from a command's plan to
the coders, the verifier and the cost model.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

import numpy as np

from ..core._headset import HeadGroup, HeadSet
from ..core._span import interval_star_cost, levels_of
from ._quantize import (
    HeadQuantization,
    RequirementSet,
    _stars_set,
    check_eps,
    precision_for,
)

__all__ = ["range_span", "sawtooth_star_cost", "GroupQuantization", "quantize_group", "Bounds", "QuantizedClass"]


# ----------------------------------------------------------------------------- groups


def range_span(first: int, last: int) -> set[int]:
    """A few level vectors spanning the same GF(2) space as ``{first, first+1, ..., last}``.

    With ``d`` the bit length of ``first XOR last`` and ``c`` the multiple of
    ``2^(d-1)`` inside the range, the range is ``c XOR [0, b]`` and
    ``(c-1) XOR [0, a-1]`` (``b = last - c``, ``a = c - first``), so its span is
    spanned by ``c``, ``c XOR (c-1) = 2^d - 1`` and the unit vectors below
    ``2^bitlen(max(b, a-1))``: ``O(d)`` vectors for any range (tested by brute force).

    >>> from dlcalc.core._span import reduce_basis
    >>> reduce_basis(range_span(4, 7)) == reduce_basis(range(4, 8))
    True
    """
    if first == last:
        return {first}
    d = (first ^ last).bit_length()
    c = (last >> (d - 1)) << (d - 1)
    width = max((last - c).bit_length(), (c - first - 1).bit_length())
    return {c, (1 << d) - 1} | {1 << j for j in range(width)}


def _bit_lengths(values: np.ndarray) -> np.ndarray:
    """``int.bit_length`` of every entry of a non-negative int64 array."""
    smeared = values.copy()
    for shift in (1, 2, 4, 8, 16, 32):
        smeared |= smeared >> shift
    return np.bitwise_count(smeared).astype(np.int64)


def _walsh_cost_prefix(x: int) -> int:
    """``Σ_{0 < y < x} 2^(top(y)-1)``: the level costs of the Walsh heads ``1 .. x-1`` alone."""
    if x <= 1:
        return 0
    j = x.bit_length() - 1
    return ((1 << (2 * j)) - 1) // 3 + ((x - (1 << j)) << j)


def _walsh_range_cost(first: int, last: int, depth: int | None) -> int:
    """``Σ_n 2^(top(n mod 2^D) - 1)`` over ``first <= n <= last`` (0 for a masked-out ``n``), in closed form.

    Masking with ``2^D - 1`` is ``n mod 2^D``, so with ``F`` the prefix sum of one
    period, ``G(N) = (N div 2^D) F(2^D) + F(N mod 2^D)`` sums ``0 .. N-1``.
    """
    if depth is None or last.bit_length() <= depth:
        return _walsh_cost_prefix(last + 1) - _walsh_cost_prefix(first)
    period = 1 << depth

    def prefix(n: int) -> int:
        return (n // period) * _walsh_cost_prefix(period) + _walsh_cost_prefix(n % period)

    return prefix(last + 1) - prefix(first)


def _sawtooth_range_cost(first: int, last: int, p: int | None, depth: int | None) -> int:
    """``Σ_k`` of :func:`sawtooth_star_cost` ``(k, p, D)`` over ``first <= k <= last``, in closed form.

    Alone, a star ``(k, p)`` costs ``2^k (2^p - 1)`` (``2^min(p,D) - 1`` for ``k = 0``); clipped
    by the depth (``k + p > D``) it costs ``2^D - 2^(k-1)``; beyond the depth (``k > D``) nothing
    (:func:`interval_star_cost`).  Geometric series over the three ranges: ``2^D`` is formed
    only when some head is clipped, i.e. ``D < last + p``.
    """
    if not p:
        return 0
    if depth is None:
        return ((1 << (last + 1)) - (1 << first)) * ((1 << p) - 1)
    last = min(last, depth)
    if first > last:
        return 0
    total = 0
    if first == 0:
        total += (1 << min(p, depth)) - 1
        first = 1
    full_last = min(last, depth - p)
    if first <= full_last:
        total += ((1 << (full_last + 1)) - (1 << first)) * ((1 << p) - 1)
    lo = max(first, full_last + 1)
    if lo <= last:
        total += ((last - lo + 1) << depth) - ((1 << last) - (1 << (lo - 1)))
    return total


def sawtooth_star_cost(k: int, p: int | None, depth: int | None) -> int:
    """Level cost of one sawtooth head's star ``(k, p)`` (THEORY §5); 0 without precision."""
    if not p:
        return 0
    if depth is None:
        return ((1 << p) - 1) << k
    return interval_star_cost([(k, p)], depth)


@dataclass(frozen=True)
class GroupQuantization:
    """Every head of a :class:`~dlcalc.core._headset.HeadGroup` quantized at ε (THEORY §4).

    The heads of a group share their amplitude, so they share the precision and
    whether ``ε >= a`` makes them zero heads: a zero group is one record however
    many heads it holds.  ``kind`` is ``"zero"``, ``"walsh"`` or ``"sawtooth"``.
    """

    group: HeadGroup
    eps: float
    precision: int | None
    zero: bool

    @property
    def kind(self) -> str:
        return "zero" if self.zero else self.group.family

    @property
    def sawtooth_precision(self) -> int:
        """``p`` of a nonzero sawtooth group, for callers that have checked :attr:`kind`."""
        if self.precision is None:
            raise TypeError(f"{self.group.spec}: a {self.kind} group has no precision")
        return self.precision

    @property
    def count(self) -> int:
        return self.group.count

    @property
    def quantization_error(self) -> Fraction:
        """The exact sup error of every head's approximant (§4 table)."""
        a = Fraction(self.group.amplitude)
        if self.zero:
            return a
        if self.group.family == "walsh":
            return Fraction(0)
        assert self.precision is not None  # a nonzero sawtooth group has a precision
        return a / (1 << self.precision)

    def head_quant(self, i: int = 0) -> HeadQuantization:
        """The quantization of the ``i``-th head of the group."""
        head = self.group.head(i)
        if self.zero:
            return HeadQuantization(head, self.eps, None, True, RequirementSet(), RequirementSet())
        if head.family == "walsh":
            req = RequirementSet(vectors=frozenset({head.index}))
            return HeadQuantization(head, self.eps, None, False, req, req)
        p = self.precision
        assert p is not None  # a nonzero sawtooth group has a precision
        return HeadQuantization(head, self.eps, p, False, _stars_set(head.index, p), _stars_set(head.index, p - 1))

    def head_quants(self):
        for i in range(self.count):
            yield self.head_quant(i)

    def _stars(self, p: int, depth: int | None) -> frozenset[tuple[int, int]]:
        """One star with the span of the group's stars ``(k, p)``, ``first <= k <= min(last, D)`` (``p >= 1``).

        Consecutive stars overlap, so together they connect the interval ``[first, last + p]``
        (clipped at ``D``) and reach level 0 exactly when the last one is clipped: the star
        ``(first, last + p - first)`` has the same components, hence the same span
        (:func:`interval_star_cost`) and the same reduced basis, in ``O(1)``.
        """
        last = self.group.last if depth is None else min(self.group.last, depth)
        if last < self.group.first:
            return frozenset()
        return frozenset({(self.group.first, last + p - self.group.first)})

    def requirement(self, depth: int | None) -> RequirementSet:
        """A requirement set with the span of ``∪_t 𝒜_t(p)`` over the group (masked work only, THEORY §4-§5).

        Walsh ranges are replaced by :func:`range_span`; sawtooth heads with
        ``k > D`` read no free level and are left out.
        """
        if self.zero:
            return RequirementSet()
        if self.group.family == "walsh":
            return RequirementSet(vectors=frozenset(range_span(self.group.first, self.group.last)))
        assert self.precision is not None  # a nonzero sawtooth group has a precision
        return RequirementSet(stars=self._stars(self.precision, depth))

    def lower_requirement(self, depth: int | None) -> RequirementSet:
        """The packing set ``∪_t 𝒜_t(q)`` (``q = p - 1`` for sawtooth heads), THEORY §5."""
        if self.zero or self.group.family == "walsh":
            return self.requirement(depth)
        assert self.precision is not None  # a nonzero sawtooth group has a precision
        return RequirementSet(stars=self._stars(self.precision - 1, depth)) if self.precision > 1 else RequirementSet()

    def separate_bits(self, depth: int | None, lower: bool = False) -> int:
        """``Σ_t c(𝒜_t)`` over the group's heads, in closed form."""
        if self.zero:
            return 0
        g = self.group
        if g.family == "walsh":
            return _walsh_range_cost(g.first, g.last, depth)
        assert self.precision is not None  # a nonzero sawtooth group has a precision
        return _sawtooth_range_cost(g.first, g.last, self.precision - 1 if lower else self.precision, depth)

    def head_bits(self, depth: int | None) -> np.ndarray:
        """``c(𝒜_t)`` of each head of the group (int64; call within a budget)."""
        g = self.group
        if self.zero:
            return np.zeros(g.count, dtype=np.int64)
        if g.family == "walsh":
            if depth is None or g.top <= depth:
                return np.full(g.count, 1 << (g.top - 1), dtype=np.int64)
            masked = np.arange(g.first, g.last + 1, dtype=np.int64) & ((1 << depth) - 1)
            lengths = _bit_lengths(masked)
            return np.where(lengths > 0, np.left_shift(1, np.maximum(lengths - 1, 0)), 0).astype(np.int64)
        return np.array(
            [sawtooth_star_cost(k, self.precision, depth) for k in range(g.first, g.last + 1)], dtype=np.int64
        )

    def levels_paid(self, depth: int) -> list[int]:
        """The levels paid for by the heads of the group, each alone: the union of their basis tops (THEORY §5)."""
        if self.zero:
            return []
        g = self.group
        if self.kind == "walsh":
            if g.top <= depth:
                return [g.top]
            period = 1 << depth
            if g.count >= period:
                return list(range(1, depth + 1))
            lo, hi = g.first % period, g.last % period
            pieces = [(lo, hi)] if lo <= hi else [(lo, period - 1), (0, hi)]
            return sorted({t for a, b in pieces for t in range(max(a.bit_length(), 1), b.bit_length() + 1)})
        levels: set[int] = set()
        for k in range(g.first, min(g.last, depth) + 1):
            levels.update(RequirementSet(stars=frozenset({(k, self.sawtooth_precision)})).levels(depth))
        return sorted(levels)

    def requirement_levels(self, depth: int) -> list[list[int]] | None:
        """The requirement set ``𝒜_t(p)`` of a one-head group masked to the depth, as lists of levels."""
        if self.count != 1:
            return None
        return [levels_of(v) for v in sorted(self.head_quant(0).requirement.masked_vectors(depth))]

    def table_levels(self, depth: int) -> tuple[int | None, int | None]:
        """``(table level, approximant level)`` of the group's heads (the finest, for a sawtooth run);
        None for zero heads."""
        if self.zero:
            return None, None
        if self.kind == "walsh":
            return self.group.top, self.group.top
        last = self.head_quant(self.count - 1)
        return last.table_level(depth), last.approximant_level(depth)


def quantize_group(group: HeadGroup, eps: float) -> GroupQuantization:
    """Quantize the heads of a group at accuracy ε (THEORY §4): one precision for all."""
    p = precision_for(group.amplitude, eps, group.exponent)
    if p is None:
        return GroupQuantization(group, eps, None, True)
    return GroupQuantization(group, eps, None if group.family == "walsh" else p, False)


@dataclass(frozen=True)
class Bounds:
    """Lower and upper bounds on the minimax code length ``L(ε)`` (THEORY §5), exact integers."""

    lower_bound_bits: int
    upper_bound_bits: int
    head_upper_bits: tuple[int, ...] = ()
    head_lower_bits: tuple[int, ...] = ()


#: ``QuantizedClass.depth``: an int for a class that is coded; None (no depth) for formula bounds only.
DepthT = TypeVar("DepthT", int, int | None)


class QuantizedClass(Generic[DepthT]):
    """A class (depth, heads) quantized at ε, group by group: what flows from build to verify (THEORY §4-§6).

    Quantizing is ``O(groups)``; the joint basis and the bounds are computed once
    and shared by the encoder, the decoder, the verifier and the cost model.

    Examples
    --------
    >>> from dlcalc.core._headset import Family, HeadSet
    >>> qc = QuantizedClass(20, HeadSet(Family("walsh-all", 1.0, 20)), 2.0**-8)
    >>> qc.bounds("joint").upper_bound_bits, qc.bounds("separate").upper_bound_bits, qc.zero_heads
    (255, 21845, 1048320)
    """

    def __init__(self, depth: DepthT, heads: HeadSet, eps: float) -> None:
        check_eps(eps)
        self.depth: DepthT = depth
        self.heads = heads
        self.eps = eps
        self.groups = [quantize_group(g, eps) for g in heads.groups()]
        self._joint: dict = {}

    @property
    def zero_heads(self) -> int:
        """Heads with ``ε >= a``: counted, never materialized."""
        return sum(g.count for g in self.groups if g.zero)

    def joint_requirement(self, lower: bool = False) -> RequirementSet:
        key = "lower" if lower else "upper"
        if key not in self._joint:
            sets = (g.lower_requirement(self.depth) if lower else g.requirement(self.depth) for g in self.groups)
            self._joint[key] = RequirementSet.union_all(sets)
        return self._joint[key]

    def joint_basis(self) -> dict[int, int]:
        """The reduced basis of the masked joint span (THEORY §5): the joint payload's layout."""
        return self.joint_requirement().basis(self.depth)

    def bounds(self, coder: str) -> Bounds:
        """``c(𝒜(q)) <= L <= c(𝒜(p))``, jointly or summed over heads (THEORY §5)."""
        if coder == "joint":
            return Bounds(
                self.joint_requirement(lower=True).level_cost(self.depth),
                self.joint_requirement().level_cost(self.depth),
            )
        if coder == "separate":
            return Bounds(
                sum(g.separate_bits(self.depth, lower=True) for g in self.groups),
                sum(g.separate_bits(self.depth) for g in self.groups),
            )
        raise ValueError(f"unknown coder {coder!r} (joint or separate)")

    def quants(self) -> list[HeadQuantization]:
        """Every head's quantization, listed: ``O(heads)``, for small classes and tests."""
        return [q for g in self.groups for q in g.head_quants()]

    def live_quants(self) -> list[HeadQuantization]:
        """The quantization of every head that is not 0 at ε, listed (``O(live heads)``; the zero heads,
        possibly 2^30 of them, are only counted): the heads a network realizes (THEORY §7)."""
        return [q for g in self.groups if not g.zero for q in g.head_quants()]
