"""The compiled training programs (JAX and optax): annealed sigmoids, straight-through steps,
least-squares outputs, restarts side by side (THEORY §7; the method is described in
:mod:`dlcalc.training._train`).  Imported only when training runs.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np

from ._config import (
    RESAMPLE_EVERY,
    TrainConfig,
    trunk_width,
)
from ._rounding import FloatNetwork

__all__ = []


# ----------------------------------------------------------------------------- JAX training


@functools.lru_cache(maxsize=1)
def compile_cache() -> str | None:
    """Keep compiled programs in JAX's persistent compilation cache under the user's cache directory
    (``$XDG_CACHE_HOME/dlcalc/jax``, else ``~/.cache/dlcalc/jax``), so a later run of the same shapes loads
    them instead of compiling.  Never inside the project: a cache directory under the package's own
    checkout is not used; nor one that cannot be written, nor any without a home directory (training then
    runs without it), nor when the caller has set a JAX cache directory already.  Returns the directory used, or None.
    """
    import jax

    if jax.config.jax_compilation_cache_dir:  # type: ignore[attr-defined]  # a config option, read by name
        return None
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base).expanduser().resolve() / "dlcalc" / "jax"
    except RuntimeError:  # no home directory at all
        return None
    project = Path(__file__).resolve().parents[2]
    if path.is_relative_to(project) or not path.is_absolute():
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except (OSError, AttributeError, ValueError):
        return None
    return str(path)


def _bucket(width: int) -> int:
    """Compiled width for a ladder width: the next power of two, at least 4 (units beyond ``width`` are masked).

    Compiling costs seconds; a bucket serves two widths of the ladder.

    >>> [_bucket(w) for w in (1, 2, 4, 6, 16, 24)]
    [4, 4, 4, 8, 16, 32]
    """
    return max(4, 1 << (width - 1).bit_length())


#: Smallest ε the losses are measured in: the programs compute in float32, where an ε below about 1e-45
#: is 0 (``5e-324``: every loss and gradient NaN, the thresholds NaN) and one below about 2^-64 makes the
#: squared errors overflow.  Adam follows the gradient's direction, not its size, so a floor changes nothing
#: above it; below it no network reaches ε anyway.
LOSS_SCALE_FLOOR = 2.0**-40


def _scale(eps):
    import jax.numpy as jnp

    return jnp.maximum(eps, LOSS_SCALE_FLOOR)


def _tools(n_points: int, config: TrainConfig):
    """The pieces both compiled programs share: the grid, the activation, the least-squares fit, the optimizer."""
    import jax
    import jax.numpy as jnp
    import optax

    steps, soft = config.steps, max(1, int(config.steps * (1 - config.hard_fraction)))
    x = (2 * jnp.arange(n_points) + 1) / (2.0 * n_points)

    def act(z, tau, hard, normalize):
        if normalize:  # temperature relative to each unit's pre-activation scale: H ignores positive factors
            z = z / jax.lax.stop_gradient(jnp.sqrt(jnp.mean(z**2, axis=0, keepdims=True)) + 1e-12)
        s = jax.nn.sigmoid(z / tau)
        return jnp.where(hard, s + jax.lax.stop_gradient((z >= 0).astype(z.dtype) - s), s)

    def least_squares(features, y):
        # the fit's coefficients are held fixed under differentiation: at the least-squares optimum the
        # loss's derivative in them vanishes, so the gradient is the same and needs no pass through the solve;
        # the Gram matrix is summed in float32 (the costly part), a ridge of 1e-6 of its trace keeps it solvable
        design = jnp.concatenate([features, jnp.ones((features.shape[0], 1))], axis=1)
        fixed = jax.lax.stop_gradient(design).astype(jnp.float32)
        gram = (fixed.T @ fixed).astype(y.dtype)
        gram = gram + 1e-6 * (jnp.trace(gram) / gram.shape[0] + 1.0) * jnp.eye(gram.shape[0])
        rhs = (fixed.T @ jax.lax.stop_gradient(y).astype(jnp.float32)).astype(y.dtype)
        return design @ jax.lax.stop_gradient(jnp.linalg.solve(gram, rhs))

    def schedule(i, start, end):
        frac = jnp.minimum(i / soft, 1.0)
        return start * (end / start) ** frac, i >= soft

    def optimize(loss, params, resample=None):
        opt = optax.adam(optax.cosine_decay_schedule(config.learning_rate, steps))

        def body(i, carry):
            params, state = carry
            updates, state = opt.update(jax.grad(loss)(params, i), state, params)
            params = optax.apply_updates(params, updates)
            if resample is not None:
                params = jax.lax.cond(
                    (i % RESAMPLE_EVERY == RESAMPLE_EVERY - 1) & (i < soft), resample, lambda p, i: p, params, i
                )
            return params, state

        return jax.lax.fori_loop(0, steps, body, (params, opt.init(params)))[0]

    return x, soft, act, least_squares, schedule, optimize


@functools.lru_cache(maxsize=64)
def _trainer(bucket: int, n_points: int, config: TrainConfig):
    """A jitted ``(keys[tasks, restarts], targets[tasks, n, T], eps, width) -> trained thresholds``: the shallow
    networks.

    Compiled once per ``bucket`` of first-layer widths (:func:`_bucket`); the units
    beyond ``width`` are masked to 0, so every width of the bucket reuses the compiled program.
    """
    import jax
    import jax.numpy as jnp

    k1 = bucket
    h = 1.0 / n_points
    x, soft, act, least_squares, schedule, optimize = _tools(n_points, config)

    def one(key, y, eps, width):
        m1 = (jnp.arange(k1) < width).astype(y.dtype)
        ka, _, _, kd = jax.random.split(key, 4)
        c = jax.random.uniform(ka, (k1,), dtype=y.dtype)

        def layer1(c, tau1, hard):
            return act(x[:, None] - c[None, :], tau1, hard, False) * m1

        def loss_a(c, i):
            tau1, hard = schedule(i, 0.1, h / 2)
            return jnp.mean(((least_squares(layer1(c, tau1, hard), y) - y) / _scale(eps)) ** 2)

        def resample(c, i):
            # a threshold within half a grid step of an earlier one, or outside (0, 1), does nothing the other
            # does not: it restarts at a random place (symmetric twins never separate by gradient alone)
            close = jnp.abs(c[:, None] - c[None, :]) < h / 2
            twin = jnp.any(jnp.tril(close, -1), axis=1) | (c <= 0) | (c >= 1)
            fresh = jax.random.uniform(jax.random.fold_in(kd, i), (k1,), dtype=c.dtype)
            return jnp.where(twin, fresh, c)

        c = optimize(loss_a, c, resample)
        u1 = (x[:, None] >= c[None, :]).astype(y.dtype) * m1
        return {"c": c, "shallow_error": jnp.max(jnp.abs(least_squares(u1, y) - y))}

    per_restart = jax.vmap(one, in_axes=(0, None, None, None))
    return jax.jit(jax.vmap(per_restart, in_axes=(0, 0, None, None)))


@functools.lru_cache(maxsize=64)
def _deep_trainer(bucket: int, n_points: int, n_outputs: int, config: TrainConfig):
    """A jitted ``(keys, thresholds[tasks, restarts, bucket], targets, eps, width, trunk) -> deep layers``.

    The first layer is the trained shallow network's, fixed; the trunk and the
    per-head layers train on its exact steps (layer-wise training).
    """
    import jax
    import jax.numpy as jnp

    k1, k2 = bucket, trunk_width(bucket)
    x, soft, act, least_squares, schedule, optimize = _tools(n_points, config)

    def one(key, c, y, eps, width, trunk):
        m1 = (jnp.arange(k1) < width).astype(y.dtype)
        m2 = (jnp.arange(k2) < trunk).astype(y.dtype)
        _, kb, kc, _ = jax.random.split(key, 4)
        u1 = (x[:, None] >= c[None, :]).astype(y.dtype) * m1

        def fit(p, tau, hard):
            u2 = act((2 * u1 - 1) @ p["w2"].T + p["b2"], tau, hard, True) * m2
            u3 = act(jnp.einsum("nk,tjk->ntj", 2 * u2 - 1, p["w3"]) + p["b3"][None], tau, hard, True) * m2
            return jax.vmap(lambda f, col: least_squares(f, col[:, None])[:, 0], in_axes=(1, 1), out_axes=1)(u3, y)

        def loss_b(p, i):
            tau, hard = schedule(i, 1.0, 0.005)
            return jnp.mean(((fit(p, tau, hard) - y) / _scale(eps)) ** 2)

        p = optimize(
            loss_b,
            {
                "w2": jax.random.normal(kb, (k2, k1), dtype=y.dtype) / jnp.sqrt(width.astype(y.dtype)),
                "b2": jnp.zeros(k2, dtype=y.dtype),
                "w3": jax.random.normal(kc, (n_outputs, k2, k2), dtype=y.dtype) / jnp.sqrt(trunk.astype(y.dtype)),
                "b3": jnp.zeros((n_outputs, k2), dtype=y.dtype),
            },
        )
        return {**p, "deep_error": jnp.max(jnp.abs(fit(p, 1.0, True) - y))}

    per_restart = jax.vmap(one, in_axes=(0, 0, None, None, None, None))
    return jax.jit(jax.vmap(per_restart, in_axes=(0, 0, 0, None, None, None)))


def _float_network(params: dict, shape: str, task: int, restart: int, n_outputs: int, width: int) -> FloatNetwork:
    """The trained shallow or deep network of one task and restart, as a float network (masked units dropped).

    A deep network's trunk has ``params["trunk"][task]`` units and each head layer
    ``params["head_units"][task]`` (both ``trunk_width(width)`` when absent), the first of the compiled ones.
    """
    c = np.asarray(params["c"][task, restart], dtype=np.float64)[:width]
    if shape == "shallow":
        return FloatNetwork(c, [], np.ones((n_outputs, c.size), dtype=bool))
    k2 = int(params["trunk"][task]) if "trunk" in params else trunk_width(width)
    k3 = int(params["head_units"][task]) if "head_units" in params else trunk_width(width)
    w2_all = np.asarray(params["w2"][task, restart], dtype=np.float64)[:k2]  # every column of the compiled bucket
    b2 = np.asarray(params["b2"][task, restart], dtype=np.float64)[:k2]
    w3_all = np.asarray(params["w3"][task, restart], dtype=np.float64)[:, :k3]
    b3 = np.asarray(params["b3"][task, restart], dtype=np.float64)[:, :k3]
    # trained on centred inputs 2u - 1: W (2u - 1) + b = 2W u + (b - W 1).  The padding units beyond the
    # trained width (first layer) or trunk (trunk layer) are 0, so they enter as -1: their columns add the
    # constant -Σ w, which training learned into the bias, and is folded into it here (all columns summed)
    w2, w3 = w2_all[:, :width], w3_all[:, :, :k2]
    layer2 = (2 * w2, b2 - w2_all.sum(axis=1))
    layer3 = (2 * w3.reshape(n_outputs * k3, k2), (b3 - w3_all.sum(axis=2)).reshape(-1))
    reads = np.kron(np.eye(n_outputs, dtype=bool), np.ones((1, k3), dtype=bool))
    return FloatNetwork(c, [layer2, layer3], reads)


# ------------------------------------------------------------------------ the fair protocol: trunk first, then heads


@functools.lru_cache(maxsize=64)
def _trunk_trainer(bucket: int, n_points: int, config: TrainConfig):
    """A jitted ``(keys[tasks, restarts], thresholds[tasks, bucket], digits[tasks, n, trunk], mask[tasks, trunk], eps,
    width) -> trunk layers``: the curriculum's first phase.

    Trunk unit ``j`` is trained on its own target (a single-digit head ``a(1 - 2 y_l)``) through a
    least-squares fit of that target on the unit alone; units without a target (``mask`` 0) are
    ignored.  Units are independent of each other, so each may be taken from a different restart.
    """
    import jax
    import jax.numpy as jnp

    k1, k2 = bucket, trunk_width(bucket)
    x, soft, act, least_squares, schedule, optimize = _tools(n_points, config)

    def one(key, c, d, mask, eps, width):
        m1 = (jnp.arange(k1) < width).astype(d.dtype)
        _, kb, _, _ = jax.random.split(key, 4)
        u1 = (x[:, None] >= c[None, :]).astype(d.dtype) * m1

        def fit(p, tau, hard):
            u2 = act((2 * u1 - 1) @ p["w2"].T + p["b2"], tau, hard, True)
            return jax.vmap(lambda f, col: least_squares(f[:, None], col[:, None])[:, 0], in_axes=(1, 1), out_axes=1)(
                u2, d
            )

        def loss(p, i):
            tau, hard = schedule(i, 1.0, 0.005)
            return jnp.mean((((fit(p, tau, hard) - d) / _scale(eps)) ** 2) * mask[None, :])

        p = optimize(
            loss,
            {
                "w2": jax.random.normal(kb, (k2, k1), dtype=d.dtype) / jnp.sqrt(width.astype(d.dtype)),
                "b2": jnp.zeros(k2, dtype=d.dtype),
            },
        )
        return {**p, "unit_error": jnp.max(jnp.abs(fit(p, 1.0, True) - d), axis=0)}

    per_restart = jax.vmap(one, in_axes=(0, None, None, None, None, None))
    return jax.jit(jax.vmap(per_restart, in_axes=(0, 0, 0, 0, None, None)))


@functools.lru_cache(maxsize=64)
def _head_trainer(bucket: int, n_points: int, n_outputs: int, config: TrainConfig):
    """A jitted ``(keys, thresholds[tasks, bucket], w2[tasks, trunk, bucket], b2, trunk_mask[tasks, trunk], targets,
    eps, width, head_units) -> head layers``: the head layers trained on a frozen trunk.

    Every restart sees the same first layer and trunk, so the head layers of different
    restarts can be combined head by head (``head_error``: each head's grid error with hard steps).
    """
    import jax
    import jax.numpy as jnp

    k1, k2 = bucket, trunk_width(bucket)
    x, soft, act, least_squares, schedule, optimize = _tools(n_points, config)

    def one(key, c, w2, b2, m2, y, eps, width, head_units):
        m1 = (jnp.arange(k1) < width).astype(y.dtype)
        m3 = (jnp.arange(k2) < head_units).astype(y.dtype)
        _, _, kc, _ = jax.random.split(key, 4)
        u1 = (x[:, None] >= c[None, :]).astype(y.dtype) * m1
        u2 = (((2 * u1 - 1) @ w2.T + b2) >= 0).astype(y.dtype) * m2
        n_trunk = jnp.maximum(jnp.sum(m2), 1.0)

        def fit(p, tau, hard):
            u3 = act(jnp.einsum("nk,tjk->ntj", 2 * u2 - 1, p["w3"]) + p["b3"][None], tau, hard, True) * m3
            return jax.vmap(lambda f, col: least_squares(f, col[:, None])[:, 0], in_axes=(1, 1), out_axes=1)(u3, y)

        def loss(p, i):
            tau, hard = schedule(i, 1.0, 0.005)
            return jnp.mean(((fit(p, tau, hard) - y) / _scale(eps)) ** 2)

        p = optimize(
            loss,
            {
                "w3": jax.random.normal(kc, (n_outputs, k2, k2), dtype=y.dtype) / jnp.sqrt(n_trunk),
                "b3": jnp.zeros((n_outputs, k2), dtype=y.dtype),
            },
        )
        return {**p, "head_error": jnp.max(jnp.abs(fit(p, 1.0, True) - y), axis=0)}

    per_restart = jax.vmap(one, in_axes=(0, None, None, None, None, None, None, None, None))
    return jax.jit(jax.vmap(per_restart, in_axes=(0, 0, 0, 0, 0, 0, None, None, None)))
