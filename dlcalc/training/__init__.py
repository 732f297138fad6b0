"""Heaviside networks found by gradient descent, rounded to dyadic weights, certified exactly, coded.

``docs/theory.md`` §7; the study in ``docs/trained.md``.  Training needs the ``train`` extra
(JAX, optax, constriction), imported only when a network is trained or entropy-coded: importing
this package loads none of them.

Settings and records
    :class:`TrainConfig`, :func:`width_ladder`, :class:`TrainedNetwork`, :class:`ArchResult`,
    :func:`require_training`, :class:`TrainingUnavailable`
The search
    :func:`train_architecture`, :func:`training_grid`, :func:`training_steps` (its cost),
    :func:`constructed_bits` (the constructed networks beside it)
Rounding to dyadic weights
    :class:`FloatNetwork`, :class:`Grid`, :func:`harden`, :func:`round_network`, :class:`RoundedNetwork`
Exact certification
    :class:`StepNetwork`, :class:`StepLayer`, :func:`sup_errors`, :func:`network_regions`,
    :func:`from_heaviside`, :func:`to_heaviside`
Entropy coding (constriction)
    :func:`encode_network`, :func:`decode_network`, :func:`network_stream`, :class:`NetworkStream`,
    :func:`length_prefix_bits`
"""

from ._certify import (
    StepLayer,
    StepNetwork,
    evaluate_points,
    from_heaviside,
    head_pieces,
    is_step_layer,
    network_regions,
    sup_errors,
    to_heaviside,
)
from ._config import (
    ARCHS,
    SELECTIONS,
    SHAPES,
    ArchResult,
    TrainConfig,
    TrainedNetwork,
    TrainingUnavailable,
    require_training,
    trunk_width,
    width_ladder,
)
from ._entropy import NetworkStream, decode_network, encode_network, length_prefix_bits, network_stream
from ._rounding import FloatNetwork, Grid, RoundedNetwork, harden, round_network
from ._steps import constructed_bits, training_steps
from ._train import train_architecture, training_grid

__all__ = [
    "ARCHS",
    "ArchResult",
    "FloatNetwork",
    "Grid",
    "NetworkStream",
    "RoundedNetwork",
    "SELECTIONS",
    "SHAPES",
    "StepLayer",
    "StepNetwork",
    "TrainConfig",
    "TrainedNetwork",
    "TrainingUnavailable",
    "constructed_bits",
    "decode_network",
    "encode_network",
    "evaluate_points",
    "from_heaviside",
    "harden",
    "head_pieces",
    "is_step_layer",
    "length_prefix_bits",
    "network_regions",
    "network_stream",
    "require_training",
    "round_network",
    "sup_errors",
    "to_heaviside",
    "train_architecture",
    "training_grid",
    "training_steps",
    "trunk_width",
    "width_ladder",
]
