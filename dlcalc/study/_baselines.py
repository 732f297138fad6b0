"""General-purpose compressors on the same quantized functions, as baselines.

Each head's cell table (``dlcalc.quantize._quantize``) is serialized at its own
resolution: Walsh parity bits packed eight to a byte, sawtooth codes in the
smallest unsigned integer type that holds them.  A compressor's description
length is the size of its output, once for the concatenated (joint) table and
summed over heads compressed one by one (separate).  Every output is
decompressed and compared with its input, so the sizes are honest code lengths:
given the class (which fixes each table's size), the bytes decode to the
quantized functions.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable

import numpy as np

from ..quantize._tables import HeadTable
from ..quantize._tableset import TableSet

__all__ = ["table_bytes", "table_blobs", "available_compressors", "baseline_sizes"]


def table_bytes(table: HeadTable, parity: bool) -> bytes:
    """The serialized cell table of one head (empty for a zero head)."""
    if table.values is None:
        return b""
    if parity:
        return np.packbits(table.values).tobytes()
    return table.values.astype(table.values.dtype.newbyteorder(">"), copy=False).tobytes()


def table_blobs(tables: TableSet) -> list[bytes]:
    """Every head's serialized table, in head order: packed Walsh rows as they are, sawtooth codes big-endian."""
    blobs = []
    for block in tables.blocks:
        if block.rows is not None:
            blobs += [row.tobytes() for row in block.rows]
        elif block.tables is not None:
            blobs += [table_bytes(t, False) for t in block.tables]
    return blobs


def _lzma_compress(data: bytes) -> bytes:
    # preset 9 with the dictionary sized to the input: the same output as a 64 MiB
    # dictionary for inputs that fit, without allocating 64 MiB per small table
    dict_size = max(4096, 1 << max(len(data) - 1, 1).bit_length())
    return lzma.compress(
        data, format=lzma.FORMAT_XZ, filters=[{"id": lzma.FILTER_LZMA2, "preset": 9, "dict_size": dict_size}]
    )


def available_compressors() -> dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]]:
    """``{name: (compress, decompress)}``: lzma, bz2, zlib, and zstd when zstandard is installed."""
    out: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
        "lzma": (_lzma_compress, lzma.decompress),
        "bz2": (lambda b: bz2.compress(b, 9), bz2.decompress),
        "zlib": (lambda b: zlib.compress(b, 9), zlib.decompress),
    }
    try:
        import zstandard
    except ImportError:
        return out
    cctx, dctx = zstandard.ZstdCompressor(level=19), zstandard.ZstdDecompressor()
    out["zstd"] = (cctx.compress, dctx.decompress)
    return out


def _size_bits(data: bytes, compress, decompress, name: str) -> int:
    packed = compress(data)
    if decompress(packed) != data:
        raise RuntimeError(f"{name} did not round-trip the cell table")
    return 8 * len(packed)


def baseline_sizes(tables: TableSet, names: list[str] | None = None) -> dict[str, dict]:
    """Bits of each compressor on the joint table and on each head's table separately (zero heads have none)."""
    compressors = available_compressors()
    blobs = table_blobs(tables)
    joint = b"".join(blobs)
    out = {}
    for name, (comp, decomp) in compressors.items():
        if names is not None and name not in names:
            continue
        out[name] = {
            "joint_bits": _size_bits(joint, comp, decomp, name),
            "separate_bits": sum(_size_bits(b, comp, decomp, name) for b in blobs if b),
            "raw_bits": 8 * len(joint),
        }
    return out
