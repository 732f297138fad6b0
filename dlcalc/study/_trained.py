"""Networks found by gradient descent beside the coders and the constructions, as records (THEORY §7).

The work behind ``dlcalc train`` and ``dlcalc compare --trained``: :func:`plan_training`
weighs the search once (the whole width ladder), :func:`run_training` runs it,
:func:`arch_record` turns each architecture's result into the record the JSON output prints,
:func:`trained_document` is what ``--export FILE.json`` writes.  Needs the ``train`` extra
(:func:`training_library` names what is missing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._errors import SpecError
from ..core import Budget, Instance
from ..cost import network_steps
from ..training import ARCHS, SHAPES, ArchResult, TrainConfig, TrainingUnavailable, training_steps, width_ladder
from ._plan import Plan, weigh

__all__ = [
    "ARCHS",
    "SHAPES",
    "TRAINED_FIELDS",
    "TRAIN_INSTALL_HINT",
    "TrainingMissing",
    "arch_record",
    "plan_training",
    "run_training",
    "trained_document",
    "trained_progress_steps",
    "trained_row",
    "trained_steps",
    "training_config",
    "training_library",
]

DEFAULTS = TrainConfig()
TRAIN_INSTALL_HINT = "pip install -e '.[train]'"
#: The fields of each architecture a ``compare --trained`` row carries.
TRAINED_FIELDS = ("reached", "file_bits", "stream_bits", "max_error", "nonzero_weights", "shape", "width")
#: ``schema_version`` of the JSON file ``dlcalc train --export`` writes (3: ``network_bits`` became
#: ``stream_bits``, self-delimiting, beside ``file_bits``).
TRAINED_DOCUMENT_VERSION = 3


class TrainingMissing(SpecError):
    """The ``train`` extra is not installed (one line naming what is missing and how to install it)."""


def training_library():
    """:mod:`dlcalc.training`, once JAX, optax and constriction are known to import."""
    from .. import training

    try:
        training.require_training()
    except ImportError as exc:
        clause = exc.missing_clause if isinstance(exc, TrainingUnavailable) else f"{exc.name or 'jax'} is missing"
        raise TrainingMissing(f"dlcalc train needs the train extra ({clause}): {TRAIN_INSTALL_HINT}") from None
    return training


def training_config(**settings: Any) -> TrainConfig:
    """The search's settings, checked (a :class:`~dlcalc.SpecError` names a bad one)."""
    return TrainConfig(**settings)


def plan_training(
    instance: Instance,
    eps: float,
    archs: Sequence[str],
    shapes: Sequence[str],
    config: TrainConfig,
    budget: Budget,
    label: str | None = None,
) -> Plan:
    """The instance quantized at ε; the search (its whole width ladder), certification, coding and the
    constructed networks beside them weighed, once."""
    return weigh(
        instance,
        eps,
        budget,
        lambda qc: training_steps(qc, archs, config, shapes) + network_steps(qc, archs),
        label or f"training at ε = {eps:g}",
    )


def run_training(
    plan: Plan,
    archs: Sequence[str],
    shapes: Sequence[str],
    config: TrainConfig,
    step: Callable[[str], Callable[[], None]],
) -> dict[str, ArchResult]:
    """Search each architecture; ``step(arch)`` gives the callback advanced once per width of its ladder
    (the whole ladder is counted when the search stops early)."""
    training = training_library()
    results = {}
    ladder = width_ladder(config.max_width)
    for arch in archs:
        advance = step(arch)
        results[arch] = training.train_architecture(
            plan.instance, plan.eps, arch, shapes, config, progress=lambda width, advance=advance: advance()
        )
        for _ in range(len(ladder) - len(results[arch].widths_tried)):
            advance()
    return results


