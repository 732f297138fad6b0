"""Commands run in a real pseudo-terminal of a chosen size, and the screen a person would see.

The child gets a pty as stdin, stdout and stderr, with its window size set (``TIOCSWINSZ``)
and ``COLUMNS``/``LINES`` in the environment, so rich sees a terminal exactly as in a
person's shell. What it writes is replayed on a small terminal model: carriage returns,
cursor moves and line erasing (what rich's transient progress bar uses) are applied, and a
character written past the right edge is recorded as an overflow (a real terminal would
wrap the line there).
"""

from __future__ import annotations

import fcntl
import os
import pathlib
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len

ROOT = pathlib.Path(__file__).resolve().parent.parent
_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
_OTHER_ESCAPE = re.compile(r"\x1b[()][A-Za-z0-9]|\x1b[=>78]|\x1b\][^\x07]*\x07")


@dataclass
class Screen:
    """What a terminal of ``columns`` shows after the command ends."""

    lines: list[str]
    overflow: list[str]  # lines the program wrote past the right edge
    exit_code: int
    raw: bytes
    columns: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _Terminal:
    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.lines: list[list[str]] = [[]]
        self.row = self.col = 0
        self.overflow: set[int] = set()

    def _line(self) -> list[str]:
        while len(self.lines) <= self.row:
            self.lines.append([])
        return self.lines[self.row]

    def feed(self, text: str) -> None:
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                m = _CSI.match(text, i) or _OTHER_ESCAPE.match(text, i)
                if m is None:
                    i += 1
                    continue
                if m.re is _CSI:
                    self._csi(m.group(1), m.group(2))
                i = m.end()
                continue
            i += 1
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row += 1
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch == "\t":
                self.col = min(self.columns - 1, (self.col // 8 + 1) * 8)
            elif ch >= " ":
                self._put(ch)

    def _put(self, ch: str) -> None:
        width = cell_len(ch)
        if self.col + width > self.columns:
            self.overflow.add(self.row)
            self.row, self.col = self.row + 1, 0
        line = self._line()
        while len(line) < self.col:
            line.append(" ")
        if self.col < len(line):
            line[self.col] = ch
        else:
            line.append(ch)
        if width == 2:  # a wide character covers the next cell too
            if self.col + 1 < len(line):
                line[self.col + 1] = ""
            else:
                line.append("")
        self.col += width

    def _csi(self, params: str, command: str) -> None:
        n = int(params) if params.isdigit() else None
        if command == "A":
            self.row = max(0, self.row - (n or 1))
        elif command == "B":
            self.row += n or 1
        elif command == "C":
            self.col += n or 1
        elif command == "D":
            self.col = max(0, self.col - (n or 1))
        elif command == "G":
            self.col = (n or 1) - 1
        elif command == "K":
            line = self._line()
            if n in (None, 0):
                del line[self.col :]
            elif n == 1:
                line[: self.col] = [" "] * min(self.col, len(line))
            else:
                line.clear()
        # colours (m), modes (h, l) and the rest change nothing a test reads

    def screen(self, exit_code: int, raw: bytes) -> Screen:
        lines = ["".join(line) for line in self.lines]
        while lines and not lines[-1]:
            lines.pop()
        return Screen(
            lines,
            sorted("".join(self.lines[r]) for r in self.overflow if r < len(self.lines)),
            exit_code,
            raw,
            self.columns,
        )


def render(out: bytes, columns: int, exit_code: int = 0) -> Screen:
    """The screen that ``out`` leaves on a terminal ``columns`` wide."""
    term = _Terminal(columns)
    term.feed(out.decode("utf-8", "replace"))
    return term.screen(exit_code, out)


def spawn(
    argv: list[str], columns: int, cwd: str | os.PathLike | None = None, env: dict | None = None, rows: int = 50
) -> tuple[int, int]:
    """Start ``argv`` on a new pty of ``columns`` x ``rows``; returns ``(pid, master fd)``."""
    environ = dict(os.environ if env is None else env)
    environ.update(COLUMNS=str(columns), LINES=str(rows), TERM="xterm-256color")
    environ.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the pty
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, environ)
        finally:
            os._exit(127)
    return pid, fd


def read_until(fd: int, done: Callable[[bytes], bool], timeout: float, seen: bytes = b"") -> bytes:
    """Read the pty until ``done(output)`` holds, the child closes it, or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    out = seen
    while not done(out):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child has gone and the pty is closed
            break
        if not chunk:
            break
        out += chunk
    return out


def reap(pid: int, timeout: float = 30) -> int:
    """The child's wait status, killing it if it has not ended within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def dlcalc_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "dlcalc", *args]


def dlcalc_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _child_runs_dlcalc(args: list[str], columns: int, rows: int, cwd) -> None:
    """In a child of :func:`pty.fork`: run the command line in this (already forked) interpreter."""
    code = 127
    try:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.environ.update(COLUMNS=str(columns), LINES=str(rows), TERM="xterm-256color")
        os.environ.pop("NO_COLOR", None)
        if cwd is not None:
            os.chdir(cwd)
        # the test runner's captured streams are not the pty: speak to file descriptors 0, 1, 2
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from dlcalc.cli import cli

        try:
            cli.main(args, prog_name="dlcalc")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def run_sequences(sequences: dict, rows: int = 50, timeout: float = 120) -> dict:
    """Run several sequences of ``dlcalc`` command lines side by side, each command in its own pty.

    ``sequences`` maps a key to ``(columns, cwd, [args, ...])``; the commands of one sequence
    run one after another (later ones may read what earlier ones wrote), the sequences at the
    same time. Each command runs in a child forked from this interpreter, with ``dlcalc``
    already imported, which spares the start-up of a new Python per command. Returns the
    screens, per key in order.
    """
    screens = {key: [] for key in sequences}
    pending = {key: list(cmds) for key, (_, _, cmds) in sequences.items()}
    running: dict[int, tuple] = {}  # fd -> (key, pid, output so far)

    def start(key):
        if pending[key]:
            columns, cwd, _ = sequences[key]
            args = pending[key].pop(0)
            pid, fd = pty.fork()
            if pid == 0:
                _child_runs_dlcalc(args, columns, rows, cwd)
            running[fd] = (key, pid, b"")

    for key in sequences:
        start(key)
    deadline = time.monotonic() + timeout * sum(len(c) for _, _, c in sequences.values())
    while running and time.monotonic() < deadline:
        for fd in select.select(list(running), [], [], 1.0)[0]:
            key, pid, out = running[fd]
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                running[fd] = (key, pid, out + chunk)
                continue
            del running[fd]
            os.close(fd)
            status = reap(pid)
            screens[key].append(render(out, sequences[key][0], os.waitstatus_to_exitcode(status)))
            start(key)
    for fd, (_, pid, _) in running.items():
        os.kill(pid, signal.SIGKILL)
        reap(pid)
        os.close(fd)
    return screens


def run_in_terminal(
    args: list[str], columns: int, cwd=None, interrupt_when: Callable[[bytes], bool] | None = None, timeout: float = 120
) -> Screen:
    """Run ``dlcalc ARGS`` in a pty ``columns`` wide and return the screen it leaves.

    With ``interrupt_when``, Ctrl-C is typed (``^C`` through the terminal's line discipline,
    which sends SIGINT to the foreground process group) as soon as the output satisfies it.
    """
    pid, fd = spawn(dlcalc_argv(*args), columns, cwd, dlcalc_env())
    try:
        out = b""
        if interrupt_when is not None:
            out = read_until(fd, interrupt_when, timeout)
            if interrupt_when(out):
                os.write(fd, b"\x03")
        out = read_until(fd, lambda _: False, timeout, out)
    finally:
        status = reap(pid)
        os.close(fd)
    return render(out, columns, os.waitstatus_to_exitcode(status))


@dataclass
class Table:
    """A rich table read off the screen: header phrases and body rows, cell by cell."""

    headers: list[str]
    rows: list[list[str]]
    lines: list[str]


def tables(screen: Screen) -> list[Table]:
    """Every box-drawn table on the screen."""
    lines = screen.lines

    def cells(start: int, edge: str) -> tuple[list[list[str]], int]:
        """The cells of the lines from ``start`` that begin with ``edge``, and the index after them."""
        end = start
        while end < len(lines) and lines[end].startswith(edge):
            end += 1
        return [line.strip(edge).split(edge) for line in lines[start:end]], end

    found, i = [], 0
    while i < len(lines):
        if not lines[i].startswith("┏"):
            i += 1
            continue
        header_lines, after_header = cells(i + 1, "┃")
        assert after_header < len(lines) and lines[after_header].startswith("┡"), "a table header must end in a rule"
        body, end = cells(after_header + 1, "│")
        assert end < len(lines) and lines[end].startswith("└"), "a table must end in a bottom rule"
        n = len(header_lines[0]) if header_lines else 0
        headers = [" ".join(w for line in header_lines for w in line[j].split()) for j in range(n)]
        found.append(Table(headers, [[c.strip() for c in row] for row in body], lines[i : end + 1]))
        i = end + 1
    return found
