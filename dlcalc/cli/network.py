"""``dlcalc network``: Heaviside networks realizing the joint/separate separation (THEORY §7)."""

from __future__ import annotations

import os
from fractions import Fraction

import click
import numpy as np

from .. import Budget, QuantizedClass, coder_bounds, quantize_heads, sup_error, true_tables
from ..cost._cost import Cost
from ..cost._coding import feature_step
from ..cost._networks import network_steps, onnx_step
from ..networks._construction import (
    JOINT_CONSTRUCTIONS,
    HeavisideNetwork,
    best_joint,
    joint_candidates,
    network_outputs_match,
    parallel_stack,
    separate_networks,
)
from ._common import InputError, VerificationFailed
from ._files import announce, check_output, force_option, write_output
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import Column, dumps, emit, format_eps, format_error, format_number, format_option, progress, Report
from ._params import NumberType

ARCHS = ("joint", "separate")


def _net_error(outputs, quants, tables, depth) -> tuple[bool, Fraction]:
    """Bit-exact match with f̂ on every cell; the sup error is then the quantization error, exactly."""
    from ..quantize._tables import approximant_values

    match = network_outputs_match(outputs, quants, tables, depth)
    errors = []
    for ok, q, table, (level, got) in zip(match, quants, tables, outputs):
        err = sup_error(q, table, table)
        if not ok:  # an upper bound: quantization error plus the largest deviation from f̂
            ref_level, ref = approximant_values(q, table, depth)
            common = max(level, ref_level)
            a = np.repeat(got, 1 << (common - level))
            b = np.repeat(ref, 1 << (common - ref_level))
            err += Fraction(float(np.max(np.abs(a - b))))
        errors.append(err)
    return all(match), max(errors, default=Fraction(0))


def network_records(inst, eps: float, archs, budget: Budget, tables=None, advance=lambda: None) -> tuple[dict, dict]:
    """Build, serialize, round-trip and verify the networks; the records, and per arch the network with
    the construction and the heads of each of its blocks.

    ``tables`` are the true quantized tables when the caller has them already.  The
    separate networks are built once: the joint network's parallel stack is made of them.
    The caller has weighed the cost first (``dlcalc.cost._cost.network_steps``).
    """
    max_cells = budget.max_cells
    quants = quantize_heads(inst.heads, eps)
    if tables is None:
        tables = true_tables(QuantizedClass(inst.depth, inst.heads, eps), inst.feature)
    per_head = separate_networks(quants, inst.feature, max_cells)
    blocks = [
        (kind, [q.head.spec]) for q, (kind, _) in zip(quants, per_head)
    ]  # the construction and heads of each block
    records, nets = {}, {}
    for arch in archs:
        bounds = coder_bounds(quants, inst.depth, arch)
        if arch == "joint":
            candidates = joint_candidates(quants, inst.feature, max_cells, separate=per_head)
            chosen, net = best_joint(candidates)
            nets[arch] = (net, [("trunk", [h.spec for h in inst.heads])] if chosen == "shared_trunk" else blocks)
            kinds = {"trunk": 1, "step": 0} if chosen == "shared_trunk" else _kinds(per_head)
            sizes = {f"{name}_bits": candidates[name].network_bits for name in JOINT_CONSTRUCTIONS}
            constructions = {**kinds, "chosen": chosen, **sizes}
        else:
            net = parallel_stack([n for _, n in per_head])
            nets[arch] = (net, blocks)
            constructions = _kinds(per_head)
        back = HeavisideNetwork.deserialize(net.serialize(), max_cells=max_cells)
        verified, err = _net_error(back.evaluate(max_cells), quants, tables, inst.depth)
        bits = net.network_bits  # for the separate networks side by side: the sum of their own files
        weights = net.nonzero_weights
        records[arch] = {
            "arch": arch,
            "neurons": net.neurons,
            "layers": net.depth,
            "nonzero_weights": weights,
            "network_bits": bits,
            "bits_per_weight": bits / weights if weights else None,
            "payload_bits": bounds.upper_bound_bits,
            "lower_bound_bits": bounds.lower_bound_bits,
            "ratio_to_payload": bits / bounds.upper_bound_bits if bounds.upper_bound_bits else None,
            "ratio_to_lower_bound": bits / bounds.lower_bound_bits if bounds.lower_bound_bits else None,
            "max_error": err,
            "verified": verified and err <= Fraction(eps),
            "constructions": constructions,
            "construction": _construction_text(constructions),
        }
        advance()
    return records, nets


