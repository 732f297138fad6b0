"""Output formats: JSON, ndjson and CSV for scripts, a table for people, progress on stderr.

Every command hands a :class:`~._tables.Report` to :func:`emit`; numbers are written for
people by :mod:`._style` and laid out in tables by :mod:`._tables`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

import click

from ..core import Log2Bits
from ._ascii import ascii_report, can_encode
from ._common import FORMATS, SCHEMA_VERSION
from ._files import DEFAULT_MAX_OUTPUT, check_output_size
from ._style import (
    _sign,
    large_form,
)
from ._tables import (
    TABLE_ROWS,
    Column,
    Report,
    _print_text,
    _row_value,
    _stdout_console,
    _table,
    stderr_console,
)

__all__ = [
    "dumps",
    "record_line",
    "check_records",
    "emit",
    "emit_all",
    "stream_row",
    "write_csv",
    "format_option",
    "progress",
]


def _plain(value):
    """Plain JSON-able Python numbers: Fractions become floats (beyond a float's range, the nearest
    integer: a Gram entry of amplitudes 1e300 is 5e599), NaN becomes null; a number too large to write
    out becomes ``{"log2_bits": L}`` (a bit count) or ``{"log2": L}`` (with ``"sign": -1`` if negative)."""
    if (big := large_form(value)) is not None:
        key = "log2_bits" if isinstance(big, Log2Bits) else "log2"
        return {key: big.log2, **({"sign": -1} if _sign(value) else {})}
    if isinstance(value, Fraction):
        try:
            value = float(value)
        except OverflowError:
            value = round(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dumps(obj) -> str:
    return json.dumps(_plain(obj), sort_keys=True, allow_nan=False)


def record_line(obj: dict) -> str:
    """One JSON document (with ``schema_version`` and ``provenance``) on one line.

    The provenance is the same for every record of a command: it is built and serialized once
    (:func:`_provenance_text`), so that an ndjson stream of many rows is written in time linear in
    its bytes, whatever the length of the arguments it repeats."""
    instance = obj.get("instance")
    seed = instance["seed"] if isinstance(instance, dict) and isinstance(instance.get("seed"), int) else None
    doc = {"schema_version": SCHEMA_VERSION, **obj}
    doc.pop("provenance", None)
    parts = {json.dumps(k): json.dumps(v, sort_keys=True, allow_nan=False) for k, v in _plain(doc).items()}
    parts[json.dumps("provenance")] = _provenance_text(seed)
    return "{" + ", ".join(f"{k}: {parts[k]}" for k in sorted(parts, key=json.loads)) + "}\n"


def _provenance_text(seed: int | None) -> str:
    """:func:`provenance` as JSON, with ``seed`` (exact in any JSON reader, even beyond 2^53) when given;
    built once per command (and seed)."""
    ctx = click.get_current_context(silent=True)
    cache: dict = ctx.meta.setdefault("dlcalc.provenance", {}) if ctx is not None else {}
    if seed not in cache:
        origin = provenance()
        if seed is not None:
            origin["seed"] = str(seed)
        cache[seed] = dumps(origin)
    return cache[seed]


def check_records(count: int, fmt: str) -> None:
    """Refuse up front an ndjson report of ``count`` records whose provenance alone (repeated on every
    line: the arguments, a sweep's every ε) is over the command's ``--max-output`` (4 GiB without one)."""
    if fmt != "ndjson" or count <= 1:
        return
    ctx = click.get_current_context(silent=True)
    limit = (ctx.params.get("max_output") if ctx is not None else None) or DEFAULT_MAX_OUTPUT
    check_output_size(count * (len(_provenance_text(None)) + 1), limit, f"{count} ndjson records", estimate=True)


#: Integers beyond this are written as strings in ``provenance``: a double holds every integer up to 2^53.
SAFE_INTEGER = 2**53


def _given(value):
    """A parameter as given, for JSON: big integers (a seed) as strings, numbers exactly."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > SAFE_INTEGER else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        return [_given(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _given(v) for k, v in value.items()}
    return str(value)


def provenance() -> dict:
    """Where a document comes from, so that it can be traced and rerun: the dlcalc version, the
    versions of the formats it speaks, and the command with the parameters given on its command
    line (docs/json.md, "Provenance")."""
    from .. import __version__
    from ..coding import FORMAT_VERSION
    from ..core import INSTANCE_SCHEMA_VERSION
    from ..networks import NETWORK_VERSION

    out: dict = {
        "dlcalc_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "container_format_version": FORMAT_VERSION,
        "network_format_version": NETWORK_VERSION,
        "instance_schema_version": INSTANCE_SCHEMA_VERSION,
        "command": None,
        "arguments": {},
    }
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        from click.core import ParameterSource

        names: list[str] = []
        c = ctx
        while c.parent is not None:  # the program is dlcalc, however it was started
            names.append(c.info_name or "")
            c = c.parent
        out["command"] = " ".join(["dlcalc", *reversed(names)])
        given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
        out["arguments"] = {
            name: _given(value) for name, value in ctx.params.items() if ctx.get_parameter_source(name) in given
        }
    return out


def emit(report: Report, fmt: str) -> None:
    """Print a finished report in the chosen format."""
    out = sys.stdout
    if fmt == "json":
        out.write(record_line(report.payload))
    elif fmt == "ndjson":
        check_records(len(report.rows), fmt)
        out.writelines(record_line(row) for row in report.rows)
    elif fmt == "csv":
        write_csv(out, report.columns, report.rows)
    else:
        if not can_encode(out):  # ASCII text, so that the columns still line up
            report = ascii_report(report)
        console = _stdout_console()
        width = console.width
        table, needed, left_out, column_notes = _table(report, width)
        if report.title:
            _print_text(console, report.title, width)
        console.width = max(width, needed)  # only wider when even the columns that always stay do not fit
        console.print(table)
        console.width = width
        if len(report.rows) > TABLE_ROWS:
            _print_text(
                console,
                f"… {len(report.rows) - TABLE_ROWS} more row{'s' if len(report.rows) > TABLE_ROWS + 1 else ''} "
                "not shown (--format csv or json lists them all)",
                width,
            )
        if left_out:
            _print_text(
                console,
                f"not shown at this width: {', '.join(left_out)} (a wider terminal or --format csv shows them)",
                width,
            )
        for note in column_notes + report.notes:
            _print_text(console, note, width)
    out.flush()


#: Which file of a stream a row of ndjson or CSV comes from: its place (as ``--index`` counts) and coder.
CONTAINER_COLUMNS = [Column("container", "container"), Column("coder", "coder", "left")]


def emit_all(reports: list[Report], fmt: str) -> None:
    """One report as :func:`emit`; several (a stream of .dlc files) as ``{"containers": [...]}``
    in JSON, one table each, and in ndjson and CSV rows one after another, each with the
    ``container`` (1, 2, … as ``--index`` counts) and the ``coder`` of its file."""
    if len(reports) == 1:
        emit(reports[0], fmt)
    elif fmt == "json":
        sys.stdout.write(record_line({"containers": [r.payload for r in reports]}))
    elif fmt in ("ndjson", "csv"):
        rows = [
            {"container": n, "coder": r.payload.get("coder"), **row}
            for n, r in enumerate(reports, start=1)
            for row in r.rows
        ]
        if fmt == "ndjson":
            check_records(len(rows), fmt)
            sys.stdout.writelines(record_line(row) for row in rows)
        else:
            write_csv(sys.stdout, CONTAINER_COLUMNS + reports[0].columns, rows)
        sys.stdout.flush()
    else:
        for r in reports:
            emit(r, fmt)


def stream_row(fmt: str, row: dict) -> None:
    """ndjson: print one record as soon as it is computed, and flush (other formats wait for the end)."""
    if fmt == "ndjson":
        sys.stdout.write(record_line(row))
        sys.stdout.flush()


def _csv_value(value):
    """A CSV cell: as in JSON, but empty for null and ``2^L`` for a number too large to write out."""
    if (big := large_form(value)) is not None:
        return f"{_sign(value)}2^{big.log2!r}"
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):  # as in JSON
        return "true" if value else "false"
    return value


