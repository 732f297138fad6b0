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
from ..quantize._groups import QuantizedClass
from ..quantize._quantize import quantize_heads
from ._certify import StepLayer, StepNetwork, is_step_layer
from ._config import (
    ARCHS,
    DATA_LEVELS,
    MAX_GRID_LEVEL,
    SHAPES,
    ArchResult,
    TrainConfig,
    TrainedNetwork,
    require_training,
    trunk_width,
    width_ladder,
)
from ._optimizer import _bucket, _deep_trainer, _float_network, _head_trainer, _trainer, _trunk_trainer, compile_cache
from ._rounding import FloatNetwork, Grid, RoundedNetwork, round_network, simplify

__all__ = ["training_grid", "train_architecture", "constructed_bits", "training_steps"]

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


def _curriculum_digits(instance: Instance, quants, heads: list[int], eps: float) -> tuple[list[int], list[int]]:
    """The levels a task's trunk learns first, and the class's head for each: every level its heads read, when
    all its heads are Walsh heads and the class has the single-digit head ``walsh:2^(l-1)`` of each, nonzero at ε."""
    single: dict[int, int] = {}
    for t, head in enumerate(instance.heads):
        if head.family == "walsh" and head.index & (head.index - 1) == 0 and not quants[t].zero:
            single.setdefault(head.index.bit_length(), t)
    levels: set[int] = set()
    for t in heads:
        if quants[t].zero:
            continue
        head = instance.heads[t]
        if head.family != "walsh":
            return [], []
        levels |= {i + 1 for i in range(head.index.bit_length()) if head.index >> i & 1}
    if not levels or not levels <= set(single):
        return [], []
    ordered = sorted(levels)
    return ordered, [single[level] for level in ordered]


def trunk_digits(net: StepNetwork, feature) -> list[int]:
    """Levels ``l`` whose digit ``y_l = b_l(h_σ(x))`` (or ``1 - y_l``) a trunk unit of a deep network computes
    exactly on all of ``[0, 1)`` (compared at every breakpoint of either: the first layer's thresholds and the
    level-``l`` cell boundaries); empty for a shallow network."""
    if len(net.layers) < 4:
        return []
    first = net.layers[0]
    if not is_step_layer(first) or first.exponent > 40:
        return []
    e = max(first.exponent, feature.depth)
    g = (-first.biases).astype(np.int64) << (e - first.exponent)  # H(x - g 2^-e)
    points = np.unique(np.concatenate([[0], g, np.arange(1 << feature.depth, dtype=np.int64) << (e - feature.depth)]))
    points = points[(points >= 0) & (points < (1 << e))]
    act = (points[:, None] >= g[None, :]).astype(np.int64)
    trunk = net.layers[1]
    units = (act @ trunk.weights.T + trunk.biases[None, :] >= 0).astype(np.int64)
    y = feature(points / float(1 << e))
    found = []
    for level in range(1, feature.depth + 1):
        digit = (np.floor(y * (1 << level)).astype(np.int64) & 1)[:, None]
        if np.any(np.all(units == digit, axis=0) | np.all(units == 1 - digit, axis=0)):
            found.append(level)
    return found


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


