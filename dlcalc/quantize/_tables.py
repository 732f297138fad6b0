"""Cell tables of quantized heads (THEORY §4, §8).

The quantized ``f̂_t`` is stored as an integer table over dyadic cells
("the cell table of each head at its own resolution"):

- ``walsh:n``: the parity bit ``(1 - f̂/a)/2`` on cells of level ``top(n)``;
- ``sawtooth:k`` with ``k + p <= L = max(D, k)``: the code
  ``Q = Σ_{i <= p} z_i 2^(p-i)`` on cells of level ``k + p``, where ``f̂ = a(1 - (2Q+1)/2^p)``
  is constant;
- ``sawtooth:k`` with ``k + p > L`` (a level-``L`` cell, on which ``h`` is a
  translation and ``S_k ∘ h`` affine, *sweeps* ``2^(k+p-L)`` whole quantization
  cells, THEORY §8): on cells of level ``L`` the *oriented position*
  ``v = Σ_{i <= L-k} z_i 2^(L-k-i)`` and the orientation ``o = y_k``, stored as
  ``2v + o`` (``v`` for ``k = 0``), which fixes ``f̂`` on the whole cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import BudgetError
from ..core._feature import Feature
from ..core._span import cell_parity
from ._quantize import (
    HeadQuantization,
)

__all__ = [
    "HeadTable",
    "table_cells",
    "head_table",
    "check_table_cells",
    "head_tables",
    "approximant_values",
    "approximant_chunk",
]


# ----------------------------------------------------------------------------- tables


@dataclass
class HeadTable:
    """The cell table of one quantized head (module docstring); ``values`` is None for a zero head."""

    level: int
    values: np.ndarray | None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HeadTable) or self.level != other.level:
            return False
        if self.values is None or other.values is None:
            return self.values is None and other.values is None
        return bool(np.array_equal(self.values, other.values))


def table_cells(quants: list[HeadQuantization], depth: int) -> int:
    """Cells the tables of these heads materialize (for the ``--max-cells`` budget)."""
    levels = {q.table_level(depth) for q in quants if not q.zero}
    total = sum(1 << q.table_level(depth) for q in quants if not q.zero)
    return total + sum(1 << lv for lv in levels)


class _ImageCache:
    """``h`` on cells of each level, computed once at the finest needed level <= D."""

    def __init__(self, feature: Feature) -> None:
        self.feature = feature
        self._cells: dict[int, np.ndarray] = {}

    def __call__(self, level: int) -> np.ndarray:
        if level not in self._cells:
            d = self.feature.depth
            finer = [lv for lv in self._cells if level < lv <= d]
            if finer:
                lv = min(finer)
                self._cells[level] = self._cells[lv][:: 1 << (lv - level)] >> (lv - level)
            else:
                self._cells[level] = self.feature.image_cells(level)
        return self._cells[level]


def _min_uint(bits: int):
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if bits <= np.iinfo(dt).bits:
            return dt
    raise BudgetError(f"a table entry of {bits} bits does not fit 64 bits")


def _sawtooth_state(images: np.ndarray, k: int, level: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Oriented position ``v`` and orientation ``o = y_k`` on level-``L`` cells (L >= k)."""
    width = level - k
    if k == 0:
        return images, None
    o = (images >> width) & 1
    u = images & ((1 << width) - 1)
    v = np.where(o == 0, u, ((1 << width) - 1) - u)
    return v, o


def head_table(q: HeadQuantization, images, depth: int | None = None) -> HeadTable:
    """The cell table of a quantized head under a feature (``images(level)`` = :meth:`Feature.image_cells`).

    ``depth`` is the class's depth (the feature's by default); a feature of smaller
    depth with the same flips, zero beyond it, gives the same images.
    """
    if q.zero:
        return HeadTable(0, None)
    head = q.head
    if depth is None:
        depth = images.feature.depth
    if head.family == "walsh":
        level = head.index.bit_length()
        return HeadTable(level, cell_parity(images(level), head.index, level))
    k, p = head.index, q.sawtooth_precision
    level = q.table_level(depth)
    v, o = _sawtooth_state(images(level), k, level)
    if not q.sweeping(depth):
        return HeadTable(level, v.astype(_min_uint(p)))  # level = k + p: v is Q
    if o is None:
        return HeadTable(level, v.astype(_min_uint(level)))
    return HeadTable(level, ((v << 1) | o).astype(_min_uint(level - k + 1)))


def check_table_cells(quants: list[HeadQuantization], depth: int, max_cells: int) -> None:
    """Refuse up front (:class:`BudgetError`) tables that would hold more than ``max_cells`` cells (THEORY §8)."""
    need = table_cells(quants, depth)
    if need > max_cells:
        raise BudgetError(
            f"the cell tables need {need} cells, over the budget of {max_cells} "
            "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )


def head_tables(quants: list[HeadQuantization], feature: Feature, max_cells: int | None = None) -> list[HeadTable]:
    """Cell tables of every head under one feature, refusing work over ``max_cells`` up front."""
    if max_cells is not None:
        check_table_cells(quants, feature.depth, max_cells)
    cache = _ImageCache(feature)
    levels = [q.table_level(feature.depth) for q in quants if not q.zero]
    if len(levels) > 1:
        cache(min(feature.depth, max(levels)))  # one pass; coarser levels are strided views
    return [head_table(q, cache) for q in quants]


def approximant_values(
    q: HeadQuantization, table: HeadTable, depth: int, max_cells: int | None = None
) -> tuple[int, np.ndarray]:
    """``(level, f̂ on every cell of that level)``: the quantized head as plain values.

    The level is the approximant's own resolution ``r̂`` (THEORY §8); a sweeping
    table cell expands into its ``2^(k+p-L)`` quantization cells.
    """
    if q.zero:
        return 0, np.zeros(1)
    level = q.approximant_level(depth)
    if max_cells is not None and (1 << level) > max_cells:
        raise BudgetError(
            f"{q.head.spec}: the approximant has 2^{level} cells, over the budget of {max_cells} (raise --max-cells)"
        )
    return level, approximant_chunk(q, table, depth, 0, 1 << level)


def approximant_chunk(q: HeadQuantization, table: HeadTable, depth: int, start: int, stop: int) -> np.ndarray:
    """``f̂`` on the cells ``start .. stop-1`` of its own level (:meth:`HeadQuantization.approximant_level`)."""
    a = q.head.amplitude
    if q.zero:
        return np.zeros(stop - start)
    assert table.values is not None  # only a zero head's table has no values
    if q.head.family == "walsh":
        return a * (1.0 - 2.0 * table.values[start:stop])
    p = q.sawtooth_precision
    if not q.sweeping(depth):
        codes = table.values[start:stop].astype(np.int64)
        return a * (1.0 - (2.0 * codes + 1.0) / 2.0**p)  # the table is at level k + p
    m = q.approximant_level(depth) - table.level
    cells = np.arange(start, stop, dtype=np.int64)
    codes = table.values[start >> m : ((stop - 1) >> m) + 1].astype(np.int64)[(cells >> m) - (start >> m)]
    if q.head.index == 0:
        v, o = codes, np.zeros_like(codes)
    else:
        v, o = codes >> 1, codes & 1
    j = cells & ((1 << m) - 1)
    quant = (v << m) + np.where(o == 0, j, ((1 << m) - 1) - j)
    return a * (1.0 - (2.0 * quant + 1.0) / 2.0**p)
