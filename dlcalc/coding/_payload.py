"""Joint and separate coders: digit-functional payloads and their decoders (THEORY §4-§6).

For a requirement set with reduced basis ``B`` the payload lists, for each
basis vector ``b`` by increasing top ``m``, the bits

.. math::  \\varphi_b(c) = \\bigoplus_{l \\in b} s(\\text{level-}(l-1)\\text{ ancestor of } c)

for the ``2^(m-1)`` nodes ``c`` of level ``m-1`` in index order: exactly
``c(𝒜)`` bits.  The decoder walks the levels upward and rebuilds a
representative flip vector ``s'`` that reproduces every functional of the span.
"""

from __future__ import annotations

import numpy as np

from ..core._feature import Feature

__all__ = ["encode_payload", "decode_flips", "payload_layout"]


def payload_layout(basis: dict[int, int]) -> list[tuple[int, int, int]]:
    """``(top, vector, offset)`` of each basis section inside the payload."""
    out, offset = [], 0
    for t in sorted(basis):
        out.append((t, basis[t], offset))
        offset += 1 << (t - 1)
    return out


def _functional(levels_bits, vector: int, top: int) -> np.ndarray:
    """``XOR_{l in vector} s_{l-1}[c >> (top-l)]`` over the ``2^(top-1)`` nodes of level ``top-1``."""
    acc = np.zeros(1 << (top - 1), dtype=np.uint8)
    lv = 1
    v = vector
    while v:
        if v & 1:
            acc ^= np.repeat(levels_bits(lv - 1), 1 << (top - lv))
        v >>= 1
        lv += 1
    return acc


def encode_payload(feature: Feature, basis: dict[int, int]) -> np.ndarray:
    """The payload bits (uint8 array of 0/1, length ``c(𝒜)``) for a masked reduced basis.

    >>> from dlcalc.core._span import reduce_basis
    >>> f = Feature(2, [1, 0, 1])
    >>> encode_payload(f, reduce_basis([0b11], depth=2)).tolist()  # s_{0,0} ^ s_{1,k}, k = 0, 1
    [1, 0]
    """
    if any(t > feature.depth for t in basis):
        raise ValueError("basis must be masked to the feature depth")
    parts = [_functional(feature.level_flips, b, t) for t, b in sorted(basis.items())]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)


def decode_flips(depth: int, basis: dict[int, int], payload: np.ndarray) -> Feature:
    """Rebuild a representative feature ``σ'`` from a payload (THEORY §6).

    Levels are walked upward; at level ``m-1`` with pivot ``b`` (top ``m``),
    ``s'(c) = φ_b(c) XOR (the other terms of b, already decoded)``; other
    levels are 0.  ``σ'`` reproduces every functional of the span, so the decoded
    quantized heads equal the true ones bit for bit.

    >>> from dlcalc.core._span import reduce_basis
    >>> b = reduce_basis([0b11], depth=2)
    >>> g = decode_flips(2, b, encode_payload(Feature(2, [1, 0, 1]), b))
    >>> encode_payload(g, b).tolist()
    [1, 0]
    """
    expected = sum(1 << (t - 1) for t in basis)
    if payload.shape != (expected,):
        raise ValueError(f"payload holds {payload.size} bits, the basis needs {expected}")
    flips = np.zeros((1 << depth) - 1, dtype=np.uint8)
    feature = Feature._trusted(depth, flips)  # a view: writing flips fills the levels in place
    for t, b, offset in payload_layout(basis):
        if t > depth:
            raise ValueError("basis must be masked to the feature depth")
        rest = b & ~(1 << (t - 1))
        bits = payload[offset : offset + (1 << (t - 1))].copy()
        if rest:
            bits ^= _functional(feature.level_flips, rest, t)
        flips[(1 << (t - 1)) - 1 : (1 << t) - 1] = bits
    return feature
