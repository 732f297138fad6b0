"""From a trained network to an exact step network: hard steps, dyadic weights, pruning (THEORY §7).

A trained network (:class:`FloatNetwork`) holds float thresholds ``c_i`` of its
first-layer units ``H(x - c_i)``, float hidden layers acting on binary inputs,
and which units each output may read; its output layer is the least-squares fit
on the training grid, as during training.  :func:`harden` rounds it at one
dyadic step per layer:

- thresholds to the grid ``2^-e1`` (a unit at or below 0 is always on and joins
  the next layer's biases, one at or beyond 1 is never on and goes, equal
  thresholds merge);
- each hidden unit's weights and bias, divided by their largest magnitude (a
  positive factor, which ``H`` ignores), to the grid ``2^-e``;
- the output layer, refitted by least squares to the quantized features, to
  the grid ``2^-e_out``;

then removes units nothing reads.  :func:`quantize` searches the steps: the
coarsest first-layer step that keeps the certified sup error ``<= ε`` (a scan
from coarse to fine, since snapping thresholds to a coarse grid can be what puts
them on the heads' jumps), then for each later layer the coarsest step by
bisection, each choice checked by the exact certificate of :mod:`._certify`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core._feature import Feature
from ..core._heads import Head
from ._certify import StepLayer, StepNetwork, is_step_layer, sup_errors

__all__ = ["MAX_EXPONENT", "FloatNetwork", "Grid", "RoundedNetwork", "harden", "round_network", "simplify"]

#: Finest dyadic step tried for any layer: weights on the grid 2^-24.
MAX_EXPONENT = 24


@dataclass
class FloatNetwork:
    """A trained network before quantization.

    ``thresholds`` (K1): first-layer units ``H(x - c_i)``; ``hidden``: ``(W, b)``
    per later hidden layer, pre-activation ``W u + b`` on binary ``u``;
    ``reads`` (outputs × last-layer units, bool): the units each output's
    least-squares fit may use (no row for an output fixed at 0).
    """

    thresholds: np.ndarray
    hidden: list[tuple[np.ndarray, np.ndarray]]
    reads: np.ndarray

    @property
    def widths(self) -> list[int]:
        return [int(self.thresholds.size)] + [int(b.size) for _, b in self.hidden]


@dataclass
class Grid:
    """Training points (cell midpoints of one level) and the target of every output (NaN rows: output fixed at 0)."""

    level: int
    targets: np.ndarray  # (n, outputs) float64

    @property
    def x(self) -> np.ndarray:
        n = 1 << self.level
        return (2 * np.arange(n) + 1) / (2.0 * n)


def _first_layer(thresholds: np.ndarray, e1: int):
    """Rounded thresholds: the distinct ``g`` in ``(0, 2^e1)`` and, per unit, its new index, -1 (always on) or -2
    (never on)."""
    g = np.rint(np.asarray(thresholds, dtype=np.float64) * 2.0**e1).astype(np.int64)
    kept = np.unique(g[(g > 0) & (g < (1 << e1))])
    where = np.searchsorted(kept, g)
    index = np.where(g <= 0, -1, np.where(g >= (1 << e1), -2, where))
    return kept, index


def _fold_columns(w: np.ndarray, b: np.ndarray, index: np.ndarray, n_new: int) -> tuple[np.ndarray, np.ndarray]:
    """A next layer's weights over merged first-layer units: always-on units join the bias."""
    out = np.zeros((w.shape[0], n_new))
    for old, new in enumerate(index.tolist()):
        if new >= 0:
            out[:, new] += w[:, old]
    return out, b + w[:, index == -1].sum(axis=1)


