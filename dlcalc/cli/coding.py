"""``dlcalc quantize``, ``encode``, ``decode`` and ``verify`` (THEORY §4-§6)."""

from __future__ import annotations

import io
import json
import os

import click
import numpy as np

from .. import CODER_NAMES, DlcalcError, decode, quantize_heads, run_coder, verify
from .._codec import DEFAULT_MAX_BITS, CoderResult, Verification, instance_reference
from .._container import MAX_FILE_BYTES, split_containers
from .._instance import head_to_dict
from .._quantize import HeadQuantization, approximant_values, check_table_cells, head_tables, sup_error
from .._span import levels_of
from ._common import InputError, VerificationFailed
from ._files import announce, check_output, force_option, read_input, write_output
from ._instance_options import instance_options, instance_summary, load_instance, max_cells_option
from ._output import (Column, emit, emit_all, format_bounds, format_eps, format_error, format_head, format_number, format_option,
                      Report, write_csv)
from ._params import NumberType

eps_option = click.option("--eps", "-e", type=NumberType(), required=True, help="Target accuracy ε > 0 (e.g. 0.01 or 2^-7).")
max_bits_option = click.option(
    "--max-bits", type=click.IntRange(min=1), default=DEFAULT_MAX_BITS, show_default=True,
    help="Refuse up front any payload longer than this.",
)


def requirement_text(q: HeadQuantization, depth: int) -> list[list[int]]:
    """The requirement set ``𝒜_t(p)`` masked to the depth, as lists of levels."""
    return [levels_of(v) for v in sorted(q.requirement.masked_vectors(depth))]


def quant_record(q: HeadQuantization, depth: int, error) -> dict:
    return {
        "head": q.head.spec,
        "precision": q.precision,
        "zero": q.zero,
        "requirement_set": requirement_text(q, depth),
        "levels": q.requirement.levels(depth),
        "payload_bits": q.requirement.level_cost(depth),
        "lower_bound_bits": q.lower_requirement.level_cost(depth),
        "table_level": q.table_level(depth),
        "approximant_level": q.approximant_level(depth),
        "error": error,
    }


@click.command()
@instance_options
@eps_option
@format_option
def quantize(instance, depth, seed, heads, family, beta, max_cells, eps, fmt):
    """Quantize every head to accuracy ε: precision, requirement set, levels, exact sup error.

    \b
    Example:
      dlcalc quantize --depth 5 --head sawtooth:0-2 --head walsh:5 --eps 2^-4
    """
    inst = load_instance(instance, depth, seed, heads, family, beta, max_cells)
    quants = quantize_heads(inst.heads, eps)
    truth = head_tables(quants, inst.feature, max_cells=max_cells)
    records = [quant_record(q, inst.depth, sup_error(q, table, table)) for q, table in zip(quants, truth)]
    columns = [
        Column("head", "head", "left", render=format_head), Column("precision", "p", priority=1),
        Column("levels", "levels paid", "left", priority=2), Column("payload_bits", "payload bits alone"),
        Column("approximant_level", "cell level", priority=3), Column("error", "sup error", render=format_error),
    ]
    emit(Report({"instance": inst.to_dict(), "eps": eps, "heads": records}, columns, records,
                title=f"quantized at ε = {format_eps(eps)}: {instance_summary(inst)}"), fmt)


# ----------------------------------------------------------------------------- encode


def coder_record(result: CoderResult, depth: int) -> dict:
    """The JSON record of one coder run (README, "JSON contract of encode")."""
    v = result.verification
    heads = []
    for i, q in enumerate(result.quants):
        heads.append(
            {
                "head": q.head.spec,
                "precision": q.precision,
                "payload_bits": result.head_payload_bits[i] if result.head_payload_bits is not None else None,
                "levels": q.requirement.levels(depth),
                "error": v.errors[i],
                "table_equal": v.tables_equal[i],
            }
        )
    return {
        "coder": result.coder,
        "eps": result.eps,
        "payload_bits": result.payload_bits,
        "file_bits": result.file_bits,
        "lower_bound_bits": result.bounds.lower_bound_bits,
        "upper_bound_bits": result.bounds.upper_bound_bits,
        "max_error": v.max_error,
        "verified": v.verified,
        "heads": heads,
    }


def gain_of(separate_bits: int, joint_bits: int):
    """``L_sep / L_joint``; None when the joint length is 0."""
    return separate_bits / joint_bits if joint_bits else None


CODER_COLUMNS = [
    Column("coder", "coder", "left"), Column("payload_bits", "payload bits"), Column("file_bits", "file bits", priority=2),
    Column(("lower_bound_bits", "upper_bound_bits"), "bounds (bits)", render=format_bounds, priority=1),
    Column("max_error", "max error", render=format_error, priority=1), Column("verified", "verified", "left", priority=1),
]


