"""Training Heaviside networks by gradient descent, searching their size, counting their bits (THEORY §7).

Needs the ``train`` extra (``pip install -e '.[train]'``): JAX and optax for
training, ``constriction`` for the bit counts.  They are imported inside the
functions that use them, so ``import dlcalc`` never loads them.

Architectures (``joint``: one network whose outputs are all heads; ``separate``:
one network per head), each in two shapes:

- ``shallow``: ``x -> K`` steps ``H(x - c_i)`` ``->`` linear outputs;
- ``deep``: ``x -> K`` steps ``-> W`` trunk units ``->`` per head ``W`` units
  ``->`` its output, with ``W = bit_length(K) + 2``: a trunk that can compute
  ``log2 K`` digits of the feature, then per-head layers that can take parities
  and XORs of them.

Training (deterministic for a seed, CPU): the data are the heads' true values
at the cell midpoints of a grid one level finer than the finest approximant the
heads need at ε (THEORY §8): two points a cell, a quarter cell either side of
every dyadic jump, so a threshold trained between them rounds onto the jump.
Step units have no useful gradient, so every unit is a sigmoid whose
temperature goes to zero (soft-to-hard annealing), followed by a phase with
exact steps forward and the sigmoid's gradient backward (a straight-through
estimator).  The output layer is the least-squares fit to the current features
at every step (variable projection); its coefficients are held fixed under
differentiation, which leaves the gradient unchanged at the optimum and spares a
pass through the solve.  The loss is the mean squared error in units of ε; Adam
(optax) with a cosine schedule.  During the soft phase a threshold that has
come within half a grid step of another (twins get equal gradients and never
part) or left ``(0, 1)`` restarts at a random place every few steps.  A deep
network starts from a trained shallow one: its first layer is the shallow
network's, kept fixed while the upper layers train (layer-wise training; the
first layer gets no useful gradient through saturated upper layers).  Several
restarts, and for the separate architecture every head, train side by side
(``jax.vmap``) in one compiled program per power of two of the width (one for
the shallow networks, one for the deep layers on top of them).

Search: widths ``K = 1, 2, 3, 4, 6, 8, 12, ...`` up to a budget.  At each width
the restarts are quantized and certified exactly (:mod:`._harden`,
:mod:`._certify`); the first width at which one reaches ε, and ``patience``
widths after it, are kept, and the smallest in bits wins.  The deep shape is
trained at ``deep_widths`` widths only, from the first at which the shallow
networks (their first layers; every head's, for the separate networks, which
train side by side) have fit the training grid within ε, or at the widest
when they have not: a deep network computes a function constant on the cells of
its first layer, and any such function is the output of a shallow network on
the same layer, so where that layer does not fit the grid the deep layers have
little to add and would mostly spend time (and compilations).  When no width reaches ε
within the budget the result says so (``reached`` false) and keeps the network
with the smallest certified error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar

import numpy as np

from .._errors import BudgetError, SpecError
from ..core._instance import Instance
from ..quantize._quantize import quantize_heads
from ._certify import StepLayer, StepNetwork
from ._config import (
    ARCHS,
    DATA_LEVELS,
    MAX_GRID_LEVEL,
    SHAPES,
    ArchResult,
    TrainConfig,
    TrainedNetwork,
    require_training,
    width_ladder,
)
from ._deep import _curriculum_digits, _deep_layers, trunk_digits
from ._optimizer import _bucket, _float_network, _trainer, compile_cache
from ._rounding import FloatNetwork, Grid, RoundedNetwork, round_network, simplify

__all__ = ["training_grid", "train_architecture"]

#: The default settings of :func:`train_architecture` (a frozen dataclass, shared safely).
_DEFAULT_CONFIG = TrainConfig()


# ----------------------------------------------------------------------------- data


def training_grid(instance: Instance, eps: float, heads: list[int] | None = None, extra: int = DATA_LEVELS) -> Grid:
    """Targets ``f_t`` at the cell midpoints of level ``r + extra`` (``r``: finest approximant level of the heads).

    ``heads`` selects outputs (default: all); a head with ``ε >= a`` is fixed at 0 (a NaN column).
    """
    quants = quantize_heads(instance.heads, eps)
    heads = list(range(len(instance.heads))) if heads is None else heads
    levels = [quants[t].approximant_level(instance.depth) for t in heads if not quants[t].zero]
    level = max(levels, default=0) + extra
    if level > MAX_GRID_LEVEL:
        raise BudgetError(
            f"training data for these heads at ε = {eps:g} need 2^{level} points; the limit is 2^{MAX_GRID_LEVEL}"
        )
    grid = Grid(level, np.zeros((1 << level, len(heads))))
    x = grid.x
    for col, t in enumerate(heads):
        grid.targets[:, col] = np.nan if quants[t].zero else instance.evaluate(t, x)
    return grid


def _check_targets(instance: Instance, eps: float, heads: list[int], grid: Grid) -> np.ndarray:
    """Targets at the midpoints one level finer (0 for outputs fixed at 0): the cheap filter of :func:`quantize`."""
    quants = quantize_heads(instance.heads, eps)
    n = 1 << (grid.level + 1)
    x = (2 * np.arange(n) + 1) / (2.0 * n)
    return np.stack([np.zeros(n) if quants[t].zero else instance.evaluate(t, x) for t in heads], axis=1)


# ----------------------------------------------------------------------------- search


@dataclass
class _Task:
    """One network to find: the heads it outputs (instance indices), its grid, the best network so far per shape."""

    heads: list[int]
    grid: Grid
    check: np.ndarray
    best: dict[str, TrainedNetwork] = field(default_factory=dict)
    reached_at: dict[str, int] = field(default_factory=dict)  # ladder index of each shape's first success
    deep_from: int | None = None  # ladder index at which the deep shape's window opens
    fits_grid: bool = False  # a shallow network (a deep one's first layer) has fit the training grid within ε
    done: bool = False
    active_columns: list[int] = field(default_factory=list)
    digits: list[int] = field(default_factory=list)  # curriculum: the levels its trunk units learn, in order
    digit_targets: np.ndarray | None = None  # (n, len(digits)): the single-digit heads' values on the grid

    def deep_window(self, rung: int, config: TrainConfig) -> bool:
        return self.deep_from is not None and self.deep_from <= rung < self.deep_from + config.deep_widths

    def finished(self, rung: int, shapes, config: TrainConfig) -> bool:
        shallow = "shallow" not in shapes or (
            "shallow" in self.reached_at and rung - self.reached_at["shallow"] >= config.patience
        )
        deep = "deep" not in shapes or (self.deep_from is not None and rung >= self.deep_from + config.deep_widths - 1)
        return shallow and deep


class _Clock:
    """Compiled programs (ahead of time, once per program and argument shapes) and the seconds spent compiling
    (or loading from JAX's persistent cache) and running them."""

    compiled: ClassVar[dict] = {}

    def __init__(self) -> None:
        self.compile = 0.0
        self.train = 0.0

    def run(self, program, *args):
        import jax

        key = (program, tuple((np.shape(a), str(getattr(a, "dtype", type(a).__name__))) for a in args))
        if key not in self.compiled:
            start = time.perf_counter()
            self.compiled[key] = program.lower(*args).compile()
            self.compile += time.perf_counter() - start
        start = time.perf_counter()
        out = jax.device_get(self.compiled[key](*args))
        self.train += time.perf_counter() - start
        return out


def _zero_network(n_outputs: int) -> StepNetwork:
    """No hidden unit, every output 0: the network of heads with ``ε >= a``."""
    return StepNetwork(
        [
            StepLayer(np.zeros((0, 1), dtype=np.int64), np.zeros(0, dtype=np.int64), 0),
            StepLayer(np.zeros((n_outputs, 0), dtype=np.int64), np.zeros(n_outputs, dtype=np.int64), 0),
        ]
    )


def _kept(shape: str, width: int, quantized: RoundedNetwork, grid_error: float, feature) -> TrainedNetwork:
    from ._certify import to_heaviside
    from ._entropy import network_stream

    stream, equal = network_stream(quantized.network)
    file_bits = to_heaviside(quantized.network).network_bits
    digits = trunk_digits(quantized.network, feature) if shape == "deep" else None
    return TrainedNetwork(shape, width, quantized, stream.stream_bits, equal, grid_error, file_bits, digits)


def _better(new: TrainedNetwork, old: TrainedNetwork | None, eps: Fraction) -> bool:
    """Reaching ε first, then fewer file bits (then stream bits); among networks that miss ε, the smaller error."""
    if old is None:
        return True
    new_ok, old_ok = new.max_error <= eps, old.max_error <= eps
    if new_ok != old_ok:
        return new_ok
    if new_ok:
        return (new.file_bits, new.stream_bits) < (old.file_bits, old.stream_bits)
    return new.max_error < old.max_error


def train_architecture(
    instance: Instance, eps: float, arch: str, shapes=SHAPES, config: TrainConfig = _DEFAULT_CONFIG, progress=None
) -> ArchResult:
    """Train, quantize, certify and count the bits of the smallest network found for one architecture.

    ``progress(width)`` is called before each width of the ladder.
    """
    require_training()
    import jax

    if arch not in ARCHS:
        raise SpecError(f"architecture must be one of {ARCHS}")
    shapes = tuple(shapes)
    if not shapes or any(s not in SHAPES for s in shapes):
        raise SpecError(f"shapes must be among {SHAPES}")
    start = time.perf_counter()
    compile_cache()
    quants = quantize_heads(instance.heads, eps)
    n_heads = len(instance.heads)
    eps_exact = Fraction(eps)
    groups = [list(range(n_heads))] if arch == "joint" else [[t] for t in range(n_heads)]
    tasks: list[_Task] = []
    full = training_grid(instance, eps)  # one grid for every network, so separate networks train side by side
    check = _check_targets(instance, eps, list(range(n_heads)), full)
    for heads in groups:
        task = _Task(heads, Grid(full.level, full.targets[:, heads]), check[:, heads])
        task.active_columns = [i for i, t in enumerate(heads) if not quants[t].zero]
        if config.curriculum:
            task.digits, columns = _curriculum_digits(instance, quants, heads, eps)
            task.digit_targets = full.targets[:, columns] if columns else None
        if not task.active_columns:  # every head is 0 at this ε: the class says so, no stream is needed
            zero = _zero_network(len(heads))
            errors = [Fraction(instance.heads[t].amplitude) for t in heads]
            task.best = {s: TrainedNetwork(s, 0, RoundedNetwork(zero, errors, [0, 0]), 0, True, 0.0) for s in shapes}
            task.done = True
        tasks.append(task)
    deep = "deep" in shapes
    clock = _Clock()
    total_steps = 0
    widths_tried = []
    ladder = width_ladder(config.max_width)
    with jax.enable_x64(True):
        key = jax.random.PRNGKey(config.seed)
        for rung, width in enumerate(ladder):
            if all(task.done for task in tasks):
                break
            widths_tried.append(width)
            if progress is not None:
                progress(width)
            # tasks with the same grid and output count train together; finished ones stay in the batch
            # (ignored), so its shape and the compiled program stay the same from width to width
            batches: dict[tuple[int, int], list[_Task]] = {}
            for task in tasks:
                if task.active_columns:
                    batches.setdefault((task.grid.level, len(task.active_columns)), []).append(task)
            for (level, n_out), batch in batches.items():
                if all(task.done for task in batch):
                    continue
                key, sub = jax.random.split(key)
                keys = jax.random.split(sub, len(batch) * config.restarts).reshape(len(batch), config.restarts, -1)
                targets = np.stack([task.grid.targets[:, task.active_columns] for task in batch])
                run = _trainer(_bucket(width), 1 << level, config)
                params = clock.run(run, keys, targets, float(eps), np.int32(width))
                total_steps += config.steps * len(batch) * config.restarts
                for i, task in enumerate(batch):
                    task.fits_grid = task.fits_grid or float(np.min(params["shallow_error"][i])) <= eps
                # the deep window opens when every first layer of the batch has fit the grid (or the ladder ends):
                # one window a batch, so the deep program runs, and compiles, at deep_widths widths only
                if all(task.fits_grid for task in batch) or rung == len(ladder) - 1:
                    for task in batch:
                        task.deep_from = rung if task.deep_from is None else task.deep_from
                for i, task in enumerate(batch):
                    if task.done:
                        continue
                    if "shallow" in shapes and rung - task.reached_at.get("shallow", rung) <= config.patience:
                        _consider(task, "shallow", params, i, width, instance, eps, eps_exact, n_out, rung, config)
                if not deep or not any(not task.done and task.deep_window(rung, config) for task in batch):
                    continue
                key, sub = jax.random.split(key)
                layers, steps = _deep_layers(clock, sub, keys, batch, params, targets, level, n_out, width, eps, config)
                total_steps += steps
                for i, task in enumerate(batch):
                    if not task.done and task.deep_window(rung, config):
                        _consider(task, "deep", layers, i, width, instance, eps, eps_exact, n_out, rung, config)
            for task in tasks:
                if not task.done and task.finished(rung, shapes, config):
                    task.done = True
    by_shape = {shape: [task.best.get(shape) for task in tasks] for shape in shapes}
    networks = []
    for task in tasks:
        best = None
        for shape in shapes:
            if shape in task.best and _better(task.best[shape], best, eps_exact):
                best = task.best[shape]
        assert best is not None  # zero tasks start with a network, the others keep one from their first width
        networks.append(best)
    specs = [instance.heads[t].spec for t in range(n_heads)] if arch == "separate" else ["joint"]
    seconds = time.perf_counter() - start
    levels = [task.digits if deep else [] for task in tasks]
    return ArchResult(
        arch, eps, networks, specs, total_steps, seconds, widths_tried, by_shape, clock.compile, clock.train, levels
    )


def _consider(
    task: _Task,
    shape: str,
    params: dict,
    i: int,
    width: int,
    instance: Instance,
    eps: float,
    eps_exact: Fraction,
    n_out: int,
    rung: int,
    config: TrainConfig,
) -> None:
    """Quantize and certify the two best distinct restarts of one task at one width in one shape (best grid error
    first); keep the best.  With ``config.prune`` the rounded network is simplified without changing its
    function (:func:`simplify`) and certified again."""
    heads = [instance.heads[t] for t in task.heads]
    n_total = len(task.heads)
    errors = np.asarray(params[f"{shape}_error"][i])
    seen: set[bytes] = set()
    for restart in np.argsort(errors, kind="stable").tolist():
        if len(seen) == 2:
            break
        net = _float_network(params, shape, i, restart, n_out, width)
        fingerprint = net.thresholds.tobytes() + b"".join(w.tobytes() + b.tobytes() for w, b in net.hidden)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        reads = np.zeros((n_total, net.reads.shape[1]), dtype=bool)
        reads[task.active_columns] = net.reads
        net = FloatNetwork(net.thresholds, net.hidden, reads)
        q = round_network(net, task.grid, instance.feature, heads, eps, task.check)
        if config.prune:
            q = simplify(q, instance.feature, heads)
        best = task.best.get(shape)
        if q.max_error > eps_exact and best is not None and best.max_error <= q.max_error:
            continue
        candidate = _kept(shape, width, q, float(errors[restart]), instance.feature)
        if _better(candidate, best, eps_exact):
            task.best[shape] = candidate
        if candidate.max_error <= eps_exact:
            task.reached_at.setdefault(shape, rung)
            break