def _deep_layers(clock, key, keys, batch, params, targets, level, n_out, width, eps, config) -> tuple[dict, int]:
    """The deep layers of every task of a batch at one width, over a restart axis whose entry 0 is the selected
    network (module docstring), then the networks of the single restarts; with the optimizer steps run.

    - Plain: trunk and head layers trained together on each restart's first layer (:func:`_deep_trainer`).
    - Curriculum (a task with ``digits``): the best shallow restart's first layer for every restart; trunk
      unit ``j`` trained on the single-digit head of ``digits[j]`` (:func:`_trunk_trainer`), each unit
      taken from its best restart; then the head layers on that frozen trunk.
    - ``select = "per-head"``: the head layers retrained on one frozen trunk (the curriculum's, or the
      best plain restart's), each head's layer taken from its best restart; ``"network"``: the
      restart whose worst head is best.
    """
    import jax

    restarts, tasks = config.restarts, len(batch)
    bucket = _bucket(width)
    k2 = trunk_width(bucket)
    n_points = 1 << level
    steps = 0
    curriculum = [bool(task.digits) and len(task.digits) <= k2 for task in batch]
    second = [c or config.select == "per-head" for c in curriculum]  # tasks whose head layers train on a frozen trunk
    best_first = np.argmin(np.asarray(params["shallow_error"]), axis=1)  # (tasks,)
    c = np.asarray(params["c"])
    plain: dict | None = None
    if not all(curriculum):
        run = _deep_trainer(bucket, n_points, n_out, config)
        plain = clock.run(run, keys, params["c"], targets, float(eps), np.int32(width), np.int32(trunk_width(width)))
        plain["c"] = c
        steps += config.steps * tasks * restarts
    if not any(second):
        assert plain is not None  # no task has the curriculum, so every task trained plainly
        return _with_selected(plain, restarts, "deep_error"), steps
    k_trunk, k_heads = jax.random.split(key)
    # the frozen trunk of every task: first layer, trunk weights, trunk size
    c_sel = np.zeros((tasks, bucket))
    w2 = np.zeros((tasks, k2, bucket))
    b2 = np.zeros((tasks, k2))
    trunk = np.full(tasks, trunk_width(width), dtype=np.int64)
    head_units = np.full(tasks, trunk_width(width), dtype=np.int64)
    if any(curriculum):
        digits = np.zeros((tasks, n_points, k2))
        mask = np.zeros((tasks, k2))
        for i, task in enumerate(batch):
            if curriculum[i]:
                digits[i, :, : len(task.digits)] = task.digit_targets
                mask[i, : len(task.digits)] = 1.0
        c_first = c[np.arange(tasks), best_first]
        tkeys = jax.random.split(k_trunk, tasks * restarts).reshape(tasks, restarts, -1)
        run = _trunk_trainer(bucket, n_points, config)
        units = clock.run(run, tkeys, c_first, digits, mask, float(eps), np.int32(width))
        steps += config.steps * tasks * restarts
        for i, task in enumerate(batch):
            if curriculum[i]:
                pick = np.argmin(units["unit_error"][i], axis=0)  # (k2,): each unit's best restart
                c_sel[i] = c_first[i]
                w2[i] = units["w2"][i][pick, np.arange(k2)]
                b2[i] = units["b2"][i][pick, np.arange(k2)]
                trunk[i] = len(task.digits)
                head_units[i] = min(k2, len(task.digits) + 1)
    for i in range(tasks):
        if not curriculum[i] and plain is not None:
            r = int(np.argmin(plain["deep_error"][i]))
            c_sel[i], w2[i], b2[i] = c[i, r], plain["w2"][i, r], plain["b2"][i, r]
    m2 = (np.arange(k2)[None, :] < trunk[:, None]).astype(np.float64)
    hkeys = jax.random.split(k_heads, tasks * restarts).reshape(tasks, restarts, -1)
    run = _head_trainer(bucket, n_points, n_out, config)
    heads = clock.run(run, hkeys, c_sel, w2, b2, m2, targets, float(eps), np.int32(width), head_units.max())
    steps += config.steps * tasks * restarts
    # per task: the head layers of every head's best restart (per-head) or of the best restart (network)
    errors = np.asarray(heads["head_error"])  # (tasks, restarts, n_out)
    out = {
        "c": np.repeat(c_sel[:, None], restarts + 1, axis=1),
        "w2": np.repeat(w2[:, None], restarts + 1, axis=1),
        "b2": np.repeat(b2[:, None], restarts + 1, axis=1),
        "w3": np.zeros((tasks, restarts + 1) + heads["w3"].shape[2:]),
        "b3": np.zeros((tasks, restarts + 1) + heads["b3"].shape[2:]),
        "deep_error": np.zeros((tasks, restarts + 1)),
        "trunk": trunk,
        "head_units": np.full(tasks, head_units.max()),
    }
    for i in range(tasks):
        if not second[i]:  # plain training, whole restarts: as trained
            assert plain is not None  # a task without the curriculum trained plainly
            for name in ("c", "w2", "b2", "w3", "b3"):
                out[name][i] = _with_selected(plain, restarts, "deep_error")[name][i]
            out["deep_error"][i] = _with_selected(plain, restarts, "deep_error")["deep_error"][i]
            out["trunk"][i] = out["head_units"][i] = trunk_width(width)
            continue
        if config.select == "per-head":
            pick = np.argmin(errors[i], axis=0)  # (n_out,)
        else:
            pick = np.full(n_out, np.argmin(errors[i].max(axis=1)))
        out["w3"][i, 0] = heads["w3"][i][pick, np.arange(n_out)]
        out["b3"][i, 0] = heads["b3"][i][pick, np.arange(n_out)]
        out["deep_error"][i, 0] = errors[i][pick, np.arange(n_out)].max()
        out["w3"][i, 1:] = heads["w3"][i]
        out["b3"][i, 1:] = heads["b3"][i]
        out["deep_error"][i, 1:] = errors[i].max(axis=1)
    return out, steps


