"""``dlcalc train``: Heaviside networks found by gradient descent, certified exactly, their bits counted (THEORY §7)."""

from __future__ import annotations

import os

import click

from .. import Budget, DlcalcError, QuantizedClass, coder_bounds, quantize_heads
from ..cost._cost import Cost
from ..cost._coding import feature_step
from ..cost._networks import network_steps
from ..training._config import TrainConfig
from ._common import SCHEMA_VERSION, InputError, VerificationFailed
from ._files import announce, force_option, write_output
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import Column, Report, dumps, emit, format_eps, format_error, format_number, format_option, progress
from ._params import NumberType

ARCHS = ("joint", "separate")
SHAPES = ("shallow", "deep")
DEFAULTS = TrainConfig()
INSTALL_HINT = "pip install -e '.[train]'"


def _library():
    """The training modules, or a one-line error naming the extra."""
    from .. import training as _train

    try:
        _train.require_training()
    except ImportError as exc:
        raise InputError(
            f"dlcalc train needs the train extra (JAX, optax, constriction; {exc.name} is missing): {INSTALL_HINT}"
        ) from None
    return _train


def arch_record(result, inst, eps: float, max_cells: int, constructed: bool = True) -> dict:
    """One architecture's record: the trained network(s), the coder and the constructed networks beside them."""
    from .. import training as _train

    nets = result.networks
    bounds = coder_bounds(quantize_heads(inst.heads, eps), inst.depth, result.arch)
    bits = result.network_bits
    shapes = sorted({n.shape for n in nets if n.width})
    record = {
        "arch": result.arch,
        "reached": result.reached,
        "max_error": result.max_error,
        "eps": eps,
        "nonzero_weights": result.nonzero_weights,
        "network_bits": bits,
        "file_bits": result.file_bits,
        "width": max(n.width for n in nets),
        "depth": max(n.network.depth for n in nets),
        "shape": shapes[0] if len(shapes) == 1 else ("+".join(shapes) or None),
        "layer_widths": nets[0].network.widths if len(nets) == 1 else None,
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
        "widths_tried": result.widths_tried,
        "decoded_equal": all(n.decoded_equal for n in nets),
        "payload_bits": bounds.upper_bound_bits,
        "lower_bound_bits": bounds.lower_bound_bits,
        "ratio_to_payload": bits / bounds.upper_bound_bits if bounds.upper_bound_bits else None,
    }
    if constructed:
        built = _train.constructed_bits(inst, eps, result.arch, max_cells)
        record["constructed"] = built
        record["ratio_to_constructed"] = bits / built["entropy_coded_bits"] if built["entropy_coded_bits"] else None
    if result.arch == "separate":
        record["heads"] = [
            {
                "head": spec,
                "reached": n.max_error <= eps,
                "max_error": n.max_error,
                "network_bits": n.network_bits,
                "file_bits": n.file_bits,
                "nonzero_weights": n.network.nonzero_weights,
                "width": n.width,
                "depth": n.network.depth,
                "shape": n.shape if n.width else None,
                "layer_widths": n.network.widths,
            }
            for spec, n in zip(result.head_specs, nets)
        ]
    return record


def _network_json(trained, heads: list[str]) -> dict:
    from ..training._entropy import encode_network

    net = trained.network
    return {
        "heads": heads,
        "shape": trained.shape,
        "width": trained.width,
        "max_error": trained.max_error,
        "network_bits": trained.network_bits,
        "file_bits": trained.file_bits,
        "stream_hex": encode_network(net).to_bytes().hex(),
        "scales": [float(s) for s in net.scales],
        "layers": [
            {
                "activation": "linear" if i == net.depth - 1 else "heaviside",
                "exponent": layer.exponent,
                "weights": layer.weights.tolist(),
                "biases": layer.biases.tolist(),
            }
            for i, layer in enumerate(net.layers)
        ],
    }


