"""Quantization to a uniform accuracy ε, requirement sets and exact sup errors (THEORY §4, §8).

For each head the precision ``p`` and the requirement set ``𝒜_t(p)``:

==============  ===========================  =================  ======================
head            precision                    exact sup error    ``𝒜_t(p)``
==============  ===========================  =================  ======================
``walsh:n``     exact                        0                  ``{A(n)}``
``sawtooth:0``  ``p = ceil(log2(a/ε))``      ``a 2^-p``         ``{{i} : i <= p}``
``sawtooth:k``  same                         ``a 2^-p``         ``{{k, k+i} : i <= p}``
==============  ===========================  =================  ======================

and ``f̂ = 0`` (no bits, error ``a``) whenever ``ε >= a``.

Cell tables
-----------
The quantized ``f̂_t`` is stored as an integer table over dyadic cells
("the cell table of each head at its own resolution"):

- ``walsh:n``: the parity bit ``(1 - f̂/a)/2`` on cells of level ``top(n)``;
- ``sawtooth:k`` with ``k + p <= L = max(D, k)``: the code
  ``Q = Σ_{i <= p} z_i 2^(p-i)`` on cells of level ``k + p``, where ``f̂ = a(1 - (2Q+1)/2^p)``
  is constant;
- ``sawtooth:k`` with ``k + p > L`` (a level-``L`` cell, on which ``h`` is a
  translation and ``S_k ∘ h`` affine, *sweeps* ``2^(k+p-L)`` whole quantization
  cells, THEORY §8): on cells of level ``L`` the *oriented position*
  ``v = Σ_{i <= L-k} z_i 2^(L-k-i)`` and the orientation ``o = y_k``, stored as
  ``2v + o`` (``v`` for ``k = 0``), which fixes ``f̂`` on the whole cell.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._errors import BudgetError, SpecError
from ..core._feature import Feature
from ..core._headset import HeadGroup, HeadSet
from ..core._heads import Head
from ..core._span import cell_parity, interval_star_cost, level_vector, mask_to_depth, reduce_basis

__all__ = [
    "RequirementSet",
    "GroupQuantization",
    "QuantizedClass",
    "Bounds",
    "quantize_group",
    "range_span",
    "HeadQuantization",
    "quantize_head",
    "quantize_heads",
    "precision_for",
    "check_eps",
    "HeadTable",
    "head_table",
    "head_tables",
    "sup_error",
    "table_cells",
    "check_table_cells",
    "approximant_values",
    "approximant_chunk",
]


def check_eps(eps: float) -> Fraction:
    """Validate ε > 0 and return it as an exact Fraction."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
        raise SpecError(f"eps must be a finite number > 0, got {eps!r}")
    return Fraction(eps)


def precision_for(amplitude: float, eps: float) -> int | None:
    """Smallest ``p >= 1`` with ``a 2^-p <= ε``, i.e. ``ceil(log2(a/ε))``, exactly; None if ``ε >= a``.

    Exact integer arithmetic on the floats' ratios: no floating-point ``log2`` at boundaries.

    >>> precision_for(1.0, 2.0**-10), precision_for(1.0, 0.1), precision_for(0.5, 0.5)
    (10, 4, None)
    """
    check_eps(eps)
    an, ad = float(amplitude).as_integer_ratio()
    en, ed = float(eps).as_integer_ratio()
    num, den = an * ed, ad * en  # a/ε = num/den
    if num <= den:
        return None
    p = max(num.bit_length() - den.bit_length() - 1, 0)
    while (den << p) < num:
        p += 1
    return p


