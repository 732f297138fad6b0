"""Parameter types: numbers written as ``2^-10``, lists of accuracies, ε sweeps."""

from __future__ import annotations

import math

import click

from .. import DlcalcError, parse_number

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
            self.fail(f"{value!r} must be > 0", param, ctx)
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
                self.fail(f"eps {part.strip()!r} must be > 0", param, ctx)
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
            self.fail(f"{value!r} is not first:last[:n], e.g. 2^-1:2^-40", param, ctx)
        try:
            a, b = (parse_number(p, "eps") for p in parts[:2])
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if not (a > 0 and b > 0):
            self.fail("sweep ends must be > 0", param, ctx)
        hi, lo = max(a, b), min(a, b)
        la, lb = math.log2(hi), math.log2(lo)
        if len(parts) == 2 and la.is_integer() and lb.is_integer():
            return [math.ldexp(1.0, e) for e in range(int(la), int(lb) - 1, -1)]
        try:
            n = int(parts[2]) if len(parts) == 3 else 20
        except ValueError:
            self.fail(f"sweep count {parts[2]!r} is not an integer", param, ctx)
        if not 1 <= n <= 100_000:
            self.fail("sweep count must be between 1 and 100000", param, ctx)
        if n == 1:
            return [hi]
        return [2.0 ** (la + (lb - la) * i / (n - 1)) for i in range(n)]


def eps_values(eps: list[float] | None, sweep: list[float] | None, default: list[float]) -> list[float]:
    """``--eps`` and ``--eps-sweep`` merged: largest ε first, each value once (the default if neither)."""
    values = sorted(set((eps or []) + (sweep or [])), reverse=True)
    return values or list(default)
