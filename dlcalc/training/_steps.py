"""What a training search costs, weighed from the class before any work (THEORY §8;
``docs/cost.md``), and the constructed networks the trained ones are measured against.
"""

from __future__ import annotations

from ..core._instance import Instance
from ..quantize._groups import QuantizedClass
from ..quantize._quantize import quantize_heads
from ._certify import MAX_WEIGHT
from ._config import (
    DATA_LEVELS,
    SHAPES,
    TrainConfig,
    trunk_width,
    width_ladder,
)
from ._optimizer import _bucket
from ._rounding import MAX_EXPONENT

__all__ = ["constructed_bits", "training_steps"]


# ----------------------------------------------------------------------------- the constructed networks beside them


def constructed_bits(instance: Instance, eps: float, arch: str, max_cells: int) -> dict:
    """The constructed Heaviside networks of the same class (THEORY §7): ``file_bits``, their own serialized
    bits (``dlcalc network``'s ``network_bits``), and ``stream_bits``, the same self-delimiting entropy-coded
    streams the trained networks get, block by block, with their nonzero weights.  The heads that are 0 at
    ε have no network, as for the trained ones."""
    from ..networks._construction import joint_network, separate_networks
    from ._certify import from_heaviside
    from ._entropy import encode_network

    quants = quantize_heads(instance.heads, eps)  # the zero heads get no network (docs/theory.md §7)
    separate = separate_networks(quants, instance.feature, max_cells)
    joint = joint_network(quants, instance.feature, max_cells, separate) if arch == "joint" else None
    nets = ([joint] if joint else []) if arch == "joint" else [n for _, n in separate]
    entropy_bits = sum(encode_network(step).stream_bits for net in nets for step in from_heaviside(net))
    return {
        "file_bits": sum(n.network_bits for n in nets),
        "stream_bits": entropy_bits,
        "nonzero_weights": sum(n.nonzero_weights for n in nets),
    }


# ----------------------------------------------------------------------------- cost, weighed before any work

#: Cell equivalents of compiling one shallow training program (XLA on the CPU, tracing included): 1.2-1.6 s on
#: the 2-core benchmark machine whatever its width bucket, grid or output count, as long as 2^28 cells of
#: work take at 5 ns a cell (``docs/cost.md``).  A program of the deep layers takes half as long again.
PROGRAM_CELLS = 1 << 28
DEEP_PROGRAM_CELLS = 3 << 27
#: Bytes the compiler takes once, with the first program (about 160 MiB, kept by the process), and each
#: compiled program kept (3-35 MiB, 17 MiB on average; the deep ones the most, and the model counts every
#: program the ladder could compile, more than most searches do).
COMPILER_BYTES = 160 << 20
PROGRAM_BYTES = 12 << 20
#: Cell equivalents of the fixed Python work of one rounding attempt (hardening, the least-squares fit,
#: the check grid: 0.25-0.3 ms), of each further least-squares solve (a deep network's outputs each read
#: their own units: 15-20 µs), and of certifying one output exactly (0.5-1 ms of arithmetic on Python
#: integers, beyond its pieces).
ATTEMPT_CELLS = 1 << 16
SOLVE_CELLS = 1 << 12
CERTIFY_CELLS = 1 << 17
#: Multiply-adds of a dense product (BLAS, LAPACK) per cell: 8 (0.3-0.6 ns each, measured in the rounding).
PRODUCT_SHIFT = 3
#: Rounding attempts of one network (:func:`~dlcalc.training._rounding.round_network`): the first layer's
#: steps scanned from coarse to fine, then each later layer's step by bisection; and how many of them
#: are certified exactly (those the check grid passes: the first that does, and the bisection's).
_SCAN = MAX_EXPONENT + 1
_BISECT = MAX_EXPONENT.bit_length()
#: Restarts of each network and width that are rounded and certified (the two best distinct ones).
ROUNDED_RESTARTS = 2


