"""Exact decisions on family amplitudes ``a = 2^(-e)`` with a rational exponent ``e`` (THEORY §5).

A family's β is the rational its decimal string denotes, and a family head's amplitude is
``2^(-βj)``: irrational unless ``βj`` is an integer.  Every decision that compares such an
amplitude with ε — whether the head is zero (``a <= ε``), its precision ``p = ceil(log2(a/ε))``,
how many family levels survive — is made here exactly, and the quantizer, the bounds and the
independent verifier all call these functions, so they cannot disagree.

β is carried as a float (files and options hold the float); its exact value is the decimal of
the float's shortest ``repr`` (:func:`beta_fraction`), which is the decimal the user wrote
whenever it has at most 15 significant digits (every such decimal survives a round trip
through a double).

How a comparison ``2^(-e)`` against a positive rational ``x`` is decided: write
``x = 2^k n/d`` with ``n``, ``d`` odd.  If ``n = d = 1``, ``log2 x = k`` and the comparison is
rational arithmetic.  Otherwise ``log2 x`` is irrational, so it never equals ``-e``: bit
lengths decide the far cases, floating-point logarithms the near ones with a wide margin, and
the rest is decided by ``log2 x`` in decimal arithmetic with correctly rounded logarithms and
a proven error bound, at doubling precision until the interval excludes ``-e``.
"""

from __future__ import annotations

import decimal
import functools
import math
from fractions import Fraction

__all__ = ["beta_fraction", "count_above", "pow2_compare", "pow2_float", "pow2_precision"]

#: Decimal digits of the first exact attempt (doubled until the comparison is decided).
_START_DIGITS = 40


def beta_fraction(beta: float) -> Fraction:
    """The exact β: the rational of the float's shortest decimal ``repr`` (module docstring).

    >>> beta_fraction(0.7), beta_fraction(1e-300) == Fraction(1, 10**300), beta_fraction(2.0)
    (Fraction(7, 10), True, Fraction(2, 1))
    """
    return Fraction(repr(float(beta)))


def _split(x: Fraction) -> tuple[int, int, int]:
    """``x = 2^k n / d`` with ``n``, ``d`` odd: ``(k, n, d)``."""
    n, d = x.numerator, x.denominator
    tn = (n & -n).bit_length() - 1
    td = (d & -d).bit_length() - 1
    return tn - td, n >> tn, d >> td


@functools.lru_cache(maxsize=1 << 12)
def _odd_log2(n: int, d: int, digits: int) -> tuple[Fraction, Fraction]:
    """Bounds ``lo < log2(n/d) < hi`` from logarithms correctly rounded to ``digits`` digits.

    Each of ``ln n``, ``ln d``, ``ln 2`` and the subtraction and division is correctly rounded
    (relative error at most ``u = 10^(1-digits)/2``), so the result is off by less than
    ``4u(|ln n| + |ln d|) + 4u``; the interval is a thousand times wider than that.
    """
    ctx = decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_EVEN)
    ln_n, ln_d = ctx.ln(decimal.Decimal(n)), ctx.ln(decimal.Decimal(d))
    value = ctx.divide(ctx.subtract(ln_n, ln_d), ctx.ln(decimal.Decimal(2)))
    radius = (abs(Fraction(ln_n)) + abs(Fraction(ln_d)) + 1) * Fraction(1, 10 ** (digits - 4))
    return Fraction(value) - radius, Fraction(value) + radius


def _log2_bounds(x: Fraction, digits: int) -> tuple[Fraction, Fraction]:
    k, n, d = _split(x)
    if n == 1 and d == 1:
        return Fraction(k), Fraction(k)
    lo, hi = _odd_log2(n, d, digits)
    return k + lo, k + hi


