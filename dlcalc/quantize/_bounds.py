"""Formula bounds without an instance, rate fits and theoretical exponents (THEORY §5).

Level costs are exact Python integers: ``bounds`` never allocates arrays, so ε
down to 5e-324 is instant.  ``depth=None`` means "depth large enough".  A bound
of ``2^EXACT_BITS_LIMIT`` bits or more (``2^(2^1000)`` bits at a tiny β) is
carried as :class:`~dlcalc.core._numbers.Log2Bits`, its base-2 logarithm: the family
bounds then sum their closed forms over runs of heads with equal precision, so
the work grows with the number of distinct precisions (at most about 1,100),
never with the number of heads or levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .._errors import SpecError
from ..core._exponent import beta_fraction, count_above, pow2_precision
from ..core._headset import HeadSet
from ..core._numbers import EXACT_BITS_LIMIT, Log2Bits, Log2Value, as_bits, bits_log2, positive_float, ratio
from ..core._span import interval_star_cost
from ._groups import QuantizedClass
from ._quantize import check_eps, precision_for

__all__ = [
    "FormulaBounds",
    "gain_ratio",
    "walsh_all_levels",
    "sawtooth_all_heads",
    "family_bounds",
    "heads_bounds",
    "fit_slope",
    "theory_exponents",
]

#: Beyond this many surviving heads, sawtooth-all bounds are summed run by run (they are then
#: at least ``2^EXACT_HEADS`` bits, so carried as log2 anyway).
EXACT_HEADS = 4096
#: Largest number of family heads dlcalc counts (a float must hold it).
_MAX_EXPONENT = 1 << 1020


def gain_ratio(separate_bits: int | Log2Bits, joint_bits: int | Log2Bits) -> float | int | Log2Value | None:
    """``L_sep / L_joint`` (THEORY §5): a float; beyond a float's range the nearest integer (walsh-all at
    β = 0.5, ε = 1e-300 gains about 2^1993), and beyond ``2^EXACT_BITS_LIMIT`` its log2
    (:func:`~dlcalc.core._numbers.ratio`); None when the joint length is 0.

    >>> gain_ratio(85, 15), gain_ratio(1, 0), gain_ratio(3 * 2**1100 + 1, 3) == 2**1100
    (5.666666666666667, None, True)
    """
    return ratio(separate_bits, joint_bits)


@dataclass(frozen=True)
class FormulaBounds:
    """Joint and separate lower/upper bounds on the code length at one ε (THEORY §5).

    Each is an exact ``int`` below ``2^EXACT_BITS_LIMIT``, else a :class:`Log2Bits`.
    """

    eps: float
    joint_lower_bits: int | Log2Bits
    joint_upper_bits: int | Log2Bits
    separate_lower_bits: int | Log2Bits
    separate_upper_bits: int | Log2Bits

    @property
    def gain(self) -> float | int | Log2Value | None:
        """``L_sep / L_joint`` of the achieved (upper) lengths (:func:`gain_ratio`); None when joint is 0."""
        return gain_ratio(self.separate_upper_bits, self.joint_upper_bits)

    def as_dict(self) -> dict:
        return {
            "eps": self.eps,
            "joint_lower_bits": self.joint_lower_bits,
            "joint_upper_bits": self.joint_upper_bits,
            "separate_lower_bits": self.separate_lower_bits,
            "separate_upper_bits": self.separate_upper_bits,
            "gain": self.gain,
        }


def _count_above(beta: float, threshold: Fraction, limit: int | None, what: str) -> int:
    """How many ``j = 0, 1, ...`` (at most ``limit``) have ``2^(-βj) > threshold``, decided exactly.

    β is the rational of its decimal (:func:`~dlcalc.core._exponent.beta_fraction`) and the
    count is ``ceil(log2(1/threshold)/β)`` computed exactly (:func:`~dlcalc.core._exponent.count_above`),
    however many heads survive.
    """
    if not threshold < 1:
        return 0
    reach = 1076 / beta  # 2^(-βj) is below every positive float once βj >= 1076
    upper = math.floor(reach) + 1 if reach < _MAX_EXPONENT else None
    if limit is not None:
        upper = limit if upper is None else min(upper, limit)
    if upper is None or upper > _MAX_EXPONENT:
        raise SpecError(
            f"{what} with beta {beta!r}: more than 2^1020 heads survive at this eps; "
            "their bounds are beyond what dlcalc represents (raise --beta or give --depth)"
        )
    return min(upper, count_above(threshold, beta_fraction(beta)))


def walsh_all_levels(beta: float, eps: float, depth: int | None = None) -> int:
    """``M(ε)``: the largest top ``t`` whose walsh-all heads survive (``a > ε``), capped at the depth.

    ``M = ceil(log2(1/ε)/β)``, exactly: β is the rational of its decimal (THEORY §5).

    >>> walsh_all_levels(1.0, 2.0**-10), walsh_all_levels(2.0, 0.1), walsh_all_levels(1.0, 1.0)
    (10, 2, 0)
    """
    check_eps(eps)
    beta = positive_float(beta, "beta", SpecError)
    return _count_above(beta, Fraction(eps), depth, "walsh-all")


def sawtooth_all_heads(beta: float, eps: float, depth: int | None = None) -> int:
    """How many sawtooth-all heads ``sawtooth:k`` (``k <= depth``) survive: ``a_k = 2^(-βk) > ε``.

    >>> sawtooth_all_heads(1.0, 2.0**-10), sawtooth_all_heads(1.0, 2.0**-10, depth=3)
    (10, 4)
    """
    check_eps(eps)
    beta = positive_float(beta, "beta", SpecError)
    return _count_above(beta, Fraction(eps), None if depth is None else depth + 1, "sawtooth-all")


def _all_ones(top: int) -> int | Log2Bits:
    """``2^top - 1``."""
    return (1 << top) - 1 if top <= EXACT_BITS_LIMIT else Log2Bits(float(top))


def family_bounds(name: str, beta: float, eps: float, depth: int | None = None) -> FormulaBounds:
    """Closed-form bounds for ``walsh-all`` and ``sawtooth-all`` (THEORY §5).

    - walsh-all: ``L_joint = 2^M - 1``, ``L_sep = (4^M - 1)/3``, lower = upper.
    - sawtooth-all: the interval-star costs of the surviving heads ``sawtooth:k``
      with ``a_k = 2^(-βk) > ε`` (``k <= depth`` when a depth is given).

    >>> b = family_bounds("walsh-all", 1.0, 2.0**-4)
    >>> b.joint_upper_bits, b.separate_upper_bits
    (15, 85)
    >>> family_bounds("walsh-all", 1e-300, 0.25).joint_upper_bits
    Log2Bits(log2=2e+300)
    """
    check_eps(eps)
    beta = positive_float(beta, "beta", SpecError)
    if name == "walsh-all":
        m = walsh_all_levels(beta, eps, depth)
        joint = _all_ones(m)
        sep = ((1 << (2 * m)) - 1) // 3 if 2 * m <= EXACT_BITS_LIMIT else Log2Bits(2.0 * m - math.log2(3))
        return FormulaBounds(eps, joint, joint, sep, sep)
    if name != "sawtooth-all":
        raise ValueError(f"unknown family {name!r}")
    return _sawtooth_all_bounds(beta, eps, depth)


def _sawtooth_all_bounds(beta: float, eps: float, depth: int | None) -> FormulaBounds:
    """sawtooth-all bounds summed over runs of heads with equal precision.

    The precision ``p_k`` of ``sawtooth:k`` is non-increasing in ``k`` and takes
    at most ``p_0 <= 1075`` values; the heads with ``p_k = q`` are a run
    ``[a, b]`` whose separate costs add up in closed form (:func:`_run_terms`),
    so the work grows with ``p_0``, not with the number of heads (``2^1000`` at
    β = 1e-300).  The joint costs are :func:`interval_star_cost` of the listed
    stars for up to ``EXACT_HEADS`` heads; beyond (β < 1/4, where ``k + p_k``
    grows along the family) the stars form one interval ``[0, H]`` with ``H``
    reached at the last head.  Every run end is exact at any size: it is
    ``ceil((log2(1/ε) - q + 1)/β)`` decided in exact arithmetic (THEORY §5).
    """
    count = sawtooth_all_heads(beta, eps, depth)
    if count == 0:
        return FormulaBounds(eps, 0, 0, 0, 0)
    p0 = precision_for(1.0, eps)
    assert p0 is not None  # count > 0: the first head, of amplitude 1, is not zero
    ends = [count]  # ends[q-1]: how many heads have precision >= q
    for q in range(2, p0 + 1):
        ends.append(_count_at_least(beta, eps, q, ends[-1]))
    ends.append(0)
    runs = [(ends[q], ends[q - 1] - 1, q) for q in range(1, p0 + 1) if ends[q] < ends[q - 1]]
    separate_upper = _sum_of_powers([t for a, b, q in runs for t in _run_terms(a, b, q, depth)])
    separate_lower = _sum_of_powers([t for a, b, q in runs for t in _run_terms(a, b, q - 1, depth)])
    if count <= EXACT_HEADS:
        up = [(k, q) for a, b, q in runs for k in range(a, b + 1)]
        joint_upper = as_bits(interval_star_cost(up, depth))
        joint_lower = as_bits(interval_star_cost([(k, q - 1) for k, q in up], depth))
    else:

        def joint(n: int, shift: int) -> int | Log2Bits:  # the interval [0, H] of the first n heads at p - shift
            if n == 0:
                return 0
            p_last = pow2_precision(beta_fraction(beta) * (n - 1), Fraction(eps))
            assert p_last is not None  # the first n heads are not zero
            top = max(p0, n - 1 + p_last) - shift
            return _all_ones(top if depth is None else min(top, depth))

        joint_upper, joint_lower = joint(count, 0), joint(ends[1], 1)
    return FormulaBounds(eps, joint_lower, joint_upper, separate_lower, separate_upper)


def _count_at_least(beta: float, eps: float, q: int, upper: int) -> int:
    """How many heads have precision ``>= q``, i.e. ``2^(-βk) > ε 2^(q-1)`` (at most ``upper``)."""
    return _count_above(beta, Fraction(eps) * (1 << (q - 1)), upper, "sawtooth-all")


def _run_terms(a: int, b: int, p: int, depth: int | None) -> list[tuple[int, int]]:
    """``Σ_{k=a..b}`` of the cost of one ``sawtooth:k`` at precision ``p`` alone, as terms ``(c, e)`` of ``Σ c·2^e``.

    Alone, a star ``(k, p)`` costs ``2^k (2^p - 1)`` (``2^min(p,D) - 1`` for ``k = 0``);
    clipped by the depth (``k + p > D``) it costs ``2^D - 2^(k-1)`` (:func:`interval_star_cost`).
    """
    if p <= 0 or a > b:
        return []
    terms: list[tuple[int, int]] = []
    if a == 0:
        terms += [(1, p if depth is None else min(p, depth)), (-1, 0)]
        a = 1
    last_full = b if depth is None else min(b, depth - p)
    if a <= last_full:  # (2^p - 1) Σ 2^k
        terms += [((1 << p) - 1, last_full + 1), (1 - (1 << p), a)]
    first_clipped = max(a, last_full + 1)
    if first_clipped <= b:  # Σ (2^D - 2^(k-1)); only with a depth: without one, last_full = b
        assert depth is not None
        terms += [(b - first_clipped + 1, depth), (-1, b), (1, first_clipped - 1)]
    return terms


def _sum_of_powers(terms: list[tuple[int, int]]) -> int | Log2Bits:
    """``Σ c·2^e``: exact when below ``2^EXACT_BITS_LIMIT``, else its log2 (an accurate float sum)."""
    terms = [(c, e) for c, e in terms if c]
    if not terms:
        return 0
    top = max(e + abs(c).bit_length() for c, e in terms)
    if top <= EXACT_BITS_LIMIT + 1:
        return as_bits(_exact_sum(terms))
    scaled = []
    for c, e in terms:
        shift = e + abs(c).bit_length() - top  # <= 0
        if shift > -1100:
            scaled.append(math.ldexp(c / (1 << abs(c).bit_length()), shift))
    return Log2Bits(float(top) + math.log2(math.fsum(scaled)))


def _exact_sum(terms: list[tuple[int, int]]) -> int:
    return sum(c << e for c, e in terms)


def heads_bounds(heads, eps: float, depth: int | None = None) -> FormulaBounds:
    """Bounds for a head list or :class:`~dlcalc.HeadSet` (THEORY §5), via the level-span algebra, group by group."""
    qclass = QuantizedClass(depth, HeadSet.of(heads), eps)
    joint = qclass.bounds("joint")
    sep = qclass.bounds("separate")
    return FormulaBounds(
        eps,
        *(
            as_bits(b)
            for b in (joint.lower_bound_bits, joint.upper_bound_bits, sep.lower_bound_bits, sep.upper_bound_bits)
        ),
    )


def fit_slope(eps: list[float], bits: list[int | Log2Bits]) -> float | None:
    """Least-squares slope of ``log2(bits)`` against ``log2(1/ε)`` over the points with bits > 0.

    A code length growing like ``ε^(-1/γ)`` has slope ``1/γ``.

    >>> fit_slope([2.0**-i for i in range(1, 8)], [2**i - 1 for i in range(1, 8)]) > 0.9
    True
    """
    pts = [(-math.log2(e), bits_log2(b)) for e, b in zip(eps, bits, strict=False) if isinstance(b, Log2Bits) or b > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if not sxx > 0:  # also when the points span more than floats can square
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


def theory_exponents(family: dict | None) -> dict | None:
    """Optimal exponents ``γ*`` (code length ``~ ε^(-1/γ*)``) of a family, or None.

    walsh-all: ``γ*_joint = β``, ``γ*_sep = β/2`` (THEORY §5, a sharp gap).
    sawtooth-all: both ``min(β, 1)``: each head probes its own scale, so sharing
    saves at most a logarithmic factor (this project's derivation from the
    interval-star costs: the largest interval ends at ``log2(1/ε) + (1-β)k``).
    """
    if not family:
        return None
    beta = float(family["beta"])
    if family["name"] == "walsh-all":  # (1/β beyond floats is inf, written as null)
        return {"gamma_joint": beta, "gamma_separate": beta / 2, "slope_joint": 1 / beta, "slope_separate": 2 / beta}
    if family["name"] == "sawtooth-all":
        g = min(beta, 1.0)
        return {"gamma_joint": g, "gamma_separate": g, "slope_joint": 1 / g, "slope_separate": 1 / g}
    return None
