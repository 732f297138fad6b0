"""Parameter types: numbers written as ``2^-10``, integers, lists of accuracies, ε sweeps.

Every value goes through :mod:`dlcalc.core._numbers`: ASCII digits only (no ``1_0``,
no ``١٢``), overflow and underflow refused by name.
"""

from __future__ import annotations

import math

import click

from .. import DlcalcError, parse_number
from ..core import parse_integer, short_text


class IntType(click.ParamType):
    """An integer in ``[min, max]`` written with ASCII digits (click's INT also takes ``1_0`` and ``١٢``)."""

    name = "integer"

    def __init__(self, min: int | None = None, max: int | None = None) -> None:
        self.min, self.max = min, max

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return parse_integer(value, "value", self.min, self.max)
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "INTEGER"


class NumberType(click.ParamType):
    """A float that also accepts ``2^-10``; ``positive`` requires > 0."""

    name = "number"

    def __init__(self, positive: bool = True) -> None:
        self.positive = positive

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            x = parse_number(value, "value")
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if self.positive and not x > 0:
            self.fail(f"{short_text(value)} must be > 0", param, ctx)
        return x


class EpsListType(click.ParamType):
    """``0.5,0.1,2^-10``: a comma-separated list of accuracies ε > 0."""

    name = "eps[,eps...]"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        out = []
        for part in str(value).split(","):
            if not part.strip():
                continue
            try:
                x = parse_number(part, "eps")
            except DlcalcError as exc:
                self.fail(str(exc), param, ctx)
            if not x > 0:
                self.fail(f"eps {short_text(part.strip())} must be > 0", param, ctx)
            out.append(x)
        if not out:
            self.fail("no eps given", param, ctx)
        return out


class SweepType(click.ParamType):
    """``A:B`` (every power of two between two powers of two, else 20 log-spaced
    points) or ``A:B:N`` (N log-spaced points), largest ε first."""

    name = "first:last[:n]"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        parts = str(value).split(":")
        if len(parts) not in (2, 3):
            self.fail(f"{short_text(value)} is not first:last[:n], e.g. 2^-1:2^-40", param, ctx)
        try:
            a, b = (parse_number(p, "eps") for p in parts[:2])
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if not (a > 0 and b > 0):
            self.fail("sweep ends must be > 0", param, ctx)
        hi, lo = max(a, b), min(a, b)
        if len(parts) == 2 and _power_of_two(hi) is not None and _power_of_two(lo) is not None:
            return [math.ldexp(1.0, e) for e in range(_power_of_two(hi), _power_of_two(lo) - 1, -1)]
        try:
            n = parse_integer(parts[2], "sweep count", 1, 100_000) if len(parts) == 3 else 20
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if n == 1:
            return [hi]
        la, lb = math.log2(hi), math.log2(lo)
        inner = [_clamped_power(la + (lb - la) * i / (n - 1), lo, hi) for i in range(1, n - 1)]
        return [hi, *inner, lo]


def _power_of_two(x: float) -> int | None:
    """``e`` if ``x = 2^e`` exactly, else None (``log2`` rounds near the ends of the float range)."""
    mantissa, exponent = math.frexp(x)
    return exponent - 1 if mantissa == 0.5 else None


def _clamped_power(log2: float, lo: float, hi: float) -> float:
    try:
        return min(max(2.0**log2, lo), hi)
    except OverflowError:
        return hi


class CountType(click.ParamType):
    """A positive count below ``2^63``: ``67108864``, ``2^26`` or ``1e9`` (ASCII digits, decided without
    building a huge number: ``2^99999999999`` is refused as out of range, not computed)."""

    name = "count"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            if "^" in text:
                base_text, _, exp_text = text.partition("^")
                base = parse_integer(base_text, "the base of a count", lo=0)
                exp = parse_integer(exp_text, "the exponent of a count", lo=0)
                if base > 1 and exp * math.log2(base) >= 63:  # checked before computing base ** exp
                    self.fail(f"{short_text(value)} must be between 1 and 2^63 - 1", param, ctx)
                amount = base**exp
            elif text.isascii() and text.isdigit():
                amount = parse_integer(text, "a count")
            else:
                number = parse_number(text, "a count")
                if not number.is_integer():
                    self.fail(f"{short_text(value)} is not a count such as 67108864, 2^26 or 1e9", param, ctx)
                amount = int(number)
        except DlcalcError as exc:
            self.fail(f"{exc} (write a count such as 67108864, 2^26 or 1e9)", param, ctx)
        if not 1 <= amount < 2**63:
            self.fail(f"{short_text(value)} must be between 1 and 2^63 - 1", param, ctx)
        return amount


class ByteSizeType(click.ParamType):
    """A byte count: ``4GiB``, ``512MiB``, ``1e9``, ``2^32`` or a plain integer (ASCII digits)."""

    name = "bytes"
    _UNITS = {
        "": 1,
        "b": 1,
        "kib": 1 << 10,
        "mib": 1 << 20,
        "gib": 1 << 30,
        "tib": 1 << 40,
        "kb": 10**3,
        "mb": 10**6,
        "gb": 10**9,
        "tb": 10**12,
    }

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip().lower().replace(" ", "")
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(number) :]
        if unit not in self._UNITS:
            self.fail(f"{short_text(value)} is not a size such as 4GiB, 512MiB or 1e9", param, ctx)
        try:
            amount = parse_number(number, "a size") * self._UNITS[unit]
        except DlcalcError as exc:
            self.fail(f"{exc} (write a size such as 4GiB, 512MiB or 1e9)", param, ctx)
        if not 1 <= amount < 2**63:
            self.fail(f"{short_text(value)} must be between one byte and 2^63 - 1 bytes", param, ctx)
        return int(amount)


def eps_values(eps: list[float] | None, sweep: list[float] | None, default: list[float]) -> list[float]:
    """``--eps`` and ``--eps-sweep`` merged: largest ε first, each value once (the default if neither)."""
    values = sorted(set((eps or []) + (sweep or [])), reverse=True)
    return values or list(default)