def pow2_compare(e: Fraction, x: Fraction) -> int:
    """The sign of ``2^(-e) - x`` (``-1``, ``0`` or ``1``) for a rational ``e`` and a rational ``x > 0``, exactly.

    >>> pow2_compare(Fraction(63), Fraction(1, 2**63)), pow2_compare(Fraction(63 - 10**-12), Fraction(1, 2**63))
    (0, 1)
    >>> pow2_compare(Fraction(1, 2), Fraction(7071067811865475, 10**16))  # 2^-0.5 = 0.70710678118654752...
    1
    """
    e, x = Fraction(e), Fraction(x)
    k, n, d = _split(x)
    if n == 1 and d == 1:
        return (k < -e) - (k > -e)
    target = -e
    # 2^(bits - 1) <= n < 2^bits (n > 1 odd: strictly above), so log2 x lies in (lo, hi)
    lo = k + n.bit_length() - 1 - d.bit_length()
    hi = k + n.bit_length() - d.bit_length() + 1
    if target <= lo:
        return -1
    if target >= hi:
        return 1
    # |target| < |k| + bits + 2 here: a float holds it; math.log2 of an int is within a few ulps
    approx = k + math.log2(n) - math.log2(d)
    gap = float(target) - approx
    if abs(gap) > 1e-9 * (1 + abs(approx)):
        return 1 if gap > 0 else -1
    digits = _START_DIGITS
    while True:
        lo_q, hi_q = _log2_bounds(x, digits)
        if target < lo_q:
            return -1
        if target > hi_q:
            return 1
        digits *= 2


def pow2_precision(e: Fraction, eps: Fraction) -> int | None:
    """``p = ceil(log2(a/ε))`` for ``a = 2^(-e)``: the smallest ``p >= 1`` with ``a 2^-p <= ε``; None if ``a <= ε``.

    >>> pow2_precision(Fraction(7), Fraction(1, 2**7)), pow2_precision(Fraction(69, 10), Fraction(1, 2**7))
    (None, 1)
    >>> pow2_precision(Fraction(7, 10), Fraction(1, 10))  # log2(2^-0.7 / 0.1) = 2.62...
    3
    """
    e, eps = Fraction(e), Fraction(eps)
    if pow2_compare(e, eps) <= 0:
        return None
    k, n, d = _split(eps)
    # here 2^(-e) > ε >= 2^(k - bits(d)), so e is below |k| + bits(d) and a float holds it
    guess = -float(e) - (k + math.log2(n) - math.log2(d))
    p = max(1, math.ceil(guess))
    while p > 1 and pow2_compare(e + p - 1, eps) <= 0:
        p -= 1
    while pow2_compare(e + p, eps) > 0:
        p += 1
    return p


def count_above(x: Fraction, beta: Fraction) -> int:
    """How many ``j = 0, 1, 2, ...`` have ``2^(-βj) > x``: ``ceil(log2(1/x)/β)`` for ``x < 1``, else 0, exactly.

    >>> count_above(Fraction(1, 2**63), Fraction(7, 10)), count_above(Fraction(1, 2**1074), Fraction(1, 10))
    (90, 10740)
    """
    x, beta = Fraction(x), Fraction(beta)
    if x >= 1:
        return 0
    k, n, d = _split(x)
    if n == 1 and d == 1:  # -log2 x = -k: rational
        return math.ceil(Fraction(-k) / beta)
    # -log2 x is irrational, so (-log2 x)/β is never an integer: narrow it until its ceiling is known
    digits = _START_DIGITS + max(0, len(str(beta.denominator)) - len(str(beta.numerator)))
    while True:
        lo, hi = _log2_bounds(x, digits)
        c_lo, c_hi = math.ceil(-hi / beta), math.ceil(-lo / beta)
        if c_lo == c_hi:
            return c_lo
        digits *= 2


@functools.lru_cache(maxsize=1 << 14)
def pow2_float(e: Fraction) -> float:
    """``2^(-e)`` correctly rounded to a float (0.0 below half the smallest subnormal), for a rational ``e >= 0``.

    Rounding is monotone, so a decision made exactly on ``2^(-e)`` holds for the float as well:
    ``2^(-e) <= ε`` gives ``float <= ε`` for every float ε.

    >>> pow2_float(Fraction(63)) == 2.0**-63, pow2_float(Fraction(1, 2)) == math.sqrt(0.5)
    (True, True)
    """
    e = Fraction(e)
    if e < 0:
        raise ValueError(f"exponent must be >= 0, got {e}")
    whole = math.floor(e)
    if whole >= 1076:
        return 0.0
    if e.denominator == 1:
        return math.ldexp(1.0, -whole)  # exact, or 2^-1075 rounded to 0 (ties to even)
    y = math.ldexp(2.0 ** -float(e - whole), -whole)
    while True:  # 2^(-e) is irrational: no ties; step to the float whose rounding interval holds it
        up = math.nextafter(y, math.inf)
        if pow2_compare(e, (Fraction(y) + Fraction(up)) / 2) > 0:
            y = up
            continue
        if y > 0:
            down = math.nextafter(y, 0.0)
            if pow2_compare(e, (Fraction(y) + Fraction(down)) / 2) < 0:
                y = down
                continue
        return y
