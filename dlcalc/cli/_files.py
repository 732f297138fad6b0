"""Files: bounded reads of inputs (``-`` for stdin) and all-or-nothing writes of outputs.

Inputs are read incrementally: cheap checks (the first bytes, the declared sizes)
come before anything sized by the input is read, and every message names the
file (or ``stdin``).

Outputs (README, "Pipes and files"):

- ``-`` is stdout (refused for outputs that need a file type, such as ``--plot``);
- the directory of every output is checked before the work: a missing or
  unwritable directory is refused up front, naming it;
- a new file appears atomically (a temporary file beside it, then linked into
  place, or created exclusively where links are not possible) and never
  replaces a file that appeared meanwhile: without ``--force`` the later of two
  writers refuses;
- an existing regular file is replaced only with ``--force``;
- a symbolic link, dangling or not, is never followed: without ``--force`` it
  is refused; with ``--force`` the link itself is replaced by a regular file,
  unless it points to something other than a regular file (a device, a FIFO,
  ``/dev/stdout``), which is refused like that thing itself;
- directories, FIFOs, devices and sockets are refused, with or without
  ``--force`` (write to stdout with ``-o -`` and redirect instead);
- the files of one command (``encode --coder both``) are written all or none;
- SIGINT, SIGTERM or SIGHUP during a write removes the temporary files, and
  the process then ends as that signal says;
- every output is limited to ``--max-output`` bytes: weighed before the work
  where its size follows from the class, and counted while it is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import click

from ..core import readable_bytes
from ._common import InputError
from ._params import ByteSizeType

__all__ = [
    "announce",
    "shown",
    "announce_written",
    "OutputTooLarge",
    "check_output_size",
    "check_output",
    "write_outputs",
    "write_output",
    "atomic_output",
    "atomic_outputs",
    "max_output_option",
    "force_option",
]

#: Bytes read at a time from an input whose size is not known in advance.
_CHUNK = 1 << 20


# ----------------------------------------------------------------------------- outputs


def announce(message: str) -> None:
    """A message for people (``wrote FILE``): stderr, never mixed into results, always one line
    (a newline or another control character in it, from a file name, is written escaped)."""
    if not message.isprintable():
        message = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    click.echo(message, err=True)


def shown(path: str) -> str:
    """A file name as a one-line message shows it: as given, or quoted (``repr``) when it holds a
    newline or another character that is not printable."""
    return path if path.isprintable() else repr(path)


def announce_written(path: str) -> None:
    """``wrote FILE`` on stderr (nothing for stdout)."""
    if path != "-":
        announce(f"wrote {shown(path)}")


#: Default of ``--max-output``: the bytes one command may write (a file, or an export to stdout).
DEFAULT_MAX_OUTPUT = 4 << 30


class OutputTooLarge(InputError):
    """An output over ``--max-output``: refused up front, or stopped while it is written (exit code 2)."""


def check_output_size(size: int, max_output: int, what: str, estimate: bool = False) -> None:
    """Refuse up front an output of ``size`` bytes (``estimate``: at least about that many) over the
    ``--max-output`` budget; ``what`` names the output."""
    if size > max_output:
        raise OutputTooLarge(
            f"{what}: {'about ' if estimate else ''}{readable_bytes(size)} to write, over the budget of "
            f"{readable_bytes(max_output)} (raise --max-output)"
        )


class _Limited:
    """A binary output that refuses to grow beyond ``limit`` bytes (the rest passes through)."""

    def __init__(self, fh, limit: int, name: str) -> None:
        self._fh, self._limit, self._name, self.written = fh, limit, name, 0

    def write(self, data) -> int:
        self.written += len(data)
        if self.written > self._limit:
            raise OutputTooLarge(
                f"{self._name}: the output grew beyond the budget of {readable_bytes(self._limit)} and was "
                "stopped (raise --max-output)"
            )
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_output(
    path: str,
    force: bool,
    option: str = "output",
    extensions: tuple[str, ...] | None = None,
    stdout: bool = True,
) -> None:
    """Refuse up front an output that may not be written (module docstring), or whose name does not
    end in one of ``extensions``: call it before any work.  ``-`` is stdout, refused with ``stdout=False``."""
    if path == "-":
        if not stdout:
            listed = "" if extensions is None else f" ({_listed(extensions)})"
            raise InputError(f"{option} -: this output needs a file name{listed}, not stdout")
        return
    if not path:
        raise InputError(f"{option}: an empty file name")
    name = shown(path)
    if extensions is not None and os.path.splitext(path)[1].lower() not in extensions:
        raise InputError(f"{option} {name}: use a {_listed(extensions)} file name")
    _check_directory(path, option)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        if not force:
            raise InputError(
                f"{name} is a symbolic link; pass --force to replace the link itself (it is never followed)"
            )
        try:
            target = os.stat(path)
        except OSError:
            return  # dangling: the link is replaced
        if not stat.S_ISREG(target.st_mode):
            raise InputError(
                f"{name} is a symbolic link to {_kind(target.st_mode)}; dlcalc writes only regular files "
                "(use -o - and a redirection)"
            )
        return
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{name} is {_kind(st.st_mode)}; dlcalc writes only regular files (use -o - and a redirection)"
        )
    if not force:
        raise InputError(f"{name} exists; pass --force to overwrite it")


def _listed(extensions: tuple[str, ...]) -> str:
    return ", ".join(extensions[:-1]) + " or " + extensions[-1] if len(extensions) > 1 else extensions[0]


def _check_directory(path: str, option: str) -> None:
    """The directory an output goes to exists, is a directory, and can take a new file."""
    directory = os.path.dirname(path) or "."
    name = shown(directory)
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        raise InputError(f"{option} {shown(path)}: directory {name} does not exist") from None
    except OSError as exc:
        raise InputError(f"{option} {shown(path)}: cannot use directory {name}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{option} {shown(path)}: {name} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise InputError(f"{option} {shown(path)}: directory {name} is not writable")


def _file_mode(path: str) -> int:
    """The replaced regular file's mode, or what a plain open() would give (0o666 less the umask)."""
    try:
        st = os.lstat(path)
        if stat.S_ISREG(st.st_mode):
            return st.st_mode & 0o7777
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Transaction:
    """Temporary files and renames of one all-or-nothing write, undone on failure or on a signal."""

    def __init__(self) -> None:
        self.temps: list[str] = []
        self.created: list[str] = []  # targets that did not exist before
        self.replaced: list[tuple[str, str | None]] = []  # (target, hard link to the old file, or None)

    def undo(self) -> None:
        for path in reversed(self.created):
            with contextlib.suppress(OSError):
                os.unlink(path)
        for path, backup in reversed(self.replaced):
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.replace(backup, path)
        self.forget()

    def forget(self) -> None:
        for tmp in self.temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.temps.clear()
        self.created.clear()
        self.replaced.clear()


