"""Log-log plots of code length against 1/ε (optional: ``pip install -e '.[plot]'``)."""

from __future__ import annotations

import math
from typing import Any

from ..core._numbers import Log2Bits, bits_log2

__all__ = ["plot_rates"]


def _log2(bits, floor: float | None = None) -> float | None:
    """``log2`` of a positive count (exact int or :class:`Log2Bits`); ``floor`` (or None) for 0 and None."""
    if bits is not None and (isinstance(bits, Log2Bits) or bits > 0):
        return bits_log2(bits)
    return floor


def plot_rates(
    target,
    title: str,
    eps: list[float],
    series: dict[str, list],
    bands: dict[str, tuple[list, list]],
    fmt: str | None = None,
) -> None:
    """Write a PNG/SVG/PDF (to a path or a binary file object): bits against 1/ε, bound bands shaded.

    ``series`` named ``joint`` and ``separate`` are the coders (solid); ``joint network`` and
    ``separate network`` are drawn dashed in the same colours; anything else (baselines) dotted.

    Points are placed by their base-2 logarithms on linear axes labelled in powers of two: the
    same log-log picture, for exact bit counts beyond a float's range and ε down to the
    smallest double (where ``1/ε`` overflows), and bounds carried by their log2 (``2^(2^1000)`` bits).

    Raises ImportError when matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = [-math.log2(e) for e in eps]  # log2(1/ε), also where 1/ε overflows; math.log2 takes ints of any size
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    colours = {"joint": "tab:blue", "separate": "tab:red"}
    for name, (lo, hi) in bands.items():
        pts = [
            (xi, low, high)
            for xi, a, b in zip(x, lo, hi, strict=True)
            if (high := _log2(b)) is not None and (low := _log2(a, -1.0)) is not None
        ]
        if pts:
            ax.fill_between(
                [p[0] for p in pts],
                [p[1] for p in pts],
                [p[2] for p in pts],
                color=colours.get(name, "grey"),
                alpha=0.15,
                label=f"{name} bounds",
            )
    for name, ys in series.items():
        line = [(xi, v) for xi, y in zip(x, ys, strict=True) if (v := _log2(y)) is not None]
        if not line:
            continue
        base = name.removesuffix(" network")
        style: dict[str, Any]
        if name in colours:
            style = {"lw": 2, "marker": "o", "color": colours[name]}
        elif base in colours:  # a network beside its coder: same colour, dashed
            style = {"lw": 1.5, "ls": "--", "marker": "s", "ms": 4, "color": colours[base]}
        else:
            style = {"lw": 1, "ls": ":", "marker": "."}
        ax.plot([p[0] for p in line], [p[1] for p in line], label=name, **style)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"$2^{{{v:g}}}$"))
    ax.set_xlabel("1/ε")
    ax.set_ylabel("bits")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, format=fmt)
    plt.close(fig)
