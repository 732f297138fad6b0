"""General-purpose compressors on the same quantized functions, as baselines.

Each head's cell table (``dlcalc.quantize._quantize``) is serialized at its own
resolution: Walsh parity bits packed eight to a byte, sawtooth codes in the
smallest unsigned integer type that holds them (docs/json.md, "compare", gives the
layout).  A compressor's description length is the size of its output, once for the
concatenated (joint) table and summed over heads compressed one by one (separate).
Every output is decompressed and compared with its input, so the sizes are honest code
lengths: given the class (which fixes each table's size), the bytes decode to the
quantized functions.

Two sizes are kept, to compare like with like: the compressor's whole output (headers,
checksums and end marks included), set against the coder's whole ``.dlc`` file; and its
content, the whole output less the output on an empty input (the framing the
compressor writes whatever it is given), set against the coder's payload.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable

import numpy as np

from ..quantize._tables import HeadTable
from ..quantize._tableset import TableSet

__all__ = ["table_bytes", "table_blobs", "available_compressors", "framing_bits", "baseline_sizes"]


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


def framing_bits(compress) -> int:
    """Bits a compressor writes for an empty input: its headers, checksums and end marks."""
    return 8 * len(compress(b""))


def baseline_sizes(tables: TableSet, names: list[str] | None = None) -> dict[str, dict]:
    """Bits of each compressor on the joint table and on each head's table separately (zero heads have none).

    ``joint_bits`` and ``separate_bits`` are whole outputs; ``joint_content_bits`` and
    ``separate_content_bits`` the same less the compressor's framing (:func:`framing_bits`, per
    output, never below 0); ``raw_bits`` is the joint table's size before compression.
    """
    compressors = available_compressors()
    blobs = table_blobs(tables)
    joint = b"".join(blobs)
    out = {}
    for name, (comp, decomp) in compressors.items():
        if names is not None and name not in names:
            continue
        frame = framing_bits(comp)
        joint_bits = _size_bits(joint, comp, decomp, name)
        separate = [_size_bits(b, comp, decomp, name) for b in blobs if b]
        out[name] = {
            "joint_bits": joint_bits,
            "separate_bits": sum(separate),
            "joint_content_bits": max(0, joint_bits - frame),
            "separate_content_bits": sum(max(0, bits - frame) for bits in separate),
            "framing_bits": frame,
            "raw_bits": 8 * len(joint),
        }
    return out
