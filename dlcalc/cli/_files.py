"""Files: bounded reads of inputs (``-`` for stdin) and all-or-nothing writes of outputs.

Inputs are read incrementally: cheap checks (the first bytes, the declared sizes)
come before anything sized by the input is read, and every message names the
file (or ``stdin``).

Outputs (README, "Pipes and files"):

- ``-`` is stdout;
- a new file appears atomically (a temporary file beside it, then linked into
  place) and never replaces a file that appeared meanwhile;
- an existing regular file is replaced only with ``--force``;
- a symbolic link, dangling or not, is never followed: without ``--force`` it
  is refused; with ``--force`` the link itself is replaced by a regular file,
  unless it points to something other than a regular file (a device, a FIFO,
  ``/dev/stdout``), which is refused like that thing itself;
- directories, FIFOs, devices and sockets are refused, with or without
  ``--force`` (write to stdout with ``-o -`` and redirect instead);
- the files of one command (``encode --coder both``) are written all or none;
- SIGINT, SIGTERM or SIGHUP during a write removes the temporary files, and
  the process then ends as that signal says.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import click

from ._common import InputError

#: Bytes read at a time from an input whose size is not known in advance.
_CHUNK = 1 << 20


# ----------------------------------------------------------------------------- inputs


class InputStream:
    """A binary input (a file or stdin) with its name for messages; read errors become one-line :class:`InputError`."""

    def __init__(self, fh, name: str, what: str) -> None:
        self.fh, self.name, self.what = fh, name, what

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the input)."""
        try:
            return self.fh.read(n)
        except OSError as exc:
            raise InputError(f"cannot read {self.what} {self.name}: {exc.strerror or exc}") from None

    def size(self) -> int | None:
        """The size of a regular file, None for pipes, devices and stdin."""
        try:
            st = os.fstat(self.fh.fileno())
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None


@contextlib.contextmanager
def open_input(path: str, what: str) -> Iterator[InputStream]:
    """Open a file, or stdin for ``-``, for reading."""
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError(f"cannot read {what} from stdin: stdin is closed")
        yield InputStream(stream, "stdin", what)
        return
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    with fh:
        yield InputStream(fh, path, what)


def read_input(path: str, limit: int, what: str, starts_with: bytes | None = None) -> bytes:
    """Read a file or ``-`` (stdin), refusing anything larger than ``limit`` bytes as soon as that is known,
    and (with ``starts_with``) anything whose first non-blank byte is another one after the first chunk."""
    with open_input(path, what) as src:
        size = src.size()
        if size is not None and size > limit:
            raise InputError(f"{what} {src.name}: {size} bytes is larger than the limit of {limit}")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = src.read(min(_CHUNK, limit + 1 - total))
            if starts_with is not None and not chunks:
                head = chunk.lstrip()
                if chunk and (head[:1] not in (b"", starts_with)):
                    raise InputError(f"{what} {src.name}: not a JSON object (it starts with {head[:8]!r})")
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(f"{what} {src.name} is larger than the limit of {limit} bytes")
        return b"".join(chunks)


# ----------------------------------------------------------------------------- outputs


def announce(message: str) -> None:
    """A message for people (``wrote FILE``): stderr, never mixed into results."""
    click.echo(message, err=True)


_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a directory",
}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def check_output(path: str, force: bool, option: str = "output", extensions: tuple[str, ...] | None = None) -> None:
    """Refuse up front an output that may not be written (module docstring), or whose name does not
    end in one of ``extensions``: call it before any work.  ``-`` (stdout) is always allowed."""
    if path == "-":
        return
    if not path:
        raise InputError(f"{option}: an empty file name")
    if extensions is not None and os.path.splitext(path)[1].lower() not in extensions:
        listed = ", ".join(extensions[:-1]) + " or " + extensions[-1] if len(extensions) > 1 else extensions[0]
        raise InputError(f"{option} {path}: use a {listed} file name")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        if not force:
            raise InputError(
                f"{path} is a symbolic link; pass --force to replace the link itself (it is never followed)"
            )
        try:
            target = os.stat(path)
        except OSError:
            return  # dangling: the link is replaced
        if not stat.S_ISREG(target.st_mode):
            raise InputError(
                f"{path} is a symbolic link to {_kind(target.st_mode)}; dlcalc writes only regular files "
                "(use -o - and a redirection)"
            )
        return
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{path} is {_kind(st.st_mode)}; dlcalc writes only regular files (use -o - and a redirection)"
        )
    if not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")


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


def write_outputs(files: list[tuple[str, bytes]], force: bool) -> None:
    """Write every ``(path, data)`` or none of them (module docstring); ``-`` writes to stdout."""
    with atomic_outputs([path for path, _ in files], force) as handles:
        for fh, (_, data) in zip(handles, files, strict=True):
            fh.write(data)


def write_output(path: str, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` atomically, or to stdout for ``-`` (:func:`atomic_outputs`)."""
    write_outputs([(path, data)], force)


@contextlib.contextmanager
def atomic_output(path: str, force: bool) -> Iterator:
    """One binary file to stream an output into (:func:`atomic_outputs`)."""
    with atomic_outputs([path], force) as (fh,):
        yield fh


def _stdout_buffer():
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        raise click.ClickException("cannot write to stdout: stdout is closed")
    return out


@contextlib.contextmanager
def atomic_outputs(paths: list[str], force: bool) -> Iterator[list]:
    """Binary files to stream outputs into (stdout for ``-``): temporary files beside their targets,
    all put in place when the block ends, or none (module docstring) if it fails or is interrupted."""
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
            yield [_stdout_buffer() if path == "-" else handles[path] for path in paths]
            for path, tmp in zip(files, list(tx.temps), strict=True):
                current = path
                fh = handles.pop(path)
                with fh:
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, _file_mode(path))
            with _blocked_signals():
                try:
                    for path, tmp in zip(files, list(tx.temps), strict=True):
                        current = path
                        _commit(tx, tmp, path, keep_old=len(files) > 1)
                except BaseException:
                    tx.undo()
                    raise
                tx.forget()  # every file is in place: drop the temporary names and the old files
        if "-" in paths:
            _stdout_buffer().flush()
    except BaseException as exc:
        for fh in handles.values():
            with contextlib.suppress(OSError):
                fh.close()
        with _blocked_signals():
            tx.undo()
        if isinstance(exc, OSError):
            raise click.ClickException(f"cannot write {current}: {exc.strerror or exc}") from None
        raise


def _commit(tx: _Transaction, tmp: str, path: str, keep_old: bool) -> None:
    """Move a finished temporary file to ``path``: linked if ``path`` is new (never clobbering a file
    that appeared meanwhile), renamed over it if it is to be replaced (a hard link keeps the old file
    until every file of the write is in place)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise InputError(f"{path} appeared while it was being written; nothing was replaced") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
            os.replace(tmp, path)  # a file system without hard links
        tx.created.append(path)
        return
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
