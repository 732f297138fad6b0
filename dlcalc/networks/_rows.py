"""Rows of a layer in the network file: weights by palette index, toggles, steps and runs of
rows, and the step readers of a first layer (THEORY §7; ``docs/format.md``, "Network files").

Writers and readers side by side, so each read mirrors its write; every count a reader takes
from the file is checked against the layer's sizes and the reading budget before it allocates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._errors import BudgetError
from ._bits import BitReader, BitWriter, rice_parameter, sgamma_bits
from ._format import (
    MAX_ROW_SUM,
    Layer,
    _toggle_state,
    toggle_row,
)

__all__ = []


# ----------------------------------------------------------------------------- rows


@dataclass
class _Row:
    cols: np.ndarray
    values: np.ndarray
    bias: int
    index: int = 0  # scale palette index (linear layers)

    @property
    def count(self) -> int:
        return int(self.cols.size)


_EMPTY = _Row(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 0)


def _rows_of(layer: Layer, palette: list[float]) -> list[_Row]:
    """The layer's rows; a zero output whose scale is not in the palette keeps the index before it."""
    starts = layer.row_starts().tolist()
    lookup = {x: i for i, x in enumerate(palette)}
    out, idx = [], 0
    for u in range(layer.n_out):
        lo, hi = starts[u], starts[u + 1]
        if layer.linear and palette:
            idx = lookup.get(float(layer.output_scales[u]), idx)
        out.append(_Row(layer.cols[lo:hi], layer.values[lo:hi], int(layer.biases[u]), idx))
    return out


def _palette(layer: Layer) -> list[float]:
    """The distinct scales of the outputs that are not constant 0, increasing (none for a Heaviside layer)."""
    if not layer.linear:
        return []
    live = np.bincount(layer.rows, minlength=layer.n_out).astype(bool) | (layer.biases != 0)
    return sorted(set(layer.output_scales[live].tolist()))


class _Context:
    """What a row is coded against: the row before it, and the last row and run step of each input count."""

    def __init__(self) -> None:
        self.prev = _EMPTY
        self.rows: dict[int, _Row] = {}
        self.steps: dict[int, _Row] = {}

    def ended(self, last: _Row, step: _Row | None) -> None:
        self.prev = self.rows[last.count] = last
        if step is not None:
            self.steps[last.count] = step


def _write_row(w: BitWriter, row: _Row, ctx: _Context, toggle: int | None, indexed: bool) -> None:
    """A row: its count against the row before; its first input, its gaps between inputs, its weights and
    its bias against the last row with as many inputs (plain, when there is none); its scale index
    against the row before.  A toggle row's weights and bias are implied."""
    n = row.count
    w.sgamma(n - ctx.prev.count)
    ref = ctx.rows.get(n)
    if n:
        if ref is not None:
            shifted = np.diff(row.cols) - np.diff(ref.cols)
            moved = row.cols - ref.cols
            by_gaps = n > 1 and sgamma_bits(shifted) < sgamma_bits(moved[1:])
            if n > 1:  # each input against the reference's, or the first one and then the gaps against its gaps
                w.bit(by_gaps)
            w.sgamma(int(moved[0]))
            w.sgamma_block(shifted if by_gaps else moved[1:])
        else:
            w.gamma0(int(row.cols[0]))
            w.gamma0_block(np.diff(row.cols) - 1)
    if toggle is not None:
        w.bit(toggle)
    else:
        if n:
            w.sgamma_block(row.values - ref.values if ref is not None else np.diff(row.values, prepend=0))
        w.sgamma(row.bias - (ctx.prev if ref is None else ref).bias)
    if indexed:
        w.sgamma(row.index - ctx.prev.index)


def _write_step(w: BitWriter, step: _Row, ctx: _Context, toggle: bool, indexed: bool) -> None:
    """A run's step, against the step of the last run with as many inputs."""
    ref = ctx.steps.get(step.count, _Row(np.zeros_like(step.cols), np.zeros_like(step.values), 0, 0))
    w.sgamma_block(step.cols - ref.cols)
    if not toggle:
        w.sgamma_block(step.values - ref.values)
        w.sgamma(step.bias - ref.bias)
    if indexed:
        w.sgamma(step.index - ref.index)