@dataclass(frozen=True)
class RequirementSet:
    """A requirement set ``𝒜``: explicit level vectors plus sawtooth *stars* (THEORY §4).

    A star ``(k, p)`` stands for ``{ {k, k+i} : 1 <= i <= p }`` (``{ {i} }`` for
    ``k = 0``) without listing its ``p`` vectors, so that formula bounds stay
    instant for ``p`` in the thousands.
    """

    vectors: frozenset[int] = frozenset()
    stars: frozenset[tuple[int, int]] = frozenset()

    def union(self, other: "RequirementSet") -> "RequirementSet":
        return RequirementSet(self.vectors | other.vectors, self.stars | other.stars)

    @staticmethod
    def union_all(sets) -> "RequirementSet":
        vectors: set[int] = set()
        stars: set[tuple[int, int]] = set()
        for s in sets:
            vectors |= s.vectors
            stars |= s.stars
        return RequirementSet(frozenset(vectors), frozenset(stars))

    def masked_vectors(self, depth: int | None) -> set[int]:
        """All vectors, masked with ``2^D - 1`` (THEORY §4); stars are listed here."""
        out = {mask_to_depth(v, depth) for v in self.vectors}
        for k, p in self.stars:
            last = k + p if depth is None else min(k + p, depth)
            for j in range(k + 1, last + 1):
                out.add(level_vector([j]) if k == 0 else level_vector([k, j]))
            if depth is not None and k + p > depth and 1 <= k <= depth:
                out.add(level_vector([k]))
        out.discard(0)
        return out

    def basis(self, depth: int | None) -> dict[int, int]:
        """``{top: vector}``: the reduced basis of the masked span (THEORY §5). Cached; do not mutate."""
        return _basis(self, depth)

    def level_cost(self, depth: int | None) -> int:
        r"""The level cost :math:`c(\mathcal A)` of THEORY §5, an exact integer.

        Stars are never listed (:func:`interval_star_cost`), so the work does not
        grow with the precisions, even at ``depth=None``.
        """
        return interval_star_cost(self.stars, depth, self.vectors)

    def levels(self, depth: int | None) -> list[int]:
        """Tops of the basis: the feature levels whose digits are paid for."""
        return sorted(self.basis(depth))


@functools.lru_cache(maxsize=1 << 14)
def _basis(req: RequirementSet, depth: int | None) -> dict[int, int]:
    return reduce_basis(req.masked_vectors(depth))


@dataclass(frozen=True)
class HeadQuantization:
    """A head quantized at accuracy ε (THEORY §4).

    Attributes
    ----------
    precision : int or None
        ``p`` for a sawtooth head; None for an exact Walsh head or a zero head.
    zero : bool
        ``ε >= a``: the approximant is 0, costs nothing, and errs by ``a``.
    """

    head: Head
    eps: float
    precision: int | None
    zero: bool
    requirement: RequirementSet = field(repr=False)
    lower_requirement: RequirementSet = field(repr=False)

    @property
    def quantization_error(self) -> Fraction:
        """The exact sup error of the approximant, from the §4 table (a formula)."""
        a = Fraction(self.head.amplitude)
        if self.zero:
            return a
        if self.head.family == "walsh":
            return Fraction(0)
        return a / (1 << self.precision)

    def table_level(self, depth: int) -> int:
        """Level of the cells of this head's table (module docstring)."""
        if self.zero:
            return 0
        if self.sweeping(depth):
            return max(depth, self.head.index)
        return self.approximant_level(depth)

    def approximant_level(self, depth: int) -> int:
        """Level on which ``f̂`` is constant: ``top(n)`` or ``k + p`` (THEORY §8).

        ``f̂`` reads the digits ``y_l`` with ``l <= k + p``, and ``y_l`` depends on
        the first ``l`` digits of ``x`` only, so this holds at any depth.
        """
        if self.zero:
            return 0
        if self.head.family == "walsh":
            return self.head.index.bit_length()
        return self.head.index + self.precision

    def sweeping(self, depth: int) -> bool:
        """A sawtooth table cell covers whole quantization cells (``k + p > max(D, k)``)."""
        return self.head.family == "sawtooth" and not self.zero and self.head.index + self.precision > max(depth, self.head.index)


def _stars_set(k: int, p: int | None) -> RequirementSet:
    if not p:
        return RequirementSet()
    return RequirementSet(stars=frozenset({(k, p)}))


def quantize_head(head: Head, eps: float) -> HeadQuantization:
    """Quantize one head at accuracy ε: precision, requirement set and its packing set (THEORY §4-§5).

    The packing (lower-bound) set uses ``q = p - 1`` for sawtooth heads and the
    same set as the upper bound for Walsh heads.

    >>> q = quantize_head(Head("sawtooth", 2), 2.0**-3)
    >>> q.precision, q.requirement.level_cost(None), q.lower_requirement.level_cost(None)
    (3, 28, 12)
    """
    p = precision_for(head.amplitude, eps)
    if p is None:
        return HeadQuantization(head, eps, None, True, RequirementSet(), RequirementSet())
    if head.family == "walsh":
        req = RequirementSet(vectors=frozenset({head.index}))
        return HeadQuantization(head, eps, None, False, req, req)
    return HeadQuantization(head, eps, p, False, _stars_set(head.index, p), _stars_set(head.index, p - 1))


