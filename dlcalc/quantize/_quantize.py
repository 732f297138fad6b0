"""Precision, requirement sets and the quantization of one head (THEORY §4).

For each head the precision ``p`` and the requirement set ``𝒜_t(p)``:

==============  ===========================  =================  ======================
head            precision                    exact sup error    ``𝒜_t(p)``
==============  ===========================  =================  ======================
``walsh:n``     exact                        0                  ``{A(n)}``
``sawtooth:0``  ``p = ceil(log2(a/ε))``      ``a 2^-p``         ``{{i} : i <= p}``
``sawtooth:k``  same                         ``a 2^-p``         ``{{k, k+i} : i <= p}``
==============  ===========================  =================  ======================

and ``f̂ = 0`` (no bits, error ``a``) whenever ``ε >= a``.  Groups of heads and the whole
quantized class are in :mod:`dlcalc.quantize._groups`, cell tables in
:mod:`dlcalc.quantize._tables`, sup errors in :mod:`dlcalc.quantize._sup_error`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .._errors import SpecError
from ..core._exponent import pow2_precision
from ..core._heads import Head
from ..core._span import interval_star_cost, level_vector, mask_to_depth, reduce_basis

__all__ = ["check_eps", "precision_for", "RequirementSet", "HeadQuantization", "quantize_head", "quantize_heads"]


def check_eps(eps: float) -> Fraction:
    """Validate ε > 0 and return it as an exact Fraction."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not math.isfinite(eps) or eps <= 0:
        raise SpecError(f"eps must be a finite number > 0, got {eps!r}")
    return Fraction(eps)


def precision_for(amplitude: float, eps: float, exponent: Fraction | None = None) -> int | None:
    """Smallest ``p >= 1`` with ``a 2^-p <= ε``, i.e. ``ceil(log2(a/ε))``, exactly; None if ``ε >= a``.

    Exact integer arithmetic on the floats' ratios: no floating-point ``log2`` at boundaries.
    A family head's ``exponent`` ``e`` (:class:`~dlcalc.Head`) means ``a = 2^(-e)`` exactly,
    decided by :func:`dlcalc.core._exponent.pow2_precision` (the float amplitude is not read).

    >>> precision_for(1.0, 2.0**-10), precision_for(1.0, 0.1), precision_for(0.5, 0.5)
    (10, 4, None)
    >>> precision_for(2.0 ** (-0.7 * 90), 2.0**-63), precision_for(2.0**-63, 2.0**-63, Fraction(63))
    (1, None)
    """
    eps_exact = check_eps(eps)
    if exponent is not None:
        return pow2_precision(exponent, eps_exact)
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

    def union(self, other: RequirementSet) -> RequirementSet:
        return RequirementSet(self.vectors | other.vectors, self.stars | other.stars)

    @staticmethod
    def union_all(sets) -> RequirementSet:
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
    def sawtooth_precision(self) -> int:
        """``p`` of a nonzero sawtooth head, for callers that have checked :attr:`zero` and the family."""
        if self.precision is None:
            raise TypeError(f"{self.head.spec}: a zero or Walsh head has no precision")
        return self.precision

    @property
    def quantization_error(self) -> Fraction:
        """The exact sup error of the approximant, from the §4 table (a formula)."""
        a = Fraction(self.head.amplitude)
        if self.zero:
            return a
        if self.head.family == "walsh":
            return Fraction(0)
        assert self.precision is not None  # a nonzero sawtooth head has a precision
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
        assert self.precision is not None  # a nonzero sawtooth head has a precision
        return self.head.index + self.precision

    def sweeping(self, depth: int) -> bool:
        """A sawtooth table cell covers whole quantization cells (``k + p > max(D, k)``)."""
        if self.head.family != "sawtooth" or self.zero:
            return False
        assert self.precision is not None  # a nonzero sawtooth head has a precision
        return self.head.index + self.precision > max(depth, self.head.index)


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
    p = precision_for(head.amplitude, eps, head.exponent)
    if p is None:
        return HeadQuantization(head, eps, None, True, RequirementSet(), RequirementSet())
    if head.family == "walsh":
        req = RequirementSet(vectors=frozenset({head.index}))
        return HeadQuantization(head, eps, None, False, req, req)
    return HeadQuantization(head, eps, p, False, _stars_set(head.index, p), _stars_set(head.index, p - 1))


def quantize_heads(heads: Sequence[Head], eps: float) -> list[HeadQuantization]:
    """:func:`quantize_head` for every head (repeated heads are quantized once)."""
    check_eps(eps)
    cache: dict[Head, HeadQuantization] = {}
    for h in heads:
        if h not in cache:
            cache[h] = quantize_head(h, eps)
    return [cache[h] for h in heads]
