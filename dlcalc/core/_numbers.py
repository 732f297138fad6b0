"""Numbers from people and files, and the form of values too large to write out.

Every number dlcalc reads goes through this module: command-line values
(``0.25``, ``1e-300``, ``2^-10``, integers), the numbers of instance files and
``.dlc`` headers (strict JSON).  The grammar is ASCII only: Python's own
``float()`` and ``int()`` also take ``1_0`` and ``١٢``, which are refused here.
A value that rounds to 0 or to infinity as a float is refused as *underflowing*
or *overflowing*, never silently replaced.

Bit counts (THEORY §5, §8) are exact Python integers.  A count of
``2^EXACT_BITS_LIMIT`` or more (say ``2^(2^1000)`` bits, THEORY §5 at tiny β)
cannot be held or printed exactly; it is carried as :class:`Log2Bits`, its
base-2 logarithm (``docs/json.md``, "Large numbers").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .._errors import FormatError, SpecError

__all__ = [
    "parse_number",
    "parse_integer",
    "finite_float",
    "positive_float",
    "strict_json_loads",
    "Log2Bits",
    "Log2Value",
    "EXACT_BITS_LIMIT",
    "MAX_INTEGER_DIGITS",
    "as_bits",
    "bits_log2",
    "ratio",
    "as_exact",
    "log2_of",
    "short_text",
]

#: Bit counts (and other integers) below ``2^EXACT_BITS_LIMIT`` (at most 4,215 decimal digits, within
#: Python's default limit of 4,300 on integer-to-text conversion) are written exactly.
EXACT_BITS_LIMIT = 14000
#: Longest integer read anywhere (enough for ``2^4096``); Python itself stops at 4,300 digits.
MAX_INTEGER_DIGITS = 1300

_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER = re.compile(rf"^{_DECIMAL}(?:[eE][+-]?[0-9]+)?$")
_POWER = re.compile(r"^(?P<sign>[+-]?)(?P<base>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*\^\s*(?P<exp>[+-]?[0-9]+)$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_NONFINITE = re.compile(r"^[+-]?(?:inf|infinity|nan)$", re.IGNORECASE)
#: Exponents of ``base^exp`` beyond this many digits saturate (the value is 0, 1 or infinite anyway).
_MAX_EXP_DIGITS = 7


def short_text(value, limit: int = 40) -> str:
    """``repr``-like text of a value, cut to ``limit`` characters (a 5,000-digit number stays one short line)."""
    text = value if isinstance(value, str) else _int_text(value) if isinstance(value, int) else repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 12]}…({len(text)} chars)"
    return repr(text) if isinstance(value, str) else text


def _int_text(n: int) -> str:
    if n.bit_length() > 4 * MAX_INTEGER_DIGITS:  # beyond Python's int-to-str limit
        return f"{'-' if n < 0 else ''}2^{math.log2(abs(n)):.6g}"
    return str(n)


def _float_or_refuse(exact, text: str, what: str, error=SpecError) -> float:
    """``float(exact)`` (a Fraction or a decimal string), refusing overflow and underflow by name."""
    try:
        value = float(exact)
    except OverflowError:
        value = math.inf
    if math.isinf(value):
        raise error(f"{what} {short_text(text)} overflows: numbers are at most 1.8e308")
    if value == 0 and _nonzero(exact):
        raise error(f"{what} {short_text(text)} underflows: it rounds to 0 (the smallest positive number is 5e-324)")
    return value


def _nonzero(exact) -> bool:
    if isinstance(exact, Fraction):
        return exact != 0
    mantissa = re.split(r"[eE]", exact)[0]
    return any(c in "123456789" for c in mantissa)


def parse_number(text: str, what: str = "number") -> float:
    """A float from ``0.25``, ``-3``, ``1e-300`` or a power ``2^-10`` (``base^integer``), ASCII only.

    Underscores, non-ASCII digits, ``inf`` and ``nan`` are refused; so is a value
    that overflows or underflows a float (``1e400``, ``1e-400``, ``2^-1075``).

    >>> parse_number("2^-3"), parse_number("1e-3"), parse_number(" 0.5 ")
    (0.125, 0.001, 0.5)
    >>> parse_number("1_0")
    Traceback (most recent call last):
    dlcalc._errors.SpecError: number '1_0' is not a number: write e.g. 0.25, 1e-3 or 2^-10
    """
    raw = str(text)
    text = raw.strip()
    if _NONFINITE.match(text):
        raise SpecError(f"{what} {short_text(text)} is not finite")
    if not text.isascii() or not (_NUMBER.match(text) or _POWER.match(text)):
        raise SpecError(f"{what} {short_text(text)} is not a number: write e.g. 0.25, 1e-3 or 2^-10")
    m = _POWER.match(text)
    if m is None:
        return _float_or_refuse(text, text, what)
    negative = m["sign"] == "-"  # a leading minus applies to the power: -2^2 = -(2^2)
    base = Fraction(m["base"])
    exp_text = m["exp"].lstrip("+-").lstrip("0") or "0"
    exp = (10**_MAX_EXP_DIGITS if len(exp_text) > _MAX_EXP_DIGITS else int(exp_text)) * (
        -1 if m["exp"].startswith("-") else 1
    )
    if base == 0:
        if exp < 0:
            raise SpecError(f"{what} {short_text(text)} is not a number (0 to a negative power)")
        magnitude = Fraction(1 if exp == 0 else 0)
    elif max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(exp) <= 1 << 17:
        magnitude = base**exp  # exact, then rounded once
    else:  # a long base to a large power: beyond every float, or 0, or a close float
        log2 = log2_of(base) * exp
        if abs(log2) <= 1100:
            return (-1.0 if negative else 1.0) * 2.0**log2
        magnitude = Fraction(2) ** (1100 if log2 > 0 else -1100)
    return _float_or_refuse(-magnitude if negative else magnitude, text, what)


def parse_integer(text: str, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """An integer written with ASCII digits only (no ``1_0``, no ``١٢``), within ``[lo, hi]``.

    >>> parse_integer("12", "depth", lo=0)
    12
    """
    text = str(text).strip()
    if not text.isascii() or not _INTEGER.match(text):
        raise SpecError(f"{what} {short_text(text)} is not an integer (ASCII digits only)")
    digits = len(text.lstrip("+-").lstrip("0"))
    if digits > MAX_INTEGER_DIGITS:
        bound = "below" if text.startswith("-") else "above"
        raise SpecError(f"{what} has {digits} digits, far {bound} the allowed range")
    value = int(text)
    if lo is not None and value < lo:
        raise SpecError(f"{what} {short_text(value)} must be >= {lo}")
    if hi is not None and value > hi:
        raise SpecError(f"{what} {short_text(value)} must be <= {short_text(hi)}")
    return value


def finite_float(value, what: str, error=FormatError) -> float:
    """A JSON or library number (int or float, not bool) as a finite float, refusing overflow by name.

    >>> finite_float(3, "beta")
    3.0
    >>> finite_float(10**400, "eps")
    Traceback (most recent call last):
    dlcalc._errors.FormatError: eps '1000000000000000000000000000…(401 chars)' overflows: numbers are at most 1.8e308
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise error(f"{what} must be a number, got {short_text(value)}")
    if isinstance(value, int):
        return _float_or_refuse(Fraction(value), _int_text(value), what, error)
    if not math.isfinite(value):
        raise error(f"{what} must be finite, got {value!r}")
    return value


