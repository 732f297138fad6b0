"""``dlcalc quantize``, ``encode``, ``decode`` and ``verify`` (docs/theory.md §4-§6).

Every command weighs its cost from the class first (``dlcalc.cost._cost``), then works;
machine output lists heads in groups (a family level, or a run of explicit heads),
so its size follows the groups, not the nominal number of heads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import click

from .. import CODER_NAMES, DlcalcError, study
from ..coding import Container, decode_container, write_csv_export, write_npz_export
from ..cost import export_bytes
from ._common import InputError, VerificationFailed, listed
from ._complete import complete_paths
from ._files import (
    announce_written,
    atomic_output,
    check_output,
    check_output_size,
    force_option,
    max_output_option,
    shown,
    write_outputs,
)
from ._inputs import open_input
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import emit, emit_all, format_option, progress
from ._params import IntType, NumberType
from ._style import error_render, format_bounds, format_cell, format_eps, format_error, format_head, format_number
from ._tables import Column, Report, with_error_eps

PRECISION_COLUMN = Column(
    "precision",
    "precision p",
    priority=1,
    short="p",
    note="{header}: the bits of a sawtooth head's value kept per cell (— for Walsh heads, which take ±a)",
)
CELL_LEVEL_COLUMN = Column(
    "approximant_level",
    "cell level",
    priority=2,
    note="{header} L: the quantized head is one value per dyadic cell of width 2^-L",
)


def _requirement_set(vectors) -> str:
    """Level vectors as ``{1-3} {2,5}``; ``—`` for a group."""
    if vectors is None:
        return "—"
    return " ".join("{" + format_cell(list(v)) + "}" for v in vectors) or "∅"


eps_option = click.option(
    "--eps", "-e", type=NumberType(), required=True, help="Target accuracy ε > 0 (e.g. 0.01 or 2^-7)."
)


@click.command()
@instance_options
@eps_option
@budget_options
@format_option
def quantize(spec, eps, budget, fmt):
    """Quantize every head to accuracy ε: precision, requirement set, levels, exact sup error.

    Heads are listed in groups that quantize alike; nothing is materialized.

    \b
    Example:
      dlcalc quantize --depth 5 --head sawtooth:0-2 --head walsh:5 --eps 2^-4
    """
    inst = spec.load(budget)
    records = study.quantize_records(inst, eps, budget)
    columns = [
        Column("head", "heads", "left", render=format_head),
        Column("count", "count", priority=2),
        PRECISION_COLUMN,
        Column(
            "requirement_set",
            "requirement set",
            "left",
            render=_requirement_set,
            priority=3,
            note="{header}: the masked level vectors the head needs, each a set of levels in braces "
            "(shown for a group of one head)",
        ),
        Column("levels", "levels paid", "left", priority=2),
        Column("payload_bits", "payload bits alone"),
        replace(CELL_LEVEL_COLUMN, priority=3),
        Column("error", "sup error", render=error_render(eps)),
    ]
    emit(
        Report(
            {"instance": inst.to_dict(), "eps": eps, "heads": records},
            columns,
            records,
            title=f"quantized at ε = {format_eps(eps)}: {instance_summary(inst)}",
            notes=[note] if (note := study.beyond_depth_note(inst)) else [],
        ),
        fmt,
    )


# ----------------------------------------------------------------------------- encode


CODER_COLUMNS = [
    Column("coder", "coder", "left"),
    Column("payload_bits", "payload bits"),
    Column("file_bits", "file bits", priority=2),
    Column(("lower_bound_bits", "upper_bound_bits"), "bounds (bits)", render=format_bounds, priority=1),
    Column("max_error", "max error", render=format_error, priority=1),
    Column("verified", "verified", "left", priority=1),
]


def _outputs_for(output: str | None, coders: list[str]) -> dict[str, str]:
    if output is None:
        return {}
    if not output:
        raise InputError("-o: an empty file name")
    if len(coders) == 1:
        return {coders[0]: output}
    if output == "-":
        return dict.fromkeys(coders, "-")  # both files back to back on stdout; `decode -` reads them all
    stem = output[:-4] if output.endswith(".dlc") else output
    # `-o ""`, `-o dir/`, `-o .dlc`, `-o .` or `-o ..` would write hidden .joint.dlc (..joint.dlc) files,
    # and `-o dir` files beside the directory it names
    if os.path.basename(stem) in ("", ".", "..") or os.path.isdir(stem):
        raise InputError(f"-o {shown(output)}: a file name is needed (FILE.joint.dlc and FILE.separate.dlc)")
    return {c: f"{stem}.{c}.dlc" for c in coders}


@click.command()
@instance_options
@eps_option
@click.option(
    "--coder", type=click.Choice([*CODER_NAMES, "both"]), default="both", show_default=True, help="Which coder."
)
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    shell_complete=complete_paths(".dlc"),
    help="Write the .dlc file ('-' for stdout); with --coder both, FILE.joint.dlc and FILE.separate.dlc "
    "('-': both files back to back).",
)
@force_option
@max_output_option
@budget_options
@format_option
def encode(spec, eps, coder, output, force, max_output, budget, fmt):
    """Encode an instance at accuracy ε into decodable bitstreams, decode them and verify.

    Exits with code 3 if a decoded function misses ε.

    \b
    Examples:
      dlcalc encode --family walsh-all --depth 8 --eps 2^-6 --coder both
      dlcalc encode inst.json --eps 0.01 --coder joint -o inst.dlc
    """
    coders = list(CODER_NAMES) if coder == "both" else [coder]
    targets = _outputs_for(output, coders)
    for path in targets.values():
        check_output(path, force, "-o")
    inst = spec.load(budget)
    plan = study.plan_encode(inst, eps, coders, budget, label=f"encode at ε = {format_eps(eps)}")
    with progress(1 + len(coders), "encode") as advance:
        run = study.encode_run(plan, coders, advance)
    write_outputs([(path, run.results[c].data) for c, path in targets.items()], force, max_output)  # all or none
    for path in targets.values():
        announce_written(path)
    records, payload, qclass = run.records, run.payload, plan.qclass
    notes = []
    if coder == "both":
        gain = run.gain
        notes = [
            f"gain (separate ÷ joint payload bits): {format_number(gain)}"
            if gain is not None
            else "gain: undefined (joint needs 0 bits)"
        ]
    if qclass.zero_heads:
        notes.append(
            "1 head has amplitude ≤ ε: it is 0, carries no bits and errs by its amplitude"
            if qclass.zero_heads == 1
            else f"{format_number(qclass.zero_heads)} heads have amplitude ≤ ε: they are 0, carry no bits "
            "and err by their amplitude"
        )
    if depth_note := study.beyond_depth_note(inst):
        notes.append(depth_note)
    if "-" not in targets.values():
        emit(
            Report(
                payload,
                with_error_eps(CODER_COLUMNS, eps),
                list(records.values()),
                title=f"ε = {format_eps(eps)}: {instance_summary(inst)}",
                notes=notes,
            ),
            fmt,
        )
    if run.failed:
        raise VerificationFailed(f"verification failed for the {', '.join(run.failed)} coder (max error above ε)")


# ----------------------------------------------------------------------------- decode


EXPORT_EXTENSIONS = (".npz", ".csv")


def _files(path: str, budget, index: int | None = None, **weigh) -> Iterator[tuple[int, Container]]:
    """``(place, container)`` of the .dlc files in ``path`` (several when written back to back), one at a
    time, or only the ``index``-th (1 = first), each read and weighed once (:func:`dlcalc.study.read_files`):
    a file that is no .dlc file is refused after its first bytes, a lying header before its sections."""
    with open_input(path, ".dlc file") as src:
        files = study.read_files(src.read, budget, **weigh)
        count = 0
        while True:
            box = _about(path, next, files, None)
            if box is None:
                break
            count += 1
            if index is None or count == index:
                yield count, box
                if count == index:
                    return
    if index is not None:
        raise InputError(f"--index {index}: {_name(path)} holds {count} .dlc file{'s' if count > 1 else ''}")


def _name(path: str) -> str:
    return "stdin" if path == "-" else path


def _about(path: str, call, *args, **kwargs):
    """Run ``call``; a refusal names the file it is about."""
    try:
        return call(*args, **kwargs)
    except DlcalcError as exc:
        raise type(exc)(f"{_name(path)}: {exc}") from None


def _is_npz(path: str) -> bool:
    return os.path.splitext(path)[1].lower() == ".npz"  # else CSV: check_output ran


def export_tables(path: str, decoded, force: bool, advance=lambda: None, max_output: int | None = None) -> None:
    """Write the decoded quantized functions as ``.npz`` (one array per head) or CSV rows, streamed."""
    writer = write_npz_export if _is_npz(path) else write_csv_export
    with atomic_output(path, force, max_output) as fh:
        writer(fh, decoded, advance)


index_option = click.option(
    "--index",
    type=IntType(min=1),
    default=None,
    metavar="N",
    help="Only the N-th .dlc file of a stream of several (1 = first; encode --coder both "
    "-o - writes the joint file, then the separate one).",
)


@click.command(name="decode")
@click.argument("dlc", metavar="FILE.dlc", shell_complete=complete_paths(".dlc"))
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="TABLE",
    shell_complete=complete_paths(".csv", ".npz"),
    help="Export the decoded functions: .npz, or .csv ('-' for CSV on stdout), streamed head by head; "
    "one .dlc file at a time (--index picks one from a stream).",
)
@index_option
@force_option
@max_output_option
@budget_options
@format_option
def decode_cmd(dlc, output, index, force, max_output, budget, fmt):
    """Decode a .dlc file alone into the quantized functions (no instance needed).

    \b
    Examples:
      dlcalc decode inst.dlc
      dlcalc decode inst.dlc -o table.csv
      dlcalc build --depth 6 --head walsh:1-7 -o - |
          dlcalc encode - --eps 0.1 -o - | dlcalc decode -
      dlcalc build --depth 6 --head walsh:1-7 -o - |
          dlcalc encode - --eps 0.1 -o - | dlcalc decode - --index 2 -o -
    """
    if output is not None:
        check_output(output, force, "-o", EXPORT_EXTENSIONS)
    what = "decoding" + (f" into {shown(output)}" if output else "")
    reports = []
    files = _files(dlc, budget, index, export=output is not None, what=what)
    for _, box in files:
        with progress(2 if output else 1, "decode") as advance:
            decoded = decode_container(box)
            advance()
            if output is not None:
                if index is None and (more := sum(1 for _ in files)):  # one file at a time: the stream must end here
                    raise InputError(
                        f"{_name(dlc)} holds {1 + more} .dlc files back to back; export one with --index 1 … {1 + more}"
                    )
                size = export_bytes(box.qclass, csv=not _is_npz(output))
                where = f"decoding {_name(dlc)} into {'stdout' if output == '-' else shown(output)}"
                check_output_size(size, max_output, where, estimate=True)
                export_tables(output, decoded, force, max_output=max_output)
                advance()
                if output == "-":
                    return
                announce_written(output)
        reports.append(_decode_report(decoded, box.file_bytes, output))
    emit_all(reports, fmt)


def _decode_report(decoded, file_bytes: int, output) -> Report:
    box = decoded.container
    payload = study.decode_record(decoded, file_bytes, output)
    rows = payload["heads"]
    cols = [
        Column("head", "heads", "left", render=format_head),
        Column("count", "count", priority=2),
        PRECISION_COLUMN,
        Column("payload_bits", "section bits"),
        CELL_LEVEL_COLUMN,
        Column("levels", "levels", "left", priority=1),
    ]
    return Report(
        payload,
        cols,
        rows,
        title=f"{box.coder} coder, depth {box.depth}, ε = {format_eps(box.eps)}: "
        f"{box.payload_bits} payload bits, {8 * file_bytes} file bits",
    )


# ----------------------------------------------------------------------------- verify


@click.command(name="verify")
@click.argument("instance", metavar="INSTANCE", shell_complete=complete_paths(".json"))
@click.argument("dlc", metavar="FILE.dlc", shell_complete=complete_paths(".dlc"))
@index_option
@budget_options
@format_option
def verify_cmd(instance, dlc, index, budget, fmt):
    """Decode FILE.dlc and check it against INSTANCE: tables bit for bit, sup error ≤ ε.

    Exits with code 3 when verification fails.

    \b
    Example:
      dlcalc verify inst.json inst.dlc
    """
    from ._instance_options import InstanceSpec

    inst = InstanceSpec(path=instance).load(budget)
    reports, failures = [], []
    for _, box in _files(dlc, budget, index, instance=inst, what="verifying"):
        with progress(2, "verify") as advance:
            decoded = decode_container(box)
            advance()
            v = study.verify_decoded(inst, decoded)  # weighed with the file, where it was read
            advance()
            box = decoded.container
            payload = study.verify_record(decoded, v)
            rows = payload["heads"]
            cols = [
                Column("head", "heads", "left", render=format_head),
                Column("count", "count", priority=2),
                Column("table_equal", "bit-exact", "left"),
                Column("error", "sup error", render=error_render(box.eps)),
                Column("within_eps", "≤ ε", "left"),
            ]
            reports.append(
                Report(
                    payload,
                    cols,
                    rows,
                    title=f"verify {dlc} ({box.coder}, ε = {format_eps(box.eps)}) against {instance}",
                    notes=[
                        f"verified: {'yes' if v.verified else 'NO'} (max error {format_error(v.max_error, box.eps)})"
                    ],
                )
            )
            if not v.verified:
                failures.append(f"{box.coder}: max error {format_error(v.max_error)} against ε = {format_eps(box.eps)}")
    emit_all(reports, fmt)
    if failures:
        raise VerificationFailed(f"verification failed ({listed(failures, sep='; ')})")


COMMANDS = [quantize, encode, decode_cmd, verify_cmd]