def _cumsum(deltas: np.ndarray, r: BitReader) -> np.ndarray:
    """Running sums that cannot overflow: refuse deltas adding up to 2^62 or more."""
    if deltas.size and float(np.abs(deltas).astype(np.float64).sum()) >= MAX_ROW_SUM:
        r.fail("has a unit whose weights add up to 2^62 or more")
    return np.cumsum(deltas)


def _check_row(row: _Row, n_in: int, n_indices: int, r: BitReader) -> None:
    """One decoded row: inputs increasing within ``[0, n_in)``, bounded weights and bias, a palette index."""
    if row.count:
        if row.cols[0] < 0 or row.cols[-1] >= n_in:
            r.fail("names an input out of range")
        if np.any(np.diff(row.cols) <= 0):
            r.fail("repeats an input within a unit (inputs must increase)")
    total = float(np.abs(row.values).astype(np.float64).sum()) + abs(row.bias)
    if total >= MAX_ROW_SUM:
        r.fail("has a unit whose weights and bias add up to 2^62 or more")
    if not 0 <= row.index < max(n_indices, 1):
        r.fail("names an output scale that is not in the layer's palette")


def _read_row(r: BitReader, ctx: _Context, toggle: bool, n_indices: int, n_in: int) -> _Row:
    n = ctx.prev.count + r.sgamma()
    if not 0 <= n <= n_in:
        r.fail(f"has a unit with {n} inputs out of {n_in}")
    r.count(n, "weights")
    ref = ctx.rows.get(n)
    cols = np.zeros(0, dtype=np.int64)
    if n:
        if ref is not None:
            by_gaps = n > 1 and r.bit()
            first = int(ref.cols[0]) + r.sgamma()
            if by_gaps:
                gaps = np.diff(ref.cols) + r.sgamma_block(n - 1)
                if gaps.min() < 1 or first + float(gaps.astype(np.float64).sum()) >= n_in:
                    r.fail("names an input out of range or repeats one")
                cols = first + np.concatenate(([0], np.cumsum(gaps)))
            else:
                cols = ref.cols + np.concatenate(([first - int(ref.cols[0])], r.sgamma_block(n - 1)))
        else:
            first = r.gamma0()
            gaps = r.gamma0_block(n - 1)
            if first + float(gaps.astype(np.float64).sum()) + n - 1 >= n_in + 1:
                r.fail("names an input out of range")
            cols = first + np.concatenate(([0], np.cumsum(gaps + 1)))
    if toggle:
        values, bias = toggle_row(n, r.bit())
    else:
        values = np.zeros(0, dtype=np.int64)
        if n:
            values = ref.values + r.sgamma_block(n) if ref is not None else _cumsum(r.sgamma_block(n), r)
        bias = (ctx.prev if ref is None else ref).bias + r.sgamma()
    index = ctx.prev.index + r.sgamma() if n_indices else 0
    row = _Row(cols, values, bias, index)
    _check_row(row, n_in, n_indices, r)
    return row


def _read_step(r: BitReader, ctx: _Context, n: int, toggle: bool, n_indices: int) -> _Row:
    ref = ctx.steps.get(n, _Row(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0, 0))
    step = _Row(ref.cols + r.sgamma_block(n), np.zeros(n, dtype=np.int64), 0, 0)
    if not toggle:
        step.values = ref.values + r.sgamma_block(n)
        step.bias = ref.bias + r.sgamma()
    if n_indices:
        step.index = ref.index + r.sgamma()
    return step


def _step(a: _Row, b: _Row) -> _Row:
    return _Row(b.cols - a.cols, b.values - a.values, b.bias - a.bias, b.index - a.index)


def _same_step(a: _Row, b: _Row) -> bool:
    return (
        np.array_equal(a.cols, b.cols)
        and np.array_equal(a.values, b.values)
        and a.bias == b.bias
        and a.index == b.index
    )


def _write_runs(w: BitWriter, rows: list[_Row], indexed: bool) -> None:
    """Greedy maximal runs of rows with one count, one kind and a constant step."""
    ctx, i = _Context(), 0
    kinds = [_toggle_state(row.values, row.bias) for row in rows]
    while i < len(rows):
        run = 1
        step = None
        if i + 1 < len(rows) and rows[i + 1].count == rows[i].count and kinds[i + 1] == kinds[i]:
            step = _step(rows[i], rows[i + 1])
            run = 2
            while (
                i + run < len(rows)
                and rows[i + run].count == rows[i].count
                and kinds[i + run] == kinds[i]
                and _same_step(_step(rows[i + run - 1], rows[i + run]), step)
            ):
                run += 1
        w.gamma(run)
        w.bit(kinds[i] is not None)
        _write_row(w, rows[i], ctx, kinds[i], indexed)
        if run > 1:
            assert step is not None  # a run of two or more rows has a step
            _write_step(w, step, ctx, kinds[i] is not None, indexed)
        ctx.ended(rows[i + run - 1], step)
        i += run