def positive_float(value, what: str, error=FormatError) -> float:
    """A finite number ``> 0`` (int or float, not bool) as a float; an int too large for a float is named as
    overflowing."""
    if isinstance(value, float) and value == math.inf:  # what a JSON number beyond a float reads as
        raise error(f"{what} overflows: numbers are at most 1.8e308")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0):
        raise error(f"{what} must be a finite number > 0, got {short_text(value)}")
    return finite_float(value, what, error)


def strict_json_loads(text: str | bytes, what: str, detail: bool = True):
    """Parse JSON strictly: duplicate keys, ``NaN``/``Infinity``, integers over
    ``MAX_INTEGER_DIGITS`` digits and floats that underflow are refused (:class:`FormatError`,
    one line; ``detail`` adds the parser's words to a syntax error).  A float that overflows
    reads as ``inf``, for the reader of the field to refuse as not finite.

    >>> strict_json_loads('{"a": 1}', "header")
    {'a': 1}
    >>> strict_json_loads('{"a": 1, "a": 2}', "header")
    Traceback (most recent call last):
    dlcalc._errors.FormatError: header: duplicate key 'a'
    """

    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise FormatError(f"{what}: duplicate key {short_text(key)}")
            out[key] = value
        return out

    def constant(name):
        raise FormatError(f"{what}: {name} is not a JSON number")

    def integer(s: str) -> int:
        if len(s.lstrip("-")) > MAX_INTEGER_DIGITS:
            raise FormatError(f"{what}: an integer of {len(s.lstrip('-'))} digits is too large")
        return int(s)

    def number(s: str) -> float:
        value = float(s)
        return value if math.isinf(value) else _float_or_refuse(s, s, f"{what}: the number", FormatError)

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer, parse_float=number)
    except FormatError:
        raise
    except (ValueError, RecursionError) as exc:  # includes UnicodeDecodeError
        why = f" ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})" if detail else ""
        raise FormatError(f"{what} is not valid JSON{why}") from None