def write_csv(out, columns: list[Column], rows: Iterable[dict], header: bool = True) -> None:
    """CSV with one column per key path (a tuple-keyed table column becomes several)."""
    writer = csv.writer(out, lineterminator="\n")
    keys = [k for c in columns for k in c.keys]
    if header:
        writer.writerow(keys)
    for row in rows:
        writer.writerow([_csv_value(_row_value(row, k)) for k in keys])


def format_option(f: Callable) -> Callable:
    """The shared ``--format`` option (every command)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for people; json, ndjson (one record per row) or csv for scripts.",
    )(f)


@contextlib.contextmanager
def progress(total: int, description: str, enabled: bool = True) -> Iterator[Callable[[], None]]:
    """A transient progress bar on stderr, shown only when stderr is a terminal.

    What is written to stderr while it runs (``wrote FILE``) is printed above the bar, which is
    erased when the work ends: the screen keeps the messages and never the bar.
    """
    if not enabled or total <= 1 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr_console()
    console.file = sys.stderr  # this stream, not whatever sys.stderr is later (see _AboveBar)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,  # rich's proxy lends click the terminal's own buffer, under the bar
    ) as bar:
        task = bar.add_task(description, total=total)
        saved, sys.stderr = sys.stderr, _AboveBar(bar.console)
        try:
            yield lambda: bar.advance(task)
        finally:
            sys.stderr.flush()
            sys.stderr = saved


class _AboveBar:
    """``sys.stderr`` while a bar is drawn: whole lines are printed above the bar (which then
    erases cleanly). It has no binary ``buffer``, so ``click.echo(err=True)`` writes here too."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, console) -> None:
        self._console = console
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\n" in self._pending:
            lines, _, self._pending = self._pending.rpartition("\n")
            self._console.print(lines, markup=False, highlight=False, emoji=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._console.print(self._pending, markup=False, highlight=False, emoji=False, soft_wrap=True)
            self._pending = ""

    def isatty(self) -> bool:
        return True
