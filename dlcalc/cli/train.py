"""``dlcalc train``: Heaviside networks found by gradient descent, certified exactly, their bits counted.

``docs/theory.md`` §7.
"""

from __future__ import annotations

import click

from .. import study
from ..training import ARCHS, SELECTIONS, SHAPES, TrainConfig, width_ladder
from ._common import InputError, VerificationFailed
from ._complete import complete_paths
from ._exports import check_export, is_onnx, write_json, write_onnx
from ._files import announce, force_option, max_output_option
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import emit, format_option, progress
from ._params import IntType, NumberType
from ._style import format_eps, format_error, format_number
from ._tables import Column, Report, with_error_eps

DEFAULTS = TrainConfig()


def check_trained_export(path: str | None, force: bool, archs: list[str]) -> None:
    """``--export`` checked before any training: the file, its type, and ONNX only for the joint network."""
    check_export(path, force)
    if path is not None and is_onnx(path) and "joint" not in archs:
        raise InputError("ONNX export writes the joint trained network: use --arch joint or both")


def format_max_error(values) -> str:
    """The certified max error, and where it comes only from heads fixed at 0 (ε >= amplitude), the trained
    heads' own."""
    max_error, trained, zero = values
    text = format_error(max_error)
    if zero and (trained is None or trained < max_error):
        text += " (zero heads" + ("" if trained is None else f"; trained heads {format_error(trained)}") + ")"
    return text


TRAIN_COLUMNS = [
    Column("arch", "arch", "left"),
    Column("reached", "reached", "left"),
    Column(
        ("max_error", "trained_max_error", "zero_heads"),
        "max error",
        render=format_max_error,
        priority=1,
        note='max error "(zero heads)": the error is that of heads fixed at 0 (ε >= their amplitude), '
        "the trained heads' own follows",
    ),
    Column("shape", "shape", "left", priority=3),
    Column("width", "width", priority=3),
    Column("layers", "layers", priority=4),
    Column("trunk_digits", "trunk digits", render=lambda d: "—" if d is None else str(len(d)), priority=4),
    Column("nonzero_weights", "weights", priority=2),
    Column("file_bits", "file bits"),
    Column("stream_bits", "stream bits", priority=1),
    Column("payload_bits", "coder payload bits", priority=1, short="coder bits"),
    Column("file_bits_to_payload", "file ÷ coder", priority=3, needs=("payload_bits",)),
    Column(
        ("constructed.file_bits", "constructed.stream_bits"),
        "constructed: file bits, stream bits",
        render=lambda pair: ", ".join(format_number(v) for v in pair),
        priority=2,
        short="constructed file, stream",
    ),
    Column(
        "file_bits_to_constructed",
        "file ÷ constructed",
        priority=3,
        needs=(("constructed.file_bits", "constructed.stream_bits"),),
    ),
    Column(
        "stream_bits_to_constructed",
        "stream ÷ constructed",
        priority=4,
        needs=(("constructed.file_bits", "constructed.stream_bits"),),
    ),
    Column("compile_seconds", "compile s", priority=4),
    Column("train_seconds", "train s", priority=4),
    Column("seconds", "seconds", priority=4),
]


