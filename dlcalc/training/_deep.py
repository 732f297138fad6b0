"""The layers of the deep shape on a trained first layer (THEORY §7): trained plainly, or by the
feature-first curriculum (trunk units on the single-digit heads, then the head layers on the
frozen trunk), with the head layers' restarts selected per head or per network; and which
digits of ``h_σ`` a kept trunk computes exactly.
"""

from __future__ import annotations

import numpy as np

from ..core._instance import Instance
from ._certify import StepNetwork, is_step_layer
from ._config import (
    trunk_width,
)
from ._optimizer import _bucket, _deep_trainer, _head_trainer, _trunk_trainer

__all__ = ["trunk_digits"]


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
