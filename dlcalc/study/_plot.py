"""Log-log plots of code length against 1/ε (optional: ``pip install -e '.[plot]'``)."""

from __future__ import annotations

import math
from typing import Any

from .. import _optional
from ..core._numbers import Log2Bits, bits_log2

__all__ = ["band_visible", "plot_rates", "require_plotting", "series_style"]


def require_plotting() -> None:
    """Import matplotlib (quietly, whatever ``HOME`` is: :mod:`dlcalc._optional`), or raise ImportError."""
    _optional.matplotlib()


def _log2(bits, floor: float | None = None) -> float | None:
    """``log2`` of a positive count (exact int or :class:`Log2Bits`); ``floor`` (or None) for 0 and None."""
    if bits is not None and (isinstance(bits, Log2Bits) or bits > 0):
        return bits_log2(bits)
    return floor


#: Colours per coder; other series kinds get colours of their own (never a coder's).
CODER_COLOURS = {"joint": "tab:blue", "separate": "tab:red"}
TRAINED_COLOURS = {"joint": "tab:purple", "separate": "tab:orange"}
BASELINE_COLOURS = ("tab:green", "tab:brown", "tab:olive", "tab:gray", "tab:pink", "tab:cyan")
#: A band thinner than this (in log2 bits) cannot be seen: it gets no legend entry.
VISIBLE_BAND = 0.05


def series_style(name: str, baseline_index: int = 0) -> dict[str, Any]:
    """How a series is drawn, by its kind: a coder (solid, circles), its network (dashed, squares,
    the coder's colour), its trained network (dash-dot, triangles, a colour of its own), anything
    else — a compressor baseline — dotted, in a colour no coder uses."""
    if name in CODER_COLOURS:
        return {"lw": 2, "marker": "o", "color": CODER_COLOURS[name]}
    coder, _, kind = name.partition(" ")
    if coder in CODER_COLOURS and kind == "network":
        return {"lw": 1.5, "ls": "--", "marker": "s", "ms": 4, "color": CODER_COLOURS[coder]}
    if coder in CODER_COLOURS and kind == "trained":
        return {"lw": 1.5, "ls": "-.", "marker": "^", "ms": 5, "color": TRAINED_COLOURS[coder]}
    return {"lw": 1, "ls": ":", "marker": ".", "color": BASELINE_COLOURS[baseline_index % len(BASELINE_COLOURS)]}


def band_visible(low: list[float], high: list[float]) -> bool:
    """Whether a bounds band has any height to see."""
    return any(h - lo > VISIBLE_BAND for lo, h in zip(low, high, strict=True))


def plot_rates(
    target,
    title: str,
    eps: list[float],
    series: dict[str, list],
    bands: dict[str, tuple[list, list]],
    fmt: str | None = None,
    slopes: dict[str, float] | None = None,
) -> None:
    """Write a PNG/SVG/PDF (to a path or a binary file object): bits against 1/ε, bound bands shaded.

    Series are styled by kind (:func:`series_style`): ``joint`` and ``separate`` are the coders
    (solid); ``joint network`` and ``separate network`` dashed in the same colours; ``joint
    trained`` and ``separate trained`` dash-dot in colours of their own; anything else
    (baselines) dotted. A bounds band is labelled only when it has a visible height (equal
    bounds draw nothing). ``slopes`` (``{"joint": 1.0, "separate": 2.0}``, the theory's
    log-log slopes) adds a labelled guide line per coder through its last point. The legend
    sits below the axes, never over the data.

    Points are placed by their base-2 logarithms on linear axes labelled in powers of two: the
    same log-log picture, for exact bit counts beyond a float's range and ε down to the
    smallest double (where ``1/ε`` overflows), and bounds carried by their log2 (``2^(2^1000)`` bits).

    Raises ImportError when matplotlib is not installed.
    """
    plt = _optional.pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    x = [-math.log2(e) for e in eps]  # log2(1/ε), also where 1/ε overflows; math.log2 takes ints of any size
    fig, ax = plt.subplots(figsize=(7, 5), dpi=120)
    for name, (lo, hi) in bands.items():
        pts = [
            (xi, low, high)
            for xi, a, b in zip(x, lo, hi, strict=True)
            if (high := _log2(b)) is not None and (low := _log2(a, -1.0)) is not None
        ]
        if pts and band_visible([p[1] for p in pts], [p[2] for p in pts]):
            ax.fill_between(
                [p[0] for p in pts],
                [p[1] for p in pts],
                [p[2] for p in pts],
                color=CODER_COLOURS.get(name, "grey"),
                alpha=0.15,
                label=f"{name} bounds",
            )
    drawn: dict[str, list[tuple[float, float]]] = {}
    baselines = 0
    for name, ys in series.items():
        line = [(xi, v) for xi, y in zip(x, ys, strict=True) if (v := _log2(y)) is not None]
        if not line:
            continue
        style = series_style(name, baselines)
        if style.get("ls") == ":":
            baselines += 1
        ax.plot([p[0] for p in line], [p[1] for p in line], label=name, **style)
        drawn[name] = line
    for coder, slope in (slopes or {}).items():
        guide = drawn.get(coder)
        if not guide or slope is None or not math.isfinite(slope):
            continue
        x0, y0 = guide[-1]
        xs = [min(p[0] for p in guide), max(p[0] for p in guide)]
        ax.plot(
            xs,
            [y0 + slope * (xi - x0) for xi in xs],
            color=CODER_COLOURS.get(coder, "black"),
            lw=1,
            ls=(0, (8, 4)),
            alpha=0.5,
            label=f"theory slope {slope:g} ({coder})",
        )
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"$2^{{{v:g}}}$"))
    ax.set_xlabel("1/ε")
    ax.set_ylabel("bits")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    entries = len(ax.get_legend_handles_labels()[1])
    if entries:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=min(3, entries), frameon=False)
    else:  # every value is 0 bits (every head is 0 at these ε): nothing on log axes, and no legend to warn about
        ax.text(0.5, 0.5, "every value is 0 bits: nothing to draw on log axes", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    fig.savefig(target, format=fmt, bbox_inches="tight")
    plt.close(fig)