def export_trained(path: str, results: dict, inst, eps: float, budget: Budget, force: bool) -> None:
    """JSON: every trained network's integer layers and its entropy-coded stream; ONNX: the joint network
    (as ``dlcalc network`` writes and checks one)."""
    if os.path.splitext(path)[1].lower() == ".onnx":
        from ..training._certify import to_heaviside
        from .network import export_onnx

        export_onnx(path, to_heaviside(results["joint"].networks[0].network), inst, budget, force)
        return
    doc = {
        "schema_version": SCHEMA_VERSION,
        "eps": eps,
        "instance": inst.to_dict(),
        "weight_rule": "weight = value * 2^-exponent; first layer H(w x + b) on the scalar x; "
        "hidden layers H(W u + b) with H(t) = 1 for t >= 0; last layer linear times its scale",
        "networks": {
            arch: [
                _network_json(n, [spec] if arch == "separate" else [h.spec for h in inst.heads])
                for spec, n in zip(r.head_specs, r.networks)
            ]
            for arch, r in results.items()
        },
    }
    write_output(path, (dumps(doc) + "\n").encode(), force)


def check_trained_export(path: str | None, force: bool, archs: list[str]) -> None:
    """``--export`` checked before any training: the file, its type, and ONNX only for the joint network."""
    from .network import check_export

    check_export(path, force, archs)
    if path is not None and os.path.splitext(path)[1].lower() == ".onnx" and "joint" not in archs:
        raise InputError("ONNX export writes the joint trained network: use --arch joint or both")


TRAIN_COLUMNS = [
    Column("arch", "arch", "left"),
    Column("reached", "reached", "left"),
    Column("max_error", "max error", render=format_error, priority=2),
    Column("shape", "shape", "left", priority=3),
    Column("width", "width", priority=3),
    Column("depth", "depth", priority=4),
    Column("nonzero_weights", "weights", priority=2),
    Column("network_bits", "network bits"),
    Column("file_bits", "network file bits", priority=2, short="file bits"),
    Column("payload_bits", "coder payload bits", priority=1, short="coder bits"),
    Column("ratio_to_payload", "÷ coder bits", priority=3),
    Column(
        ("constructed.entropy_coded_bits", "constructed.network_bits"),
        "constructed: network bits, file bits",
        render=lambda pair: ", ".join(format_number(v) for v in pair),
        priority=1,
        short="constructed",
    ),
    Column("ratio_to_constructed", "÷ constructed", priority=3),
    Column("seconds", "seconds", priority=4),
]


def training_config(steps, restarts, max_width, patience, train_seed, learning_rate, deep_widths):
    _train = _library()
    try:
        return _train.TrainConfig(
            steps=steps,
            restarts=restarts,
            max_width=max_width,
            patience=patience,
            seed=train_seed,
            learning_rate=learning_rate,
            deep_widths=deep_widths,
        )
    except DlcalcError as exc:
        raise InputError(str(exc)) from None


def weigh_training(qclass, archs, shapes, config) -> list:
    """What training one class materializes, the search's work included (``dlcalc.training._train.training_steps``)."""
    from ..training._train import training_steps

    return training_steps(qclass, archs, config, shapes) + network_steps(qclass, archs)


def run_training(inst, eps: float, archs, shapes, config, advance=None) -> dict:
    """Search each architecture, with a progress bar on a terminal (or ``advance`` once per width of its
    ladder, the whole ladder counted when the search stops early); the results by arch.

    The caller has weighed the cost (:func:`weigh_training`) before."""
    _train = _library()
    results = {}
    ladder = _train.width_ladder(config.max_width)
    for arch in archs:
        if advance is None:
            with progress(len(ladder), f"train {arch}") as step:
                results[arch] = _train.train_architecture(
                    inst, eps, arch, shapes, config, progress=lambda width: step()
                )
        else:
            results[arch] = _train.train_architecture(inst, eps, arch, shapes, config, progress=lambda width: advance())
            for _ in range(len(ladder) - len(results[arch].widths_tried)):
                advance()
    return results


def trained_steps(qclass) -> list:
    """``compare --trained``: what training with the default settings materializes at one ε (weighed up front)."""
    from ..training._train import training_steps

    return training_steps(qclass, ARCHS, DEFAULTS, SHAPES)


def trained_progress_steps() -> int:
    """``compare --trained``: progress steps of one ε, a width of each architecture's ladder each."""
    from ..training._config import width_ladder

    return len(ARCHS) * len(width_ladder(DEFAULTS.max_width))


def trained_row(inst, eps: float, budget: Budget, advance=None) -> dict:
    """``compare --trained``: both architectures with the default settings, the fields a sweep row carries."""
    results = run_training(inst, eps, ARCHS, SHAPES, DEFAULTS, advance)
    return {
        arch: {k: arch_record(r, inst, eps, budget.max_cells, constructed=False)[k] for k in TRAINED_FIELDS}
        for arch, r in results.items()
    }


