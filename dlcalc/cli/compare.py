"""``dlcalc compare`` (encode, decode, verify over ε, with baselines) and ``dlcalc bounds`` (formulas only)."""

from __future__ import annotations

import io
import os

import click

from .. import CODER_NAMES, study
from ..core import FAMILY_NAMES, HeadSet, parse_head_run
from ._common import InputError, VerificationFailed, listed
from ._complete import complete_paths
from ._files import announce_written, check_output, force_option, max_output_option, write_output
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import check_records, emit, format_option, progress, stream_row
from ._params import EpsListType, IntType, NumberType, SweepType, eps_values
from ._style import format_bounds, format_eps, format_error, format_number
from ._tables import Column, Report

DEFAULT_SWEEP = [2.0**-e for e in range(1, 11)]
RECORD_KEYS, NETWORK_KEYS = study.RECORD_KEYS, study.NETWORK_KEYS

eps_list_option = click.option(
    "--eps", "-e", "eps", type=EpsListType(), default=None, help="Accuracies: 0.5,0.1,2^-10."
)
sweep_option = click.option(
    "--eps-sweep",
    type=SweepType(),
    default=None,
    help="A sweep: 2^-1:2^-20 (every power of two) or 1e-1:1e-300:200 (log-spaced).",
)


PLOT_EXTENSIONS = (".png", ".svg", ".pdf")


def plot_option(f):
    return click.option(
        "--plot",
        "plot_path",
        default=None,
        metavar="FILE." + "|".join(e[1:] for e in PLOT_EXTENSIONS),
        shell_complete=complete_paths(*PLOT_EXTENSIONS),
        help="Also draw bits against 1/ε on log-log axes (needs dlcalc[plot]).",
    )(f)


def check_plot(path: str | None, force: bool) -> None:
    """Everything about ``--plot FILE`` that does not need the sweep, checked before it runs."""
    if path is None:
        return
    check_output(path, force, "--plot", PLOT_EXTENSIONS, stdout=False)
    try:
        study.require_plotting()
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install -e '.[plot]'") from None


def _write_plot(path: str, force: bool, max_output: int, title: str, eps, series, bands, theory=None) -> None:
    buf = io.BytesIO()
    slopes = {"joint": theory["slope_joint"], "separate": theory["slope_separate"]} if theory else None
    study.plot_rates(buf, title, eps, series, bands, fmt=os.path.splitext(path)[1].lower()[1:], slopes=slopes)
    write_output(path, buf.getvalue(), force, max_output)
    announce_written(path)


def _fit_notes(fit: dict, depth: int | None, family=None) -> list[str]:
    """What a person reads under the table about the fit: nothing when there is nothing to fit."""
    notes = []
    capped = fit["depth_capped_eps"]
    if capped:
        notes.append(
            f"depth {depth} reached at ε ≤ {format_eps(max(capped))}: the depth caps the bits of "
            f"{len(capped)} row{'s' if len(capped) > 1 else ''}, which the fit leaves out"
        )
    if fit["joint_slope"] is None and fit["separate_slope"] is None:
        return notes

    def f(x):
        return "—" if x is None else format_number(x)

    text = (
        f"fitted log-log slopes (bits vs 1/ε): joint {f(fit['joint_slope'])} (γ = {f(fit['joint_exponent'])}), "
        f"separate {f(fit['separate_slope'])} (γ = {f(fit['separate_exponent'])})"
    )
    th = fit.get("theory")
    if th:
        text += (
            f"; theory{' (depth-free)' if depth is not None else ''}: "
            f"γ*_joint = {format_number(th['gamma_joint'])}, γ*_sep = {format_number(th['gamma_separate'])}"
        )
    notes.append(text)
    if th and family and family["name"] == "sawtooth-all":
        notes.append(
            "sawtooth-all: the theory's γ* hold up to logarithmic factors (about log2(1/ε) heads, each "
            "about 1/ε bits alone at β = 1), which a log-log fit over a finite sweep reads as a γ below γ*; "
            'the gain grows only like log(1/ε) (docs/theory.md §5, "Two families, two behaviours")'
        )
    return notes