@click.command()
@instance_options
@click.option("--eps", "-e", type=NumberType(), required=True, help="Target accuracy ε > 0 (sup norm).")
@click.option(
    "--arch",
    type=click.Choice([*ARCHS, "both"]),
    default="both",
    show_default=True,
    help="One network for all heads (joint), one per head (separate), or both.",
)
@click.option(
    "--shape",
    type=click.Choice([*SHAPES, "both"]),
    default="both",
    show_default=True,
    help="shallow: one hidden layer; deep: a trunk and per-head layers; both: the smaller in bits.",
)
@click.option(
    "--steps",
    type=IntType(min=1, max=2**31 - 1),
    default=DEFAULTS.steps,
    show_default=True,
    help="Optimizer steps of each training: the annealed (sigmoid) and the straight-through (hard step) phases "
    "split them, 70/30.",
)
@click.option(
    "--restarts",
    type=IntType(min=1, max=2**31 - 1),
    default=DEFAULTS.restarts,
    show_default=True,
    help="Random restarts trained side by side.",
)
@click.option(
    "--max-width",
    type=IntType(min=1, max=2**31 - 1),
    default=DEFAULTS.max_width,
    show_default=True,
    help="Budget: the widest first layer the search tries.",
)
@click.option(
    "--patience",
    type=IntType(min=0, max=2**31 - 1),
    default=DEFAULTS.patience,
    show_default=True,
    help="Widths tried after the first that reaches ε (the smallest in bits is kept).",
)
@click.option(
    "--deep-widths",
    type=IntType(min=1, max=2**31 - 1),
    default=DEFAULTS.deep_widths,
    show_default=True,
    help="Widths the deep shape is trained at, from the first at which the shallow networks fit the grid within ε.",
)
@click.option(
    "--train-seed",
    type=IntType(min=0, max=2**63 - 1),
    default=DEFAULTS.seed,
    show_default=True,
    help="Seed of the initializations.",
)
@click.option(
    "--learning-rate", type=NumberType(), default=DEFAULTS.learning_rate, show_default=True, help="Adam step size."
)
@click.option(
    "--select",
    type=click.Choice(SELECTIONS),
    default=DEFAULTS.select,
    show_default=True,
    help="Deep networks: the head layers retrained on one frozen trunk, each head's from its best restart "
    "(per-head), or whole restarts as trained, the one whose worst head is best (network).",
)
@click.option(
    "--curriculum/--no-curriculum",
    default=DEFAULTS.curriculum,
    show_default=True,
    help="Deep networks: train trunk unit l first on the single-digit head walsh:2^(l-1) (when the class has one "
    "for every level the network's heads read), then the head layers on the frozen trunk.",
)
@click.option(
    "--prune/--no-prune",
    default=DEFAULTS.prune,
    show_default=True,
    help="Remove weights and units of the rounded network that change no unit's value on any cell of its "
    "first layer, then certify it again.",
)
@click.option(
    "--export",
    "export_path",
    default=None,
    metavar="FILE.json|onnx",
    shell_complete=complete_paths(".json", ".onnx"),
    help="Write the trained networks as JSON (layers and entropy-coded streams), or the joint one as ONNX.",
)
@force_option("--export file")
@max_output_option
@budget_options
@format_option
def train(
    spec,
    eps,
    arch,
    shape,
    steps,
    restarts,
    max_width,
    patience,
    deep_widths,
    train_seed,
    learning_rate,
    select,
    curriculum,
    prune,
    export_path,
    force,
    max_output,
    budget,
    fmt,
):
    """Train Heaviside networks by gradient descent; certify their sup error exactly; count their bits.

    Each architecture's width grows until a network, rounded to the coarsest
    dyadic weights that keep it within ε, is certified within ε over all of
    [0, 1) (exact arithmetic, no sampling), or until --max-width; the smallest in
    bits is kept, and "reached" says whether one made it.  file_bits is the
    network in the file format of dlcalc network (the measure of the constructed
    networks); stream_bits the length of a real entropy-coded stream
    (constriction) of the architecture and weights, with the length prefix that
    makes it self-delimiting, decoded back and compared.  Beside them: the
    coder's payload, the bounds and the constructed networks of the same class.  Needs the train
    extra: pip install -e '.[train]'.  Exit code 3 if a decoded stream differs.

    \b
    Examples:
      dlcalc train --depth 3 --eps 2^-2
      dlcalc train --family sawtooth-all --depth 3 --eps 0.1875 --shape shallow \\
          --format json
      dlcalc train inst.json --eps 2^-4 --arch joint --export joint.onnx
          # (ONNX needs dlcalc[onnx])
    """
    study.training_library()  # a missing extra is named before anything else
    config = study.training_config(
        steps=steps,
        restarts=restarts,
        max_width=max_width,
        patience=patience,
        seed=train_seed,
        learning_rate=learning_rate,
        deep_widths=deep_widths,
        select=select,
        curriculum=curriculum,
        prune=prune,
    )
    archs = list(ARCHS) if arch == "both" else [arch]
    check_trained_export(export_path, force, archs)
    inst = spec.load(budget)
    shapes = SHAPES if shape == "both" else (shape,)
    plan = study.plan_training(inst, eps, archs, shapes, config, budget, label=f"training at ε = {format_eps(eps)}")
    results = {}
    for a in archs:  # one bar per architecture, a step per width of its ladder
        with progress(len(width_ladder(config.max_width)), f"train {a}") as step:
            results.update(study.run_training(plan, [a], shapes, config, lambda _arch, step=step: step))
    records = {a: study.arch_record(r, plan) for a, r in results.items()}
    if export_path:
        if is_onnx(export_path):
            net = study.trained_heaviside(results)
            write_onnx(export_path, net, [h.spec for h in inst.heads], budget, force, max_output)
        else:
            write_json(export_path, study.trained_document(results, plan), force, max_output)
        if export_path != "-":
            announce(f"wrote {export_path}")
    for a, r in records.items():
        if not r["reached"]:
            announce(
                f"{a}: no network within ε = {format_eps(eps)} up to width {max_width} "
                f"(smallest certified error {format_error(r['max_error'])})"
            )
    config_record = {
        "steps": steps,
        "restarts": restarts,
        "max_width": max_width,
        "patience": patience,
        "deep_widths": deep_widths,
        "train_seed": train_seed,
        "learning_rate": learning_rate,
        "shapes": list(shapes),
        "select": select,
        "curriculum": curriculum,
        "prune": prune,
        "rounding_fallback": "first-layer step closest on the check grid",
    }
    head = {"instance": inst.to_dict(), "eps": eps, "config": config_record}
    payload = {**head, **records} if arch == "both" else {**head, **records[arch]}
    notes = []
    if arch == "both" and records["joint"]["file_bits"] and records["joint"]["stream_bits"]:
        j, s = records["joint"], records["separate"]
        notes.append(
            f"separate ÷ joint trained bits: file {format_number(s['file_bits'] / j['file_bits'])}, "
            f"stream {format_number(s['stream_bits'] / j['stream_bits'])}"
        )
    if export_path != "-":
        emit(
            Report(
                payload,
                with_error_eps(TRAIN_COLUMNS, eps),
                list(records.values()),
                title=f"trained Heaviside networks at ε = {format_eps(eps)}: {instance_summary(inst)}",
                notes=notes,
            ),
            fmt,
        )
    bad = [a for a, r in records.items() if not r["decoded_equal"]]
    if bad:
        raise VerificationFailed(f"the entropy-coded stream did not decode to the network for {', '.join(bad)}")


COMMANDS = [train]
