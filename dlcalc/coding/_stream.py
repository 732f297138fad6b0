"""Streams of ``.dlc`` files read incrementally, one file at a time (THEORY §6; ``docs/format.md``).

Each file's fixed fields are checked after its first bytes, its header and section table against
the class they name before its sections are read, and its cost weighed there: a stream that is
no ``.dlc`` file, or a lying header, is refused before anything sized by it is read.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator

import numpy as np

from .._errors import FormatError
from ..core._budget import Budget
from ..cost._coding import STREAM_FILE_STEPS, decode_steps
from ..cost._cost import Cost, Step, group_work
from ..quantize._groups import QuantizedClass
from . import _container  # its limits, read when a file is (tests narrow them there)
from ._container import (
    _FIXED,
    Container,
    _check_fixed,
    _check_section_count,
    _finish,
    _parse_header,
    expected_sections,
)

__all__ = ["read_stream", "iter_stream", "iter_containers"]


def read_stream(
    read: Callable[[int], bytes],
    max_cells: int | None = None,
    budget: Budget | None = None,
    limit: int | None = None,
) -> list[bytes]:
    """The ``.dlc`` files of a stream (one, or several back to back), read incrementally, all held.

    :func:`iter_stream` listed: a caller that can process one file at a time should iterate
    that instead, so that each file is dropped before the next is read.
    """
    return list(iter_stream(read, budget=Budget.of(budget, max_cells=max_cells), limit=limit))


def iter_stream(
    read: Callable[[int], bytes],
    budget: Budget | None = None,
    limit: int | None = None,
    stream_limit: int | None = None,
) -> Iterator[bytes]:
    """The ``.dlc`` files of a stream (one, or several back to back), read and yielded one at a time.

    ``read(n)`` returns up to ``n`` bytes (fewer only at the end).  Each file's
    fixed fields are checked after its first 16 bytes (its header length against
    :data:`~dlcalc.coding.MAX_HEADER_BYTES` before the header is read), its header and section
    table against the class they name before its sections are read, so a stream
    that is no ``.dlc`` file (``/dev/zero``, a large pipe, a sparse file) is
    refused at once and a lying header before its payload is read.  Each file is
    then complete; :func:`read_container` checks the rest (checksum, padding,
    the cost of decoding it).  A file is at most ``limit`` bytes (by default the format's limit); the files
    together at most ``stream_limit`` (no bound when None).  Nothing of a file is
    kept once it is yielded: a caller that drops it holds one file at a time.
    """
    for data, *_ in _files(read, budget or Budget(), limit, stream_limit, None, "decoding this .dlc file"):
        yield data


def iter_containers(
    read: Callable[[int], bytes],
    budget: Budget | None = None,
    limit: int | None = None,
    stream_limit: int | None = None,
    weigh: Callable[[str, QuantizedClass], Cost] | None = None,
    what: str = "decoding this .dlc file",
) -> Iterator[Container]:
    """The files of a stream as checked :class:`Container` objects, one at a time (:func:`iter_stream`).

    Each file is read once: its header parsed once, its class quantized once, its cost weighed
    once (``weigh(coder, class)``, by default the cost of decoding it; a caller that will also
    export or verify it adds those steps) before its sections are read, its checksum computed
    once.  A caller that drops each container before the next holds one file at a time.
    """
    budget = budget or Budget()
    for data, version, coder, qclass, pos in _files(read, budget, limit, stream_limit, weigh, what):
        if zlib.crc32(memoryview(data)[:-4]) != struct.unpack(">I", data[-4:])[0]:
            raise FormatError("checksum mismatch: the .dlc file is corrupt or truncated")
        yield _finish(data, version, coder, qclass, pos)


def _files(
    read: Callable[[int], bytes],
    budget: Budget,
    limit: int | None,
    stream_limit: int | None,
    weigh: Callable[[str, QuantizedClass], Cost] | None,
    what: str,
) -> Iterator[tuple[bytes, int, str, QuantizedClass, int]]:
    """``(data, version, coder, class, offset of the section count)`` of each file of the stream."""
    limit = _container.MAX_FILE_BYTES if limit is None else limit
    count = total = 0
    spent_cells = spent_bits = units = 0  # the budgets bound the whole stream, not each file
    while True:
        fixed = read(_FIXED.size)
        if not fixed and count:
            return
        where = f" (file {count + 1} of the stream)" if count else ""
        try:
            version, coder, header_len = _check_fixed(fixed)
            if header_len > _container.MAX_HEADER_BYTES:
                raise FormatError(
                    f"header length {header_len} is over the limit of {_container.MAX_HEADER_BYTES} bytes"
                )
            if stream_limit is not None and total + _FIXED.size + header_len > stream_limit:
                raise FormatError(f"the stream is longer than the limit of {stream_limit} bytes")
            header_raw = _read_exactly(read, header_len + 4, "header")
            (n_sections,) = struct.unpack_from(">I", header_raw, header_len)
            if n_sections > _container.MAX_HEADS:
                raise FormatError(f"the .dlc file lists {n_sections} sections, more than {_container.MAX_HEADS}")
            depth, eps, heads = _parse_header(header_raw[:header_len], budget.max_cells, version)
            qclass = QuantizedClass(depth, heads, eps)
            cost = weigh(coder, qclass) if weigh is not None else Cost(phases=[decode_steps(qclass, coder)])
            units += (len(qclass.groups) + 1) * STREAM_FILE_STEPS
            stream = Step(
                f"the stream's {count + 1} files" if count else "the file",
                cells=spent_cells + group_work(units),
                payload_bits=spent_bits,
            )
            Cost([stream, *cost.base], cost.phases).check(budget, what)
            spent_cells, spent_bits = spent_cells + cost.cells, spent_bits + cost.payload_bits
            _check_section_count(qclass, coder, version, n_sections)
            table = _read_exactly(read, 8 * n_sections, "section table")
            want = expected_sections(qclass, coder, version)
            got = np.frombuffer(table, dtype=">u8").astype(object)
            for i, (g, w) in enumerate(zip(got, want, strict=True)):
                if g != w:
                    raise FormatError(f"section {i} holds {g} bits, the class's level cost is {int(w)}")
            size = _FIXED.size + len(header_raw) + len(table) + sum((int(b) + 7) // 8 for b in want) + 4
            if size > limit:
                raise FormatError(f"the .dlc file needs {size} bytes, over the limit of {limit}")
            if stream_limit is not None and total + size > stream_limit:
                raise FormatError(f"the stream is longer than the limit of {stream_limit} bytes")
            del want, got
            rest = _read_exactly(read, size - _FIXED.size - len(header_raw) - len(table), "sections")
        except FormatError as exc:
            raise FormatError(f"{exc}{where}") from None
        count, total = count + 1, total + size
        data = fixed + header_raw + table + rest
        pos = _FIXED.size + header_len
        del header_raw, table, rest
        yield data, version, coder, qclass, pos
        del data, qclass


def _read_exactly(read: Callable[[int], bytes], n: int, what: str) -> bytes:
    data = read(n)
    if len(data) != n:
        raise FormatError(f"truncated .dlc file ({what})")
    return data