COMPARE_COLUMNS = [
    Column("eps", "ε", render=format_eps),
    Column("joint.payload_bits", "joint payload bits"),
    Column(
        ("joint.lower_bound_bits", "joint.upper_bound_bits"),
        "joint bounds (bits)",
        render=format_bounds,
        priority=1,
        short="joint bounds",
    ),
    Column("separate.payload_bits", "separate payload bits", short="sep. payload bits"),
    Column(
        ("separate.lower_bound_bits", "separate.upper_bound_bits"),
        "separate bounds (bits)",
        render=format_bounds,
        priority=1,
        short="sep. bounds",
    ),
    Column("gain", "gain (sep ÷ joint)", short="gain"),
    Column(
        ("joint.max_error", "separate.max_error", "eps"),
        "max error",
        render=lambda e: format_error(max(e[:2]), e[2]),
        priority=2,
    ),
    Column("verified", "verified", "left", priority=2, short="ok"),
]
NETWORK_COLUMNS = [
    Column("networks.joint.network_bits", "joint network bits", priority=3, short="joint net bits"),
    Column("networks.joint.construction", "joint network", "left", priority=4, short="joint net"),
    Column("networks.separate.network_bits", "separate network bits", priority=3, short="sep. net bits"),
]
BASELINE_COLUMNS = [
    Column(
        "best_baseline.name",
        "best compressor",
        "left",
        priority=3,
        short="best",
        needs=("best_baseline.joint_content_bits",),  # a name without its bits says nothing
    ),
    Column(
        "best_baseline.joint_content_bits",
        "its content bits",
        priority=4,
        short="content bits",
        needs=("best_baseline.name",),
    ),
    Column(
        "best_baseline.ratio_to_joint_payload",
        "content ÷ joint payload",
        priority=4,
        short="÷ payload",
        needs=("best_baseline.joint_content_bits",),
        note="{header}: the best general-purpose compressor (lzma, bz2, zlib or zstd on the joint quantized "
        "table) without its framing, divided by the joint payload bits",
    ),
    Column("best_baseline.joint_bits", "its file bits", priority=5, needs=("best_baseline.name",)),
    Column(
        "best_baseline.ratio_to_joint_file",
        "file ÷ joint .dlc file",
        priority=5,
        short="÷ file",
        needs=("best_baseline.joint_bits",),
        note="{header}: the compressor's whole output, headers included, divided by the joint coder's whole "
        ".dlc file bits",
    ),
]


def trained_columns(csv: bool) -> list[Column]:
    """``compare --trained`` columns: bits for people, every field for CSV."""
    if csv:
        return [Column(f"trained.{a}.{k}", "") for a in CODER_NAMES for k in study.TRAINED_FIELDS]
    return [
        Column("trained.joint.file_bits", "joint trained file bits", priority=3, short="joint trained"),
        Column("trained.separate.file_bits", "sep. trained file bits", priority=3, short="sep. trained"),
        Column("trained.joint.stream_bits", "joint trained stream bits", priority=4, short="joint stream"),
        Column("trained.separate.stream_bits", "sep. trained stream bits", priority=4, short="sep. stream"),
    ]


def _csv_columns(baselines: bool, networks: bool) -> list[Column]:
    cols = [Column("eps", "eps")]
    for c in CODER_NAMES:
        cols += [Column(f"{c}.{k}", k) for k in RECORD_KEYS]
    cols.append(Column("gain", "gain"))
    if networks:
        cols += [Column(f"networks.{c}.{k}", "") for c in CODER_NAMES for k in NETWORK_KEYS if k != "max_error"]
    if baselines:
        for name in study.available_compressors():
            cols += [Column(f"baselines.{name}.joint_bits", ""), Column(f"baselines.{name}.separate_bits", "")]
    return cols