#: Largest amplitude a head is trained at: a trained network's output weights are integers on a grid
#: as fine as ``2^-MAX_EXPONENT`` (scale 1), and the exact certificate takes weights below
#: ``MAX_WEIGHT = 2^40`` (``dlcalc.training._certify``; the network format's integers stop at
#: ``2^62``), with room for the least-squares overshoot: 2^14.
MAX_TRAINED_EXPONENT = MAX_WEIGHT.bit_length() - 1 - MAX_EXPONENT - 2
MAX_TRAINED_AMPLITUDE = 2.0**MAX_TRAINED_EXPONENT


def check_trainable(live) -> None:
    """Refuse (:class:`~dlcalc.SpecError`) before any work a head the trained networks cannot carry: an
    amplitude whose outputs on the finest grid are beyond the network format's integers."""
    from .._errors import SpecError

    for q in live:
        if q.group.amplitude > MAX_TRAINED_AMPLITUDE:
            raise SpecError(
                f"{q.group.spec}: an amplitude beyond what a trained network's integer outputs reach "
                f"(at most 2^{MAX_TRAINED_EXPONENT}; `dlcalc network` constructs such a head)"
            )


def _programs(config: TrainConfig, shapes, arch: str = "separate") -> tuple[list[int], list[int], int]:
    """The programs one architecture's search compiles at most: ``(shallow buckets, deep buckets, deep kinds)``.

    One shallow program per width bucket of the ladder (every network of an architecture trains in one
    batch, so the bucket alone makes it distinct); the deep layers at ``deep_widths`` widths (at most as
    many buckets, counted as the widest), each with the layers trained together or the curriculum's
    trunk, and the head layers on a frozen trunk (``select = "per-head"`` or the curriculum): two
    programs, three when some of the separate networks have a curriculum and others do not.
    """
    buckets = sorted({_bucket(w) for w in width_ladder(config.max_width)})
    if "deep" not in shapes:
        return buckets, [], 0
    kinds = 1 + (config.select == "per-head" or config.curriculum) + (config.curriculum and arch == "separate")
    return buckets, buckets[-min(config.deep_widths, len(buckets)) :], kinds


