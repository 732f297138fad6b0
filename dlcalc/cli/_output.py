"""Output: rich tables for people; JSON, ndjson and CSV for scripts; progress on stderr.

JSON is written with ``schema_version``, sorted keys and plain numbers (STYLE,
"Streams, formats, exit codes"); tables are never a machine format.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import click

from ..core import EXACT_BITS_LIMIT, Log2Bits, Log2Value, log2_of
from ._common import FORMATS, SCHEMA_VERSION


def large_form(value) -> Log2Bits | Log2Value | None:
    """The log form of a number too large to write out (docs/json.md, "Large numbers"), else None:
    a count of ``2^EXACT_BITS_LIMIT`` or more (or more digits than Python will print), or another
    number that large."""
    if isinstance(value, (Log2Bits, Log2Value)):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _printable_bits():
        return Log2Bits(log2_of(value))
    if (
        isinstance(value, Fraction)
        and value
        and abs(value).numerator.bit_length() - value.denominator.bit_length() > _printable_bits()
    ):
        return Log2Value(log2_of(value))
    return None


def _printable_bits() -> int:
    """Bits of the largest integer written out: ``EXACT_BITS_LIMIT``, less under a lower ``PYTHONINTMAXSTRDIGITS``."""
    digits = sys.get_int_max_str_digits()
    return EXACT_BITS_LIMIT if digits == 0 else min(EXACT_BITS_LIMIT, int((digits - 1) * 3.3219))


def _sign(value) -> str:
    return "-" if not isinstance(value, (Log2Bits, Log2Value)) and value < 0 else ""


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


@dataclass
class Column:
    """A table column.

    ``key`` is a dotted path into a row (``joint.payload_bits``), or a tuple of paths whose
    values ``render`` shows in one cell (CSV writes each path as its own column).
    When the terminal is narrow, columns with the largest ``priority`` are dropped first
    (0: always shown) and headers give way to ``short``; a cell is never wrapped. ``note``
    explains the column under the table when it is shown (``{header}``: the header used).
    """

    key: str | tuple[str, ...]
    header: str
    justify: str = "right"
    render: Callable | None = None
    priority: int = 0
    short: str | None = None
    note: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return self.key if isinstance(self.key, tuple) else (self.key,)


@dataclass
class Report:
    """What a command prints: a JSON document, and rows for table/ndjson/csv."""

    payload: dict
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    title: str | None = None
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- numbers for people
#
# One style everywhere a person reads a number (tables, titles, notes, messages): ε and other
# powers of two below 1 as ``2^-k``; integers in full up to 12 digits, beyond that with 4
# significant digits as ``1.234e16``; other numbers exactly when 6 significant digits hold them,
# else with 4 significant digits (``0.0009766``, ``1.748e5``).  A sup error is rounded up and a
# lower bound down, so neither is ever shown on the wrong side of its true value.

#: Integers up to this many digits are shown in full.
FULL_DIGITS = 12
_SIGNIFICANT = 4
_EXACT_SIGNIFICANT = 6


def _floor_log10(x: Fraction) -> int:
    """``floor(log10(x))`` for ``x > 0``, exactly (no float conversion, so any size works)."""
    e = math.floor((x.numerator.bit_length() - x.denominator.bit_length()) * 0.30102999566398120)
    while Fraction(10) ** e > x:
        e -= 1
    while Fraction(10) ** (e + 1) <= x:
        e += 1
    return e


def _significant(x: Fraction, digits: int, rounding: str) -> tuple[int, int]:
    """``(m, e)`` with ``m`` of ``digits`` digits and ``m·10^e`` next to ``x > 0`` in the given direction."""
    e = _floor_log10(x) - (digits - 1)
    scaled = x / Fraction(10) ** e
    if rounding == "up":
        m = math.ceil(scaled)
    elif rounding == "down":
        m = math.floor(scaled)
    else:
        m = math.floor(scaled + Fraction(1, 2))
    if m == 10**digits:
        m, e = m // 10, e + 1
    return m, e


def _decimal(m: int, e: int, fixed_below: int) -> str:
    """``m·10^e`` written out: fixed point when the leading digit's exponent is in
    ``-4 … fixed_below - 1``, else ``1.234e16``."""
    digits = str(m).rstrip("0") or "0"
    e += len(str(m)) - len(digits)
    lead = e + len(digits) - 1
    if -4 <= lead < fixed_below:
        if e >= 0:
            return digits + "0" * e
        point = len(digits) + e
        return digits[:point] + "." + digits[point:] if point > 0 else "0." + "0" * -point + digits
    return f"{digits[0]}{'.' + digits[1:] if len(digits) > 1 else ''}e{lead}"


def format_number(value, rounding: str = "nearest") -> str:
    """A number for people, rounded ``"nearest"``, ``"up"`` or ``"down"`` when it cannot be shown exactly.

    >>> [format_number(x) for x in (21845, 10**16 + 1, 5 / 3, 174762.66, 0.015625, 3.2e-5)]
    ['21845', '1e16', '1.667', '1.748e5', '0.015625', '3.2e-5']
    >>> format_number(Fraction(1, 1024), "up"), format_number(Fraction(1, 1024), "down")
    ('0.0009766', '0.0009765')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if (big := large_form(value)) is not None:  # 2^15000, 2^2e300
        return f"{_sign(value)}2^{format_number(big.log2, rounding)}"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    x = Fraction(value)
    if x < 0:
        flipped = {"up": "down", "down": "up"}.get(rounding, rounding)
        return "-" + format_number(-value, flipped)
    if x == 0:
        return "0"
    if isinstance(value, int) and x < 10**FULL_DIGITS:
        return str(value)
    m, e = _significant(x, _EXACT_SIGNIFICANT, "down")
    if m * Fraction(10) ** e == x and -4 <= _floor_log10(x) < _EXACT_SIGNIFICANT and not isinstance(value, int):
        return _decimal(m, e, _EXACT_SIGNIFICANT)
    return _decimal(*_significant(x, _SIGNIFICANT, rounding), _SIGNIFICANT)


