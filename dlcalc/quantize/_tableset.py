"""Cell tables of a whole class, built group by group: Walsh levels packed and vectorized (THEORY §4, §8).

The tables are those of the ``dlcalc.quantize._quantize`` module docstring, head for head;
only their layout differs:

- the Walsh heads of one group (one top level ``t``) form one bit-packed matrix,
  a row per head and a bit per level-``t`` cell (``numpy.packbits`` order: cell 0
  is the most significant bit of byte 0, padding bits are 0);
- sawtooth heads keep their exact integer tables, one per head;
- a zero head (``ε >= a``) has no table: a zero group costs nothing.

Walsh rows are rows of one Hadamard structure: the parity of the digits ``A(n)``
of a cell is the XOR, over the levels ``l ∈ A(n)``, of *digit planes* (the packed
digit ``l`` of every cell).  For an aligned block of indices ``n0 + [0, 2^s)`` the
rows are built by doubling: row ``n0`` is the XOR of the planes of ``n0``'s bits,
and rows ``[2^j, 2^(j+1))`` of the block are rows ``[0, 2^j)`` XOR plane ``j+1``.
One XOR per output word, whatever the number of heads.  The same construction
gives the separate coder's sections (planes of flip bits on the nodes of level
``t-1``, THEORY §6) and, decoding, the parity of the identity against which a
section's functional is XORed.  The per-head builders of ``dlcalc.quantize._quantize`` and
``dlcalc.coding._payload`` compute the same tables one head at a time (tested equal).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..core._feature import Feature
from ._groups import GroupQuantization, QuantizedClass
from ._tables import HeadTable, _ImageCache, head_table

__all__ = [
    "packed_bytes",
    "subset_xor_rows",
    "digit_planes",
    "spread_bits",
    "walsh_level_fast",
    "TableBlock",
    "TableSet",
    "true_tables",
]


def packed_bytes(bits: int) -> int:
    """Bytes of ``bits`` bits packed and padded to whole bytes."""
    return (bits + 7) // 8


def _aligned_blocks(first: int, last: int) -> Iterator[tuple[int, int]]:
    """``(start, size)`` of the aligned dyadic blocks ``[start, start + size)`` covering ``first .. last``."""
    n = first
    while n <= last:
        size = n & -n
        while n + size - 1 > last:
            size >>= 1
        yield n, size
        n += size


def _words(a: np.ndarray) -> np.ndarray:
    """A view of packed rows as uint64 words when whole, else the bytes themselves."""
    return a.view(np.uint64) if a.shape[-1] % 8 == 0 else a


def subset_xor_rows(planes: np.ndarray, first: int, last: int) -> np.ndarray:
    """Row ``i`` is the XOR of ``planes[l-1]`` over the bits ``l-1`` set in ``n = first + i`` (module docstring).

    ``planes`` is ``(L, B)`` uint8 with ``L >= last.bit_length()``; the result is
    ``(last - first + 1, B)`` uint8.  Work: one XOR per output word plus
    ``O(L)`` planes per aligned block.

    >>> planes = np.array([[1], [2], [4]], dtype=np.uint8)
    >>> subset_xor_rows(planes, 3, 6)[:, 0].tolist()
    [3, 4, 5, 6]
    """
    rows = np.empty((last - first + 1, planes.shape[1]), dtype=np.uint8)
    words, plane_words = _words(rows), _words(planes)
    at = 0
    for start, size in _aligned_blocks(first, last):
        bits = [lv for lv in range(start.bit_length()) if start >> lv & 1]
        words[at] = np.bitwise_xor.reduce(plane_words[bits], axis=0)
        half = 1
        while half < size:
            np.bitwise_xor(
                words[at : at + half], plane_words[half.bit_length() - 1], out=words[at + half : at + 2 * half]
            )
            half *= 2
        at += size
    return rows


def digit_planes(cells: np.ndarray, level: int) -> np.ndarray:
    """``(level, B)`` packed planes: plane ``l-1`` holds digit ``l`` (bit ``level - l``) of every level cell index."""
    return np.stack([np.packbits(((cells >> (level - lv)) & 1).astype(np.uint8)) for lv in range(1, level + 1)])


def _flip_planes(feature: Feature, level: int) -> np.ndarray:
    """Planes over the ``2^(level-1)`` nodes ``c`` of level ``level - 1``: plane ``l-1`` is ``s_{l-1}`` at ``c``'s
    ancestor."""
    return np.stack(
        [np.packbits(np.repeat(feature.level_flips(lv - 1), 1 << (level - lv))) for lv in range(1, level + 1)]
    )


_SPREAD = np.array([sum(((b >> i) & 1) * (3 << (2 * i)) for i in range(8)) for b in range(256)], dtype=">u2")


def spread_bits(rows: np.ndarray, out_bytes: int) -> np.ndarray:
    """Each packed bit doubled (a node's bit on both its children), cut to ``out_bytes`` bytes a row."""
    spread = _SPREAD[rows].view(np.uint8).reshape(rows.shape[0], 2 * rows.shape[1])
    return spread[:, :out_bytes]


def walsh_level_fast(q: GroupQuantization, depth: int) -> bool:
    """Walsh heads with ``top(n) <= D``: their sections are one level's rows (no masking, THEORY §4)."""
    return q.kind == "walsh" and q.group.top <= depth


@dataclass
class TableBlock:
    """The tables of one quantized group: packed Walsh ``rows``, exact sawtooth ``tables``, or nothing (zero)."""

    quant: GroupQuantization
    rows: np.ndarray | None = None
    tables: list[HeadTable] | None = None

    @property
    def level(self) -> int:
        return self.quant.group.top

    def head_table(self, i: int) -> HeadTable:
        if self.quant.zero:
            return HeadTable(0, None)
        if self.rows is not None:
            level = self.level
            return HeadTable(level, np.unpackbits(self.rows[i])[: 1 << level])
        assert self.tables is not None  # a sawtooth block keeps its tables
        return self.tables[i]


class TableSet(Sequence[HeadTable]):
    """The tables of every head of a class, block by block in head order; a sequence of per-head views."""

    def __init__(self, qclass: QuantizedClass, blocks: list[TableBlock]) -> None:
        self.qclass = qclass
        self.blocks = blocks
        self._starts = [b.quant.group.position for b in blocks]

    def __len__(self) -> int:
        return len(self.qclass.heads)

    def __getitem__(self, t):
        if isinstance(t, slice):
            return [self[i] for i in range(*t.indices(len(self)))]
        if t < 0:
            t += len(self)
        b = bisect.bisect_right(self._starts, t) - 1
        if b < 0 or not 0 <= t - self._starts[b] < self.blocks[b].quant.count:
            raise IndexError("head index out of range")
        return self.blocks[b].head_table(t - self._starts[b])

    def __iter__(self) -> Iterator[HeadTable]:
        for block in self.blocks:
            for i in range(block.quant.count):
                yield block.head_table(i)

    def live(self) -> list[HeadTable]:
        """The tables of the heads that are not 0 at ε, in order (:meth:`QuantizedClass.live_quants`)."""
        return [block.head_table(i) for block in self.blocks if not block.quant.zero for i in range(block.quant.count)]

    @property
    def cells(self) -> int:
        """Table cells held (packed Walsh bits count one cell each)."""
        return sum(
            block.rows.shape[0] << block.level
            if block.rows is not None
            else sum(0 if t.values is None else t.values.size for t in block.tables or ())
            for block in self.blocks
        )


class _Planes:
    """Digit planes of the feature's image (or of the identity) per level, computed once."""

    def __init__(self, feature: Feature | None) -> None:
        self.images = _ImageCache(feature) if feature is not None else None
        self._planes: dict[int, np.ndarray] = {}

    def __call__(self, level: int) -> np.ndarray:
        if level not in self._planes:
            cells = self.images(level) if self.images is not None else np.arange(1 << level, dtype=np.int64)
            self._planes[level] = digit_planes(cells, level)
        return self._planes[level]


def _sawtooth_tables(q: GroupQuantization, images, depth: int) -> list[HeadTable]:
    return [head_table(hq, images, depth) for hq in q.head_quants()]


def true_tables(qclass: QuantizedClass, feature: Feature) -> TableSet:
    """The tables of every head under a feature (true, or a decoded representative of smaller depth)."""
    planes = _Planes(feature)
    assert planes.images is not None  # built from a feature
    levels = [q.group.top for q in qclass.groups if q.kind == "walsh"]
    levels += [hq.table_level(qclass.depth) for q in qclass.groups if q.kind == "sawtooth" for hq in q.head_quants()]
    if levels:
        planes.images(min(feature.depth, max(levels)))  # one pass; coarser levels are strided views
    blocks = []
    for q in qclass.groups:
        if q.kind == "walsh":
            blocks.append(TableBlock(q, rows=subset_xor_rows(planes(q.group.top), q.group.first, q.group.last)))
        elif q.kind == "sawtooth":
            blocks.append(TableBlock(q, tables=_sawtooth_tables(q, planes.images, qclass.depth)))
        else:
            blocks.append(TableBlock(q))
    return TableSet(qclass, blocks)
