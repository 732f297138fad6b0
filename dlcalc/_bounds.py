"""Formula bounds without an instance, rate fits and theoretical exponents (THEORY §5).

Everything here is exact Python integers: ``bounds`` never allocates arrays, so
ε down to 1e-300 is instant.  ``depth=None`` means "depth large enough".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ._headset import HeadSet
from ._quantize import QuantizedClass, check_eps, precision_for
from ._span import interval_star_cost

__all__ = ["FormulaBounds", "gain_ratio", "walsh_all_levels", "family_bounds", "heads_bounds", "fit_slope", "theory_exponents"]


def gain_ratio(separate_bits: int, joint_bits: int) -> float | int | None:
    """``L_sep / L_joint`` (THEORY §5): a float, or the nearest integer where the ratio is beyond a float's
    range (exact level costs have no such limit: walsh-all at β = 0.5, ε = 1e-300 gains about 2^1993);
    None when the joint length is 0.

    >>> gain_ratio(85, 15), gain_ratio(1, 0), gain_ratio(3 * 2**1100 + 1, 3) == 2**1100
    (5.666666666666667, None, True)
    """
    if not joint_bits:
        return None
    try:
        return separate_bits / joint_bits
    except OverflowError:
        return round(Fraction(separate_bits, joint_bits))


@dataclass(frozen=True)
class FormulaBounds:
    """Joint and separate lower/upper bounds on the code length at one ε (THEORY §5)."""

    eps: float
    joint_lower_bits: int
    joint_upper_bits: int
    separate_lower_bits: int
    separate_upper_bits: int

    @property
    def gain(self) -> float | int | None:
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


def _walsh_amplitude(beta: float, t: int) -> float:
    return 2.0 ** (-beta * (t - 1))  # exactly as family_heads computes it


def walsh_all_levels(beta: float, eps: float, depth: int | None = None) -> int:
    """``M(ε)``: the largest top ``t`` whose walsh-all heads survive (``a > ε``), capped at the depth.

    ``M = ceil(log2(1/ε)/β)`` up to the exact comparison ``2^(-β(t-1)) > ε``.

    >>> walsh_all_levels(1.0, 2.0**-10), walsh_all_levels(2.0, 0.1), walsh_all_levels(1.0, 1.0)
    (10, 2, 0)
    """
    check_eps(eps)
    if eps >= 1:
        return 0
    m = max(math.ceil(-math.log2(eps) / beta) - 1, 0)  # log2(1/ε) without 1/ε, which overflows below 2^-1024
    while precision_for(_walsh_amplitude(beta, m + 1), eps) is not None:
        m += 1
    while m > 0 and precision_for(_walsh_amplitude(beta, m), eps) is None:
        m -= 1
    return m if depth is None else min(m, depth)


def family_bounds(name: str, beta: float, eps: float, depth: int | None = None) -> FormulaBounds:
    """Closed-form bounds for ``walsh-all`` and ``sawtooth-all`` (THEORY §5).

    - walsh-all: ``L_joint = 2^M - 1``, ``L_sep = (4^M - 1)/3``, lower = upper.
    - sawtooth-all: the interval-star costs of the surviving heads ``sawtooth:k``
      with ``a_k = 2^(-βk) > ε`` (``k <= depth`` when a depth is given).

    >>> b = family_bounds("walsh-all", 1.0, 2.0**-4)
    >>> b.joint_upper_bits, b.separate_upper_bits
    (15, 85)
    """
    check_eps(eps)
    if name == "walsh-all":
        m = walsh_all_levels(beta, eps, depth)
        joint, sep = (1 << m) - 1, ((1 << (2 * m)) - 1) // 3
        return FormulaBounds(eps, joint, joint, sep, sep)
    if name != "sawtooth-all":
        raise ValueError(f"unknown family {name!r}")
    up, low = [], []
    k = 0
    p0 = precision_for(1.0, eps)
    integral = float(beta).is_integer()
    while depth is None or k <= depth:
        # 2^(-βk) is an exact power of two for integer β: the precision drops by βk
        if integral:
            p = p0 - int(beta) * k if p0 is not None and p0 - int(beta) * k >= 1 else None
        else:
            p = precision_for(2.0 ** (-beta * k), eps)
        if p is None:
            break
        up.append((k, p))
        low.append((k, p - 1))
        k += 1
    return FormulaBounds(
        eps,
        interval_star_cost(low, depth),
        interval_star_cost(up, depth),
        sum(_one_star(s, depth) for s in low),
        sum(_one_star(s, depth) for s in up),
    )


def _one_star(star: tuple[int, int], depth: int | None) -> int:
    """One sawtooth head alone: ``2^p - 1`` (k = 0) or ``2^k (2^p - 1)`` at large depth (THEORY §5)."""
    k, p = star
    if depth is None:
        return ((1 << p) - 1) << k if p > 0 else 0
    return interval_star_cost([star], depth)


def heads_bounds(heads, eps: float, depth: int | None = None) -> FormulaBounds:
    """Bounds for a head list or :class:`~dlcalc.HeadSet` (THEORY §5), via the level-span algebra, group by group."""
    qclass = QuantizedClass(depth, HeadSet.of(heads), eps)
    joint = qclass.bounds("joint")
    sep = qclass.bounds("separate")
    return FormulaBounds(eps, joint.lower_bound_bits, joint.upper_bound_bits, sep.lower_bound_bits, sep.upper_bound_bits)


def fit_slope(eps: list[float], bits: list[int]) -> float | None:
    """Least-squares slope of ``log2(bits)`` against ``log2(1/ε)`` over the points with bits > 0.

    A code length growing like ``ε^(-1/γ)`` has slope ``1/γ``.

    >>> fit_slope([2.0**-i for i in range(1, 8)], [2**i - 1 for i in range(1, 8)]) > 0.9
    True
    """
    pts = [(-math.log2(e), math.log2(b)) for e, b in zip(eps, bits) if b > 0]  # log2 of ints of any size
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
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
    if family["name"] == "walsh-all":
        return {"gamma_joint": beta, "gamma_separate": beta / 2, "slope_joint": 1 / beta, "slope_separate": 2 / beta}
    if family["name"] == "sawtooth-all":
        g = min(beta, 1.0)
        return {"gamma_joint": g, "gamma_separate": g, "slope_joint": 1 / g, "slope_separate": 1 / g}
    return None