def quantize_heads(heads: list[Head], eps: float) -> list[HeadQuantization]:
    """:func:`quantize_head` for every head (repeated heads are quantized once)."""
    check_eps(eps)
    cache: dict[Head, HeadQuantization] = {}
    for h in heads:
        if h not in cache:
            cache[h] = quantize_head(h, eps)
    return [cache[h] for h in heads]


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
    def count(self) -> int:
        return self.group.count

    @property
    def quantization_error(self) -> Fraction:
        """The exact sup error of every head's approximant (§4 table)."""
        a = Fraction(self.group.amplitude)
        if self.zero:
            return a
        return Fraction(0) if self.group.family == "walsh" else a / (1 << self.precision)

    def head_quant(self, i: int = 0) -> HeadQuantization:
        """The quantization of the ``i``-th head of the group."""
        head = self.group.head(i)
        if self.zero:
            return HeadQuantization(head, self.eps, None, True, RequirementSet(), RequirementSet())
        if head.family == "walsh":
            req = RequirementSet(vectors=frozenset({head.index}))
            return HeadQuantization(head, self.eps, None, False, req, req)
        p = self.precision
        return HeadQuantization(head, self.eps, p, False, _stars_set(head.index, p), _stars_set(head.index, p - 1))

    def head_quants(self):
        for i in range(self.count):
            yield self.head_quant(i)

    def _stars(self, p: int, depth: int | None) -> frozenset[tuple[int, int]]:
        last = self.group.last if depth is None else min(self.group.last, depth)
        return frozenset((k, p) for k in range(self.group.first, last + 1))

    def requirement(self, depth: int | None) -> RequirementSet:
        """A requirement set with the span of ``∪_t 𝒜_t(p)`` over the group (masked work only, THEORY §4-§5).

        Walsh ranges are replaced by :func:`range_span`; sawtooth heads with
        ``k > D`` read no free level and are left out.
        """
        if self.zero:
            return RequirementSet()
        if self.group.family == "walsh":
            return RequirementSet(vectors=frozenset(range_span(self.group.first, self.group.last)))
        return RequirementSet(stars=self._stars(self.precision, depth))

    def lower_requirement(self, depth: int | None) -> RequirementSet:
        """The packing set ``∪_t 𝒜_t(q)`` (``q = p - 1`` for sawtooth heads), THEORY §5."""
        if self.zero or self.group.family == "walsh":
            return self.requirement(depth)
        return RequirementSet(stars=self._stars(self.precision - 1, depth)) if self.precision > 1 else RequirementSet()

    def separate_bits(self, depth: int | None, lower: bool = False) -> int:
        """``Σ_t c(𝒜_t)`` over the group's heads, in closed form."""
        if self.zero:
            return 0
        g = self.group
        if g.family == "walsh":
            return _walsh_range_cost(g.first, g.last, depth)
        p = self.precision - 1 if lower else self.precision
        if depth is None:
            return ((1 << (g.last + 1)) - (1 << g.first)) * ((1 << p) - 1) if p else 0
        return sum(sawtooth_star_cost(k, p, depth) for k in range(g.first, min(g.last, depth) + 1))

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
        return np.array([sawtooth_star_cost(k, self.precision, depth) for k in range(g.first, g.last + 1)], dtype=np.int64)


def quantize_group(group: HeadGroup, eps: float) -> GroupQuantization:
    """Quantize the heads of a group at accuracy ε (THEORY §4): one precision for all."""
    p = precision_for(group.amplitude, eps)
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


class QuantizedClass:
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

    def __init__(self, depth: int, heads: HeadSet, eps: float) -> None:
        check_eps(eps)
        self.depth = depth
        self.heads = heads
        self.eps = eps
        self.groups = [quantize_group(g, eps) for g in heads.groups()]
        self._joint: dict = {}

    @property
    def zero_heads(self) -> int:
        """Heads with ``ε >= a``: counted, never materialized."""
        return sum(g.count for g in self.groups if g.zero)

    def joint_requirement(self, lower: bool = False) -> RequirementSet:
        key = ("lower" if lower else "upper")
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
            return Bounds(self.joint_requirement(lower=True).level_cost(self.depth), self.joint_requirement().level_cost(self.depth))
        if coder == "separate":
            return Bounds(
                sum(g.separate_bits(self.depth, lower=True) for g in self.groups),
                sum(g.separate_bits(self.depth) for g in self.groups),
            )
        raise ValueError(f"unknown coder {coder!r} (joint or separate)")

    def quants(self) -> list[HeadQuantization]:
        """Every head's quantization, listed: ``O(heads)``, for small classes and tests."""
        return [q for g in self.groups for q in g.head_quants()]


