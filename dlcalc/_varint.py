"""Vectorized LEB128 varints and zigzag coding for the network serialization (``docs/format.md``)."""

from __future__ import annotations

import numpy as np

from ._errors import FormatError

__all__ = ["encode_uvarints", "decode_uvarints", "zigzag", "unzigzag"]


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed to unsigned: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ..."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def unzigzag(values: np.ndarray) -> np.ndarray:
    u = np.asarray(values, dtype=np.uint64)
    return ((u >> np.uint64(1)).astype(np.int64)) ^ -((u & np.uint64(1)).astype(np.int64))


def encode_uvarints(values) -> bytes:
    """LEB128 of non-negative integers (< 2^64), seven bits a byte, low groups first.

    >>> encode_uvarints([0, 127, 128, 300]).hex()
    '007f8001ac02'
    """
    v = np.asarray(values, dtype=np.uint64).ravel()
    if v.size == 0:
        return b""
    if v.size <= 32:  # small arrays: plain Python is faster than numpy's per-call overhead
        out = bytearray()
        for x in v.tolist():
            while x >= 0x80:
                out.append((x & 0x7F) | 0x80)
                x >>= 7
            out.append(x)
        return bytes(out)
    top = int(v.max()).bit_length()
    nbytes = np.ones(v.size, dtype=np.int64)
    for k in range(1, max(1, (top + 6) // 7)):
        nbytes += (v >> np.uint64(7 * k)) > 0
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.zeros(int(ends[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        sel = nbytes > k
        group = ((v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[starts[sel] + k] = group | more
    return out.tobytes()


def decode_uvarints(data: bytes | memoryview, offset: int, count: int) -> tuple[np.ndarray, int]:
    """Read ``count`` varints from ``data[offset:]``; returns the values and the new offset.

    Refuses (``FormatError``) a count larger than the bytes left, a varint of more
    than ten bytes, or data that ends inside a varint — before allocating by ``count``.
    """
    if count < 0 or count > len(data) - offset:
        raise FormatError(f"network file: {count} varints cannot fit in the {max(len(data) - offset, 0)} bytes left")
    if count == 0:
        return np.zeros(0, dtype=np.uint64), offset
    buf = np.frombuffer(data, dtype=np.uint8, offset=offset)
    ends = np.flatnonzero(buf < 0x80)
    if ends.size < count:
        raise FormatError("network file ends inside a varint")
    ends = ends[:count]
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise FormatError("network file has a varint longer than 10 bytes")
    values = np.zeros(count, dtype=np.uint64)
    for k in range(int(lengths.max())):
        sel = lengths > k
        values[sel] |= (buf[starts[sel] + k].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * k)
    return values, offset + int(ends[-1]) + 1