def arch_record(result: ArchResult, plan: Plan, constructed: bool = True) -> dict:
    """One architecture's record: the trained network(s), the coder and the constructed networks beside them."""
    from ..quantize import quantize_heads
    from ..training import constructed_bits

    inst, eps = plan.instance, plan.eps
    nets = result.networks
    bounds = plan.qclass.bounds(result.arch)
    shapes = sorted({n.shape for n in nets if n.width})
    zero = [q.zero for q in quantize_heads(inst.heads, eps)]
    # each head's certified error (the joint network lists all heads; the separate ones one each)
    errors = [e for n in nets for e in n.quantized.errors] if len(nets) > 1 else list(nets[0].quantized.errors)
    trained_errors = [e for e, z in zip(errors, zero, strict=True) if not z]

    def ratio(bits: int, of: int | None):
        return bits / of if of else None

    record: dict[str, Any] = {
        "arch": result.arch,
        "reached": result.reached,
        "max_error": result.max_error,
        "eps": eps,
        "zero_heads": sum(zero),
        "trained_max_error": max(trained_errors) if trained_errors else None,
        "nonzero_weights": result.nonzero_weights,
        "file_bits": result.file_bits,
        "stream_bits": result.stream_bits,
        "width": max(n.width for n in nets),
        "layers": max(n.network.depth for n in nets),
        "shape": shapes[0] if len(shapes) == 1 else ("+".join(shapes) or None),
        "layer_widths": nets[0].network.widths if len(nets) == 1 else None,
        "trunk_digits": nets[0].trunk_digits if len(nets) == 1 else None,
        "curriculum_levels": result.curriculum_levels[0] if len(nets) == 1 and result.curriculum_levels else None,
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
        "compile_seconds": round(result.compile_seconds, 3),
        "train_seconds": round(result.train_seconds, 3),
        "widths_tried": result.widths_tried,
        "decoded_equal": all(n.decoded_equal for n in nets),
        "payload_bits": bounds.upper_bound_bits,
        "lower_bound_bits": bounds.lower_bound_bits,
        "file_bits_to_payload": ratio(result.file_bits, bounds.upper_bound_bits),
        "stream_bits_to_payload": ratio(result.stream_bits, bounds.upper_bound_bits),
    }
    if constructed:
        built = constructed_bits(inst, eps, result.arch, plan.budget.max_cells)
        record["constructed"] = built
        record["file_bits_to_constructed"] = ratio(result.file_bits, built["file_bits"])
        record["stream_bits_to_constructed"] = ratio(result.stream_bits, built["stream_bits"])
    if result.arch == "separate":
        record["heads"] = [
            {
                "head": spec,
                "reached": n.max_error <= eps,
                "zero": z,
                "max_error": n.max_error,
                "file_bits": n.file_bits,
                "stream_bits": n.stream_bits,
                "nonzero_weights": n.network.nonzero_weights,
                "width": n.width,
                "layers": n.network.depth,
                "shape": n.shape if n.width else None,
                "layer_widths": n.network.widths,
                "trunk_digits": n.trunk_digits,
                "curriculum_levels": levels,
            }
            for spec, n, z, levels in zip(
                result.head_specs, nets, zero, result.curriculum_levels or [[] for _ in nets], strict=True
            )
        ]
    return record


def _network_json(trained, heads: list[str]) -> dict:
    from ..training import encode_network

    net = trained.network
    return {
        "heads": heads,
        "shape": trained.shape,
        "width": trained.width,
        "max_error": trained.max_error,
        "file_bits": trained.file_bits,
        "stream_bits": trained.stream_bits,
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


def trained_document(results: dict[str, ArchResult], plan: Plan) -> dict:
    """What ``--export FILE.json`` writes: every trained network's integer layers and its entropy-coded stream."""
    inst = plan.instance
    return {
        "schema_version": TRAINED_DOCUMENT_VERSION,
        "eps": plan.eps,
        "instance": inst.to_dict(),
        "weight_rule": "weight = value * 2^-exponent; first layer H(w x + b) on the scalar x; "
        "hidden layers H(W u + b) with H(t) = 1 for t >= 0; last layer linear times its scale",
        "networks": {
            arch: [
                _network_json(n, [spec] if arch == "separate" else [h.spec for h in inst.heads])
                for spec, n in zip(r.head_specs, r.networks, strict=True)
            ]
            for arch, r in results.items()
        },
    }


def trained_heaviside(results: dict[str, ArchResult]):
    """The joint trained network as a :class:`~dlcalc.networks.HeavisideNetwork` (what ONNX export writes)."""
    from ..training import to_heaviside

    return to_heaviside(results["joint"].networks[0].network)


# ----------------------------------------------------------------------------- compare --trained


def trained_steps(qclass, compiled: set | None = None) -> list:
    """``compare --trained``: what training with the default settings materializes at one ε; ``compiled``, shared
    by the values of ε of one sweep, holds the programs weighed already (compiled once for the sweep)."""
    return training_steps(qclass, ARCHS, DEFAULTS, SHAPES, compiled)


def trained_progress_steps() -> int:
    """``compare --trained``: progress steps of one ε, a width of each architecture's ladder each."""
    return len(ARCHS) * len(width_ladder(DEFAULTS.max_width))


def trained_row(plan: Plan, advance: Callable[[], None]) -> dict:
    """``compare --trained``: both architectures with the default settings at the plan's ε (a one-ε plan
    drawn from the sweep's), the fields a sweep row carries."""
    results = run_training(plan, ARCHS, SHAPES, DEFAULTS, lambda _arch: advance)
    return {
        arch: {k: arch_record(r, plan, constructed=False)[k] for k in TRAINED_FIELDS} for arch, r in results.items()
    }
