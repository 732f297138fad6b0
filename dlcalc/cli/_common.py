"""Shared command-line plumbing: output formats, instance options, files, errors.

Conventions (README, "Output and exit codes"): results go to stdout, messages
and progress to stderr; ``--format table|json|ndjson|csv`` on every command;
JSON with ``schema_version`` and sorted keys; exit 0 ok, 1 failure, 2 bad input
or usage, 3 verification failed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import click

from .. import DEFAULT_MAX_CELLS, DlcalcError, Instance, family_heads, parse_heads, parse_number
from .._errors import FormatError
from .._instance import FAMILY_NAMES, MAX_INSTANCE_BYTES

SCHEMA_VERSION = 1
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_VERIFY = 3
FORMATS = ("table", "json", "ndjson", "csv")
DEFAULT_INSTANCE = {"family": "walsh-all", "beta": 1.0, "depth": 10, "seed": 0}


class InputError(click.ClickException):
    """Bad input detected by the tool: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


class VerificationFailed(click.ClickException):
    """A decoded function misses its accuracy target: exit code 3."""

    exit_code = EXIT_VERIFY


# ----------------------------------------------------------------------------- parameter types


class NumberType(click.ParamType):
    """A float that also accepts ``2^-10``; ``positive`` requires > 0."""

    name = "number"

    def __init__(self, positive: bool = True) -> None:
        self.positive = positive

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            x = parse_number(value, "value")
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if self.positive and not x > 0:
            self.fail(f"{value!r} must be > 0", param, ctx)
        return x


class EpsListType(click.ParamType):
    """``0.5,0.1,2^-10``: a comma-separated list of accuracies ε > 0."""

    name = "eps[,eps...]"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        out = []
        for part in str(value).split(","):
            if not part.strip():
                continue
            try:
                x = parse_number(part, "eps")
            except DlcalcError as exc:
                self.fail(str(exc), param, ctx)
            if not x > 0:
                self.fail(f"eps {part.strip()!r} must be > 0", param, ctx)
            out.append(x)
        if not out:
            self.fail("no eps given", param, ctx)
        return out


class SweepType(click.ParamType):
    """``A:B`` (every power of two between two powers of two, else 20 log-spaced
    points) or ``A:B:N`` (N log-spaced points), largest ε first."""

    name = "first:last[:n]"

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        parts = str(value).split(":")
        if len(parts) not in (2, 3):
            self.fail(f"{value!r} is not first:last[:n], e.g. 2^-1:2^-40", param, ctx)
        try:
            a, b = (parse_number(p, "eps") for p in parts[:2])
        except DlcalcError as exc:
            self.fail(str(exc), param, ctx)
        if not (a > 0 and b > 0):
            self.fail("sweep ends must be > 0", param, ctx)
        hi, lo = max(a, b), min(a, b)
        la, lb = math.log2(hi), math.log2(lo)
        if len(parts) == 2 and la.is_integer() and lb.is_integer():
            return [math.ldexp(1.0, e) for e in range(int(la), int(lb) - 1, -1)]
        try:
            n = int(parts[2]) if len(parts) == 3 else 20
        except ValueError:
            self.fail(f"sweep count {parts[2]!r} is not an integer", param, ctx)
        if not 1 <= n <= 100_000:
            self.fail("sweep count must be between 1 and 100000", param, ctx)
        if n == 1:
            return [hi]
        return [2.0 ** (la + (lb - la) * i / (n - 1)) for i in range(n)]


def eps_values(eps: list[float] | None, sweep: list[float] | None, default: list[float]) -> list[float]:
    values = (eps or []) + (sweep or [])
    return values or list(default)


# ----------------------------------------------------------------------------- output


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


# ----------------------------------------------------------------------------- files


