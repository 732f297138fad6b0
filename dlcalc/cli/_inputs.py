"""Inputs: bounded reads of files and of stdin (``-``), refused past their limit before they are held."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator

from ._common import InputError
from ._files import (
    _CHUNK,
)

__all__ = ["InputStream", "open_input", "read_input"]


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