def _round_rows(w: np.ndarray, b: np.ndarray, e: int) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's row divided by its largest magnitude, then rounded to the grid ``2^-e`` (integers)."""
    both = np.hstack([w, b[:, None]])
    scale = np.max(np.abs(both), axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    q = np.rint(both / scale * 2.0**e).astype(np.int64)
    return q[:, :-1], q[:, -1]


def _features(layers: list[StepLayer], level: int) -> np.ndarray:
    """Binary activations of the last hidden layer at the midpoints of the level-``level`` cells."""
    first = layers[0]
    n = 1 << level
    num = 2 * np.arange(n, dtype=np.int64) + 1  # x = num / 2^(level+1)
    g = -first.biases  # H(x - g 2^-e)
    e = first.exponent
    if e >= level + 1:
        act = (num[:, None] << (e - level - 1)) >= g[None, :]
    else:
        act = num[:, None] >= (g[None, :] << (level + 1 - e))
    act = act.astype(np.int64)
    for layer in layers[1:]:
        act = ((_binary_product(act, layer.weights) + layer.biases[None, :]) >= 0).astype(np.int64)
    return act


def _binary_product(act: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``act @ weights.T`` for binary ``act`` (points × inputs) and integer weights (units × inputs), exactly.

    Work in proportion to the nonzero weights when they are few (a deep network's output layer: each
    output reads its own units), as a BLAS product in floating point when every sum is below ``2^53``
    (each is then exact), else in integers.
    """
    nonzero = int(np.count_nonzero(weights))
    if nonzero * 4 < weights.size:
        rows, cols = np.nonzero(weights)  # row-major: each unit's inputs together
        out = np.zeros((act.shape[0], weights.shape[0]), dtype=np.int64)
        if nonzero:
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            terms = act[:, cols].astype(np.int64) * weights[rows, cols][None, :]
            out[:, rows[starts]] = np.add.reduceat(terms, starts, axis=1)
        return out
    if int(np.max(np.abs(weights), initial=0)) * weights.shape[1] < 1 << 53:
        return (act.astype(np.float64) @ weights.T.astype(np.float64)).astype(np.int64)
    return act @ weights.T


def _fit_outputs(features: np.ndarray, reads: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares per output over the units it reads, with an intercept; zero rows for fixed outputs.

    Outputs that read the same units share one design and one solve (a shallow network's outputs
    all read every unit): the work is a solve per distinct design, its outputs the right-hand
    sides, not one per output (``docs/cost.md``).
    """
    n_out = targets.shape[1]
    weights = np.zeros((n_out, features.shape[1]))
    biases = np.zeros(n_out)
    shared: dict[bytes, tuple[np.ndarray, list[int]]] = {}
    for t in range(n_out):
        if np.isnan(targets[0, t]):
            continue
        cols = np.flatnonzero(reads[t]) if reads.size else np.zeros(0, dtype=np.int64)
        shared.setdefault(cols.tobytes(), (cols, []))[1].append(t)
    for cols, outs in shared.values():
        design = np.hstack([features[:, cols].astype(np.float64), np.ones((features.shape[0], 1))])
        sol = np.linalg.lstsq(design, targets[:, outs], rcond=None)[0]
        weights[np.ix_(np.asarray(outs, dtype=np.int64), cols)] = sol[:-1].T
        biases[outs] = sol[-1]
    return weights, biases


def _prune(layers: list[StepLayer]) -> list[StepLayer]:
    """Drop hidden units no later unit reads (from the top down)."""
    layers = list(layers)
    for i in range(len(layers) - 1, 0, -1):
        used = np.any(layers[i].weights != 0, axis=0)
        if used.all():
            continue
        layers[i] = StepLayer(layers[i].weights[:, used], layers[i].biases, layers[i].exponent)
        below = layers[i - 1]
        layers[i - 1] = StepLayer(below.weights[used], below.biases[used], below.exponent)
    return layers


def _zeroed(w, b, act, pre, on, exponent) -> StepLayer:
    """Each unit's weights set to 0, smallest first, wherever its value on every cell stays the same."""
    for u in range(w.shape[0]):
        for j in np.argsort(np.abs(w[u]), kind="stable").tolist():
            if w[u, j] == 0:
                continue
            trial = pre[:, u] - act[:, j] * w[u, j]
            if np.array_equal(trial >= 0, on[:, u]):
                pre[:, u], w[u, j] = trial, 0
    return StepLayer(w, b, exponent)


#: Largest fan-in whose small-weight rewrite is searched (5^k weight vectors).
SMALL_FAN_IN = 6


def _small_rows(layer: StepLayer, act: np.ndarray, on: np.ndarray) -> StepLayer:
    """Each unit rewritten, where one exists, with the fewest and smallest integer weights in ``[-3, 3]`` on
    the inputs it reads that give it the same value on every cell (the bias: just enough).  The layer keeps
    its step ``2^-e`` (a rewritten row is multiplied by ``2^e``, a positive factor ``H`` ignores) unless every
    unit was rewritten (then ``e = 0``)."""
    import itertools

    w, b = layer.weights.copy(), layer.biases.copy()
    found: list[tuple[np.ndarray, int] | None] = []
    for u in range(w.shape[0]):
        cols = np.flatnonzero(w[u])
        if cols.size == 0:  # a constant unit (its readers take it over below)
            found.append((np.zeros(w.shape[1], dtype=np.int64), 0 if on[0, u] else -1))
            continue
        if cols.size > SMALL_FAN_IN:
            found.append(None)
            continue
        patterns = act[:, cols]
        top = 3 if cols.size <= 4 else 2
        grid = np.array(list(itertools.product(range(-top, top + 1), repeat=cols.size)), dtype=np.int64)
        pre = patterns @ grid.T  # (cells, candidates)
        ones, zeros = on[:, u], ~on[:, u]
        low = pre[ones].min(axis=0) if ones.any() else np.full(grid.shape[0], 0)
        high = pre[zeros].max(axis=0) if zeros.any() else np.full(grid.shape[0], -(1 << 20))
        valid = low > high
        if not valid.any():
            found.append(None)
            continue
        cost = np.count_nonzero(grid, axis=1) * 16 + np.abs(grid).sum(axis=1) * 2 + np.abs(low)
        best = int(np.flatnonzero(valid)[np.argmin(cost[valid])])
        row = np.zeros(w.shape[1], dtype=np.int64)
        row[cols] = grid[best]
        found.append((row, -int(low[best])))
    exponent = 0 if all(f is not None for f in found) else layer.exponent
    for u, f in enumerate(found):
        if f is not None:
            w[u], b[u] = f[0] << exponent, f[1] << exponent
    return StepLayer(w, b, exponent)


def simplify(rounded: RoundedNetwork, feature: Feature, heads: list[Head | None]) -> RoundedNetwork:
    """The same function with fewer weights: pruning that cannot change the certificate, then certified again.

    Hidden layers read only the first layer, whose units are constant between its
    thresholds, so each hidden unit's value on every one of those cells is all
    there is to keep.  Layer by layer, from the trunk up: a unit reading the
    thresholds is rewritten with weight ±2 at each threshold where its value
    flips and bias ±1 (the toggle rows of the network file, which keep only the
    thresholds some unit flips at); a later unit's weights are set to 0,
    smallest first, wherever its value on every cell stays the same, and the
    unit is rewritten with small integer weights where some give it the same
    values (:func:`_small_rows`); then a unit constant on all cells goes into its readers' biases, and a unit
    equal to an earlier one on all cells gives its readers' weights to it; units
    nothing reads are removed.  The output layer is left as it is.  The result is
    certified again: if its errors differed (they cannot), ``rounded`` is returned.
    """
    net = rounded.network
    layers = list(net.layers)
    if len(layers) < 3 or not is_step_layer(layers[0]):
        return rounded
    g = -layers[0].biases
    points = np.unique(np.concatenate([[0], g]))
    act = (points[:, None] >= g[None, :]).astype(np.int64)  # the first layer on each of its cells
    for i in range(1, len(layers) - 1):
        w, b = layers[i].weights.copy(), layers[i].biases.copy()
        pre = act @ w.T + b[None, :]
        on = pre >= 0
        if i == 1:  # units on the thresholds: weight ±2 where the unit flips, bias ±1 (the file's toggle rows)
            v = on.astype(np.int64)
            layers[i] = StepLayer(2 * (v[1:] - v[:-1]).T, 2 * v[0] - 1, 0)
            act = v
        else:
            layers[i] = _small_rows(_zeroed(w, b, act, pre, on, layers[i].exponent), act, on)
            act = on.astype(np.int64)
        nxt = layers[i + 1]
        nw, nb = nxt.weights.copy(), nxt.biases.copy()
        first_of: dict[bytes, int] = {}
        for u in range(act.shape[1]):
            col = act[:, u]
            if col.min() == col.max():
                if col[0] == 1:
                    nb += nw[:, u]
                nw[:, u] = 0
            elif col.tobytes() in first_of:
                nw[:, first_of[col.tobytes()]] += nw[:, u]
                nw[:, u] = 0
            else:
                first_of[col.tobytes()] = u
        layers[i + 1] = StepLayer(nw, nb, nxt.exponent)
    simpler = StepNetwork(_prune(layers), net.scales)
    if simpler == net:
        return rounded
    errors = sup_errors(simpler, feature, heads)
    if errors != list(rounded.errors):
        return rounded
    return RoundedNetwork(simpler, errors, rounded.exponents)


def harden(net: FloatNetwork, grid: Grid, exponents: list[int]) -> StepNetwork:
    """The step network of ``net`` with layer ``l`` on the dyadic grid ``2^-exponents[l]`` (module docstring)."""
    e1 = exponents[0]
    kept, index = _first_layer(net.thresholds, e1)
    layers = [StepLayer(np.full((kept.size, 1), 1 << e1, dtype=np.int64), -kept, e1)]
    reads = net.reads
    hidden = list(net.hidden)
    if hidden:
        w, b = _fold_columns(hidden[0][0], hidden[0][1], index, kept.size)
        hidden[0] = (w, b)
    else:  # the outputs read the merged first-layer units
        merged = np.zeros((reads.shape[0], kept.size), dtype=bool)
        for old, new in enumerate(index.tolist()):
            if new >= 0:
                merged[:, new] |= reads[:, old]
        reads = merged
    for (w, b), e in zip(hidden, exponents[1:-1], strict=False):
        qw, qb = _round_rows(w, b, e)
        layers.append(StepLayer(qw, qb, e))
    features = _features(layers, grid.level)
    w_out, b_out = _fit_outputs(features, reads, grid.targets)
    e_out = exponents[-1]
    layers.append(
        StepLayer(np.rint(w_out * 2.0**e_out).astype(np.int64), np.rint(b_out * 2.0**e_out).astype(np.int64), e_out)
    )
    return StepNetwork(_prune(layers))


@dataclass
class RoundedNetwork:
    """The quantized network, its exact sup error per output and the steps chosen."""

    network: StepNetwork
    errors: list[Fraction]
    exponents: list[int]

    @property
    def max_error(self) -> Fraction:
        return max(self.errors, default=Fraction(0))


def _grid_error(net: StepNetwork, grid: Grid, check: np.ndarray) -> float:
    """Largest float error on the check grid (a lower bound of the sup error: a cheap filter)."""
    layers = net.layers
    level = grid.level + 1
    feats = _features(layers[:-1], level) if len(layers) > 1 else np.zeros((1 << level, 0), dtype=np.int64)
    out = layers[-1]
    values = (_binary_product(feats, out.weights) + out.biases[None, :]) * 2.0**-out.exponent
    return float(np.nanmax(np.abs(values - check)))


def round_network(
    net: FloatNetwork,
    grid: Grid,
    feature: Feature,
    heads: list[Head | None],
    eps: float,
    check: np.ndarray,
    max_exponent: int = MAX_EXPONENT,
) -> RoundedNetwork:
    """The coarsest per-layer dyadic steps that keep the certified sup error ``<= ε`` (module docstring).

    ``check`` holds the targets at the midpoints one level finer than the grid
    (0 for outputs fixed at 0): a candidate whose error there already exceeds ε
    is rejected without the exact certificate.  When no step reaches ε, the
    first-layer step whose network errs least on the check grid is kept (the
    coarsest among equals; later layers at the finest step), and the result
    reports its certified error: a first layer at the grid's own step puts each
    threshold on the cell boundary between the two training points either side
    of it, where the finest step would leave it between them.
    """
    eps_exact = Fraction(eps)
    n_layers = len(net.hidden) + 2
    cache: dict[tuple[int, ...], RoundedNetwork] = {}
    on_grid: dict[tuple[int, ...], float] = {}

    def attempt(exps: list[int]) -> RoundedNetwork:
        key = tuple(exps)
        if key not in cache:
            step = harden(net, grid, exps)
            on_grid[key] = _grid_error(step, grid, check)
            if on_grid[key] > eps:
                errors = [Fraction(10**9)]  # rejected by the filter: certainly above ε
            else:
                errors = sup_errors(step, feature, heads)
            cache[key] = RoundedNetwork(step, errors, list(exps))
        return cache[key]

    def ok(exps: list[int]) -> bool:
        return attempt(exps).max_error <= eps_exact

    exps = [max_exponent] * n_layers
    first = next((e for e in range(max_exponent + 1) if ok([e] + exps[1:])), None)
    if first is None:  # nothing reaches ε: the first-layer step that errs least on the check grid, certified
        best = min(range(max_exponent + 1), key=lambda e: (on_grid[tuple([e] + exps[1:])], e))
        final = attempt([best] + exps[1:])
        if final.errors == [Fraction(10**9)]:
            final = RoundedNetwork(final.network, sup_errors(final.network, feature, heads), final.exponents)
        return final
    exps[0] = first
    for layer in range(1, n_layers):
        lo, hi = 0, max_exponent  # ok at hi (holds from the previous choice)
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(exps[:layer] + [mid] + exps[layer + 1 :]):
                hi = mid
            else:
                lo = mid + 1
        exps[layer] = hi
    return attempt(exps)