def _outputs_for(output: str | None, coders: list[str]) -> dict[str, str]:
    if output is None:
        return {}
    if len(coders) == 1:
        return {coders[0]: output}
    if output == "-":
        return {c: "-" for c in coders}  # both files back to back on stdout; `decode -` reads them all
    stem = output[:-4] if output.endswith(".dlc") else output
    return {c: f"{stem}.{c}.dlc" for c in coders}


@click.command()
@instance_options
@eps_option
@click.option("--coder", type=click.Choice([*CODER_NAMES, "both"]), default="both", show_default=True, help="Which coder.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the .dlc file ('-' for stdout); with --coder both, FILE.joint.dlc and FILE.separate.dlc "
                   "('-': both files back to back).")
@force_option
@max_bits_option
@format_option
def encode(instance, depth, seed, heads, family, beta, max_cells, eps, coder, output, force, max_bits, fmt):
    """Encode an instance at accuracy ε into decodable bitstreams, decode them and verify.

    Exits with code 3 if a decoded function misses ε.

    \b
    Examples:
      dlcalc encode --family walsh-all --depth 8 --eps 2^-6 --coder both
      dlcalc encode inst.json --eps 0.01 --coder joint -o inst.dlc
    """
    inst = load_instance(instance, depth, seed, heads, family, beta, max_cells)
    coders = list(CODER_NAMES) if coder == "both" else [coder]
    targets = _outputs_for(output, coders)
    for path in targets.values():
        check_output(path, force, "-o")
    check_table_cells(quantize_heads(inst.heads, eps), inst.depth, max_cells)  # the coders' budget, before any work
    reference = instance_reference(inst, eps, max_cells)
    results = {c: run_coder(inst, eps, c, max_bits=max_bits, max_cells=max_cells, reference=reference) for c in coders}
    for c, path in targets.items():
        write_output(path, results[c].data, force)
        if path != "-":
            announce(f"wrote {path}")
    records = {c: coder_record(r, inst.depth) for c, r in results.items()}
    if coder == "both":
        gain = gain_of(records["separate"]["payload_bits"], records["joint"]["payload_bits"])
        payload = {"instance": inst.to_dict(), "eps": eps, "gain": gain, **records}
        notes = [f"gain (separate ÷ joint payload bits): {format_number(gain)}" if gain is not None
                 else "gain: undefined (joint needs 0 bits)"]
    else:
        payload = {"instance": inst.to_dict(), **records[coder]}
        notes = []
    if "-" not in targets.values():
        emit(Report(payload, CODER_COLUMNS, list(records.values()),
                    title=f"ε = {format_eps(eps)}: {instance_summary(inst)}", notes=notes), fmt)
    failed = [c for c, r in results.items() if not r.verification.verified]
    if failed:
        raise VerificationFailed(f"verification failed for the {', '.join(failed)} coder (max error above ε)")


# ----------------------------------------------------------------------------- decode


EXPORT_EXTENSIONS = (".npz", ".csv")


def _read_dlcs(path: str, index: int | None = None) -> list[bytes]:
    """The .dlc files in ``path`` (several when written back to back), or only the ``index``-th (1 = first)."""
    parts = split_containers(read_input(path, MAX_FILE_BYTES, ".dlc file"))
    if index is not None:
        if index > len(parts):
            raise InputError(f"--index {index}: {_name(path)} holds {len(parts)} .dlc file{'s' if len(parts) > 1 else ''}")
        return [parts[index - 1]]
    return parts


def _name(path: str) -> str:
    return "stdin" if path == "-" else path


def _decode_file(path: str, data: bytes, max_cells: int):
    """Decode one .dlc file; a refusal names the file it is about."""
    try:
        return decode(data, max_cells=max_cells)
    except DlcalcError as exc:
        raise type(exc)(f"{_name(path)}: {exc}") from None


def export_tables(path: str, decoded, force: bool, max_cells: int) -> None:
    """Write the decoded quantized functions as ``.npz`` (one array per head) or CSV rows."""
    box = decoded.container
    values = [approximant_values(q, t, box.depth, max_cells) for q, t in zip(decoded.quants, decoded.tables)]
    total = sum(v.size for _, v in values)
    if total > max_cells:
        raise InputError(f"the exported table has {total} cells, over the budget of {max_cells} (raise --max-cells)")
    if os.path.splitext(path)[1].lower() == ".npz":
        buf = io.BytesIO()
        arrays = {f"head{i}": v for i, (_, v) in enumerate(values)}
        meta = {"depth": box.depth, "eps": box.eps, "coder": box.coder,
                "heads": [dict(head_to_dict(q.head), level=lv) for q, (lv, _) in zip(decoded.quants, values)]}
        np.savez_compressed(buf, meta=np.array(json.dumps(meta)), **arrays)
        write_output(path, buf.getvalue(), force)
    else:  # .csv or '-' (check_output has refused anything else)
        text = io.StringIO()
        cols = [Column(k, k) for k in ("head", "level", "cell", "value")]

        def rows():
            for q, (lv, vals) in zip(decoded.quants, values):
                for c, x in enumerate(vals.tolist()):
                    yield {"head": q.head.spec, "level": lv, "cell": c, "value": x}

        write_csv(text, cols, rows())
        write_output(path, text.getvalue().encode(), force)


