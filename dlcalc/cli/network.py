"""``dlcalc network``: Heaviside networks realizing the joint/separate separation (THEORY §7)."""

from __future__ import annotations

import os
from fractions import Fraction

import click
import numpy as np

from .. import coder_bounds, head_tables, quantize_heads, sup_error
from .._network import HeavisideNetwork, joint_network, network_outputs_match, separate_networks
from ._common import InputError, VerificationFailed
from ._files import announce, check_output, force_option, write_output
from ._instance_options import instance_options, instance_summary, load_instance
from ._output import Column, dumps, emit, format_eps, format_error, format_number, format_option, Report
from ._params import NumberType

ARCHS = ("joint", "separate")


def _net_error(outputs, quants, tables, depth) -> tuple[bool, Fraction]:
    """Bit-exact match with f̂ on every cell; the sup error is then the quantization error, exactly."""
    from .._quantize import approximant_values

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


def network_records(inst, eps: float, archs, max_cells: int, tables=None) -> tuple[dict, dict]:
    """Build, serialize, round-trip and verify the networks; the records and the networks themselves.

    ``tables`` are the true quantized tables when the caller has them already.
    """
    quants = quantize_heads(inst.heads, eps)
    if tables is None:
        tables = head_tables(quants, inst.feature, max_cells=max_cells)
    records, nets = {}, {}
    for arch in archs:
        bounds = coder_bounds(quants, inst.depth, arch)
        if arch == "joint":
            net = joint_network(quants, inst.feature, max_cells)
            back = HeavisideNetwork.deserialize(net.serialize())
            outputs = back.evaluate()
            verified, err = _net_error(outputs, quants, tables, inst.depth)
            nets[arch] = [("joint", None, net)]
            parts = [net]
            kinds = {"trunk": 1}
        else:
            per_head = separate_networks(quants, inst.feature, max_cells)
            nets[arch] = [(kind, q.head.spec, n) for q, (kind, n) in zip(quants, per_head)]
            parts = [n for _, n in per_head]
            verified, err = True, Fraction(0)
            for q, table, (_, n) in zip(quants, tables, per_head):
                back = HeavisideNetwork.deserialize(n.serialize())
                ok, e = _net_error(back.evaluate(), [q], [table], inst.depth)
                verified &= ok
                err = max(err, e)
            kinds = {k: sum(1 for kk, _ in per_head if kk == k) for k in ("trunk", "step")}
        bits = sum(n.network_bits for n in parts)
        weights = sum(n.nonzero_weights for n in parts)
        records[arch] = {
            "arch": arch,
            "neurons": sum(n.neurons for n in parts),
            "layers": max(n.depth for n in parts),
            "nonzero_weights": weights,
            "network_bits": bits,
            "bits_per_weight": bits / weights if weights else None,
            "payload_bits": bounds.upper_bound_bits,
            "lower_bound_bits": bounds.lower_bound_bits,
            "ratio_to_payload": bits / bounds.upper_bound_bits if bounds.upper_bound_bits else None,
            "ratio_to_lower_bound": bits / bounds.lower_bound_bits if bounds.lower_bound_bits else None,
            "max_error": err,
            "verified": verified and err <= Fraction(eps),
            "constructions": kinds,
        }
    return records, nets


def _layer_json(layer) -> dict:
    return {
        "n_in": layer.n_in, "n_out": layer.n_out, "activation": "linear" if layer.linear else "heaviside",
        "exponent": layer.exponent, "rows": layer.rows.tolist(), "cols": layer.cols.tolist(),
        "values": layer.values.tolist(), "biases": layer.biases.tolist(),
        "scales": None if layer.scales is None else layer.scales.tolist(),
    }


EXPORT_EXTENSIONS = (".json", ".onnx")


def check_export(path: str | None, force: bool, archs: list[str]) -> None:
    """Everything about ``--export FILE`` that does not need the networks, checked before they are built."""
    if path is None:
        return
    check_output(path, force, "--export", EXPORT_EXTENSIONS)
    if os.path.splitext(path)[1].lower() == ".onnx":
        if "joint" not in archs:
            raise InputError("ONNX export writes the joint network: use --arch joint or both")
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            raise InputError("ONNX export needs onnx and onnxruntime: pip install 'dlcalc[onnx]'") from None


