"""Tables for people: columns with priorities, laid out to the terminal's width.

A column that does not fit is dropped by priority and named under the table; a table is never
a machine format (``--format json|ndjson|csv`` is).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a table is drawn, not when a command starts
    from rich.console import JustifyMethod

from ._style import error_render, format_cell, format_error, shorten_digits

#: Rows a table shows; the machine formats always hold every row.
TABLE_ROWS = 200
#: The narrowest layout: a smaller ``COLUMNS`` would break titles and notes one word per line.
MIN_WIDTH = 20

__all__ = [
    "Column",
    "Report",
    "pipe_width",
    "stderr_console",
    "wrap_phrases",
    "layout",
    "table_width",
    "with_error_eps",
]


@dataclass
class Column:
    """A table column.

    ``key`` is a dotted path into a row (``joint.payload_bits``), or a tuple of paths whose
    values ``render`` shows in one cell (CSV writes each path as its own column).
    When the terminal is narrow, columns with the largest ``priority`` are dropped first
    (0: always shown) and headers give way to ``short``; a cell is never wrapped. ``note``
    explains the column under the table when it is shown (``{header}``: the header used).
    ``needs`` names the keys of columns this one is computed from (a ratio and what it divides):
    when one of them is dropped, this column is dropped with it.
    """

    key: str | tuple[str, ...]
    header: str
    justify: JustifyMethod = "right"
    render: Callable | None = None
    priority: int = 0
    short: str | None = None
    note: str | None = None
    needs: tuple[str | tuple[str, ...], ...] = ()

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


def with_error_eps(columns: list[Column], eps) -> list[Column]:
    """``columns`` with every sup-error column (``render=format_error``) shown against ``eps``:
    a verified error is never shown above ε (:func:`._style.format_error`)."""
    return [replace(c, render=error_render(eps)) if c.render is format_error else c for c in columns]


def _row_value(row: dict, key: str | tuple[str, ...]):
    if isinstance(key, tuple):
        return tuple(_row_value(row, k) for k in key)
    value: object = row
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
    """Columns for a table: the terminal's (None: rich asks it), else ``COLUMNS`` when set, else 80.

    As rich and most tools do: piped (``| head``, ``| tee``), a table is laid out for an
    80-column terminal, since bash does not export ``COLUMNS``; scripts use ``--format``.
    """
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    return max(int(columns), MIN_WIDTH) if columns.isdigit() and 0 < int(columns) <= 10_000 else 80


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False, emoji=False)


def wrap_phrases(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns, broken between words, preferably after ``;``, ``:``
    or ``,`` when that leaves the line at least two thirds full; a single word wider than
    ``width`` stands alone on its line.

    >>> wrap_phrases("fitted slopes: joint 1.079 (γ = 0.927), separate 2.027 (γ = 0.493)", 40)
    ['fitted slopes: joint 1.079 (γ = 0.927),', 'separate 2.027 (γ = 0.493)']
    >>> wrap_phrases("not shown: its content bits, its file bits, file ÷ joint .dlc file (a wider terminal)", 44)
    ['not shown: its content bits, its file bits,', 'file ÷ joint .dlc file (a wider terminal)']
    """
    from rich.cells import cell_len

    lines: list[list[str]] = []

    def length(words: list[str]) -> int:
        return sum(cell_len(w) for w in words) + max(len(words) - 1, 0)

    for word in text.split():
        line = lines[-1] if lines else None
        if line is not None and length(line) + 1 + cell_len(word) <= width:
            line.append(word)
            continue
        if line is not None:
            ends = [i + 1 for i, w in enumerate(line[:-1]) if w[-1] in ";:,"]
            cut = next((i for i in reversed(ends) if 3 * length(line[:i]) >= 2 * width), None)
            if cut is not None:
                tail = line[cut:]
                del line[cut:]
                if length(tail) + 1 + cell_len(word) <= width:
                    lines.append([*tail, word])
                    continue
                lines.append(tail)
        lines.append([word])
    return [" ".join(line) for line in lines] or [""]


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
            _drop_orphans(columns, kept, order)
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


def _drop_orphans(columns: list[Column], kept: list[int], order: list[int]) -> None:
    """Drop every kept column whose ``needs`` names a column no longer kept."""
    changed = True
    while changed:
        shown = {k for i in kept for k in (columns[i].key, *columns[i].keys)}
        orphans = [i for i in kept if columns[i].needs and not set(columns[i].needs) <= shown]
        changed = bool(orphans)
        for i in orphans:
            kept.remove(i)
            order.remove(i)


def table_width(widths: list[int]) -> int:
    """Terminal columns a table with these column widths takes: one space of padding on each
    side of a cell, one rule between cells and one at each edge (rich's default box)."""
    return sum(widths) + 3 * len(widths) + 1


def _table(report: Report, width: int):
    """The rich table for ``report`` at ``width``, its width, the headers of the columns left
    out, and the notes of the columns shown."""
    from rich.table import Table

    rows = report.rows[:TABLE_ROWS]
    cells = [
        [shorten_digits((c.render or format_cell)(_row_value(row, c.key))) for c in report.columns] for row in rows
    ]
    kept, headers, widths = layout(report.columns, cells, width)
    table = Table(show_lines=False)
    for i, header, w in zip(kept, headers, widths, strict=True):
        table.add_column(header, justify=report.columns[i].justify, width=w, overflow="fold")
    for row in cells:
        table.add_row(*(row[i] for i in kept))
    left_out = [c.header for i, c in enumerate(report.columns) if i not in kept]
    notes = [note.format(header=h) for i, h in zip(kept, headers, strict=True) if (note := report.columns[i].note)]
    return table, table_width(widths), left_out, notes


def _print_text(console, text: str, width: int) -> None:
    for line in wrap_phrases(shorten_digits(text), width):
        console.out(line, highlight=False)
