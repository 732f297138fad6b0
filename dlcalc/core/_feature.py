"""The shared feature: the Rademacher–Haar tree map ``h_σ`` (THEORY §1-§2).

.. math::

    h_\\sigma(x) = \\tfrac12 - \\tfrac14 \\sum_{j\\ge0}\\sum_{k<2^j}
        \\sigma_{j,k}\\, 2^{-j}\\, \\psi(2^j x - k)

implemented through its digit form ``b_i(h(x)) = b_i(x) XOR s_{i-1, k_{i-1}(x)}``:
node ``(j, k)`` swaps its two children when its flip bit ``s_{j,k}`` is 1.
"""

from __future__ import annotations

import numpy as np

from .._errors import BudgetError, SpecError

__all__ = ["Feature", "MAX_DEPTH"]

#: Hard ceiling on the depth of a feature; budgets (``max_cells``) usually bind first.
MAX_DEPTH = 40


def _check_depth(depth: int) -> None:
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise SpecError(f"depth must be an integer, got {depth!r}")
    if depth < 0:
        raise SpecError(f"depth must be >= 0, got {depth}")
    if depth > MAX_DEPTH:
        raise BudgetError(f"depth {depth} needs 2^{depth} flip bits; the limit is depth {MAX_DEPTH}")


class Feature:
    """A Rademacher–Haar tree feature of depth ``D`` (THEORY §2).

    Parameters
    ----------
    depth : int
        ``D >= 0``: the signs ``σ_{j,k}`` with ``j < D`` are free, deeper ones are +1.
    flips : array_like of uint8, length ``2^D - 1``
        Flip bits ``s_{j,k} = (1 - σ_{j,k})/2`` in level order (``j = 0, 1, ...``,
        ``k`` increasing).

    Examples
    --------
    >>> f = Feature.from_seed(3, seed=0)
    >>> f.image_cells(3).tolist()  # a permutation of the 8 level-3 cells
    [3, 2, 1, 0, 7, 6, 4, 5]
    >>> Feature(2, [0, 0, 0]).image_cells(2).tolist()  # all signs +1: identity
    [0, 1, 2, 3]
    """

    __slots__ = ("depth", "flips")

    def __init__(self, depth: int, flips) -> None:
        _check_depth(depth)
        flips = np.ascontiguousarray(flips, dtype=np.uint8)
        if flips.shape != ((1 << int(depth)) - 1,):
            raise SpecError(f"a depth-{depth} feature has {2**depth - 1} flip bits, got {flips.size}")
        if flips.size and flips.max() > 1:
            raise SpecError("flip bits must be 0 or 1")
        self.depth = int(depth)
        self.flips = flips

    @classmethod
    def _trusted(cls, depth: int, flips: np.ndarray) -> Feature:
        """Wrap flip bits known to be a valid uint8 0/1 array of the right length (no checks)."""
        self = cls.__new__(cls)
        self.depth, self.flips = depth, flips
        return self

    @classmethod
    def from_seed(cls, depth: int, seed: int) -> Feature:
        """The seeded instance of THEORY §2 (part of the file format).

        ``Generator(PCG64(seed)).integers(0, 2, size=2**depth - 1, dtype=uint8)``.
        """
        _check_depth(depth)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise SpecError(f"seed must be a non-negative integer, got {seed!r}")
        rng = np.random.Generator(np.random.PCG64(int(seed)))
        return cls(depth, rng.integers(0, 2, size=(1 << depth) - 1, dtype=np.uint8))

    def level_flips(self, j: int) -> np.ndarray:
        """The ``2^j`` flip bits ``s_{j,·}`` of level ``j`` (zeros for ``j >= D``)."""
        if j >= self.depth:
            return np.zeros(1 << j, dtype=np.uint8)
        return self.flips[(1 << j) - 1 : (1 << (j + 1)) - 1]

    @property
    def signs(self) -> np.ndarray:
        """The Rademacher signs ``σ = 1 - 2 s`` in level order."""
        return 1 - 2 * self.flips.astype(np.int8)

    def image_cells(self, level: int) -> np.ndarray:
        """Index of ``h(I_{L,c})`` for every level-``L`` cell ``c`` (length ``2^L``).

        int32 up to level 30 (half the memory traffic), int64 beyond.

        ``h`` maps dyadic cells of level ``L`` onto dyadic cells of level ``L``; the
        digits of the image index are ``b_i(x) XOR s_{i-1, k_{i-1}(x)}`` (THEORY §2).
        Work ``O(2^L)``; for ``L > D`` the map is a translation on level-``D`` cells.
        """
        dtype: type[np.signedinteger] = np.int32 if level <= 30 else np.int64
        top = min(level, self.depth)
        cells = np.zeros(1, dtype=dtype)
        for lv in range(1, top + 1):
            s = self.level_flips(lv - 1)
            nxt = np.empty(1 << lv, dtype=dtype)
            twice = cells << 1
            np.add(twice, s, out=nxt[0::2], casting="unsafe")
            np.bitwise_xor(nxt[0::2], 1, out=nxt[1::2])
            cells = nxt
        if level > top:
            shift = level - top
            cells = (np.repeat(cells, 1 << shift) << shift) | (np.arange(1 << level, dtype=dtype) & ((1 << shift) - 1))
        return cells

    def __call__(self, x) -> np.ndarray:
        """Evaluate ``h_σ`` at points of ``[0, 1)`` (float64, exact for dyadic ``x``).

        Points are resolved to 52 binary digits; the map acts on the first ``D``
        digits and leaves the rest unchanged.
        """
        x = np.asarray(x, dtype=np.float64)
        if np.any((x < 0) | (x >= 1)):
            raise ValueError("h is defined on [0, 1)")
        if self.depth == 0:
            return x.copy()
        cell = np.floor(x * (1 << self.depth)).astype(np.int64)
        image = self.image_cells(self.depth)[cell]
        return (image + (x * (1 << self.depth) - cell)) / (1 << self.depth)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Feature) and self.depth == other.depth and np.array_equal(self.flips, other.flips)

    def __repr__(self) -> str:
        return f"Feature(depth={self.depth}, flips={int(self.flips.sum())} of {self.flips.size} set)"