# ----------------------------------------------------------------------------- tables


@dataclass
class HeadTable:
    """The cell table of one quantized head (module docstring); ``values`` is None for a zero head."""

    level: int
    values: np.ndarray | None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HeadTable) or self.level != other.level:
            return False
        if self.values is None or other.values is None:
            return self.values is None and other.values is None
        return bool(np.array_equal(self.values, other.values))


def table_cells(quants: list[HeadQuantization], depth: int) -> int:
    """Cells the tables of these heads materialize (for the ``--max-cells`` budget)."""
    levels = {q.table_level(depth) for q in quants if not q.zero}
    total = sum(1 << q.table_level(depth) for q in quants if not q.zero)
    return total + sum(1 << lv for lv in levels)


class _ImageCache:
    """``h`` on cells of each level, computed once at the finest needed level <= D."""

    def __init__(self, feature: Feature) -> None:
        self.feature = feature
        self._cells: dict[int, np.ndarray] = {}

    def __call__(self, level: int) -> np.ndarray:
        if level not in self._cells:
            d = self.feature.depth
            finer = [lv for lv in self._cells if level < lv <= d]
            if finer:
                lv = min(finer)
                self._cells[level] = self._cells[lv][:: 1 << (lv - level)] >> (lv - level)
            else:
                self._cells[level] = self.feature.image_cells(level)
        return self._cells[level]


def _min_uint(bits: int):
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if bits <= np.iinfo(dt).bits:
            return dt
    raise BudgetError(f"a table entry of {bits} bits does not fit 64 bits")


