"""One number style for people: exact where it can be, rounded the safe way where it cannot.

Integers beyond the terminal's width become ``2^x`` forms, ε is written as ``2^-k`` when it is
one, errors and bounds are rounded outward, head specs are shortened to runs.
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction

from ..core import EXACT_BITS_LIMIT, Log2Bits, Log2Value, log2_of

# One style everywhere a person reads a number (tables, titles, notes, messages): ε and other
# powers of two below 1 as ``2^-k``; integers in full up to 12 digits, beyond that with 4
# significant digits as ``1.234e16``; other numbers exactly when 6 significant digits hold them,
# else with 4 significant digits (``0.0009766``, ``1.748e5``).  A sup error is rounded up and a
# lower bound down, so neither is ever shown on the wrong side of its true value.

#: Integers up to this many digits are shown in full.
FULL_DIGITS = 12
_SIGNIFICANT = 4
_EXACT_SIGNIFICANT = 6

__all__ = [
    "large_form",
    "format_number",
    "format_eps",
    "format_error",
    "error_render",
    "format_bounds",
    "format_head",
    "format_cell",
]


def large_form(value) -> Log2Bits | Log2Value | None:
    """The log form of a number too large to write out (docs/json.md, "Large numbers"), else None:
    a count of ``2^EXACT_BITS_LIMIT`` or more (or more digits than Python will print), or another
    number that large."""
    if isinstance(value, (Log2Bits, Log2Value)):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _printable_bits():
        return Log2Bits(log2_of(value))
    if (
        isinstance(value, Fraction)
        and value
        and abs(value).numerator.bit_length() - value.denominator.bit_length() > _printable_bits()
    ):
        return Log2Value(log2_of(value))
    return None


def _printable_bits() -> int:
    """Bits of the largest integer written out: ``EXACT_BITS_LIMIT``, less under a lower ``PYTHONINTMAXSTRDIGITS``."""
    digits = sys.get_int_max_str_digits()
    return EXACT_BITS_LIMIT if digits == 0 else min(EXACT_BITS_LIMIT, int((digits - 1) * 3.3219))


def _sign(value) -> str:
    return "-" if not isinstance(value, (Log2Bits, Log2Value)) and value < 0 else ""


def _floor_log10(x: Fraction) -> int:
    """``floor(log10(x))`` for ``x > 0``, exactly (no float conversion, so any size works)."""
    e = math.floor((x.numerator.bit_length() - x.denominator.bit_length()) * 0.30102999566398120)
    while Fraction(10) ** e > x:
        e -= 1
    while Fraction(10) ** (e + 1) <= x:
        e += 1
    return e


def _significant(x: Fraction, digits: int, rounding: str) -> tuple[int, int]:
    """``(m, e)`` with ``m`` of ``digits`` digits and ``m·10^e`` next to ``x > 0`` in the given direction."""
    e = _floor_log10(x) - (digits - 1)
    scaled = x / Fraction(10) ** e
    if rounding == "up":
        m = math.ceil(scaled)
    elif rounding == "down":
        m = math.floor(scaled)
    else:
        m = math.floor(scaled + Fraction(1, 2))
    if m == 10**digits:
        m, e = m // 10, e + 1
    return m, e


def _decimal(m: int, e: int, fixed_below: int) -> str:
    """``m·10^e`` written out: fixed point when the leading digit's exponent is in
    ``-4 … fixed_below - 1``, else ``1.234e16``."""
    digits = str(m).rstrip("0") or "0"
    e += len(str(m)) - len(digits)
    lead = e + len(digits) - 1
    if -4 <= lead < fixed_below:
        if e >= 0:
            return digits + "0" * e
        point = len(digits) + e
        return digits[:point] + "." + digits[point:] if point > 0 else "0." + "0" * -point + digits
    return f"{digits[0]}{'.' + digits[1:] if len(digits) > 1 else ''}e{lead}"


def format_number(value, rounding: str = "nearest") -> str:
    """A number for people, rounded ``"nearest"``, ``"up"`` or ``"down"`` when it cannot be shown exactly.

    >>> [format_number(x) for x in (21845, 10**16 + 1, 5 / 3, 174762.66, 0.015625, 3.2e-5)]
    ['21845', '1e16', '1.667', '1.748e5', '0.015625', '3.2e-5']
    >>> format_number(Fraction(1, 1024), "up"), format_number(Fraction(1, 1024), "down")
    ('0.0009766', '0.0009765')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if (big := large_form(value)) is not None:  # 2^15000, 2^2e300
        return f"{_sign(value)}2^{format_number(big.log2, rounding)}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    x = Fraction(value)
    if x < 0:
        flipped = {"up": "down", "down": "up"}.get(rounding, rounding)
        return "-" + format_number(-value, flipped)
    if x == 0:
        return "0"
    if isinstance(value, int) and x < 10**FULL_DIGITS:
        return str(value)
    m, e = _significant(x, _EXACT_SIGNIFICANT, "down")
    if m * Fraction(10) ** e == x and -4 <= _floor_log10(x) < _EXACT_SIGNIFICANT and not isinstance(value, int):
        return _decimal(m, e, _EXACT_SIGNIFICANT)
    return _decimal(*_significant(x, _SIGNIFICANT, rounding), _SIGNIFICANT)


def _float_name(x: Fraction) -> str | None:
    """The short decimal of ``x`` when ``x`` is a float64 that this decimal reads back to (0.01 for the
    float nearest 0.01, which lies 2e-19 above it): the number the float stands for, neither above nor
    below it as float64 sees numbers; None otherwise."""
    if not Fraction(2.0**-1022) <= x < Fraction(2.0**1023):
        return None
    f = float(x)
    if Fraction(f) != x:
        return None
    m, e = _significant(x, _SIGNIFICANT, "nearest")
    return _decimal(m, e, _SIGNIFICANT) if float(m * Fraction(10) ** e) == f else None