def training_steps(qclass: QuantizedClass, archs, config: TrainConfig, shapes=SHAPES, compiled: set | None = None):
    """What training, certifying and coding the networks materialize (``dlcalc.cost._cost``), from the class alone.

    Cells, for each architecture (``docs/cost.md`` has the measurements behind the constants):

    - **training data and certificates**: the targets on the training grid and on the finer check grid,
      and the pieces of every head for the certificate;
    - **compilation**: every program the search compiles, :data:`PROGRAM_CELLS` each
      (:data:`DEEP_PROGRAM_CELLS` for the deep layers): one per width bucket of the ladder, and at
      ``deep_widths`` widths the deep layers' (:func:`_programs`).  A fixed cost per program, seconds
      whatever the class: what a short search (``--steps 1``) spends most of its time on.  A program
      is compiled once per process: ``compiled``, shared by the classes of one plan (a sweep of ε),
      holds the programs weighed already, which cost nothing again (the same grid and outputs at
      another ε);
    - **training search**: the search walking its whole width ladder: at every optimizer step, on every
      grid point, of every restart and network, each unit's value and the least-squares fit's products
      (``(K + 1)(K + 1 + T)`` for ``K`` first-layer units and ``T`` outputs; the deep layers at
      ``deep_widths`` widths of the widest bucket);
    - **rounding and certification**: at every width, for the two best restarts of each network and
      shape, every rounding attempt (a first-layer scan of ``MAX_EXPONENT + 1`` steps, a bisection for
      each later layer): hardening on the grid, the output layer's least squares (one solve of every
      output for a shallow network, ``(K + 1)(K + 1 + T)`` a point; one per output for a deep one, each
      over its own units), the check grid; and the exact certificates of the attempts the check grid
      passes, each output's pieces and :data:`CERTIFY_CELLS` for its integer arithmetic.

    These figures are what the time grows with: the cells budget refuses a search that would run for
    long before it starts.  Memory: the targets and certificates, the compiler and the compiled
    programs, and the activations of the widest batch JAX trains at once (every restart, and every
    head for the separate networks; each head its own deep layers), a few temporaries each.
    """
    from ..core._budget import scaled
    from ..cost._cost import Step

    live = [q for q in qclass.groups if not q.zero]
    if not live:
        return [Step("training data")]
    check_trainable(live)
    depth = qclass.depth
    levels = [q.group.top if q.kind == "walsh" else q.group.last + q.sawtooth_precision for q in live]
    level = max(levels) + DATA_LEVELS
    outputs = sum(q.count for q in live)
    pieces = sum(scaled(q.count, q.group.top if q.kind == "walsh" else max(depth, q.group.last)) for q in live)
    targets = 3 * scaled(outputs, level)  # the grid and the check grid, twice as fine
    ladder = width_ladder(config.max_width)
    widest, trunk = _bucket(config.max_width), trunk_width(_bucket(config.max_width))
    deep = "deep" in shapes
    per_network = widest + (trunk + trunk + 1 if deep else 1)  # units, and each output's own deep layers
    batch = config.restarts * scaled(
        per_network * outputs if "separate" in archs else widest + trunk + outputs * (trunk + 1 if deep else 1), level
    )
    work = rounding = compiling = programs = 0
    restarts = min(config.restarts, ROUNDED_RESTARTS)
    for arch in archs:
        networks, n_out = (1, outputs) if arch == "joint" else (outputs, 1)
        per_point = sum((_bucket(w) + 1) * (_bucket(w) + 1 + n_out) for w in ladder)
        if deep:
            per_point += config.deep_widths * (trunk * (widest + 1) + n_out * (trunk**2 + (trunk + 1) ** 2))
        work += scaled(config.steps * config.restarts * networks * per_point, level)
        shallow_buckets, deep_buckets, kinds = _programs(config, shapes, arch)
        keys: set[tuple] = {(arch, "shallow", b, level, outputs) for b in shallow_buckets}
        keys |= {(arch, "deep", b, level, outputs, kind) for b in deep_buckets for kind in range(kinds)}
        new = keys - compiled if compiled is not None else keys
        if compiled is not None:
            compiled |= keys
        programs += len(keys)
        compiling += sum(PROGRAM_CELLS if key[1] == "shallow" else DEEP_PROGRAM_CELLS for key in new)
        # rounding: per point of the grid (its check grid twice as fine), then the fixed work
        shallow = "shallow" in shapes
        attempts = {"shallow": _SCAN + _BISECT, "deep": _SCAN + 3 * _BISECT}
        certified = {"shallow": 1 + _BISECT, "deep": 1 + 3 * _BISECT}
        point = fixed = 0
        rounded = [(w, "shallow") for w in ladder] if shallow else []
        if deep:
            rounded += [(w, "deep") for w in ladder[-config.deep_widths :]]
        for w, shape in rounded:
            # per point: the multiply-adds of the fit and of the products on both grids, in cells; then the
            # elementwise work (the first layer's steps on both grids; a deep network's sparse output layer)
            if shape == "shallow":
                products = (w + 1) * (w + 1 + n_out) + 2 * w * n_out
                point += attempts[shape] * ((products >> PRODUCT_SHIFT) + 3 * w)
                fixed += attempts[shape] * ATTEMPT_CELLS
            else:
                k2 = trunk_width(w)
                products = n_out * (k2 + 1) ** 2 + 3 * (w * k2 + n_out * k2 * k2)
                point += attempts[shape] * ((products >> PRODUCT_SHIFT) + 3 * w + 2 * n_out * k2)
                fixed += attempts[shape] * (ATTEMPT_CELLS + n_out * SOLVE_CELLS)
            fixed += certified[shape] * (n_out * (CERTIFY_CELLS + w))
        heads_pieces = pieces * restarts * sum(certified[shape] for _, shape in rounded)  # every output's, each time
        rounding += restarts * (networks * (scaled(point, level) + fixed)) + heads_pieces
    return [
        Step(
            "training data and certificates",
            cells=targets + pieces,
            held_bytes=8 * (targets + pieces),
            transient_bytes=8 * 8 * batch,
        ),
        Step("compilation", cells=compiling, held_bytes=COMPILER_BYTES + programs * PROGRAM_BYTES),
        Step("training search", cells=work),
        Step("rounding and certification", cells=rounding),
    ]