def _sawtooth_state(images: np.ndarray, k: int, level: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Oriented position ``v`` and orientation ``o = y_k`` on level-``L`` cells (L >= k)."""
    width = level - k
    if k == 0:
        return images, None
    o = (images >> width) & 1
    u = images & ((1 << width) - 1)
    v = np.where(o == 0, u, ((1 << width) - 1) - u)
    return v, o


def head_table(q: HeadQuantization, images, depth: int | None = None) -> HeadTable:
    """The cell table of a quantized head under a feature (``images(level)`` = :meth:`Feature.image_cells`).

    ``depth`` is the class's depth (the feature's by default); a feature of smaller
    depth with the same flips, zero beyond it, gives the same images.
    """
    if q.zero:
        return HeadTable(0, None)
    head = q.head
    if depth is None:
        depth = images.feature.depth
    if head.family == "walsh":
        level = head.index.bit_length()
        return HeadTable(level, cell_parity(images(level), head.index, level))
    k, p = head.index, q.precision
    level = q.table_level(depth)
    v, o = _sawtooth_state(images(level), k, level)
    if not q.sweeping(depth):
        return HeadTable(level, v.astype(_min_uint(p)))  # level = k + p: v is Q
    if o is None:
        return HeadTable(level, v.astype(_min_uint(level)))
    return HeadTable(level, ((v << 1) | o).astype(_min_uint(level - k + 1)))


def check_table_cells(quants: list[HeadQuantization], depth: int, max_cells: int) -> None:
    """Refuse up front (:class:`BudgetError`) tables that would hold more than ``max_cells`` cells (THEORY §8)."""
    need = table_cells(quants, depth)
    if need > max_cells:
        raise BudgetError(
            f"the cell tables need {need} cells, over the budget of {max_cells} "
            "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )


def head_tables(quants: list[HeadQuantization], feature: Feature, max_cells: int | None = None) -> list[HeadTable]:
    """Cell tables of every head under one feature, refusing work over ``max_cells`` up front."""
    if max_cells is not None:
        check_table_cells(quants, feature.depth, max_cells)
    cache = _ImageCache(feature)
    levels = [q.table_level(feature.depth) for q in quants if not q.zero]
    if len(levels) > 1:
        cache(min(feature.depth, max(levels)))  # one pass; coarser levels are strided views
    return [head_table(q, cache) for q in quants]


def sup_error(q: HeadQuantization, table: HeadTable, truth: HeadTable) -> Fraction:
    """Exact ``sup_x |f_t(x) - f̂_t(x)|`` of a (decoded) table against the true head (THEORY §3-§4).

    ``truth`` is the head's table under the true feature.  On every table cell the
    true ``S_k ∘ h`` sweeps a known interval, so the sup is exact in closed form:

    - Walsh: ``2a`` on a wrong parity bit, else 0;
    - zero head: ``a`` (``g ∘ h`` attains 1: ``S_k`` takes the value 0);
    - sawtooth, code table (level ``k + p``): on each cell ``S_k ∘ h`` runs through
      ``[Q/2^p, (Q+1)/2^p)`` for the true code ``Q``, so the sup of
      ``a|(2Q'+1)/2^p - 2S|`` is ``a (2|Q' - Q| + 1) / 2^p``;
    - sawtooth, sweeping table (level ``L``): with ``m = k + p - L`` and ``Δv`` the
      decoded minus the true position, the staircase against the affine piece has sup
      ``a (|Δv| 2^(m+1) + (2^(m+1) - 1 if the orientation differs else 1)) / 2^p``.

    A right table gives ``a 2^-p``, the quantization error.  The tests check all
    cases against direct evaluation of ``a g(h(x))`` at sample points, and against
    the reference evaluator (:mod:`dlcalc.verify._reference`), which alone decides
    :func:`dlcalc.verify`: this closed form trusts ``truth``, built by the same
    table code as the coders.
    """
    head, a = q.head, Fraction(q.head.amplitude)
    if q.zero:
        return a
    if table.level != truth.level or table.values is None or table.values.shape != truth.values.shape:
        raise ValueError("decoded table does not match the head's table shape")
    if head.family == "walsh":
        return 2 * a if not np.array_equal(truth.values, table.values) else Fraction(0)
    p = q.precision
    got, want = table.values.astype(np.int64), truth.values.astype(np.int64)
    return a * Fraction(_scaled_error(q, table.level, got, want), 1 << p)


def _scaled_error(q: HeadQuantization, level: int, got: np.ndarray, want: np.ndarray) -> int:
    """``2^p / a`` times the sup error of :func:`sup_error` (an exact integer)."""
    k, p = q.head.index, q.precision
    if level == k + p:  # code table
        return 2 * int(np.max(np.abs(got - want))) + 1
    m = k + p - level
    if k == 0:
        dv, flipped = got - want, np.zeros(got.shape, dtype=bool)
    else:
        dv, flipped = (got >> 1) - (want >> 1), (got & 1) != (want & 1)
    big = 1 << (m + 1)
    worst = 0
    for mask, extra in ((~flipped, 1), (flipped, big - 1)):
        if mask.any():
            worst = max(worst, int(np.max(np.abs(dv[mask]))) * big + extra)
    return worst


def approximant_values(q: HeadQuantization, table: HeadTable, depth: int, max_cells: int | None = None) -> tuple[int, np.ndarray]:
    """``(level, f̂ on every cell of that level)``: the quantized head as plain values.

    The level is the approximant's own resolution ``r̂`` (THEORY §8); a sweeping
    table cell expands into its ``2^(k+p-L)`` quantization cells.
    """
    if q.zero:
        return 0, np.zeros(1)
    level = q.approximant_level(depth)
    if max_cells is not None and (1 << level) > max_cells:
        raise BudgetError(f"{q.head.spec}: the approximant has 2^{level} cells, over the budget of {max_cells} (raise --max-cells)")
    return level, approximant_chunk(q, table, depth, 0, 1 << level)


def approximant_chunk(q: HeadQuantization, table: HeadTable, depth: int, start: int, stop: int) -> np.ndarray:
    """``f̂`` on the cells ``start .. stop-1`` of its own level (:meth:`HeadQuantization.approximant_level`)."""
    a = q.head.amplitude
    if q.zero:
        return np.zeros(stop - start)
    if q.head.family == "walsh":
        return a * (1.0 - 2.0 * table.values[start:stop])
    p = q.precision
    if not q.sweeping(depth):
        codes = table.values[start:stop].astype(np.int64)
        return a * (1.0 - (2.0 * codes + 1.0) / 2.0**p)  # the table is at level k + p
    m = q.approximant_level(depth) - table.level
    cells = np.arange(start, stop, dtype=np.int64)
    codes = table.values[start >> m : ((stop - 1) >> m) + 1].astype(np.int64)[(cells >> m) - (start >> m)]
    if q.head.index == 0:
        v, o = codes, np.zeros_like(codes)
    else:
        v, o = codes >> 1, codes & 1
    j = cells & ((1 << m) - 1)
    quant = (v << m) + np.where(o == 0, j, ((1 << m) - 1) - j)
    return a * (1.0 - (2.0 * quant + 1.0) / 2.0**p)