@contextlib.contextmanager
def _blocked_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back (they are delivered afterwards) while files are renamed or removed."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _undone_on_signal(tx: _Transaction) -> Iterator[None]:
    """While ``tx`` holds temporary files, SIGINT/SIGTERM/SIGHUP first undo it, then act as before.

    The handler runs between two Python steps of the writing code, never inside a
    rename (those run with the signals blocked), so the transaction it undoes is
    always consistent.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}

    def handler(signum, frame):
        with _blocked_signals():  # a second signal waits until the files are gone
            tx.undo()
            for s, h in previous.items():
                signal.signal(s, h)
        signal.raise_signal(signum)  # the previous disposition: terminate, or KeyboardInterrupt for SIGINT

    for s in _SIGNALS:
        old = signal.getsignal(s)
        if old in (signal.SIG_IGN, None):  # ignored (nohup) or not set from Python: leave it alone
            continue
        previous[s] = old
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def write_outputs(files: list[tuple[str, bytes]], force: bool, max_output: int | None = None) -> None:
    """Write every ``(path, data)`` or none of them (module docstring); ``-`` writes to stdout.
    With ``max_output``, the whole write is refused before a byte is written if larger."""
    if max_output is not None:
        names = dict.fromkeys("stdout" if path == "-" else shown(path) for path, _ in files)
        check_output_size(sum(len(data) for _, data in files), max_output, " and ".join(names))
    with atomic_outputs([path for path, _ in files], force) as handles:
        for fh, (_, data) in zip(handles, files, strict=True):
            fh.write(data)


def write_output(path: str, data: bytes, force: bool, max_output: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically, or to stdout for ``-`` (:func:`atomic_outputs`)."""
    write_outputs([(path, data)], force, max_output)


@contextlib.contextmanager
def atomic_output(path: str, force: bool, max_output: int | None = None) -> Iterator:
    """One binary file to stream an output into (:func:`atomic_outputs`)."""
    with atomic_outputs([path], force, max_output) as (fh,):
        yield fh


def _stdout_buffer():
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        raise click.ClickException("cannot write to stdout: stdout is closed")
    return out