def format_eps(value) -> str:
    """ε (or an amplitude): ``2^-10`` when it is a power of two below 1, else :func:`format_number`.

    >>> format_eps(2.0**-10), format_eps(0.01), format_eps(5e-324), format_eps(1.0)
    ('2^-10', '0.01', '2^-1074', '1')
    """
    if isinstance(value, (float, int, Fraction)) and not isinstance(value, bool) and 0 < value < 1:
        x = Fraction(value)
        if x.numerator == 1 and x.denominator & (x.denominator - 1) == 0:
            return f"2^-{x.denominator.bit_length() - 1}"
    return format_number(value)


def format_error(value) -> str:
    """A sup error, rounded up: never shown below its true value (0.0009765625 → ``0.0009766``)."""
    return format_number(value, "up")


def format_bounds(bounds) -> str:
    """``(lower, upper)`` as one number when equal, else ``lower–upper`` (rounded outward)."""
    lower, upper = bounds
    if lower is None or upper is None or lower == upper:
        return format_number(upper if lower is None else lower)
    return f"{format_number(lower, 'down')}–{format_number(upper, 'up')}"


def format_head(spec) -> str:
    """A head spec with its amplitude in the same style (``walsh:5@2^-2``)."""
    if not isinstance(spec, str) or "@" not in spec:
        return format_cell(spec)
    name, _, amplitude = spec.partition("@")
    try:
        return f"{name}@{format_eps(float(amplitude))}"
    except ValueError:
        return spec


def _runs(values: list[int]) -> str:
    """``1,2,3,5`` as ``1-3,5``."""
    parts, i = [], 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if j == i else f"{values[i]}{',' if j == i + 1 else '-'}{values[j]}")
        i = j + 1
    return ",".join(parts)


def format_cell(value) -> str:
    """Any value for a table cell: numbers as :func:`format_number`, level lists as runs (``1-3,5``)."""
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return _runs(list(value))
        return ",".join(format_cell(v) for v in value) or "∅"
    if value is None or isinstance(value, (bool, int, float, Fraction, Log2Bits, Log2Value)):
        return format_number(value)
    return str(value)


def _row_value(row: dict, key: str | tuple[str, ...]):
    if isinstance(key, tuple):
        return tuple(_row_value(row, k) for k in key)
    value = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


# ----------------------------------------------------------------------------- tables for people


def _stdout_console():
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:  # rich would exit 1; a closed pipe ends the command quietly
            raise BrokenPipeError

    return PipeConsole(markup=False, highlight=False, soft_wrap=False, emoji=False, width=pipe_width())


def pipe_width() -> int | None:
    """Columns for a table: the terminal's (None: rich asks it), else ``COLUMNS`` when set, else 160.

    Tables are for people; piped, they keep a readable width rather than rich's default 80,
    unless the environment names one.
    """
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    return int(columns) if columns.isdigit() and 0 < int(columns) <= 10_000 else 160


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, emoji=False)


#: Rows a table shows; the machine formats always hold every row.
TABLE_ROWS = 200
_PHRASE_END = re.compile(r"(?<=[;:,]) +")


