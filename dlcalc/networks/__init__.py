"""Heaviside networks that realize the quantized heads, their file format and their bits.

``docs/theory.md`` §7; the file layout in ``docs/format.md`` ("Network files").

Networks
    :class:`HeavisideNetwork`, :class:`NetworkBlock` (layered blocks, exact evaluation on the
    dyadic grid, ``serialize``/``deserialize``)
Constructions (§7)
    :func:`joint_network`, :func:`joint_candidates`, :func:`best_joint`,
    :func:`shared_trunk_network`, :func:`parallel_stack`, :func:`separate_networks`, :func:`live_heads`,
    :func:`head_network`, :func:`step_network`, :func:`digit_levels`,
    :func:`network_outputs_match`
The network file
    :class:`Layer`, :func:`make_layer`, :func:`encode_blocks`, :func:`decode_blocks`,
    :func:`layer_bits`, :data:`NETWORK_VERSION`
ONNX (optional: ``pip install -e '.[onnx]'``)
    :func:`to_onnx`, :func:`check_onnx`, :func:`dense_entries`, :func:`activation_cells`,
    :func:`require_onnx`
"""

from ._blocks import decode_blocks, encode_blocks, layer_bits, pack_file, unpack_file
from ._construction import (
    JOINT_CONSTRUCTIONS,
    NETWORK_VERSION,
    best_joint,
    digit_levels,
    head_network,
    joint_candidates,
    joint_network,
    live_heads,
    network_outputs_match,
    parallel_stack,
    separate_networks,
    shared_trunk_network,
    step_network,
)
from ._format import Layer, make_layer
from ._heaviside import HeavisideNetwork, NetworkBlock
from ._onnx import activation_cells, check_onnx, dense_entries, require_onnx, to_onnx

__all__ = [
    "HeavisideNetwork",
    "JOINT_CONSTRUCTIONS",
    "Layer",
    "NETWORK_VERSION",
    "NetworkBlock",
    "activation_cells",
    "best_joint",
    "check_onnx",
    "decode_blocks",
    "dense_entries",
    "digit_levels",
    "encode_blocks",
    "head_network",
    "joint_candidates",
    "joint_network",
    "layer_bits",
    "live_heads",
    "make_layer",
    "network_outputs_match",
    "pack_file",
    "parallel_stack",
    "require_onnx",
    "separate_networks",
    "shared_trunk_network",
    "step_network",
    "to_onnx",
    "unpack_file",
]
