"""The network file: a bit-level, self-delimiting serialization of Heaviside networks (THEORY §7).

The layout is documented in ``docs/format.md`` ("Network files"); this module is its
reference implementation.  A file holds one or more *blocks* side by side (their
outputs concatenated); a block is a stack of :class:`Layer` objects: a step layer
``H(x - g 2^-E)``, Heaviside layers, and one linear output layer.  The body is
written with the prefix codes of :mod:`dlcalc.networks._bits`:

- the step layer is not written at all: its breakpoints are the union of the
  positions its reader layer names, each reader row as gaps on its own dyadic grid;
- a *toggle row* (weights ``±2`` alternating, bias ``∓1``: a unit that flips at each
  input, as a digit of the trunk flips at each of its breakpoints) is one bit, its
  weights and bias implied;
- every other layer is a list of *runs*: a first row coded against the row before
  it, and a constant step that makes each further row of the run from the previous;
- weights are small integers on one per-layer scale ``2^-e``; output scales come
  from a per-layer palette;
- a block is followed by one bit (another block follows or not), so a file of
  several blocks is exactly as long as the blocks' own files together.

The reader is a hostile-input surface: every count is checked against the bits
left or against the size budget before anything sized by it is allocated, and
every defect is a one-line :class:`FormatError`.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ._bits import BitReader, BitWriter, rice_parameter, sgamma_bits
from .._errors import BudgetError, FormatError

__all__ = [
    "Layer",
    "make_layer",
    "toggle_row",
    "NETWORK_MAGIC",
    "NETWORK_VERSION",
    "MAX_NETWORK_BYTES",
    "MAX_EXPONENT",
    "encode_blocks",
    "decode_blocks",
    "layer_bits",
]

NETWORK_MAGIC = b"\x89DHN\r\n\x1a\n"
NETWORK_VERSION = 2
#: Largest network file the reader accepts.
MAX_NETWORK_BYTES = 64 << 20
#: Largest layer exponent (weights are ``value · 2^-e``) and grid exponent.
MAX_EXPONENT = 62
#: Largest number of hidden layers in a block.
MAX_HIDDEN_LAYERS = 64
#: A row's ``Σ|w| + |b|`` stays below this, so integer pre-activations never overflow.
MAX_ROW_SUM = 1 << 62
#: Output scales are normal float64 numbers of magnitude in ``[2^-1022, 2^960)``:
#: a scale times any pre-activation is finite.
MIN_SCALE_EXP, MAX_SCALE_EXP = -1022, 960
_FRAMING = len(NETWORK_MAGIC) + 2 + 4


@dataclass
class Layer:
    """One layer: ``n_out`` units over ``n_in`` inputs, sparse integer weights on scale ``2^-exponent``.

    ``rows``, ``cols`` (sorted by row, then column), ``values`` and ``biases`` are int64
    arrays; a linear (output) layer multiplies output ``u`` by ``scales[u]``.
    """

    n_in: int
    n_out: int
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    biases: np.ndarray
    exponent: int
    linear: bool = False
    scales: np.ndarray | None = None

    @property
    def nonzeros(self) -> int:
        return int(self.values.size)

    def row_starts(self) -> np.ndarray:
        """``starts[u] : starts[u + 1]`` are the weights of unit ``u``."""
        return np.searchsorted(self.rows, np.arange(self.n_out + 1))


def make_layer(n_in, n_out, rows, cols, values, biases, exponent, linear=False, scales=None) -> Layer:
    """A :class:`Layer` from unsorted triplets; zero weights are dropped."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    keep = values != 0
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, rows))
    return Layer(int(n_in), int(n_out), rows[order], cols[order], values[order],
                 np.asarray(biases, dtype=np.int64).reshape(-1), int(exponent), bool(linear),
                 None if scales is None else np.asarray(scales, dtype=np.float64).reshape(-1))