def _with_selected(layers: dict, restarts: int, error: str) -> dict:
    """``layers`` with the restart of the smallest error put in front (entry 0), then every restart."""
    best = np.argmin(np.asarray(layers[error]), axis=1)
    idx = np.concatenate([best[:, None], np.tile(np.arange(restarts), (best.size, 1))], axis=1)
    rows = np.arange(best.size)[:, None]
    return {k: np.asarray(v)[rows, idx] for k, v in layers.items() if np.ndim(v) >= 2}


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


# ----------------------------------------------------------------------------- the constructed networks beside them


def constructed_bits(instance: Instance, eps: float, arch: str, max_cells: int) -> dict:
    """The constructed Heaviside networks of the same class (THEORY §7): ``file_bits``, their own serialized
    bits (``dlcalc network``'s ``network_bits``), and ``stream_bits``, the same self-delimiting entropy-coded
    streams the trained networks get, block by block, with their nonzero weights."""
    from ..networks._construction import joint_network, separate_networks
    from ._certify import from_heaviside
    from ._entropy import encode_network

    quants = quantize_heads(instance.heads, eps)
    separate = separate_networks(quants, instance.feature, max_cells)
    nets = (
        [joint_network(quants, instance.feature, max_cells, separate)] if arch == "joint" else [n for _, n in separate]
    )
    entropy_bits, offset = 0, 0
    for net in nets:
        for block, step in zip(net.blocks, from_heaviside(net), strict=False):
            heads = quants[offset : offset + block.n_outputs]
            offset += block.n_outputs
            if not all(q.zero for q in heads):  # heads that are all 0 at ε need no stream (as for the trained ones)
                entropy_bits += encode_network(step).stream_bits
    return {
        "file_bits": sum(n.network_bits for n in nets),
        "stream_bits": entropy_bits,
        "nonzero_weights": sum(n.nonzero_weights for n in nets),
    }


# ----------------------------------------------------------------------------- cost, weighed before any work


def training_steps(qclass: QuantizedClass, archs, config: TrainConfig, shapes=SHAPES):
    """What training, certifying and coding the networks materialize (``dlcalc.cost._cost``), from the class alone.

    Cells: the targets on the training grid and on the finer check grid, and the
    pieces of every head for the certificate; and the training itself, the
    search walking its whole width ladder: at every optimizer step, on every
    grid point, of every restart and network, each unit's value and the
    least-squares fit's products (``(K + 1)(K + 1 + T)`` for ``K`` first-layer
    units and ``T`` outputs; the deep layers at ``deep_widths`` widths of the
    widest bucket).  That figure is what the time grows with: the cells
    budget refuses a search that would run for long before it starts.
    Memory: the targets and certificates, and the activations of the widest
    batch JAX trains at once (every restart, and every head for the separate
    networks), a few temporaries each.
    """
    from ..core._budget import scaled
    from ..cost._cost import Step

    live = [q for q in qclass.groups if not q.zero]
    if not live:
        return [Step("training data")]
    depth = qclass.depth
    levels = [q.group.top if q.kind == "walsh" else q.group.last + q.sawtooth_precision for q in live]
    level = max(levels) + DATA_LEVELS
    outputs = sum(q.count for q in live)
    pieces = sum(scaled(q.count, q.group.top if q.kind == "walsh" else max(depth, q.group.last)) for q in live)
    targets = 3 * scaled(outputs, level)  # the grid and the check grid, twice as fine
    units = _bucket(config.max_width) + 2 * trunk_width(config.max_width)
    batch = config.restarts * scaled(units * (outputs if "separate" in archs else 1) + outputs, level)
    widest, trunk = _bucket(config.max_width), trunk_width(_bucket(config.max_width))
    work = 0
    for arch in archs:
        networks, n_out = (1, outputs) if arch == "joint" else (outputs, 1)
        per_point = sum((_bucket(w) + 1) * (_bucket(w) + 1 + n_out) for w in width_ladder(config.max_width))
        if "deep" in shapes:
            per_point += config.deep_widths * (trunk * (widest + 1) + n_out * (trunk**2 + (trunk + 1) ** 2))
        work += scaled(config.steps * config.restarts * networks * per_point, level)
    return [
        Step(
            "training data and certificates",
            cells=targets + pieces,
            held_bytes=8 * (targets + pieces),
            transient_bytes=8 * 8 * batch,
        ),
        Step("training search", cells=work),
    ]