def export_onnx(path: str, nets: dict, inst, force: bool) -> None:
    """The joint network as an ONNX model, checked in onnxruntime against the exact evaluation."""
    import onnxruntime

    from .._onnx import to_onnx
    (_, _, net), = nets["joint"]
    model = to_onnx(net, [h.spec for h in inst.heads])
    level = net.grid_level
    x = (np.arange(1 << level, dtype=np.float64) / (1 << level))[:, None]
    got = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    for t, (lv, values) in enumerate(net.evaluate()):
        if not np.array_equal(got[:, t], np.repeat(values, 1 << (level - lv))):
            raise click.ClickException(f"onnxruntime disagrees with the exact evaluation on output {t}")
    write_output(path, model, force)


def export_networks(path: str, nets: dict, eps: float, inst, force: bool) -> None:
    """JSON: every layer's sizes, integer weights and scale exponent, plus the serialized hex; or ONNX."""
    if os.path.splitext(path)[1].lower() == ".onnx":
        export_onnx(path, nets, inst, force)
        return
    doc = {"schema_version": 1, "eps": eps, "instance": inst.to_dict(),
           "weight_rule": "weight = value * 2^-exponent; first layer: H(x - g 2^-exponent) with bias -g; last layer linear times scale",
           "networks": {arch: [{"kind": kind, "head": head, "network_bits": n.network_bits, "serialized_hex": n.serialize().hex(),
                                "layers": [_layer_json(layer) for layer in n.layers]} for kind, head, n in items]
                        for arch, items in nets.items()}}
    write_output(path, (dumps(doc) + "\n").encode(), force)


NETWORK_COLUMNS = [
    Column("arch", "arch", "left"), Column("neurons", "neurons", priority=2), Column("layers", "layers", priority=3),
    Column("nonzero_weights", "weights", priority=2), Column("bits_per_weight", "bits / weight", priority=4),
    Column("network_bits", "network bits"), Column("payload_bits", "coder payload bits", priority=1, short="coder bits"),
    Column("ratio_to_payload", "÷ coder bits", priority=3), Column("ratio_to_lower_bound", "÷ lower bound", priority=1),
    Column("max_error", "max error", render=format_error, priority=4), Column("verified", "verified", "left", priority=2),
]


@click.command()
@instance_options
@click.option("--eps", "-e", type=NumberType(), required=True, help="Target accuracy ε > 0.")
@click.option("--arch", type=click.Choice([*ARCHS, "both"]), default="both", show_default=True,
              help="Which networks: joint (one shared trunk for all heads), separate (one network per head) or both.")
@click.option("--export", "export_path", default=None, metavar="FILE.json|onnx",
              help="Write the networks (layers, weights, serialized bytes) as JSON, or the joint network as ONNX.")
@force_option("--export file")
@format_option
def network(instance, depth, seed, heads, family, beta, max_cells, eps, arch, export_path, force, fmt):
    """Heaviside networks for the quantized heads: neurons, weights, bits, verified error.

    The joint network shares one trunk of digit units; the separate networks are,
    per head, the cheaper of a restricted trunk and a one-hidden-layer step network.
    Each network is serialized, read back and evaluated exactly on its dyadic grid;
    exit code 3 if an output differs from the quantized head.

    \b
    Examples:
      dlcalc network --family walsh-all --depth 8 --eps 2^-6
      dlcalc network inst.json --eps 0.01 --arch joint --export nets.json
      dlcalc network inst.json --eps 0.01 --arch joint --export joint.onnx   # needs dlcalc[onnx]
    """
    archs = list(ARCHS) if arch == "both" else [arch]
    check_export(export_path, force, archs)
    inst = load_instance(instance, depth, seed, heads, family, beta, max_cells)
    records, nets = network_records(inst, eps, archs, max_cells)
    if export_path:
        export_networks(export_path, nets, eps, inst, force)
    payload = {"instance": inst.to_dict(), "eps": eps, **records} if arch == "both" else {"instance": inst.to_dict(), "eps": eps, **records[arch]}
    notes = []
    if arch == "both" and records["joint"]["network_bits"]:
        notes.append(f"separate ÷ joint network bits: {format_number(records['separate']['network_bits'] / records['joint']['network_bits'])}")
    if export_path and export_path != "-":
        announce(f"wrote {export_path}")
    if export_path != "-":
        emit(Report(payload, NETWORK_COLUMNS, list(records.values()), title=f"Heaviside networks at ε = {format_eps(eps)}: {instance_summary(inst)}",
                    notes=notes), fmt)
    failed = [a for a, r in records.items() if not r["verified"]]
    if failed:
        raise VerificationFailed(f"network verification failed for {', '.join(failed)}")


COMMANDS = [network]