#: What each object the reader builds for the file (a block, a layer, a run of rows, a reader row)
#: takes from the reading budget, in units: its Python objects and small arrays hold about 1 KB
#: and take tens of microseconds to read, as much as hundreds of weights in bulk.  A file of
#: many tiny blocks (9 bits each) is so refused after about 2^26 / 1536 = 43,690 of them.
OBJECT_UNITS = 512


class _ReadBudget:
    """Units plus weights a file may make the reader allocate, and :data:`OBJECT_UNITS` per object."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def take(self, n: int, what: str) -> None:
        self.used += n
        self._check(what)

    def objects(self, n: int, what: str) -> None:
        """``n`` objects read (blocks, layers, runs, rows): :data:`OBJECT_UNITS` each."""
        self.used += n * OBJECT_UNITS
        self._check(what)

    def _check(self, what: str) -> None:
        if self.used > self.limit:
            raise BudgetError(
                f"network file: its {what} take the network past {self.limit} units and weights, "
                "over the budget (raise --max-cells)"
            )


def _read_runs(
    r: BitReader, n_out: int, n_in: int, n_indices: int, budget: _ReadBudget
) -> list[tuple[_Row, _Row, int]]:
    """The runs of a layer: ``(first row, step, length)``; each run checked at both ends before it is expanded."""
    runs, ctx, left = [], _Context(), n_out
    while left:
        run = r.gamma()
        if run > left:
            r.fail(f"has a run of {run} units where {left} are left")
        budget.objects(1, "runs")
        toggle = bool(r.bit())
        first = _read_row(r, ctx, toggle, n_indices, n_in)
        budget.take(run * first.count, "weights")
        n = first.count
        step = _Row(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), 0, 0)
        last = first
        if run > 1:
            step = _read_step(r, ctx, n, toggle, n_indices)
            for a, d in ((first.cols, step.cols), (first.values, step.values)):
                if n and int(np.abs(a).max()) + (run - 1) * int(np.abs(d).max()) >= MAX_ROW_SUM:
                    r.fail("has a run whose fields overflow")
            last = _Row(
                first.cols + (run - 1) * step.cols,
                first.values + (run - 1) * step.values,
                first.bias + (run - 1) * step.bias,
                first.index + (run - 1) * step.index,
            )
            _check_row(last, n_in, n_indices, r)  # fields are linear along a run: both ends in range, all are
        runs.append((first, step, run))
        ctx.ended(last, step if run > 1 else None)
        left -= run
    return runs


def _materialize(runs, n_in: int, n_out: int, exponent: int, linear: bool, palette: list[float], r: BitReader) -> Layer:
    counts, cols, value_parts, bias_parts, index = [], [], [], [], []
    for first, step, run in runs:
        j = np.arange(run, dtype=np.int64)[:, None]
        cols.append((first.cols[None, :] + j * step.cols[None, :]).ravel())
        value_parts.append((first.values[None, :] + j * step.values[None, :]).ravel())
        bias_parts.append(first.bias + j[:, 0] * step.bias)
        index.append(first.index + j[:, 0] * step.index)
        counts.append(np.full(run, first.count, dtype=np.int64))
    rows = np.repeat(np.arange(n_out, dtype=np.int64), _cat(counts))
    values, biases = _cat(value_parts), _cat(bias_parts)
    if np.any(values == 0):
        r.fail("has a zero weight (absent weights are not written)")
    scales = _scales(palette, _cat(index), values, biases, r) if linear else None
    return Layer(n_in, n_out, rows, _cat(cols), values, biases, exponent, linear, scales)


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _scales(
    palette: list[float], index: np.ndarray, values: np.ndarray, biases: np.ndarray, r: BitReader
) -> np.ndarray:
    """Output scales from palette indices; a layer without a palette has only zero outputs (scale 1)."""
    if palette:
        return np.asarray(palette, dtype=np.float64)[index]
    if values.size or np.any(biases != 0):
        r.fail("has an output without a scale")
    return np.ones(biases.size, dtype=np.float64)


# ----------------------------------------------------------------------------- step readers


def _write_reader_row(
    w: BitWriter, positions: np.ndarray, row: _Row, grid: int, indexed: bool, prev_index: int
) -> None:
    toggle = _toggle_state(row.values, row.bias)
    w.bit(toggle is not None)
    n = positions.size
    w.gamma0(n)
    if n:
        nz = positions[positions != 0]
        shift = grid if nz.size == 0 else int(min(grid, _trailing_zeros(nz).min()))
        g = positions >> shift
        w.gamma0(shift)
        w.gamma0(int(g[0]))
        if n > 1:  # γ0(0): consecutive points of the grid; γ0(k + 1): the gaps in Rice_k
            gaps = np.diff(g) - 1
            if not gaps.any():
                w.gamma0(0)
            else:
                k = rice_parameter(gaps)
                w.gamma0(k + 1)
                w.rice_block(gaps, k)
    if toggle is not None:
        w.bit(toggle)
    else:
        if n:
            w.sgamma_block(np.diff(row.values, prepend=0))
        w.sgamma(row.bias)
    if indexed:
        w.sgamma(row.index - prev_index)


def _trailing_zeros(v: np.ndarray) -> np.ndarray:
    low = v & -v
    return np.frexp(low.astype(np.float64))[1].astype(np.int64) - 1


def _read_reader_row(
    r: BitReader, grid: int, n_indices: int, prev_index: int, budget: _ReadBudget
) -> tuple[np.ndarray, _Row]:
    budget.objects(1, "rows")
    toggle = bool(r.bit())
    n = r.gamma0()
    budget.take(n, "breakpoints")  # consecutive points cost no bits each: the budget bounds them
    positions = np.zeros(0, dtype=np.int64)
    if n:
        shift = r.gamma0()
        if shift > grid:
            r.fail(f"has a breakpoint grid 2^{shift - grid}, coarser than [0, 1)")
        first = r.gamma0()
        gaps = np.zeros(max(n - 1, 0), dtype=np.int64)
        if n > 1:
            k = r.gamma0()
            if k:
                gaps = r.rice_block(n - 1, k - 1)
        limit = 1 << (grid - shift)
        if first + float(gaps.astype(np.float64).sum()) + n - 1 >= limit + 1:
            r.fail("has a breakpoint outside [0, 1)")
        positions = first + np.concatenate(([0], np.cumsum(gaps + 1)))
        if positions[-1] >= limit:
            r.fail("has a breakpoint outside [0, 1)")
        positions <<= shift
    if toggle:
        values, bias = toggle_row(n, r.bit())
    else:
        values = _cumsum(r.sgamma_block(n), r) if n else np.zeros(0, dtype=np.int64)
        bias = r.sgamma()
    row = _Row(np.zeros(0, dtype=np.int64), values, bias, prev_index + r.sgamma() if n_indices else 0)
    _check_row(row, 0, n_indices, r)
    return positions, row


def _read_reader(
    r: BitReader, n_out: int, grid: int, exponent: int, linear: bool, palette: list[float], budget: _ReadBudget
) -> tuple[Layer, Layer]:
    """The step layer (the union of the breakpoints its reader names) and the reader layer."""
    rows, positions, prev_index = [], [], 0
    for _ in range(n_out):
        p, row = _read_reader_row(r, grid, len(palette), prev_index, budget)
        prev_index = row.index
        rows.append(row)
        positions.append(p)
    flat = _cat(positions)
    points = np.unique(flat)
    steps = Layer(
        1,
        points.size,
        np.arange(points.size, dtype=np.int64),
        np.zeros(points.size, dtype=np.int64),
        np.full(points.size, 1 << grid, dtype=np.int64),
        -points,
        grid,
    )
    row_ids = np.repeat(np.arange(n_out, dtype=np.int64), [p.size for p in positions])
    values = _cat([row.values for row in rows])
    biases = np.array([row.bias for row in rows], dtype=np.int64)
    scales = (
        _scales(palette, np.array([row.index for row in rows], dtype=np.int64), values, biases, r) if linear else None
    )
    reader = Layer(
        points.size,
        n_out,
        row_ids,
        np.searchsorted(points, flat).astype(np.int64),
        values,
        biases,
        exponent,
        linear,
        scales,
    )
    return steps, reader