def read_input(path: str, limit: int, what: str) -> bytes:
    """Read a file or ``-`` (stdin), refusing anything larger than ``limit`` bytes."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        try:
            size = os.stat(path).st_size
            if size > limit:
                raise InputError(f"{what} {path}: {size} bytes is larger than the limit of {limit}")
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{what} on stdin is larger than the limit of {limit} bytes")
    return data


def announce(message: str) -> None:
    """A message for people (``wrote FILE``): stderr, never mixed into results."""
    click.echo(message, err=True)


def _file_mode(path: str) -> int:
    """The replaced file's mode, or what a plain open() would give (0o666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_output(path: str, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename), or to stdout for ``-``.

    An existing file is kept unless ``force``; on any error or interrupt nothing
    half-written is left behind.
    """
    if path == "-":
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    if os.path.exists(path) and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dlcalc-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def force_option(f: Callable) -> Callable:
    return click.option("--force", is_flag=True, help="Overwrite an existing output file.")(f)


# ----------------------------------------------------------------------------- instances


def max_cells_option(f: Callable) -> Callable:
    return click.option(
        "--max-cells",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_CELLS,
        show_default=True,
        help="Refuse up front any work that would materialize more cells or flip bits than this.",
    )(f)


def instance_options(f: Callable) -> Callable:
    """``[INSTANCE]`` or inline ``--depth/--seed/--head/--family/--beta`` (THEORY §2-§3)."""
    opts = [
        click.argument("instance", required=False, metavar="[INSTANCE]"),
        click.option("--depth", "-d", type=click.IntRange(min=0), default=None, help="Depth D of the shared feature [default: 10]."),
        click.option("--seed", "-s", type=click.IntRange(min=0), default=None, help="Seed of the flip bits [default: 0]."),
        click.option(
            "--head", "heads", multiple=True, metavar="SPEC",
            help="Head spec, repeatable: walsh:5, walsh:1-63, sawtooth:0-4@0.25.",
        ),
        click.option("--family", type=click.Choice(FAMILY_NAMES), default=None, help="Family shortcut: all Walsh or sawtooth heads up to the depth."),
        click.option("--beta", type=NumberType(), default=None, help="Decay of the family's amplitudes [default: 1]."),
        max_cells_option,
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def heads_from_options(heads: tuple[str, ...], family: str | None, beta: float | None, depth: int | None):
    """Heads and family record from inline options; None if none were given."""
    if not heads and family is None:
        if beta is not None:
            raise InputError("--beta needs --family")
        return None, None
    out = []
    fam = None
    if family is not None:
        b = 1.0 if beta is None else beta
        out += family_heads(family, b, DEFAULT_INSTANCE["depth"] if depth is None else depth)
        fam = {"name": family, "beta": b}
    elif beta is not None:
        raise InputError("--beta needs --family")
    for spec in heads:
        out += parse_heads(spec)
    return out, fam


def load_instance(instance, depth, seed, heads, family, beta, max_cells) -> Instance:
    """The instance a command works on: a file (``-`` for stdin), inline options, or the default."""
    if instance is not None:
        if heads or family or depth is not None or seed is not None or beta is not None:
            raise InputError("give either an INSTANCE file or inline options (--depth/--seed/--head/--family/--beta), not both")
        data = read_input(instance, MAX_INSTANCE_BYTES, "instance")
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):
            raise FormatError(f"instance {instance}: not valid JSON") from None
        if isinstance(parsed, dict) and isinstance(parsed.get("instance"), dict) and "dlcalc" not in parsed:
            parsed = parsed["instance"]  # a command's JSON output carries its instance
        try:
            return Instance.from_dict(parsed, max_cells=max_cells)
        except DlcalcError as exc:
            raise type(exc)(f"instance {instance}: {exc}") from None
    head_list, fam = heads_from_options(heads, family, beta, depth)
    if head_list is None:
        d = DEFAULT_INSTANCE["depth"] if depth is None else depth
        head_list = family_heads(DEFAULT_INSTANCE["family"], DEFAULT_INSTANCE["beta"], d)
        fam = {"name": DEFAULT_INSTANCE["family"], "beta": DEFAULT_INSTANCE["beta"]}
    return Instance.build(
        DEFAULT_INSTANCE["depth"] if depth is None else depth,
        head_list,
        seed=DEFAULT_INSTANCE["seed"] if seed is None else seed,
        family=fam,
        max_cells=max_cells,
    )


def instance_summary(inst: Instance) -> str:
    fam = inst.family
    what = f"{fam['name']} β={fam['beta']:g}, " if fam else ""
    return f"depth {inst.depth}, seed {inst.seed if inst.seed is not None else 'explicit flips'}, {what}{len(inst.heads)} heads"
