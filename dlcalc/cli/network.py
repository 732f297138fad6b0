"""``dlcalc network``: Heaviside networks realizing the joint/separate separation (docs/theory.md §7)."""

from __future__ import annotations

import click

from .. import study
from ._common import InputError, VerificationFailed
from ._complete import complete_paths
from ._exports import check_export, is_onnx, write_json, write_onnx
from ._files import announce_written, force_option, max_output_option
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import emit, format_option, progress
from ._params import NumberType
from ._style import format_eps, format_error, format_number
from ._tables import Column, Report, with_error_eps

ARCHS = ("joint", "separate")


NETWORK_COLUMNS = [
    Column("arch", "arch", "left"),
    Column("neurons", "neurons", priority=2),
    Column("layers", "layers", priority=3),
    Column("nonzero_weights", "weights", priority=2),
    Column("bits_per_weight", "bits / weight", priority=4),
    Column("network_bits", "network bits"),
    Column("payload_bits", "coder payload bits", priority=1, short="coder bits"),
    Column("ratio_to_payload", "÷ coder bits", priority=3, needs=("payload_bits",)),
    Column("ratio_to_lower_bound", "÷ lower bound", priority=2),
    Column("max_error", "max error", render=format_error, priority=1),
    Column("verified", "verified", "left", priority=1),
    Column("construction", "construction", "left", priority=5),
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
    shell_complete=complete_paths(".json", ".onnx"),
    help="Write the networks (layers, weights, serialized bytes) as JSON, or one network as ONNX "
    "(the joint one; the separate ones with --arch separate).",
)
@force_option("--export file")
@max_output_option
@budget_options
@format_option
def network(spec, eps, arch, export_path, force, max_output, budget, fmt):
    """Heaviside networks for the quantized heads: neurons, weights, bits, verified error.

    The separate networks are, per head, the shorter of a restricted trunk and a
    one-hidden-layer step network; the joint network is the shorter of one shared trunk
    of digit units for all heads and the parallel stack of the separate networks.
    Each network is serialized, read back and evaluated exactly on its dyadic grid;
    exit code 3 if an output differs from the quantized head.  A head that is 0 at ε
    (ε >= its amplitude) needs no network and costs no bit.

    \b
    Examples:
      dlcalc network --family walsh-all --depth 8 --eps 2^-6
      dlcalc network inst.json --eps 0.01 --arch joint --export nets.json
      dlcalc network inst.json --eps 0.01 --arch joint --export joint.onnx
          # (ONNX needs dlcalc[onnx])
      dlcalc network inst.json --eps 0.01 --arch separate --export separate.onnx
    """
    archs = list(ARCHS) if arch == "both" else [arch]
    check_export(export_path, force)
    inst = spec.load(budget)
    onnx = ("joint" if "joint" in archs else "separate") if export_path and is_onnx(export_path) else None
    plan = study.plan_networks(inst, eps, archs, budget, label=f"the networks at ε = {format_eps(eps)}", onnx=onnx)
    if export_path and is_onnx(export_path) and all(q.zero for q in plan.qclass.groups):
        raise InputError(
            f"every head is 0 at ε = {format_eps(eps)}: there is no network to export as ONNX (--export FILE.json "
            "records that)"
        )
    with progress(len(archs), "network") as advance:
        run = study.network_records(plan, archs, advance=advance)
    records = run.records
    if export_path:
        if is_onnx(export_path):  # one model: the joint network unless only the separate ones were asked for
            which = "joint" if "joint" in run.nets else "separate"
            net = run.nets[which][0]
            assert net is not None  # a class with a live head has networks (checked above)
            write_onnx(export_path, net, run.heads(which), budget, force, max_output)
        else:
            write_json(export_path, study.networks_document(run, plan), force, max_output)
    payload = (
        {"instance": inst.to_dict(), "eps": eps, **records}
        if arch == "both"
        else {"instance": inst.to_dict(), "eps": eps, **records[arch]}
    )
    notes = []
    if arch == "both" and records["joint"]["network_bits"]:
        ratio = records["separate"]["network_bits"] / records["joint"]["network_bits"]
        notes.append(f"separate ÷ joint network bits: {format_number(ratio)}")
    if export_path:
        announce_written(export_path)
    if export_path != "-":
        emit(
            Report(
                payload,
                with_error_eps(NETWORK_COLUMNS, eps),
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