index_option = click.option("--index", type=click.IntRange(min=1), default=None, metavar="N",
                            help="Only the N-th .dlc file of a stream of several (1 = first; encode --coder both "
                                 "-o - writes the joint file, then the separate one).")


@click.command(name="decode")
@click.argument("dlc", metavar="FILE.dlc")
@click.option("-o", "--output", default=None, metavar="TABLE",
              help="Export the decoded functions: .npz, or .csv ('-' for CSV on stdout); one .dlc file at a time "
                   "(--index picks one from a stream).")
@index_option
@force_option
@max_cells_option
@format_option
def decode_cmd(dlc, output, index, force, max_cells, fmt):
    """Decode a .dlc file alone into the quantized functions (no instance needed).

    \b
    Examples:
      dlcalc decode inst.dlc
      dlcalc decode inst.dlc -o table.csv
      dlcalc build --depth 6 --head walsh:1-7 -o - | dlcalc encode - --eps 0.1 -o - | dlcalc decode -
      dlcalc build --depth 6 --head walsh:1-7 -o - | dlcalc encode - --eps 0.1 -o - | dlcalc decode - --index 2 -o -
    """
    if output is not None:
        check_output(output, force, "-o", EXPORT_EXTENSIONS)
    parts = _read_dlcs(dlc, index)
    if output is not None and len(parts) > 1:
        raise InputError(f"{_name(dlc)} holds {len(parts)} .dlc files back to back; export one with --index 1 … {len(parts)}")
    reports = []
    for data in parts:
        decoded = _decode_file(dlc, data, max_cells)
        if output is not None:
            export_tables(output, decoded, force, max_cells)
            if output == "-":
                return
            announce(f"wrote {output}")
        reports.append(_decode_report(decoded, data, output))
    emit_all(reports, fmt)


def _decode_report(decoded, data: bytes, output) -> Report:
    box = decoded.container
    rows = []
    for i, (q, t) in enumerate(zip(decoded.quants, decoded.tables)):
        rows.append({
            "head": q.head.spec,
            "precision": q.precision,
            "zero": q.zero,
            "payload_bits": box.section_bits[i] if box.coder == "separate" else None,
            "table_level": t.level,
            "approximant_level": q.approximant_level(box.depth),
            "levels": q.requirement.levels(box.depth),
        })
    payload = {"coder": box.coder, "depth": box.depth, "eps": box.eps, "payload_bits": box.payload_bits,
               "file_bits": 8 * len(data), "heads": rows, "output": output}
    cols = [Column("head", "head", "left", render=format_head), Column("precision", "p", priority=1),
            Column("payload_bits", "section bits"), Column("approximant_level", "cell level", priority=2),
            Column("levels", "levels", "left", priority=1)]
    return Report(payload, cols, rows, title=f"{box.coder} coder, depth {box.depth}, ε = {format_eps(box.eps)}: "
                  f"{box.payload_bits} payload bits, {8 * len(data)} file bits")


# ----------------------------------------------------------------------------- verify


@click.command(name="verify")
@click.argument("instance", metavar="INSTANCE")
@click.argument("dlc", metavar="FILE.dlc")
@index_option
@max_cells_option
@format_option
def verify_cmd(instance, dlc, index, max_cells, fmt):
    """Decode FILE.dlc and check it against INSTANCE: tables bit for bit, sup error ≤ ε.

    Exits with code 3 when verification fails.

    \b
    Example:
      dlcalc verify inst.json inst.dlc
    """
    inst = load_instance(instance, None, None, (), None, None, max_cells)
    reports, failures = [], []
    for data in _read_dlcs(dlc, index):
        decoded = _decode_file(dlc, data, max_cells)
        v: Verification = verify(inst, decoded, max_cells=max_cells)
        box = decoded.container
        rows = [{"head": q.head.spec, "table_equal": same, "error": err, "within_eps": err <= box.eps}
                for q, same, err in zip(decoded.quants, v.tables_equal, v.errors)]
        payload = {"coder": box.coder, "eps": box.eps, "payload_bits": box.payload_bits, "max_error": v.max_error,
                   "verified": v.verified, "heads": rows}
        cols = [Column("head", "head", "left", render=format_head), Column("table_equal", "bit-exact", "left"),
                Column("error", "sup error", render=format_error), Column("within_eps", "≤ ε", "left")]
        reports.append(Report(payload, cols, rows, title=f"verify {dlc} ({box.coder}, ε = {format_eps(box.eps)}) against {instance}",
                              notes=[f"verified: {'yes' if v.verified else 'NO'} (max error {format_error(v.max_error)})"]))
        if not v.verified:
            failures.append(f"{box.coder}: max error {format_error(v.max_error)} against ε = {format_eps(box.eps)}")
    emit_all(reports, fmt)
    if failures:
        raise VerificationFailed("verification failed (" + "; ".join(failures) + ")")


COMMANDS = [quantize, encode, decode_cmd, verify_cmd]
