"""Level vectors and the level-span algebra (THEORY §1, §4, §5).

A *level vector* is a set of digit levels ``A ⊆ {1, 2, ...}`` stored as a
Python ``int`` with bit ``l-1`` set for level ``l``.  Requirement sets are
collections of level vectors; their description length is the *level cost*
of the GF(2) span.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

__all__ = [
    "level_vector",
    "levels_of",
    "top",
    "cell_mask",
    "cell_parity",
    "mask_to_depth",
    "reduce_basis",
    "level_cost",
    "interval_star_cost",
]


def level_vector(levels: Iterable[int]) -> int:
    """Return the level vector (an ``int``) of a set of levels (THEORY §1).

    Examples
    --------
    >>> level_vector([1, 3])
    5
    """
    v = 0
    for level in levels:
        if level < 1:
            raise ValueError(f"levels start at 1, got {level}")
        v ^= 1 << (level - 1)
    return v


def levels_of(vector: int) -> list[int]:
    """The sorted levels of a level vector.

    >>> levels_of(5)
    [1, 3]
    """
    out = []
    level = 1
    while vector:
        if vector & 1:
            out.append(level)
        vector >>= 1
        level += 1
    return out


def cell_mask(vector: int, level: int) -> int:
    """The bits of a level-``L`` cell index that hold the digits of ``vector`` (digit ``l`` is bit ``L - l``).

    >>> bin(cell_mask(0b101, 3))  # levels {1, 3} of a level-3 cell index
    '0b101'
    >>> bin(cell_mask(0b001, 3))  # level 1 is the top bit
    '0b100'
    """
    return sum(1 << (level - lv) for lv in levels_of(vector) if lv <= level)


def cell_parity(cells, vector: int, level: int):
    """Parity of the digits in ``vector`` of each level-``L`` cell index (numpy array in, uint8 out)."""
    import numpy as np

    return (np.bitwise_count(cells & cell_mask(vector, level)) & 1).astype(np.uint8)


def top(vector: int) -> int:
    """``top(A) = max A``, which is ``A.bit_length()`` (THEORY §1); 0 for the empty set."""
    return vector.bit_length()


def mask_to_depth(vector: int, depth: int | None) -> int:
    """Drop the levels above ``depth``: they carry no freedom (``s = 0``, THEORY §4).

    ``depth=None`` means "depth large enough" (no masking), as used by the formula
    bounds of §5.
    """
    if depth is None or vector.bit_length() <= depth:  # a depth above the vector's top changes nothing
        return vector
    return vector & ((1 << depth) - 1)


def reduce_basis(vectors: Iterable[int], depth: int | None = None) -> dict[int, int]:
    r"""Reduce level vectors to a GF(2) basis with distinct tops (THEORY §5).

    Gaussian elimination by the highest set bit, after masking each vector with
    ``2^depth - 1``.

    Returns
    -------
    dict
        ``{top: basis_vector}``; each basis vector is fully reduced against the
        pivots below it, so the representation is canonical for the span.

    Examples
    --------
    >>> reduce_basis([0b011, 0b110, 0b101])
    {2: 3, 3: 5}
    """
    basis: dict[int, int] = {}
    for v in vectors:
        v = mask_to_depth(v, depth)
        while v:
            t = v.bit_length()
            b = basis.get(t)
            if b is None:
                basis[t] = v
                break
            v ^= b
    # canonical form: clear every pivot bit from the other vectors
    for t in sorted(basis):
        b = basis[t]
        for t2 in sorted(basis):
            if t2 < t and (b >> (t2 - 1)) & 1:
                b ^= basis[t2]
        basis[t] = b
    return dict(sorted(basis.items()))


def level_cost(vectors: Iterable[int], depth: int | None = None) -> int:
    r"""The level cost :math:`c(\mathcal A) = \sum_{b \in B} 2^{\operatorname{top}(b)-1}` (THEORY §5).

    An exact Python integer at any depth; it never allocates anything sized by
    the cost.

    Examples
    --------
    One ``walsh:5`` head reads levels {1, 3}: ``2^(3-1) = 4`` bits.

    >>> level_cost([level_vector([1, 3])])
    4
    """
    return sum(1 << (t - 1) for t in reduce_basis(vectors, depth))


def interval_star_cost(stars: Iterable[tuple[int, int]], depth: int | None = None, vectors: Iterable[int] = ()) -> int:
    r"""Level cost of a union of *interval stars* and level vectors, without listing the stars' vectors.

    A star ``(k, p)`` stands for the requirement set of a sawtooth head
    ``{ {k, k+i} : 1 <= i <= p }`` (``k >= 1``) or ``{ {i} : 1 <= i <= p }``
    (``k = 0``), THEORY §4.  All vectors have weight <= 2, so their span is the
    cycle space of a graph on the levels plus a virtual level 0 (singletons are
    edges to 0).  A connected component ``C`` contributes ``2^(v-1)`` for every
    ``v ∈ C`` except ``min C``; a star connects the whole integer interval
    ``[k, k+p]``, so components are unions of overlapping intervals and an
    interval ``[lo, hi]`` costs ``2^hi - 2^lo``.  Masking by ``depth`` clips the
    leaves to ``<= depth`` and turns a clipped star of centre ``k`` into an edge
    ``{0, k}`` as well.

    Further level ``vectors`` (Walsh heads) add, modulo the stars' span, only
    their parities on the components without 0 (the span holds every even subset
    of such a component, and every subset of the component of 0).  A component's
    minimum ``m`` becomes a basis top exactly when some combination of the
    vectors is odd on that component and even on every component above it: the
    tops of the reduced parity vectors, with component ``C`` as bit ``min C - 1``,
    each add ``2^(min C - 1)``.  Levels no star touches are components of their own.

    This equals :func:`level_cost` of the listed vectors (tested), in time
    ``O(#stars log #stars)`` plus ``O(log #stars)`` per level of a vector, even
    for ``p`` in the thousands.

    >>> interval_star_cost([(0, 3)]) == 2**3 - 1
    True
    >>> interval_star_cost([(2, 3)]) == 2**2 * (2**3 - 1)
    True
    """
    intervals: list[tuple[int, int]] = []
    zero_edges: set[int] = set()
    for k, p in stars:
        if p <= 0:
            continue
        lo, hi = k, k + p
        if depth is not None:
            if k > depth:
                continue
            if hi > depth:
                hi = depth
                if k >= 1:
                    zero_edges.add(k)  # the clipped pairs {k, k+i} mask to {k}
        if hi > lo:
            intervals.append((lo, hi))
    # 1. merge overlapping stars into disjoint intervals (each one connected)
    intervals.sort()
    merged: list[list[int]] = []
    for lo, hi in intervals:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    # 2. components: the intervals, vertex 0, and lone vertices joined to 0 by {k}
    parent = list(range(len(merged) + 1))  # index len(merged) is the component of 0

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    zero = len(merged)
    for i, (lo, _) in enumerate(merged):
        if lo == 0:
            parent[find(i)] = find(zero)
    starts = [lo for lo, _ in merged]
    lone: set[int] = set()
    for k in zero_edges:
        i = bisect.bisect_right(starts, k) - 1
        if i >= 0 and merged[i][0] <= k <= merged[i][1]:
            parent[find(i)] = find(zero)
        else:
            lone.add(k)
    # 3. a component costs the sum of 2^(v-1) over its vertices but its minimum
    weight: dict[int, int] = {}
    minimum: dict[int, int] = {}
    for i, (lo, hi) in enumerate(merged):
        r = find(i)
        weight[r] = weight.get(r, 0) + (1 << hi) - ((1 << (lo - 1)) if lo >= 1 else 1)
        minimum[r] = min(minimum.get(r, lo), lo)
    r0 = find(zero)
    weight[r0] = weight.get(r0, 0) + sum(1 << (k - 1) for k in lone)
    minimum[r0] = 0
    cost = sum(w - ((1 << (minimum[r] - 1)) if minimum[r] >= 1 else 0) for r, w in weight.items())
    # 4. the vectors' parities on the components without 0
    parities = []
    for v in vectors:
        parity = 0
        for lv in levels_of(mask_to_depth(v, depth)):
            i = bisect.bisect_right(starts, lv) - 1
            if i >= 0 and merged[i][0] <= lv <= merged[i][1]:
                r = find(i)
                if r != r0:
                    parity ^= 1 << (minimum[r] - 1)
            elif lv not in lone:
                parity ^= 1 << (lv - 1)
        parities.append(parity)
    return cost + sum(1 << (t - 1) for t in reduce_basis(parities))
