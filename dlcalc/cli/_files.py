"""Files: bounded reads of inputs (``-`` for stdin) and atomic writes of outputs."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable

import click

from ._common import InputError

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
    with atomic_output(path, force) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_output(path: str, force: bool):
    """A binary file to stream an output into: stdout for ``-``, else a temporary file renamed over
    ``path`` when the block ends (removed, and ``path`` untouched, if it fails or is interrupted)."""
    if path == "-":
        out = sys.stdout.buffer
        yield out
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
            yield fh
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


def check_output(path: str, force: bool, option: str, extensions: tuple[str, ...] | None = None) -> None:
    """Refuse an output before any work: a name whose extension is not one of ``extensions``,
    or an existing file without ``--force`` (``-``, stdout, is always allowed)."""
    if path == "-":
        return
    if extensions is not None and os.path.splitext(path)[1].lower() not in extensions:
        listed = ", ".join(extensions[:-1]) + " or " + extensions[-1] if len(extensions) > 1 else extensions[0]
        raise InputError(f"{option} {path}: use a {listed} file name")
    if os.path.exists(path) and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")


def force_option(f_or_what: Callable | str = "output file") -> Callable:
    """``--force``: overwrite an existing output file. Used bare (``@force_option``) or naming
    the output it is for (``@force_option("--plot file")``)."""
    if callable(f_or_what):
        return force_option()(f_or_what)
    return click.option("--force", is_flag=True, help=f"Overwrite an existing {f_or_what}.")