#: A hook run just before the finished files are put in place (tests race a second writer there).
_before_commit: Callable[[list[str]], None] | None = None


@contextlib.contextmanager
def atomic_outputs(paths: list[str], force: bool, max_output: int | None = None) -> Iterator[list]:
    """Binary files to stream outputs into (stdout for ``-``): temporary files beside their targets,
    all put in place when the block ends, or none (module docstring) if it fails or is interrupted.
    With ``max_output``, each stops (and the write fails) once it grows beyond that many bytes."""
    files = [path for path in paths if path != "-"]
    for path in files:
        check_output(path, force)  # again: the file system may have changed since the command began
    tx = _Transaction()
    handles: dict[str, BinaryIO] = {}
    current = files[0] if files else "-"
    try:
        with _undone_on_signal(tx):
            for path in files:
                current = path
                with _blocked_signals():
                    fd, tmp = tempfile.mkstemp(
                        prefix=".dlcalc-", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path))
                    )
                    tx.temps.append(tmp)
                handles[path] = os.fdopen(fd, "wb")
            outs = [_stdout_buffer() if path == "-" else handles[path] for path in paths]
            if max_output is not None:
                outs = [
                    _Limited(fh, max_output, "stdout" if p == "-" else shown(p))
                    for fh, p in zip(outs, paths, strict=True)
                ]
            yield outs
            for path, tmp in zip(files, list(tx.temps), strict=True):
                current = path
                fh = handles.pop(path)
                with fh:
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, _file_mode(path))
            if _before_commit is not None:
                _before_commit(files)
            with _blocked_signals():
                try:
                    for path, tmp in zip(files, list(tx.temps), strict=True):
                        current = path
                        _commit(tx, tmp, path, keep_old=len(files) > 1, force=force)
                except BaseException:
                    tx.undo()
                    raise
                tx.forget()  # every file is in place: drop the temporary names and the old files
        if "-" in paths:
            current = "-"
            _stdout_buffer().flush()
    except BaseException as exc:
        for fh in handles.values():
            with contextlib.suppress(OSError):
                fh.close()
        with _blocked_signals():
            tx.undo()
        if isinstance(exc, OSError):
            if exc.errno == errno.EPIPE:  # the reader of stdout has gone: the command ends quietly
                raise
            name = "stdout" if current == "-" else shown(current)
            raise click.ClickException(f"cannot write {name}: {exc.strerror or exc}") from None
        raise


def _commit(tx: _Transaction, tmp: str, path: str, keep_old: bool, force: bool = True) -> None:
    """Move a finished temporary file to ``path``: linked if ``path`` is new (never clobbering a file
    that appeared meanwhile: where links are not possible, ``path`` is first created exclusively),
    renamed over it if it is to be replaced, which only ``force`` allows (a hard link keeps the old
    file until every file of the write is in place)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise _appeared(path) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            try:  # a file system without hard links: claim the name first, then rename over the claim
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                raise _appeared(path) from None
            tx.created.append(path)
            os.replace(tmp, path)
            return
        tx.created.append(path)
        return
    if not force:
        raise _appeared(path)
    backup = None
    if keep_old:  # several files: keep the old one until all are in place
        backup = tmp[: -len(".tmp")] + ".old.tmp"
        try:
            os.link(path, backup, follow_symlinks=False)
            tx.temps.append(backup)
        except OSError:
            backup = None
    os.replace(tmp, path)
    tx.replaced.append((path, backup))


def _appeared(path: str) -> InputError:
    return InputError(
        f"{shown(path)} appeared while it was being written (another writer?); nothing was replaced "
        "(pass --force to replace it)"
    )


def max_output_option(f: Callable) -> Callable:
    """``--max-output``: the bytes a command may write (a file, or an export to stdout)."""
    return click.option(
        "--max-output",
        type=ByteSizeType(),
        default=DEFAULT_MAX_OUTPUT,
        show_default="4GiB",
        help="Refuse up front an output (file or stdout) larger than this many bytes, and stop one "
        "that grows beyond it (e.g. 64GiB).",
    )(f)


def force_option(f_or_what: Callable | str = "output file") -> Callable:
    """``--force``: replace an existing output file. Used bare (``@force_option``) or naming
    the output it is for (``@force_option("--plot file")``)."""
    if callable(f_or_what):
        return force_option()(f_or_what)
    return click.option(
        "--force",
        is_flag=True,
        help=f"Overwrite an existing {f_or_what} (a symbolic link is replaced, never followed).",
    )
