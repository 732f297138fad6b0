"""Edits of .dlc bytes for tests of the reader: a fresh checksum, another header, byte mutations."""

import struct
import zlib

from hypothesis import strategies as st


def reseal(body: bytes) -> bytes:
    """Append a fresh CRC-32, so that a deeper check than the checksum must catch a defect."""
    return body + struct.pack(">I", zlib.crc32(body))


def with_header(data: bytes, raw: bytes) -> bytes:
    """The .dlc file with another header (raw JSON bytes) and a recomputed checksum."""
    (hlen,) = struct.unpack_from(">I", data, 12)
    return reseal(data[:12] + struct.pack(">I", len(raw)) + raw + data[16 + hlen : -4])


#: One byte operation of :func:`mutate`: (kind, position, value).
mutation = st.tuples(
    st.sampled_from(["flip", "set", "truncate", "insert", "delete"]),
    st.integers(0, 10_000),
    st.integers(0, 255),
)


def mutate(data: bytes, ops, seal: bool) -> bytes:
    """Apply byte operations (flip, set, truncate, insert, delete) to a .dlc file, resealing it if asked."""
    buf = bytearray(data[:-4] if seal else data)
    for op, pos, val in ops:
        if not buf:
            break
        i = pos % len(buf)
        if op == "flip":
            buf[i] ^= 1 << (val % 8)
        elif op == "set":
            buf[i] = val
        elif op == "truncate":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = bytes([val])
        else:
            del buf[i]
    return reseal(bytes(buf)) if seal else bytes(buf)
