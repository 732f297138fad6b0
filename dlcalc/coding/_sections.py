"""Payload sections of the joint and separate coders, and their decoders (THEORY §6).

Built with the packed digit planes of :mod:`dlcalc.quantize._tableset`: the joint section is the
payload of the union's basis, the separate sections one payload per head; decoding walks the
levels upward and XORs each section's functionals back into flip bits, then into tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core._feature import Feature
from ..core._span import cell_parity
from ..quantize._groups import QuantizedClass
from ..quantize._tables import HeadTable, _ImageCache, head_table
from ..quantize._tableset import (
    TableBlock,
    TableSet,
    _flip_planes,
    _Planes,
    packed_bytes,
    spread_bits,
    subset_xor_rows,
    true_tables,
    walsh_level_fast,
)
from ._payload import decode_flips, encode_payload

__all__ = ["Sections", "joint_section", "separate_sections", "decode_joint", "decode_separate"]


# ----------------------------------------------------------------------------- payload sections


@dataclass
class Sections:
    """Payload sections: their exact bit lengths and their bytes, each padded to whole bytes (THEORY §6)."""

    bits: np.ndarray  # int64, one per section
    data: list[np.ndarray]  # uint8 chunks whose concatenation is the sections in order

    @property
    def payload_bits(self) -> int:
        return int(self.bits.sum()) if self.bits.size else 0


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.packbits(bits.astype(np.uint8))


def joint_section(qclass: QuantizedClass, feature: Feature) -> Sections:
    """The joint payload: one section for ``∪_t 𝒜_t`` (THEORY §6)."""
    basis = qclass.joint_basis()
    bits = encode_payload(feature, basis)
    return Sections(np.array([bits.size], dtype=np.int64), [_pack(bits)])


def _head_basis(hq, depth: int) -> dict[int, int]:
    return hq.requirement.basis(depth)


def separate_sections(qclass: QuantizedClass, feature: Feature) -> Sections:
    """One section per head with a nonzero level cost, in head order (THEORY §6).

    Walsh groups with ``top <= D`` take one level's rows at once; other heads
    are encoded one by one.
    """
    depth = qclass.depth
    lengths, chunks = [], []
    for q in qclass.groups:
        if q.zero:
            continue
        if walsh_level_fast(q, depth):
            t = q.group.top
            rows = subset_xor_rows(_flip_planes(feature, t), q.group.first, q.group.last)
            lengths.append(np.full(q.count, 1 << (t - 1), dtype=np.int64))
            chunks.append(rows.reshape(-1))
            continue
        for hq in q.head_quants():
            basis = _head_basis(hq, depth)
            if basis:
                bits = encode_payload(feature, basis)
                lengths.append(np.array([bits.size], dtype=np.int64))
                chunks.append(_pack(bits))
    return Sections(np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64), chunks)


def _unpack(raw: np.ndarray, bits: int) -> np.ndarray:
    return np.unpackbits(raw)[:bits]


def decode_joint(qclass: QuantizedClass, section: np.ndarray) -> TableSet:
    """Tables from the joint payload (packed bytes of exactly ``c(𝒜)`` bits): the representative ``σ'``, then its
    tables."""
    basis = qclass.joint_basis()
    top = max(basis, default=0)
    feature = decode_flips(top, basis, _unpack(section, sum(1 << (t - 1) for t in basis)))
    return true_tables(qclass, feature)


def _walsh_table_from_section(hq, basis: dict[int, int], section: np.ndarray) -> HeadTable:
    """A Walsh head's table straight from its one-vector section: ``parity_A(x) XOR φ_b(ancestor)`` (THEORY §4)."""
    (m,) = basis
    level = hq.head.index.bit_length()
    parity = cell_parity(np.arange(1 << level, dtype=np.int64), hq.head.index, level)
    parity ^= np.repeat(section, 1 << (level - m + 1))
    return HeadTable(level, parity)


def decode_separate(qclass: QuantizedClass, data: np.ndarray, bits: np.ndarray) -> TableSet:
    """Tables from the separate payload: head ``t`` from its own section alone (THEORY §6).

    ``data`` holds the sections back to back (each padded), ``bits`` their lengths.
    """
    depth = qclass.depth
    identity = _Planes(None)
    blocks, at, s = [], 0, 0
    for q in qclass.groups:
        if q.zero:
            blocks.append(TableBlock(q))
            continue
        if walsh_level_fast(q, depth):
            t = q.group.top
            width = packed_bytes(1 << (t - 1))
            sections = data[at : at + q.count * width].reshape(q.count, width)
            rows = subset_xor_rows(identity(t), q.group.first, q.group.last)
            rows ^= spread_bits(sections, rows.shape[1])
            blocks.append(TableBlock(q, rows=rows))
            at += q.count * width
            s += q.count
            continue
        tables = []
        for hq in q.head_quants():
            basis = _head_basis(hq, depth)
            section = np.zeros(0, dtype=np.uint8)
            if basis:
                nbits = int(bits[s])
                section = _unpack(data[at : at + packed_bytes(nbits)], nbits)
                at += packed_bytes(nbits)
                s += 1
            if hq.head.family == "walsh" and len(basis) == 1:
                tables.append(_walsh_table_from_section(hq, basis, section))
            else:
                rep = decode_flips(max(basis, default=0), basis, section)
                tables.append(head_table(hq, _ImageCache(rep), depth))
        if q.kind == "walsh":
            level = q.group.top
            packed = []
            for tb in tables:
                assert tb.values is not None  # a Walsh head's table has values
                packed.append(np.packbits(tb.values))
            rows = np.stack(packed) if packed else np.zeros((0, packed_bytes(1 << level)), np.uint8)
            blocks.append(TableBlock(q, rows=rows))
        else:
            blocks.append(TableBlock(q, tables=tables))
    return TableSet(qclass, blocks)