def _kinds(per_head) -> dict:
    """How many of the per-head networks are restricted trunks and how many step networks."""
    return {kind: sum(1 for k, _ in per_head if k == kind) for kind in ("trunk", "step")}


def _construction_text(constructions: dict) -> str:
    """``shared trunk`` or ``parallel stack`` for the joint network; how many heads use each construction."""
    if "chosen" in constructions:
        return constructions["chosen"].replace("_", " ")
    return ", ".join(f"{constructions[kind]} {kind}" for kind in ("trunk", "step") if constructions[kind])


def _layer_json(layer) -> dict:
    return {
        "n_in": layer.n_in,
        "n_out": layer.n_out,
        "activation": "linear" if layer.linear else "heaviside",
        "exponent": layer.exponent,
        "rows": layer.rows.tolist(),
        "cols": layer.cols.tolist(),
        "values": layer.values.tolist(),
        "biases": layer.biases.tolist(),
        "scales": None if layer.scales is None else layer.scales.tolist(),
    }


EXPORT_EXTENSIONS = (".json", ".onnx")


def check_export(path: str | None, force: bool, archs: list[str]) -> None:
    """Everything about ``--export FILE`` that does not need the networks, checked before they are built."""
    if path is None:
        return
    check_output(path, force, "--export", EXPORT_EXTENSIONS)
    if os.path.splitext(path)[1].lower() == ".onnx":
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            raise InputError("ONNX export needs onnx and onnxruntime: pip install 'dlcalc[onnx]'") from None


#: Activations (input points × units) onnxruntime holds at once while an export is checked.
ONNX_ACTIVATIONS = 1 << 22


def export_onnx(path: str, net: HeavisideNetwork, inst, budget: Budget, force: bool) -> None:
    """A network as one ONNX model (its blocks side by side), checked in onnxruntime against the exact evaluation,
    a batch of grid points at a time; its dense matrices and the check weighed first (``dlcalc.cost._cost.onnx_step``)."""
    from ..networks._onnx import activation_cells, check_onnx, dense_entries, to_onnx

    per_point = activation_cells(net)
    Cost(phases=[[onnx_step(net.grid_level, per_point, dense_entries(net), ONNX_ACTIVATIONS)]]).check(
        budget, "checking the ONNX export"
    )
    model = to_onnx(net, [h.spec for h in inst.heads], max_cells=budget.max_cells)
    mismatch = check_onnx(model, net, max_cells=max(ONNX_ACTIVATIONS, per_point))
    if mismatch is not None:
        raise click.ClickException(f"onnxruntime disagrees with the exact evaluation on output {mismatch}")
    write_output(path, model, force)


def _network_json(net: HeavisideNetwork, blocks) -> dict:
    """The network's file and bits, and each block's construction, heads, own file and bits, and layers."""
    out = []
    for block, (kind, heads) in zip(net.blocks, blocks):
        alone = HeavisideNetwork([block])
        out.append(
            {
                "kind": kind,
                "heads": heads,
                "outputs": block.n_outputs,
                "network_bits": alone.network_bits,
                "serialized_hex": alone.serialize().hex(),
                "layers": [_layer_json(layer) for layer in block.layers],
            }
        )
    return {"network_bits": net.network_bits, "serialized_hex": net.serialize().hex(), "blocks": out}


def export_networks(path: str, nets: dict, eps: float, inst, budget: Budget, force: bool) -> None:
    """JSON: each network's file and every block's layers (sizes, integer weights, scale exponent); or ONNX."""
    if os.path.splitext(path)[1].lower() == ".onnx":
        # one model: the joint network unless only the separate ones were asked for
        export_onnx(path, nets["joint" if "joint" in nets else "separate"][0], inst, budget, force)
        return
    doc = {
        "schema_version": 2,
        "eps": eps,
        "instance": inst.to_dict(),
        "weight_rule": "weight = value * 2^-exponent; first layer: H(x - g 2^-exponent) with bias -g; last layer linear times scale",
        "networks": {arch: _network_json(net, blocks) for arch, (net, blocks) in nets.items()},
    }
    write_output(path, (dumps(doc) + "\n").encode(), force)