@click.command()
@instance_options
@eps_list_option
@sweep_option
@click.option(
    "--baselines/--no-baselines",
    default=True,
    show_default=True,
    help="Also compress the quantized tables with lzma, bz2, zlib and zstd.",
)
@click.option("--networks", is_flag=True, help="Also build and verify the Heaviside networks and add their bits.")
@click.option(
    "--trained",
    is_flag=True,
    help="Also train Heaviside networks (dlcalc train's defaults, needs dlcalc[train]) and add their bits.",
)
@plot_option
@force_option("--plot file")
@max_output_option
@budget_options
@format_option
def compare(spec, eps, eps_sweep, baselines, networks, trained, plot_path, force, max_output, budget, fmt):
    """Joint versus separate coding over a range of ε: bits, bounds, gain, verification, baselines.

    With no arguments: the default instance (walsh-all, β = 1, depth 10) at ε = 2^-1 … 2^-10.
    Every row is encoded, decoded from the bytes and verified; exit code 3 if one fails.
    The whole sweep's cost is weighed before the first row starts.

    \b
    Examples:
      dlcalc compare
      dlcalc compare --family sawtooth-all --depth 12 --eps-sweep 2^-2:2^-12
      dlcalc compare inst.json --eps 0.1,0.01 --format ndjson
      dlcalc compare --plot rates.png
      dlcalc compare --depth 8 --networks --no-baselines
      dlcalc compare --depth 4 --eps-sweep 2^-1:2^-2 --trained --no-baselines
          # (--trained needs dlcalc[train])
    """
    check_plot(plot_path, force)
    inst = spec.load(budget)
    eps_list = eps_values(eps, eps_sweep, DEFAULT_SWEEP)
    n = len(eps_list)
    check_records(n, fmt)
    plan = study.plan_compare(
        inst, eps_list, budget, baselines, networks, trained, label=f"compare over {n} value{'s' if n > 1 else ''} of ε"
    )
    rows = []
    with progress(n * study.progress_steps(trained), "compare") as advance:
        for row in study.compare_rows(plan, baselines, networks, trained, advance):
            rows.append(row)
            stream_row(fmt, row)
    fit = study.compare_fit(plan, rows)
    if plot_path:
        series = {c: [r[c]["payload_bits"] for r in rows] for c in CODER_NAMES}
        if baselines:
            for name in rows[0]["baselines"]:
                series[f"{name} (joint table)"] = [r["baselines"][name]["joint_bits"] for r in rows]
        if networks:
            for c in CODER_NAMES:
                series[f"{c} network"] = [r["networks"][c]["network_bits"] for r in rows]
        if trained:  # the points where training reached ε, in the file format of the networks beside them
            for c in CODER_NAMES:
                series[f"{c} trained (file)"] = [
                    r["trained"][c]["file_bits"] if r["trained"][c]["reached"] else None for r in rows
                ]
        bands = {
            c: ([r[c]["lower_bound_bits"] for r in rows], [r[c]["upper_bound_bits"] for r in rows]) for c in CODER_NAMES
        }
        _write_plot(
            plot_path,
            force,
            max_output,
            f"dlcalc compare: {instance_summary(inst)}",
            eps_list,
            series,
            bands,
            fit.get("theory"),
        )
    if fmt != "ndjson":
        columns = (
            _csv_columns(baselines, networks)
            if fmt == "csv"
            else COMPARE_COLUMNS + (NETWORK_COLUMNS if networks else []) + (BASELINE_COLUMNS if baselines else [])
        )
        columns = columns + (trained_columns(fmt == "csv") if trained else [])
        notes = _fit_notes(fit, inst.depth, inst.family)
        if depth_note := study.beyond_depth_note(inst):
            notes.append(depth_note)
        emit(
            Report(
                {"instance": inst.to_dict(), "rows": rows, "fit": fit},
                columns,
                rows,
                title=f"joint vs separate coding: {instance_summary(inst)}",
                notes=notes,
            ),
            fmt,
        )
    failed = [r["eps"] for r in rows if not r["verified"]]
    if failed:
        raise VerificationFailed(f"verification failed at ε = {listed([format_eps(e) for e in failed])}")


# ----------------------------------------------------------------------------- bounds

BOUNDS_COLUMNS = [
    Column("eps", "ε", render=format_eps),
    Column(("joint_lower_bits", "joint_upper_bits"), "joint bounds (bits)", render=format_bounds, short="joint bounds"),
    Column(
        ("separate_lower_bits", "separate_upper_bits"),
        "separate bounds (bits)",
        render=format_bounds,
        short="sep. bounds",
    ),
    Column("gain", "gain (sep ÷ joint upper)", short="gain"),
]


