"""What a training search costs, weighed from the class before any work (THEORY §8;
``docs/cost.md``), and the constructed networks the trained ones are measured against.
"""

from __future__ import annotations

from ..core._instance import Instance
from ..quantize._groups import QuantizedClass
from ..quantize._quantize import quantize_heads
from ._config import (
    DATA_LEVELS,
    SHAPES,
    TrainConfig,
    trunk_width,
    width_ladder,
)
from ._optimizer import _bucket

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