def wrap_phrases(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns, broken after ``;``, ``:`` or ``,`` where possible,
    else between words; a single word wider than ``width`` stands alone on its line.

    >>> wrap_phrases("fitted slopes: joint 1.079 (γ = 0.927), separate 2.027 (γ = 0.493)", 40)
    ['fitted slopes: joint 1.079 (γ = 0.927),', 'separate 2.027 (γ = 0.493)']
    """
    from rich.cells import cell_len

    lines: list[str] = []
    for phrase in _PHRASE_END.split(text.strip()):
        for piece in [phrase] if cell_len(phrase) <= width else phrase.split():
            if lines and cell_len(lines[-1]) + 1 + cell_len(piece) <= width:
                lines[-1] += " " + piece
            else:
                lines.append(piece)
    return lines or [""]


def _header_lines(header: str, width: int) -> int:
    """How many lines a header takes at ``width``, broken greedily between words (as rich does)."""
    from rich.cells import cell_len

    lines, used = 1, 0
    for word in header.split():
        if used and used + 1 + cell_len(word) > width:
            lines, used = lines + 1, cell_len(word)
        else:
            used += (1 if used else 0) + cell_len(word)
    return lines


def layout(columns: list[Column], cells: list[list[str]], width: int) -> tuple[list[int], list[str], list[int]]:
    """Which columns fit in ``width`` terminal columns, with which headers and widths.

    Cells are never wrapped and headers break only between words. Tried in order: every column
    with its full header, every column with its short header, then without the column of
    largest priority (the rightmost first among equals), and so on; the first that fits wins,
    so a wider terminal never shows fewer columns. Returns the kept column indices, their
    headers and their widths (without padding). Columns of priority 0 always stay: when even
    they do not fit, the table is wider than ``width`` rather than split a number.
    """
    from rich.cells import cell_len

    def word_width(header: str) -> int:
        return max((cell_len(w) for w in header.split()), default=0)

    cell_width = [max((cell_len(row[i]) for row in cells), default=0) for i in range(len(columns))]
    order = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    full = [c.header for c in columns]
    short = [c.short if c.short and word_width(c.short) < word_width(c.header) else c.header for c in columns]

    def need(kept, headers) -> int:
        return table_width([max(cell_width[i], word_width(headers[i])) for i in kept])

    kept = list(range(len(columns)))
    headers = full
    if need(kept, headers) > width:
        headers = short
        while len(order) > 1 and need(kept, headers) > width and columns[order[-1]].priority > 0:
            kept.remove(order.pop())
    widths = {i: max(cell_width[i], word_width(headers[i])) for i in kept}
    # spend what is left on headers: widen the tallest header until its height drops
    spare = width - need(kept, headers)
    while spare > 0:
        tallest = max(kept, key=lambda i: (_header_lines(headers[i], widths[i]), -columns[i].priority, -i))
        lines = _header_lines(headers[tallest], widths[tallest])
        if lines == 1:
            break
        grow = next(
            (g for g in range(1, spare + 1) if _header_lines(headers[tallest], widths[tallest] + g) < lines), None
        )
        if grow is None:
            break
        widths[tallest] += grow
        spare -= grow
    return kept, [headers[i] for i in kept], [widths[i] for i in kept]


def table_width(widths: list[int]) -> int:
    """Terminal columns a table with these column widths takes: one space of padding on each
    side of a cell, one rule between cells and one at each edge (rich's default box)."""
    return sum(widths) + 3 * len(widths) + 1


def _table(report: Report, width: int):
    """The rich table for ``report`` at ``width``, its width, the headers of the columns left
    out, and the notes of the columns shown."""
    from rich.table import Table

    rows = report.rows[:TABLE_ROWS]
    cells = [[(c.render or format_cell)(_row_value(row, c.key)) for c in report.columns] for row in rows]
    kept, headers, widths = layout(report.columns, cells, width)
    table = Table(show_lines=False)
    for i, header, w in zip(kept, headers, widths):
        table.add_column(header, justify=report.columns[i].justify, width=w, overflow="fold")
    for row in cells:
        table.add_row(*(row[i] for i in kept))
    left_out = [c.header for i, c in enumerate(report.columns) if i not in kept]
    notes = [report.columns[i].note.format(header=h) for i, h in zip(kept, headers) if report.columns[i].note]
    return table, table_width(widths), left_out, notes


def _print_text(console, text: str, width: int) -> None:
    for line in wrap_phrases(text, width):
        console.out(line, highlight=False)


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
                f"… {len(report.rows) - TABLE_ROWS} more rows not shown (--format csv or json lists them all)",
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
    """A transient progress bar on stderr, shown only when stderr is a terminal."""
    if not enabled or total <= 1 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)
