"""Shared test helpers: the quantized heads evaluated point by point from their definitions.

Nothing here calls the library's feature, quantizer or table code: every value is computed
for one cell at a time from THEORY §2-§4, in plain integer arithmetic,

- the digit form of the feature, ``b_i(h(x)) = b_i(x) XOR s_{i-1, k_{i-1}(x)}`` (§2);
- the Walsh parity ``XOR_{i ∈ A(n)} y_i`` and the sawtooth digits ``z_i = y_{k+i} XOR y_k``
  (``z_i = y_i`` for ``k = 0``), ``y_l = b_l(h(x))`` (§3-§4);
- the quantizer: ``p = ceil(log2(a/ε))`` in exact rationals, ``f̂ = 0`` when ``ε >= a``, and
  ``f̂ = a(1 - 2(Σ_{i<=p} z_i 2^-i + 2^-(p+1)))`` (§4).

Flip bits are a ``(..., 2^D - 1)`` uint8 array in level order, so that one call evaluates a
cell under one feature or under every feature of a small class at once.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from dlcalc import Head


def precision(amplitude: float, eps: float) -> int | None:
    """``p = ceil(log2(a/ε))``, the least ``p`` with ``a 2^-p <= ε``, in exact rationals; None if ``ε >= a``."""
    a, e = Fraction(amplitude), Fraction(eps)
    if e >= a:
        return None
    p = 0
    while a / 2**p > e:
        p += 1
    return p


def flip_bit(flips: np.ndarray, depth: int, j: int, k: int):
    """``s_{j,k}``: stored for ``j < D``, 0 below (THEORY §2)."""
    if j >= depth:
        return np.zeros(flips.shape[:-1], dtype=np.uint8)
    return flips[..., (1 << j) - 1 + k]


def h_digit(flips: np.ndarray, depth: int, i: int, cell: int, level: int):
    """``b_i(h(x))`` for every ``x`` in the level-``L`` cell ``cell`` (``1 <= i <= L``)."""
    x_digit = (cell >> (level - i)) & 1  # b_i(x)
    ancestor = cell >> (level - i + 1)  # k_{i-1}(x) = floor(2^(i-1) x)
    return x_digit ^ flip_bit(flips, depth, i - 1, ancestor)


def approximant_level(head: Head, eps: float) -> int:
    """The level whose cells carry every digit ``f̂`` reads: ``top(n)``, ``k + p``, or 0 for ``f̂ = 0``."""
    p = precision(head.amplitude, eps)
    if p is None:
        return 0
    return head.index.bit_length() if head.family == "walsh" else head.index + p


def head_code(flips: np.ndarray, depth: int, head: Head, eps: float, cell: int, level: int):
    """The integer that fixes ``f̂`` on one cell: the parity (Walsh), ``Q = Σ z_i 2^(p-i)`` (sawtooth), 0 (``f̂ = 0``).

    ``level`` must be at least :func:`approximant_level`.
    """
    p = precision(head.amplitude, eps)
    code = np.zeros(flips.shape[:-1], dtype=np.int64)
    if p is None:
        return code
    if head.family == "walsh":
        for i in range(1, head.index.bit_length() + 1):
            if (head.index >> (i - 1)) & 1:
                code ^= h_digit(flips, depth, i, cell, level)
        return code
    k = head.index
    y_k = h_digit(flips, depth, k, cell, level) if k >= 1 else 0
    for i in range(1, p + 1):
        z = h_digit(flips, depth, k + i, cell, level) ^ y_k
        code += z.astype(np.int64) << (p - i)
    return code


def value_of_code(head: Head, eps: float, code: int) -> Fraction:
    """``f̂`` on a cell of the given code: ``a(1 - 2·parity)`` or ``a(1 - (2Q + 1)/2^p)``, exactly; 0 for a zero head."""
    p = precision(head.amplitude, eps)
    a = Fraction(head.amplitude)
    if p is None:
        return Fraction(0)
    if head.family == "walsh":
        return a * (1 - 2 * int(code))
    return a * (1 - Fraction(2 * int(code) + 1, 2**p))


def head_codes(flips, depth: int, head: Head, eps: float) -> tuple[int, np.ndarray]:
    """``(level, codes)`` over all cells of the approximant level, for one feature or a stack of them."""
    flips = np.asarray(flips, dtype=np.uint8)
    level = approximant_level(head, eps)
    p = precision(head.amplitude, eps) or 1
    codes = np.empty(flips.shape[:-1] + (1 << level,), dtype=np.uint16 if p <= 16 else np.int64)
    for c in range(1 << level):
        codes[..., c] = head_code(flips, depth, head, eps, c, level)
    return level, codes


def all_flips(depth: int) -> np.ndarray:
    """Every flip-bit vector of a depth: a ``(2^(2^D - 1), 2^D - 1)`` array."""
    n = (1 << depth) - 1
    return np.array(list(itertools.product((0, 1), repeat=n)), dtype=np.uint8).reshape(1 << n, n)


def count_distinct(depth: int, heads, eps) -> tuple[int, list[int]]:
    """Distinct quantized tuples over all 2^(2^D-1) sign patterns, jointly and per head."""
    flips = all_flips(depth)
    ids = []  # per head, the index of each feature's quantized head among the distinct ones
    for h in heads:
        _, inverse = np.unique(rows_as_keys(head_codes(flips, depth, h, eps)[1]), return_inverse=True)
        ids.append(inverse.ravel())
    joint = np.unique(rows_as_keys(np.stack(ids, axis=1)))
    return len(joint), [int(i.max()) + 1 for i in ids]


def rows_as_keys(rows: np.ndarray) -> np.ndarray:
    """Each row of a 2-d array as one opaque value, so that ``np.unique`` compares whole rows."""
    rows = np.ascontiguousarray(rows)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


# ----------------------------------------------------------------------------- level costs by brute force


def requirement_vectors(head: Head, eps: float, depth: int | None, lower: bool = False) -> list[int]:
    """``𝒜_t(p)`` of THEORY §4 as level vectors (bit ``l - 1`` for level ``l``), masked with ``2^D - 1``.

    ``lower=True`` gives the packing set: ``q = p - 1`` for a sawtooth head, the same set for a Walsh head.
    """
    p = precision(head.amplitude, eps)
    if p is None:
        return []
    if head.family == "walsh":
        vectors = [head.index]
    else:
        k = head.index
        q = p - 1 if lower else p
        vectors = [(1 << (i - 1)) if k == 0 else (1 << (k - 1)) | (1 << (k + i - 1)) for i in range(1, q + 1)]
    mask = -1 if depth is None else (1 << depth) - 1
    return [v & mask for v in vectors]


def level_cost_by_span(vectors) -> int:
    """``Σ 2^(m-1)`` over the tops ``m`` of the nonzero elements of the GF(2) span, listed element by element (THEORY
    §5)."""
    span = {0}
    for v in vectors:
        span |= {s ^ v for s in span}
    return sum(1 << (m - 1) for m in {s.bit_length() for s in span if s})


def bounds_by_span(heads, eps: float, depth: int | None) -> dict:
    """Joint and separate lower and upper bounds of THEORY §5 from :func:`requirement_vectors` and
    :func:`level_cost_by_span`."""

    def joint(lower):
        return level_cost_by_span(v for h in heads for v in requirement_vectors(h, eps, depth, lower))

    def separate(lower):
        return sum(level_cost_by_span(requirement_vectors(h, eps, depth, lower)) for h in heads)

    return {
        "joint_lower_bits": joint(True),
        "joint_upper_bits": joint(False),
        "separate_lower_bits": separate(True),
        "separate_upper_bits": separate(False),
    }