@click.command()
@click.option(
    "--head", "heads", multiple=True, metavar="SPEC", help="Head spec, repeatable (walsh:1-63, sawtooth:0-4@0.5)."
)
@click.option(
    "--family", type=click.Choice(FAMILY_NAMES), default=None, help="A family with all its heads [default: walsh-all]."
)
@click.option("--beta", type=NumberType(), default=None, help="Decay of the family's amplitudes [default: 1].")
@click.option(
    "--depth",
    "-d",
    type=IntType(min=0),
    default=None,
    help="Mask levels above this depth [default: large enough, the family unbounded].",
)
@eps_list_option
@sweep_option
@plot_option
@force_option("--plot file")
@max_output_option
@budget_options
@format_option
def bounds(heads, family, beta, depth, eps, eps_sweep, plot_path, force, max_output, budget, fmt):
    """Formula bounds, no instance: joint and separate lower/upper code lengths.

    Instant down to ε = 1e-300: level costs are exact Python integers, nothing is allocated.
    JSON and CSV carry them exactly; a table shows integers beyond 12 digits to 4 significant
    digits (lower bounds rounded down, upper bounds up).

    \b
    Examples:
      dlcalc bounds                       # walsh-all, β = 1, ε = 2^-1 … 2^-10
      dlcalc bounds --family walsh-all --beta 2 --eps-sweep 1e-1:1e-300:200 \\
          --format json
      dlcalc bounds --family sawtooth-all --eps-sweep 2^-1:2^-40
      dlcalc bounds --head walsh:1-63 --head sawtooth:0-3 --eps 0.01
    """
    check_plot(plot_path, force)
    eps_list = eps_values(eps, eps_sweep, DEFAULT_SWEEP)
    if heads and family:
        raise InputError("give --head specs or --family, not both")
    if beta is not None and heads:
        raise InputError("--beta goes with --family")
    head_list = HeadSet(None, [parse_head_run(spec) for spec in heads]) if heads else None
    fam = None
    if not head_list:
        fam = {"name": family or "walsh-all", "beta": 1.0 if beta is None else beta}
    n = len(eps_list)
    check_records(n, fmt)
    study.check_bounds(n, head_list, budget, f"bounds over {n} value{'s' if n > 1 else ''} of ε")
    rows = []
    with progress(len(eps_list), "bounds") as advance:
        for e in eps_list:
            rows.append(study.bounds_row(e, fam, head_list, depth).as_dict())
            stream_row(fmt, rows[-1])
            advance()
    capped = [study.depth_capped(fam, head_list, e, depth) for e in eps_list]
    fit = study.fit_rates(
        eps_list, [r["joint_upper_bits"] for r in rows], [r["separate_upper_bits"] for r in rows], fam, capped
    )
    what = f"{fam['name']} β={format_number(fam['beta'])}" if fam else _heads(len(head_list))
    what += f", depth {depth}" if depth is not None else ", depth large enough"
    if plot_path:
        series = {"joint": [r["joint_upper_bits"] for r in rows], "separate": [r["separate_upper_bits"] for r in rows]}
        bands = {c: ([r[f"{c}_lower_bits"] for r in rows], [r[f"{c}_upper_bits"] for r in rows]) for c in CODER_NAMES}
        _write_plot(
            plot_path, force, max_output, f"dlcalc bounds: {what}", eps_list, series, bands, study.theory_exponents(fam)
        )
    payload = {
        "family": fam,
        "heads": head_list.run_specs() if head_list else None,
        "depth": depth,
        "rows": rows,
        "fit": fit,
        "theory": study.theory_exponents(fam),
    }
    if fmt != "ndjson":
        emit(
            Report(
                payload,
                BOUNDS_COLUMNS,
                rows,
                title=f"formula bounds (docs/theory.md §5): {what}",
                notes=_fit_notes(fit, depth, fam),
            ),
            fmt,
        )


def _heads(n: int) -> str:
    return "1 head" if n == 1 else f"{format_number(n)} heads"


COMMANDS = [compare, bounds]