def format_eps(value) -> str:
    """ε (or an amplitude): ``2^-10`` when it is a power of two below 1, else :func:`format_number`.

    >>> format_eps(2.0**-10), format_eps(0.01), format_eps(5e-324), format_eps(1.0)
    ('2^-10', '0.01', '2^-1074', '1')
    """
    if isinstance(value, (float, int, Fraction)) and not isinstance(value, bool) and 0 < value < 1:
        x = Fraction(value)
        if x.numerator == 1 and x.denominator & (x.denominator - 1) == 0:
            return f"2^-{x.denominator.bit_length() - 1}"
    return format_number(value)


def _shown_value(text: str) -> Fraction:
    """The number a person reads in ``text`` (``2^-9``, ``0.01``, ``1.748e5``)."""
    if text.startswith("2^"):
        return Fraction(2) ** int(text[2:])
    return Fraction(text)


def _power_of_two(x: Fraction) -> bool:
    return (
        x > 0
        and x.numerator & (x.numerator - 1) == 0
        and x.denominator & (x.denominator - 1) == 0
        and (x.numerator == 1 or x.denominator == 1)
    )


def format_error(value, eps=None) -> str:
    """A sup error, rounded up: never shown below its true value (0.0009765625 → ``0.0009766``),
    except that a float64 whose short decimal reads back to it is shown by that decimal, as
    ``repr`` shows it: an error equal to an amplitude of 0.01 (the float nearest 0.01, 2e-19
    above it) reads ``0.01``, not ``0.01001``.

    A power of two is written exactly (``2^-9``), and an error within ``eps`` is never shown
    above ε as ε is shown: more digits are used rather than cross it.

    >>> format_error(2.0**-9), format_error(2.0**-14), format_error(0.01, 0.01), format_error(0.0099999, 0.01)
    ('2^-9', '2^-14', '0.01', '0.01')
    >>> format_error(0.0749999), format_error(0.0749999, 0.075), format_error(0.07499), format_error(Fraction(0.01))
    ('0.075', '0.0749999', '0.07499', '0.01')
    """
    if value is None or isinstance(value, bool) or large_form(value) is not None:
        return format_number(value, "up")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    x = Fraction(value)
    if 0 < x < 1 and _power_of_two(x):
        return format_eps(value)
    short = _float_name(x)
    within = eps is not None and not isinstance(eps, bool) and x <= Fraction(eps)
    if short is not None and (not within or _shown_value(short) <= eps):
        return short
    if eps is None or isinstance(eps, bool) or not 0 < x <= Fraction(eps):
        return format_number(value, "up")
    if x == Fraction(eps):
        return format_eps(eps)
    text = format_number(value, "up")
    # not above ε as ε is shown; failing that (ε = 1/3 shown as 0.3333), not above ε itself
    for limit in (min(Fraction(eps), _shown_value(format_eps(eps))), Fraction(eps)):
        if _shown_value(text) <= limit:
            return text
        for digits in range(_SIGNIFICANT + 1, 30):
            m, e = _significant(x, digits, "up")
            if m * Fraction(10) ** e <= limit:
                return _decimal(m, e, max(digits, _SIGNIFICANT))
    return text


def error_render(eps):
    """A table cell's render for a sup error at accuracy ``eps`` (:func:`format_error`)."""
    return lambda value: format_error(value, eps)


def format_bounds(bounds) -> str:
    """``(lower, upper)`` as one number when equal, else ``lower–upper`` (rounded outward)."""
    lower, upper = bounds
    if lower is None or upper is None or lower == upper:
        return format_number(upper if lower is None else lower)
    return f"{format_number(lower, 'down')}–{format_number(upper, 'up')}"


#: Digits a number may have in a table, title or note before it is shortened (:func:`shorten_digits`).
LONG_DIGITS = 40
_LONG_NUMBER = re.compile(rf"\d{{{LONG_DIGITS + 1},}}")


def shorten_digits(text: str) -> str:
    """Integers of more than 40 digits in text for people shortened to their ends and length
    (a Walsh index of 1,200 digits would fill the screen; JSON and CSV keep every digit).

    >>> shorten_digits("walsh:" + "1" + "0" * 60 + "@0.5")
    'walsh:10000000…0000 (61 digits)@0.5'
    """
    return _LONG_NUMBER.sub(lambda m: f"{m[0][:8]}…{m[0][-4:]} ({len(m[0])} digits)", text)


def format_head(spec) -> str:
    """A head spec with its amplitude in the same style (``walsh:5@2^-2``)."""
    if not isinstance(spec, str) or "@" not in spec:
        return format_cell(spec)
    name, _, amplitude = spec.partition("@")
    try:
        return f"{name}@{format_eps(float(amplitude))}"
    except ValueError:
        return spec


def _runs(values: list[int]) -> str:
    """``1,2,3,5`` as ``1-3,5``."""
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if j == i else f"{values[i]}{',' if j == i + 1 else '-'}{values[j]}")
        i = j + 1
    return ",".join(parts)


def format_cell(value) -> str:
    """Any value for a table cell: numbers as :func:`format_number`, level lists as runs (``1-3,5``)."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _runs(list(value))
        return ",".join(format_cell(v) for v in value) or "∅"
    if value is None or isinstance(value, (bool, int, float, Fraction, Log2Bits, Log2Value)):
        return format_number(value)
    return str(value)