NETWORK_COLUMNS = [
    Column("arch", "arch", "left"),
    Column("neurons", "neurons", priority=2),
    Column("layers", "layers", priority=3),
    Column("nonzero_weights", "weights", priority=2),
    Column("bits_per_weight", "bits / weight", priority=4),
    Column("network_bits", "network bits"),
    Column("payload_bits", "coder payload bits", priority=1, short="coder bits"),
    Column("ratio_to_payload", "÷ coder bits", priority=3),
    Column("ratio_to_lower_bound", "÷ lower bound", priority=1),
    Column("max_error", "max error", render=format_error, priority=4),
    Column("verified", "verified", "left", priority=2),
    Column("construction", "construction", "left", priority=1),
]


@click.command()
@instance_options
@click.option("--eps", "-e", type=NumberType(), required=True, help="Target accuracy ε > 0.")
@click.option(
    "--arch",
    type=click.Choice([*ARCHS, "both"]),
    default="both",
    show_default=True,
    help="Which networks: joint (the shorter of one shared trunk for all heads and the separate networks "
    "side by side), separate (one network per head) or both.",
)
@click.option(
    "--export",
    "export_path",
    default=None,
    metavar="FILE.json|onnx",
    help="Write the networks (layers, weights, serialized bytes) as JSON, or one network as ONNX "
    "(the joint one; the separate ones with --arch separate).",
)
@force_option("--export file")
@budget_options
@format_option
def network(spec, eps, arch, export_path, force, budget, fmt):
    """Heaviside networks for the quantized heads: neurons, weights, bits, verified error.

    The separate networks are, per head, the shorter of a restricted trunk and a
    one-hidden-layer step network; the joint network is the shorter of one shared trunk
    of digit units for all heads and the parallel stack of the separate networks.
    Each network is serialized, read back and evaluated exactly on its dyadic grid;
    exit code 3 if an output differs from the quantized head.

    \b
    Examples:
      dlcalc network --family walsh-all --depth 8 --eps 2^-6
      dlcalc network inst.json --eps 0.01 --arch joint --export nets.json
      dlcalc network inst.json --eps 0.01 --arch joint --export joint.onnx   # needs dlcalc[onnx]
      dlcalc network inst.json --eps 0.01 --arch separate --export separate.onnx
    """
    archs = list(ARCHS) if arch == "both" else [arch]
    check_export(export_path, force, archs)
    inst = spec.load(budget)
    qclass = QuantizedClass(inst.depth, inst.heads, eps)
    Cost([feature_step(inst.depth)], [network_steps(qclass, archs)]).check(
        budget, f"the networks at ε = {format_eps(eps)}"
    )
    with progress(len(archs), "network") as advance:
        records, nets = network_records(inst, eps, archs, budget, advance=advance)
    if export_path:
        export_networks(export_path, nets, eps, inst, budget, force)
    payload = (
        {"instance": inst.to_dict(), "eps": eps, **records}
        if arch == "both"
        else {"instance": inst.to_dict(), "eps": eps, **records[arch]}
    )
    notes = []
    if arch == "both" and records["joint"]["network_bits"]:
        notes.append(
            f"separate ÷ joint network bits: {format_number(records['separate']['network_bits'] / records['joint']['network_bits'])}"
        )
    if export_path and export_path != "-":
        announce(f"wrote {export_path}")
    if export_path != "-":
        emit(
            Report(
                payload,
                NETWORK_COLUMNS,
                list(records.values()),
                title=f"Heaviside networks at ε = {format_eps(eps)}: {instance_summary(inst)}",
                notes=notes,
            ),
            fmt,
        )
    failed = [a for a, r in records.items() if not r["verified"]]
    if failed:
        raise VerificationFailed(f"network verification failed for {', '.join(failed)}")


COMMANDS = [network]