TRAINED_FIELDS = ("reached", "network_bits", "max_error", "nonzero_weights", "shape", "width")


def trained_columns(csv: bool) -> list[Column]:
    """``compare --trained`` columns: bits for people, every field for CSV."""
    if csv:
        return [Column(f"trained.{a}.{k}", "") for a in ARCHS for k in TRAINED_FIELDS]
    return [
        Column("trained.joint.network_bits", "joint trained bits"),
        Column("trained.separate.network_bits", "sep. trained bits"),
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
    type=click.IntRange(min=1),
    default=DEFAULTS.steps,
    show_default=True,
    help="Optimizer steps per training phase.",
)
@click.option(
    "--restarts",
    type=click.IntRange(min=1),
    default=DEFAULTS.restarts,
    show_default=True,
    help="Random restarts trained side by side.",
)
@click.option(
    "--max-width",
    type=click.IntRange(min=1),
    default=DEFAULTS.max_width,
    show_default=True,
    help="Budget: the widest first layer the search tries.",
)
@click.option(
    "--patience",
    type=click.IntRange(min=0),
    default=DEFAULTS.patience,
    show_default=True,
    help="Widths tried after the first that reaches ε (the smallest in bits is kept).",
)
@click.option(
    "--deep-widths",
    type=click.IntRange(min=1),
    default=DEFAULTS.deep_widths,
    show_default=True,
    help="Widths the deep shape is trained at, from the first at which the shallow networks fit the grid within ε.",
)
@click.option(
    "--train-seed",
    type=click.IntRange(min=0),
    default=DEFAULTS.seed,
    show_default=True,
    help="Seed of the initializations.",
)
@click.option(
    "--learning-rate", type=NumberType(), default=DEFAULTS.learning_rate, show_default=True, help="Adam step size."
)
@click.option(
    "--export",
    "export_path",
    default=None,
    metavar="FILE.json|onnx",
    help="Write the trained networks as JSON (layers and entropy-coded streams), or the joint one as ONNX.",
)
@force_option("--export file")
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
    export_path,
    force,
    budget,
    fmt,
):
    """Train Heaviside networks by gradient descent; certify their sup error exactly; count their bits.

    Each architecture's width grows until a network, rounded to the coarsest
    dyadic weights that keep it within ε, is certified within ε over all of
    [0, 1) (exact arithmetic, no sampling), or until --max-width; the smallest in
    bits is kept, and "reached" says whether one made it.  network_bits is the
    length of a real entropy-coded stream (constriction) of the architecture and
    weights, decoded back and compared.  Beside it: the coder's payload, the
    bounds and the constructed networks of the same class.  Needs the train
    extra: pip install -e '.[train]'.  Exit code 3 if a decoded stream differs.

    \b
    Examples:
      dlcalc train --depth 3 --eps 2^-2
      dlcalc train --family sawtooth-all --depth 3 --eps 0.1875 --shape shallow --format json
      dlcalc train inst.json --eps 2^-4 --arch joint --export joint.onnx   # needs dlcalc[onnx]
    """
    config = training_config(steps, restarts, max_width, patience, train_seed, learning_rate, deep_widths)
    archs = list(ARCHS) if arch == "both" else [arch]
    check_trained_export(export_path, force, archs)
    inst = spec.load(budget)
    shapes = SHAPES if shape == "both" else (shape,)
    qclass = QuantizedClass(inst.depth, inst.heads, eps)
    Cost([feature_step(inst.depth)], [weigh_training(qclass, archs, shapes, config)]).check(
        budget, f"training at ε = {format_eps(eps)}"
    )
    results = run_training(inst, eps, archs, shapes, config)
    records = {a: arch_record(r, inst, eps, budget.max_cells) for a, r in results.items()}
    if export_path:
        export_trained(export_path, results, inst, eps, budget, force)
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
    }
    head = {"instance": inst.to_dict(), "eps": eps, "config": config_record}
    payload = {**head, **records} if arch == "both" else {**head, **records[arch]}
    notes = []
    if arch == "both" and records["joint"]["network_bits"]:
        notes.append(
            "separate ÷ joint trained network bits: "
            f"{format_number(records['separate']['network_bits'] / records['joint']['network_bits'])}"
        )
    if export_path != "-":
        emit(
            Report(
                payload,
                TRAIN_COLUMNS,
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
