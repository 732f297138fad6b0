"""Blocks of layers in the network file, and the file's framing (THEORY §7; ``docs/format.md``,
"Network files"): a block is a network's layers, written row by row (:mod:`dlcalc.networks._rows`);
a file is magic, version, the blocks and a checksum.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from .._errors import FormatError
from ._bits import BitReader, BitWriter
from ._format import (
    _FRAMING,
    MAX_EXPONENT,
    MAX_HIDDEN_LAYERS,
    MAX_NETWORK_BYTES,
    NETWORK_MAGIC,
    NETWORK_VERSION,
    Layer,
    _read_scale,
    _write_scale,
)
from ._rows import (
    _materialize,
    _palette,
    _read_reader,
    _read_runs,
    _ReadBudget,
    _rows_of,
    _write_reader_row,
    _write_runs,
)

__all__ = ["layer_bits", "encode_blocks", "decode_blocks", "pack_file", "unpack_file"]


# ----------------------------------------------------------------------------- blocks


def _write_block(w: BitWriter, layers: list[Layer], marks: list[int] | None = None) -> None:
    """``γ(outputs) γ0(hidden)``, the grid exponent, then each written layer (the steps are implied).

    ``marks`` receives the bit position after the header and after each written layer.
    """
    hidden = len(layers) - 1
    w.gamma(layers[-1].n_out)
    w.gamma0(hidden)
    if hidden:
        w.gamma0(layers[0].exponent)
    for i, layer in enumerate(layers[1:] if hidden else layers, start=1):
        if marks is not None:
            marks.append(w.nbits)
        if not layer.linear:
            w.gamma(layer.n_out)
        w.gamma0(layer.exponent)
        palette = _palette(layer)
        if layer.linear:
            w.gamma0(len(palette))
            for x in palette:
                _write_scale(w, x)
        rows = _rows_of(layer, palette)
        if hidden and i == 1:
            positions, prev_index = -layers[0].biases, 0
            for row in rows:
                _write_reader_row(w, positions[row.cols], row, layers[0].exponent, bool(palette), prev_index)
                prev_index = row.index
        else:
            _write_runs(w, rows, bool(palette))
    if marks is not None:
        marks.append(w.nbits)


def layer_bits(layers: list[Layer]) -> list[int]:
    """Bits of a block's header and of each written layer (the reader of the steps first), without the
    bit that follows every block: where a network's description length goes."""
    w, marks = BitWriter(), [0]
    _write_block(w, layers, marks)
    return [b - a for a, b in zip(marks, marks[1:], strict=False)]


def _read_block(r: BitReader, budget: _ReadBudget) -> list[Layer]:
    budget.objects(1, "blocks")
    n_outputs = r.gamma()
    budget.take(n_outputs, "outputs")
    hidden = r.gamma0()
    if hidden > MAX_HIDDEN_LAYERS:
        r.fail(f"claims {hidden} hidden layers, more than {MAX_HIDDEN_LAYERS}")
    grid = r.gamma0() if hidden else 0
    if grid > MAX_EXPONENT:
        r.fail(f"has a breakpoint grid 2^-{grid}, finer than 2^-{MAX_EXPONENT}")
    layers: list[Layer] = []
    n_in = 0
    for i in range(1, max(hidden, 1) + 1):  # layer i reads layer i - 1; layer 0, the steps, is implied by layer 1
        linear = i == max(hidden, 1)
        budget.objects(1, "layers")
        n_out = n_outputs if linear else r.gamma()
        if not linear:
            budget.take(n_out, "units")
        exponent = r.gamma0()
        if exponent > MAX_EXPONENT:
            r.fail(f"has a weight scale 2^-{exponent}, finer than 2^-{MAX_EXPONENT}")
        palette = _read_palette(r) if linear else []
        if hidden and i == 1:
            layers += _read_reader(r, n_out, grid, exponent, linear, palette, budget)
        else:
            runs = _read_runs(r, n_out, n_in, len(palette), budget)
            layers.append(_materialize(runs, n_in, n_out, exponent, linear, palette, r))
        n_in = n_out
    return layers


def _read_palette(r: BitReader) -> list[float]:
    palette = [_read_scale(r) for _ in range(r.count(r.gamma0(), "output scales"))]
    if any(b <= a for a, b in zip(palette, palette[1:], strict=False)):
        r.fail("has an output scale palette that does not increase")
    return palette


def encode_blocks(blocks: list[list[Layer]]) -> tuple[bytes, int]:
    """The body of a network file (padded with zero bits to bytes) and its exact bit length."""
    w = BitWriter()
    for i, layers in enumerate(blocks):
        _write_block(w, layers)
        w.bit(i + 1 < len(blocks))
    return np.packbits(w.bits()).tobytes(), w.nbits


def decode_blocks(body: bytes, max_cells: int) -> tuple[list[list[Layer]], int]:
    """Parse a body: its blocks and its exact bit length; the padding must be zero bits within the last byte."""
    r = BitReader(body, "network file")
    budget = _ReadBudget(max_cells)
    blocks = []
    while True:
        blocks.append(_read_block(r, budget))
        if not r.bit():
            break
    nbits = r.pos
    if r.remaining >= 8:
        r.fail("has trailing bytes")
    if r.remaining and r.uint(r.remaining):
        r.fail("has nonzero padding bits")
    return blocks, nbits


def pack_file(body: bytes) -> bytes:
    """Magic, version, body, CRC-32."""
    head = NETWORK_MAGIC + struct.pack(">H", NETWORK_VERSION) + body
    return head + struct.pack(">I", zlib.crc32(head))


def unpack_file(data: bytes) -> bytes:
    """Check size, magic, version and checksum; the body."""
    if len(data) > MAX_NETWORK_BYTES:
        raise FormatError(f"network file is larger than {MAX_NETWORK_BYTES} bytes")
    if len(data) < _FRAMING + 1 or not data.startswith(NETWORK_MAGIC):
        raise FormatError("not a dlcalc network file (bad magic or too short)")
    (version,) = struct.unpack_from(">H", data, len(NETWORK_MAGIC))
    if version != NETWORK_VERSION:
        raise FormatError(
            f"network format version {version} is not supported (this dlcalc reads version {NETWORK_VERSION})"
        )
    if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise FormatError("network file checksum mismatch")
    return data[len(NETWORK_MAGIC) + 2 : -4]
