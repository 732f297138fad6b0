"""The Heaviside networks of a class, built, serialized, read back and verified, as records (THEORY §7).

The work behind ``dlcalc network`` and ``dlcalc compare --networks``: :func:`plan_networks`
weighs it once, :func:`network_records` does it and returns the records the JSON output prints,
:func:`networks_document` and :func:`onnx_model` give what ``--export`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .._errors import CheckError
from ..core import Budget, HeadRun, Instance
from ..cost import Cost, network_steps, onnx_least_step, onnx_step
from ..networks import (
    JOINT_CONSTRUCTIONS,
    HeavisideNetwork,
    best_joint,
    joint_candidates,
    network_outputs_match,
    parallel_stack,
    separate_networks,
)
from ..quantize import QuantizedClass, TableSet, approximant_values, sup_error, true_tables
from ._plan import Plan, weigh

__all__ = [
    "ARCHS",
    "NETWORK_DOCUMENT_VERSION",
    "ONNX_ACTIVATIONS",
    "NetworkRun",
    "network_records",
    "networks_document",
    "onnx_model",
    "plan_networks",
]

ARCHS = ("joint", "separate")
#: ``schema_version`` of the JSON file ``dlcalc network --export`` writes.
NETWORK_DOCUMENT_VERSION = 3
#: Activations (input points × units) onnxruntime holds at once while an export is checked.
ONNX_ACTIVATIONS = 1 << 22


def plan_networks(
    instance: Instance,
    eps: float,
    archs: Sequence[str],
    budget: Budget,
    label: str | None = None,
    onnx: str | None = None,
) -> Plan:
    """The instance quantized at ε and the networks' cost weighed, once (``label`` names the work in a refusal);
    with ``onnx`` (an arch), what checking that network's ONNX export costs at least is weighed too, so that an
    export far over the budget is refused before a network is built (:func:`weigh_onnx` weighs it exactly
    once it is)."""

    def steps(qc: QuantizedClass):
        return network_steps(qc, archs) + ([onnx_least_step(qc, onnx)] if onnx else [])

    return weigh(instance, eps, budget, steps, label or f"the networks at ε = {eps:g}")


def _net_error(outputs, quants, tables, depth) -> tuple[bool, Fraction]:
    """Bit-exact match with f̂ on every cell; the sup error is then the quantization error, exactly."""
    match = network_outputs_match(outputs, quants, tables, depth)
    errors = []
    for ok, q, table, (level, got) in zip(match, quants, tables, outputs, strict=True):
        err = sup_error(q, table, table)
        if not ok:  # an upper bound: quantization error plus the largest deviation from f̂
            ref_level, ref = approximant_values(q, table, depth)
            common = max(level, ref_level)
            a = np.repeat(got, 1 << (common - level))
            b = np.repeat(ref, 1 << (common - ref_level))
            err += Fraction(float(np.max(np.abs(a - b))))
        errors.append(err)
    return all(match), max(errors, default=Fraction(0))


class NetworkRun:
    """The records of one run by architecture, and each network with the construction and heads of its blocks
    (None, with no blocks, when every head is 0 at ε); ``zero_heads`` are the runs of heads no network
    realizes (``walsh:4-7@0.1``)."""

    def __init__(
        self, records: dict[str, dict], nets: dict[str, tuple[HeavisideNetwork | None, list]], zero_heads: list[str]
    ) -> None:
        self.records = records
        self.nets = nets
        self.zero_heads = zero_heads

    def heads(self, arch: str) -> list[str]:
        """The heads whose outputs the network of ``arch`` holds, in order of its outputs."""
        return [spec for _, heads in self.nets[arch][1] for spec in heads]


def network_records(
    plan: Plan,
    archs: Sequence[str],
    qclass: QuantizedClass | None = None,
    tables: TableSet | None = None,
    advance: Callable[[], None] = lambda: None,
) -> NetworkRun:
    """Build, serialize, read back and verify the networks of the plan's class (or ``qclass``, one of
    its classes); ``tables`` are the true quantized tables when the caller has them already.

    The separate networks are built once: the joint network's parallel stack is made of them.
    """
    inst, max_cells = plan.instance, plan.budget.max_cells
    qclass = qclass or plan.qclass
    live = qclass.live_quants()  # a zero head is f̂ = 0 by the class alone: no network, no bit, never listed
    if live and tables is None:  # with no live head the feature is not even built
        tables = true_tables(qclass, inst.feature)
    live_tables = tables.live() if tables is not None else []
    zeros = [g for g in qclass.groups if g.zero]
    zero_error = max((g.quantization_error for g in zeros), default=Fraction(0))  # f̂ = 0 errs by a
    per_head = separate_networks(live, inst.feature, max_cells) if live else []
    blocks = [(kind, [q.head.spec]) for q, (kind, _) in zip(live, per_head, strict=True)]
    records: dict[str, dict] = {}
    nets: dict[str, tuple[HeavisideNetwork | None, list]] = {}
    for arch in archs:
        bounds = qclass.bounds(arch)
        constructions: dict[str, Any]
        net: HeavisideNetwork | None
        if not live:
            net, nets[arch] = None, (None, [])
            constructions = {"trunk": 0, "step": 0}
            if arch == "joint":
                constructions |= {"chosen": None, **{f"{name}_bits": 0 for name in JOINT_CONSTRUCTIONS}}
        elif arch == "joint":
            candidates = joint_candidates(live, inst.feature, max_cells, separate=per_head)
            chosen, net = best_joint(candidates)
            nets[arch] = (net, [("trunk", [q.head.spec for q in live])] if chosen == "shared_trunk" else blocks)
            kinds = {"trunk": 1, "step": 0} if chosen == "shared_trunk" else _kinds(per_head)
            sizes = {f"{name}_bits": candidates[name].network_bits for name in JOINT_CONSTRUCTIONS}
            constructions = {**kinds, "chosen": chosen, **sizes}
        else:
            net = parallel_stack([n for _, n in per_head])
            nets[arch] = (net, blocks)
            constructions = _kinds(per_head)
        if net is None:
            verified, err = True, zero_error
        else:
            back = HeavisideNetwork.deserialize(net.serialize(), max_cells=max_cells)
            verified, err = _net_error(back.evaluate(max_cells), live, live_tables, inst.depth)
            err = max(err, zero_error)
        bits = net.network_bits if net else 0  # for the separate networks side by side: the sum of their own files
        weights = net.nonzero_weights if net else 0
        records[arch] = {
            "arch": arch,
            "neurons": net.neurons if net else 0,
            "layers": net.depth if net else 0,
            "nonzero_weights": weights,
            "network_bits": bits,
            "bits_per_weight": bits / weights if weights else None,
            "payload_bits": bounds.upper_bound_bits,
            "lower_bound_bits": bounds.lower_bound_bits,
            "ratio_to_payload": bits / bounds.upper_bound_bits if bounds.upper_bound_bits else None,
            "ratio_to_lower_bound": bits / bounds.lower_bound_bits if bounds.lower_bound_bits else None,
            "zero_heads": qclass.zero_heads,
            "max_error": err,
            "verified": verified and err <= Fraction(qclass.eps),
            "constructions": constructions,
            "construction": _construction_text(constructions),
        }
        advance()
    return NetworkRun(records, nets, _zero_runs(zeros))


def _zero_runs(zeros) -> list[str]:
    """The zero groups as runs of heads, neighbours of one family and amplitude merged (``walsh:1-3@0.1``)."""
    runs: list[HeadRun] = []
    for q in zeros:
        g = q.group
        last = runs[-1] if runs else None
        if last and (last.family, last.amplitude, last.last + 1) == (g.family, g.amplitude, g.first):
            runs[-1] = HeadRun(g.family, last.first, g.last, g.amplitude)
        else:
            runs.append(HeadRun(g.family, g.first, g.last, g.amplitude))
    return [run.spec for run in runs]


def _kinds(per_head) -> dict[str, Any]:
    """How many of the per-head networks are restricted trunks and how many step networks."""
    return {kind: sum(1 for k, _ in per_head if k == kind) for kind in ("trunk", "step")}


def _construction_text(constructions: dict) -> str:
    """``shared trunk`` or ``parallel stack`` for the joint network; how many heads use each construction;
    ``none`` when every head is 0 at ε."""
    if constructions.get("chosen"):
        return str(constructions["chosen"]).replace("_", " ")
    return ", ".join(f"{constructions[kind]} {kind}" for kind in ("trunk", "step") if constructions[kind]) or "none"


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


def _network_json(net: HeavisideNetwork | None, blocks) -> dict:
    """The network's file and bits, and each block's construction, heads, own file and bits, and layers
    (no file, 0 bits and no blocks when every head is 0 at ε)."""
    if net is None:
        return {"network_bits": 0, "serialized_hex": None, "blocks": []}
    out = []
    for block, (kind, heads) in zip(net.blocks, blocks, strict=True):
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


def networks_document(run: NetworkRun, plan: Plan) -> dict:
    """What ``--export FILE.json`` writes: each network's file and every block's layers (sizes, integer
    weights, scale exponent)."""
    return {
        "schema_version": NETWORK_DOCUMENT_VERSION,
        "eps": plan.eps,
        "instance": plan.instance.to_dict(),
        "weight_rule": "weight = value * 2^-exponent; first layer: H(x - g 2^-exponent) with bias -g; "
        "last layer linear times scale",
        "zero_heads": run.zero_heads,
        "networks": {arch: _network_json(net, blocks) for arch, (net, blocks) in run.nets.items()},
    }


def weigh_onnx(net: HeavisideNetwork, budget: Budget) -> int:
    """The ONNX model's dense matrices and its check, weighed (``dlcalc.cost.onnx_step``); the activations
    of one input point, returned for the check's batches."""
    from ..networks import activation_cells, dense_entries

    per_point = activation_cells(net)
    Cost(phases=[[onnx_step(net.grid_level, per_point, dense_entries(net), ONNX_ACTIVATIONS)]]).check(
        budget, "checking the ONNX export"
    )
    return per_point


def onnx_model(net: HeavisideNetwork, head_specs: list[str], budget: Budget) -> bytes:
    """A network as one ONNX model (its blocks side by side), checked in onnxruntime against the exact
    evaluation a batch of grid points at a time; weighed first.  Needs ``dlcalc[onnx]``.

    Raises :class:`~dlcalc.CheckError` when onnxruntime disagrees with the exact evaluation.
    """
    from ..networks import check_onnx, to_onnx

    per_point = weigh_onnx(net, budget)
    model = to_onnx(net, head_specs, max_cells=budget.max_cells)
    mismatch = check_onnx(model, net, max_cells=max(ONNX_ACTIVATIONS, per_point))
    if mismatch is not None:
        raise CheckError(f"onnxruntime disagrees with the exact evaluation on output {mismatch}")
    return model