# ----------------------------------------------------------------------------- large values


@dataclass(frozen=True, order=True)
class Log2Bits:
    """A bit count of ``2^EXACT_BITS_LIMIT`` or more, known by its base-2 logarithm.

    JSON writes it as ``{"log2_bits": L}``; tables as ``≈2^L`` (``docs/json.md``).
    """

    log2: float

    def __str__(self) -> str:
        return f"2^{self.log2:.10g}"


@dataclass(frozen=True, order=True)
class Log2Value:
    """A positive number (a gain) of ``2^EXACT_BITS_LIMIT`` or more that is not a bit count, known by its
    base-2 logarithm.  JSON writes it as ``{"log2": L}``.
    """

    log2: float

    def __str__(self) -> str:
        return f"2^{self.log2:.10g}"


def as_bits(count: int) -> int | Log2Bits:
    """An exact count below ``2^EXACT_BITS_LIMIT``, else its :class:`Log2Bits`.

    >>> as_bits(1023), as_bits(1 << 15000)
    (1023, Log2Bits(log2=15000.0))
    """
    return count if count.bit_length() <= EXACT_BITS_LIMIT else Log2Bits(math.log2(count))


def bits_log2(count: int | Log2Bits) -> float:
    """``log2`` of a positive count, exact integer or :class:`Log2Bits`."""
    return count.log2 if isinstance(count, Log2Bits) else math.log2(count)


def log2_of(value) -> float:
    """``log2 |value|`` of a nonzero int, float, Fraction or log form, for any magnitude."""
    if isinstance(value, (Log2Bits, Log2Value)):
        return value.log2
    if isinstance(value, Fraction):
        return math.log2(abs(value.numerator)) - math.log2(value.denominator)
    return math.log2(abs(value))


def ratio(numerator: int | Log2Bits, denominator: int | Log2Bits) -> float | int | Log2Value | None:
    """``numerator / denominator`` of two counts: a float; beyond the float range the nearest integer,
    and beyond ``2^EXACT_BITS_LIMIT`` a :class:`Log2Value`; None when the denominator is 0.

    >>> ratio(341, 31), ratio(1, 0), ratio((1 << 3000) + 1, 2) == 1 << 2999, ratio(Log2Bits(4e300), 3)
    (11.0, None, True, Log2Value(log2=4e+300))
    """
    if denominator == 0:
        return None
    if numerator == 0:
        return 0.0
    if isinstance(numerator, int) and isinstance(denominator, int):
        try:
            return numerator / denominator
        except OverflowError:
            return as_exact(round(Fraction(numerator, denominator)))
    log2 = bits_log2(numerator) - bits_log2(denominator)
    if log2 < 1023:
        return 2.0**log2
    return Log2Value(log2)


def as_exact(value: int) -> int | Log2Value:
    """An integer that is not a bit count (a gain, a Gram entry): exact below ``2^EXACT_BITS_LIMIT``, else its log2."""
    return value if value.bit_length() <= EXACT_BITS_LIMIT else Log2Value(math.log2(value))
