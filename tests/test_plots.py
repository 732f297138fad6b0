"""Plots a person can read: the legend below the axes, one style and colour per series kind,
labelled theory slopes, and a bounds band in the legend only when it can be seen."""

import pytest

pytest.importorskip("matplotlib")

from dlcalc.study._plot import BASELINE_COLOURS, CODER_COLOURS, plot_rates, series_style

EPS = [2.0**-k for k in range(1, 6)]
JOINT, SEP = [1, 3, 7, 15, 31], [1, 5, 21, 85, 341]


def draw(monkeypatch, series, bands, slopes=None):
    """Draw, and keep the figure for inspection."""
    import matplotlib.figure

    kept = {}
    real = matplotlib.figure.Figure.savefig

    def savefig(fig, target, **kw):
        fig.canvas.draw()
        kept["fig"] = fig
        kept["legend"] = fig.axes[0].get_legend()
        kept["labels"] = [t.get_text() for t in kept["legend"].get_texts()]
        kept["legend_box"] = kept["legend"].get_window_extent()
        kept["axes_box"] = fig.axes[0].get_window_extent()
        return real(fig, target, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    import io

    plot_rates(io.BytesIO(), "t", EPS, series, bands, fmt="png", slopes=slopes)
    return kept


def test_each_kind_of_series_has_its_own_style_and_colours():
    coders = [series_style(c) for c in ("joint", "separate")]
    networks = [series_style(f"{c} network") for c in ("joint", "separate")]
    trained = [series_style(f"{c} trained") for c in ("joint", "separate")]
    baselines = [series_style("lzma (joint table)", i) for i in range(4)]
    styles = {s.get("ls", "-") for s in (coders[0], networks[0], trained[0], baselines[0])}
    assert len(styles) == 4  # solid, dashed, dash-dot, dotted
    assert all(s["ls"] == ":" for s in baselines) and all(s["ls"] != ":" for s in trained)
    used = {s["color"] for s in coders}
    assert {s["color"] for s in networks} == used  # a network beside its coder
    assert not {s["color"] for s in trained} & used and len({s["color"] for s in trained}) == 2
    assert not {s["color"] for s in baselines} & (used | {s["color"] for s in trained})
    assert len({s["color"] for s in baselines}) == 4 and set(CODER_COLOURS.values()).isdisjoint(BASELINE_COLOURS)


def test_legend_is_below_the_axes_and_bands_only_when_visible(monkeypatch):
    series = {"joint": JOINT, "separate": SEP, "joint trained": [9, 12, None, None, None]}
    equal = {"joint": (JOINT, JOINT), "separate": (SEP, SEP)}
    kept = draw(monkeypatch, series, equal, slopes={"joint": 1.0, "separate": 2.0})
    assert kept["legend_box"].y1 <= kept["axes_box"].y0  # never over the data
    assert not any("bounds" in label for label in kept["labels"])  # equal bounds: nothing to see
    assert "theory slope 1 (joint)" in kept["labels"] and "theory slope 2 (separate)" in kept["labels"]
    assert "joint trained" in kept["labels"]
    wide = {"joint": ([1, 2, 4, 8, 16], JOINT), "separate": (SEP, SEP)}
    kept = draw(monkeypatch, series, wide)
    assert "joint bounds" in kept["labels"] and "separate bounds" not in kept["labels"]
    assert not any(label.startswith("theory slope") for label in kept["labels"])


def test_compare_plot_draws_the_theory_slopes(tmp_path):
    from click.testing import CliRunner

    from dlcalc.cli import cli

    path = tmp_path / "rates.svg"
    result = CliRunner().invoke(cli, ["compare", "--depth", "5", "--no-baselines", "--plot", str(path)])
    assert result.exit_code == 0, result.output
    svg = path.read_text()
    assert "theory slope 1 (joint)" in svg and "theory slope 2 (separate)" in svg
    assert "joint bounds" not in svg  # walsh-all: the bounds are equal, no band to name


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--depth", "3", "--head", "walsh:1-255@2^-8", "--eps", "0.5,0.3", "--no-baselines"],
        ["bounds", "--head", "walsh:1@2^-8", "--eps", "0.5,0.3"],
    ],
)
def test_a_plot_of_zero_bits_only_says_wrote(tmp_path, args):
    """Every head 0 at every ε: nothing on log axes, and matplotlib warned on stderr about an empty legend."""
    import warnings

    from click.testing import CliRunner

    from dlcalc.cli import cli

    target = tmp_path / "zero.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = CliRunner().invoke(cli, [*args, "--plot", str(target), "--format", "csv"])
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert result.stderr == f"wrote {target}\n" and target.stat().st_size > 0