def toggle_row(count: int, s: int) -> tuple[np.ndarray, int]:
    """Weights and bias of a toggle row: ``H(±(1 - 2u_1 + 2u_2 - …))`` starts at ``s`` and flips at each input.

    >>> toggle_row(3, 0)[0].tolist(), toggle_row(3, 0)[1], toggle_row(2, 1)[0].tolist(), toggle_row(2, 1)[1]
    ([2, -2, 2], -1, [-2, 2], 1)
    """
    sign = 1 if s == 0 else -1
    values = sign * 2 * np.where(np.arange(count) % 2 == 0, 1, -1).astype(np.int64)
    return values, -sign


def _toggle_state(values: np.ndarray, bias: int) -> int | None:
    """``s`` when the row is a toggle row, else None."""
    if bias not in (-1, 1):
        return None
    s = 0 if bias == -1 else 1
    first = 2 if s == 0 else -2
    if values.size and not (np.all(values[0::2] == first) and np.all(values[1::2] == -first)):
        return None
    return s


# ----------------------------------------------------------------------------- floats


def _split_scale(x: float) -> tuple[int, int]:
    """``x = m · 2^k`` with ``m`` odd."""
    m, e = math.frexp(x)
    m, k = int(m * (1 << 53)), e - 53
    while m % 2 == 0:
        m //= 2
        k += 1
    return m, k


