"""Log-log plots of code length against 1/ε (optional: ``pip install 'dlcalc[plot]'``)."""

from __future__ import annotations

__all__ = ["plot_rates"]


def plot_rates(target, title: str, eps: list[float], series: dict[str, list], bands: dict[str, tuple[list, list]],
               fmt: str | None = None) -> None:
    """Write a PNG/SVG/PDF (to a path or a binary file object): bits against 1/ε, bound bands shaded.

    ``series`` named ``joint`` and ``separate`` are the coders (solid); ``joint network`` and
    ``separate network`` are drawn dashed in the same colours; anything else (baselines) dotted.

    Raises ImportError when matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [1 / e for e in eps]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    colours = {"joint": "tab:blue", "separate": "tab:red"}
    for name, (lo, hi) in bands.items():
        pts = [(xi, float(a), float(b)) for xi, a, b in zip(x, lo, hi) if b and b > 0]
        if pts:
            ax.fill_between([p[0] for p in pts], [max(p[1], 0.5) for p in pts], [p[2] for p in pts],
                            color=colours.get(name, "grey"), alpha=0.15, label=f"{name} bounds")
    for name, ys in series.items():
        pts = [(xi, float(y)) for xi, y in zip(x, ys) if y is not None and y > 0]
        if not pts:
            continue
        base = name.removesuffix(" network")
        if name in colours:
            style = {"lw": 2, "marker": "o", "color": colours[name]}
        elif base in colours:  # a network beside its coder: same colour, dashed
            style = {"lw": 1.5, "ls": "--", "marker": "s", "ms": 4, "color": colours[base]}
        else:
            style = {"lw": 1, "ls": ":", "marker": "."}
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name, **style)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("1/ε")
    ax.set_ylabel("bits")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(target, format=fmt)
    plt.close(fig)
