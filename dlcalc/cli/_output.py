"""Output: rich tables for people; JSON, ndjson and CSV for scripts; progress on stderr.

JSON is written with ``schema_version``, sorted keys and plain numbers (STYLE,
"Streams, formats, exit codes"); tables are never a machine format.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import click

from ._common import FORMATS, SCHEMA_VERSION

def _plain(value):
    """Plain JSON-able Python numbers: Fractions become floats, NaN becomes null."""
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dumps(obj) -> str:
    return json.dumps(_plain(obj), sort_keys=True, allow_nan=False)


@dataclass
class Column:
    key: str
    header: str
    justify: str = "right"
    render: Callable | None = None


def format_eps(value) -> str:
    """``2^-10`` for powers of two, else 4 significant digits."""
    if isinstance(value, float) and value > 0:
        m, e = math.frexp(value)
        if m == 0.5:
            return f"2^{e - 1}"
    return format_cell(value)


@dataclass
class Report:
    """What a command prints: a JSON document, and rows for table/ndjson/csv."""

    payload: dict
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    title: str | None = None
    notes: list[str] = field(default_factory=list)


def format_cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Fraction):
        value = float(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int) and abs(value) >= 10**15:  # exact in JSON/CSV; abbreviated for people
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}≈{digits[0]}.{digits[1:4]}e{len(digits) - 1}"
    if isinstance(value, (list, tuple)):
        return ",".join(format_cell(v) for v in value) or "∅"
    return str(value)


def _row_value(row: dict, key: str):
    value = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _stdout_console():
    from rich.console import Console

    # tables are for people; piped, they keep a readable width rather than rich's default 80
    width = None if sys.stdout.isatty() else 160
    return Console(markup=False, highlight=False, soft_wrap=False, emoji=False, width=width)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, emoji=False)


#: Rows a table shows; the machine formats always hold every row.
TABLE_ROWS = 200


def _table(report: Report):
    from rich.table import Table

    table = Table(title=report.title, title_justify="left", show_lines=False)
    for col in report.columns:
        table.add_column(col.header, justify=col.justify, overflow="fold", no_wrap=col.justify == "left" and col is report.columns[0])
    for row in report.rows[:TABLE_ROWS]:
        table.add_row(*((c.render or format_cell)(_row_value(row, c.key)) for c in report.columns))
    return table


def record_line(obj: dict) -> str:
    """One JSON document (with ``schema_version``) on one line."""
    return dumps({"schema_version": SCHEMA_VERSION, **obj}) + "\n"


def emit(report: Report, fmt: str) -> None:
    """Print a finished report in the chosen format."""
    out = sys.stdout
    if fmt == "json":
        out.write(record_line(report.payload))
    elif fmt == "ndjson":
        out.writelines(record_line(row) for row in report.rows)
    elif fmt == "csv":
        write_csv(out, report.columns, report.rows)
    else:
        console = _stdout_console()
        console.print(_table(report))
        if len(report.rows) > TABLE_ROWS:
            console.print(f"… {len(report.rows) - TABLE_ROWS} more rows not shown (--format csv or json lists them all)")
        for note in report.notes:
            console.print(note)
    out.flush()


def emit_all(reports: list[Report], fmt: str) -> None:
    """One report as :func:`emit`; several (a stream of .dlc files) as ``{"containers": [...]}``
    in JSON, rows one after another in ndjson and CSV, and one table each."""
    if len(reports) == 1:
        emit(reports[0], fmt)
    elif fmt == "json":
        sys.stdout.write(record_line({"containers": [r.payload for r in reports]}))
    elif fmt == "csv":
        write_csv(sys.stdout, reports[0].columns, [row for r in reports for row in r.rows])
    else:
        for r in reports:
            emit(r, fmt)


def stream_row(fmt: str, row: dict) -> None:
    """ndjson: print one record as soon as it is computed, and flush (other formats wait for the end)."""
    if fmt == "ndjson":
        sys.stdout.write(record_line(row))
        sys.stdout.flush()


def write_csv(out, columns: list[Column], rows: Iterable[dict], header: bool = True) -> None:
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow(["" if (v := _plain(_row_value(row, c.key))) is None else v for c in columns])


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
    """A transient progress bar on stderr, shown only when stderr is a terminal."""
    if not enabled or total <= 1 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=stderr_console(), transient=True, redirect_stdout=False, redirect_stderr=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