def _write_scale(w: BitWriter, x: float) -> None:
    m, k = _split_scale(x)
    w.bit(m < 0)
    w.delta((abs(m) + 1) // 2)
    w.sgamma(k)


def _read_scale(r: BitReader) -> float:
    negative = r.bit()
    m = 2 * r.delta() - 1
    k = r.sgamma()
    if m >= 1 << 53:
        r.fail("has an output scale that is not a float64 value")
    top = k + m.bit_length()  # |scale| is in [2^(top-1), 2^top)
    if top - 1 < MIN_SCALE_EXP or top > MAX_SCALE_EXP:
        r.fail(f"has an output scale 2^{top - 1}, outside [2^{MIN_SCALE_EXP}, 2^{MAX_SCALE_EXP})")
    value = math.ldexp(float(m), k)
    return -value if negative else value


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
            idx = lookup.get(float(layer.scales[u]), idx)
        out.append(_Row(layer.cols[lo:hi], layer.values[lo:hi], int(layer.biases[u]), idx))
    return out


def _palette(layer: Layer) -> list[float]:
    """The distinct scales of the outputs that are not constant 0, increasing (none for a Heaviside layer)."""
    if not layer.linear:
        return []
    live = np.bincount(layer.rows, minlength=layer.n_out).astype(bool) | (layer.biases != 0)
    return sorted(set(layer.scales[live].tolist()))


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
    return (np.array_equal(a.cols, b.cols) and np.array_equal(a.values, b.values)
            and a.bias == b.bias and a.index == b.index)


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
            while i + run < len(rows) and rows[i + run].count == rows[i].count and kinds[i + run] == kinds[i] \
                    and _same_step(_step(rows[i + run - 1], rows[i + run]), step):
                run += 1
        w.gamma(run)
        w.bit(kinds[i] is not None)
        _write_row(w, rows[i], ctx, kinds[i], indexed)
        if run > 1:
            _write_step(w, step, ctx, kinds[i] is not None, indexed)
        ctx.ended(rows[i + run - 1], step)
        i += run


class _Budget:
    """Units plus weights a file may make the reader allocate."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def take(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise BudgetError(f"network file: its {what} take the network past {self.limit} units and weights, "
                              "over the budget (raise --max-cells)")


def _read_runs(r: BitReader, n_out: int, n_in: int, n_indices: int, budget: _Budget) -> list[tuple[_Row, _Row, int]]:
    """The runs of a layer: ``(first row, step, length)``; each run checked at both ends before it is expanded."""
    runs, ctx, left = [], _Context(), n_out
    while left:
        run = r.gamma()
        if run > left:
            r.fail(f"has a run of {run} units where {left} are left")
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
            last = _Row(first.cols + (run - 1) * step.cols, first.values + (run - 1) * step.values,
                        first.bias + (run - 1) * step.bias, first.index + (run - 1) * step.index)
            _check_row(last, n_in, n_indices, r)  # fields are linear along a run: both ends in range, all are
        runs.append((first, step, run))
        ctx.ended(last, step if run > 1 else None)
        left -= run
    return runs


def _materialize(runs, n_in: int, n_out: int, exponent: int, linear: bool, palette: list[float], r: BitReader) -> Layer:
    counts, cols, values, biases, index = [], [], [], [], []
    for first, step, run in runs:
        j = np.arange(run, dtype=np.int64)[:, None]
        cols.append((first.cols[None, :] + j * step.cols[None, :]).ravel())
        values.append((first.values[None, :] + j * step.values[None, :]).ravel())
        biases.append(first.bias + j[:, 0] * step.bias)
        index.append(first.index + j[:, 0] * step.index)
        counts.append(np.full(run, first.count, dtype=np.int64))
    rows = np.repeat(np.arange(n_out, dtype=np.int64), _cat(counts))
    values, biases = _cat(values), _cat(biases)
    if np.any(values == 0):
        r.fail("has a zero weight (absent weights are not written)")
    scales = _scales(palette, _cat(index), values, biases, r) if linear else None
    return Layer(n_in, n_out, rows, _cat(cols), values, biases, exponent, linear, scales)


def _cat(parts) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def _scales(palette: list[float], index: np.ndarray, values: np.ndarray, biases: np.ndarray, r: BitReader) -> np.ndarray:
    """Output scales from palette indices; a layer without a palette has only zero outputs (scale 1)."""
    if palette:
        return np.asarray(palette, dtype=np.float64)[index]
    if values.size or np.any(biases != 0):
        r.fail("has an output without a scale")
    return np.ones(biases.size, dtype=np.float64)


# ----------------------------------------------------------------------------- step readers


def _write_reader_row(w: BitWriter, positions: np.ndarray, row: _Row, grid: int, indexed: bool, prev_index: int) -> None:
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


def _read_reader_row(r: BitReader, grid: int, n_indices: int, prev_index: int, budget: _Budget) -> tuple[np.ndarray, _Row]:
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


def _read_reader(r: BitReader, n_out: int, grid: int, exponent: int, linear: bool, palette: list[float],
                 budget: _Budget) -> tuple[Layer, Layer]:
    """The step layer (the union of the breakpoints its reader names) and the reader layer."""
    rows, positions, prev_index = [], [], 0
    for _ in range(n_out):
        p, row = _read_reader_row(r, grid, len(palette), prev_index, budget)
        prev_index = row.index
        rows.append(row)
        positions.append(p)
    flat = _cat(positions)
    points = np.unique(flat)
    steps = Layer(1, points.size, np.arange(points.size, dtype=np.int64), np.zeros(points.size, dtype=np.int64),
                  np.full(points.size, 1 << grid, dtype=np.int64), -points, grid)
    row_ids = np.repeat(np.arange(n_out, dtype=np.int64), [p.size for p in positions])
    values = _cat([row.values for row in rows])
    biases = np.array([row.bias for row in rows], dtype=np.int64)
    scales = _scales(palette, np.array([row.index for row in rows], dtype=np.int64), values, biases, r) if linear else None
    reader = Layer(points.size, n_out, row_ids, np.searchsorted(points, flat).astype(np.int64), values, biases,
                   exponent, linear, scales)
    return steps, reader


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
    return [b - a for a, b in zip(marks, marks[1:])]


def _read_block(r: BitReader, budget: _Budget) -> list[Layer]:
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
    if any(b <= a for a, b in zip(palette, palette[1:])):
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
    budget = _Budget(max_cells)
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
        raise FormatError(f"network format version {version} is not supported (this dlcalc reads version {NETWORK_VERSION})")
    if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise FormatError("network file checksum mismatch")
    return data[len(NETWORK_MAGIC) + 2 : -4]
