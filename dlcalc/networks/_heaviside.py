"""Heaviside networks on ``[0, 1)``: layered blocks, exact evaluation, and their files (THEORY §7).

``H(t) = 1`` if ``t >= 0`` else 0.  A :class:`NetworkBlock` is a stack of layers
with sparse integer weights on a per-layer fixed-point scale
(``weight = value · 2^-exponent``): the first layer reads the scalar input ``x``
with weight 1 (so each first-layer unit is a step ``H(x - g 2^-e)`` at a dyadic
breakpoint), hidden layers apply ``H``, and the last layer is linear with one
scale per output.  Every breakpoint is dyadic, so a block is evaluated exactly on
the cells of its grid: integer pre-activations, and for each output one final
multiplication by its scale, the same single rounding as the quantized head's own
value.

A :class:`HeavisideNetwork` is one or more blocks side by side, their outputs
concatenated: the joint network is one block with a shared trunk, or the parallel
stack of the per-head blocks, whichever is shorter.  Its description length is
the bit length of the body of its file (:mod:`dlcalc.networks._format`).
"""

from __future__ import annotations

import numpy as np

from .._errors import BudgetError, FormatError
from ._blocks import decode_blocks, encode_blocks, pack_file, unpack_file
from ._format import Layer

__all__ = ["NetworkBlock", "HeavisideNetwork"]


class NetworkBlock:
    """Steps, Heaviside layers, one linear output layer (or the output layer alone: constant outputs)."""

    def __init__(self, layers: list[Layer]) -> None:
        if not layers or not layers[-1].linear or any(layer.linear for layer in layers[:-1]):
            raise ValueError("a network block is Heaviside layers followed by one linear output layer")
        for a, b in zip(layers, layers[1:], strict=False):
            if b.n_in != a.n_out:
                raise ValueError("network layers do not chain (inputs != previous outputs)")
        self.layers = layers

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def neurons(self) -> int:
        """Hidden (Heaviside) units."""
        return sum(layer.n_out for layer in self.layers[:-1])

    @property
    def depth(self) -> int:
        """Number of weight layers."""
        return len(self.layers)

    @property
    def nonzero_weights(self) -> int:
        return sum(layer.nonzeros for layer in self.layers)

    @property
    def grid_level(self) -> int:
        """Level of the first layer's breakpoints (0 if the block has no hidden layer)."""
        return self.layers[0].exponent if len(self.layers) > 1 else 0

    @property
    def widest_layer(self) -> int:
        """Most units in one layer, the input counted as one."""
        return max([1] + [layer.n_out for layer in self.layers])

    def evaluate(self, max_cells: int = 1 << 26) -> list[tuple[int, np.ndarray]]:
        """Exact outputs: for each output, ``(level, values on its level-cells)``.

        Refuses (:class:`BudgetError`) a grid finer than ``max_cells`` cells up front.

        Work ``O(nonzeros + Σ_units 2^level(unit))``: the first layer is never
        materialized; a second-layer unit sums its weights by a prefix sum over
        its breakpoints on its own grid, later units broadcast their inputs to
        the finest input level.
        """
        if (1 << self.grid_level) > max_cells:
            raise BudgetError(f"the network's grid has 2^{self.grid_level} cells, over the budget of {max_cells}")
        if len(self.layers) == 1:  # no hidden layer: constant outputs (such a layer has no weights)
            out = self.layers[0]
            return [
                (0, np.full(1, out.output_scales[u] * (out.biases[u] * 2.0**-out.exponent))) for u in range(out.n_out)
            ]
        levels, inputs = self._breakpoints()
        for i, layer in enumerate(self.layers[1:]):
            levels, inputs = self._next(layer, levels, inputs, first=i == 0)
        return list(zip(levels, inputs, strict=True))

    def _breakpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """First-layer thresholds ``g`` (grid ``2^-e``) and the dyadic level of each breakpoint."""
        first = self.layers[0]
        g = -first.biases
        nz = g != 0
        tz = np.zeros(g.size, dtype=np.int64)
        tz[nz] = np.log2((g[nz] & -g[nz]).astype(np.float64)).astype(np.int64)  # trailing zeros
        return np.where(nz, first.exponent - tz, 0), g

    def _next(self, layer: Layer, levels, inputs, first: bool):
        out_levels, out_values = [], []
        starts = layer.row_starts()
        levels = np.asarray(levels, dtype=np.int64)
        for u in range(layer.n_out):
            lo, hi = starts[u], starts[u + 1]
            cols, vals = layer.cols[lo:hi], layer.values[lo:hi]
            level = int(levels[cols].max()) if cols.size else 0
            if first:
                e = self.layers[0].exponent
                pre = np.zeros(1 << level, dtype=np.int64)
                pre[inputs[cols] >> (e - level)] = vals  # distinct: breakpoints increase, columns in a row increase
                pre = np.cumsum(pre) + layer.biases[u]
            else:
                pre = np.full(1 << level, layer.biases[u], dtype=np.int64)
                for c, w in zip(cols.tolist(), vals.tolist(), strict=False):
                    src, lv = inputs[c], int(levels[c])
                    pre += w * (np.repeat(src, 1 << (level - lv)) if lv < level else src)
            if layer.linear:
                out_values.append(layer.output_scales[u] * (pre.astype(np.float64) * 2.0**-layer.exponent))
            else:
                out_values.append((pre >= 0).astype(np.int64))
            out_levels.append(level)
        return out_levels, out_values

    def evaluate_dense(self) -> np.ndarray:
        """Reference evaluator: dense ``cells × units`` matrices on the grid (for tests and the benchmark anchor)."""
        level = self.grid_level
        x = np.arange(1 << level, dtype=np.int64)
        if len(self.layers) == 1:  # constant outputs: no inputs at all
            act = np.zeros((x.size, 0), dtype=np.int64)
            layers = self.layers
        else:
            act = (x[:, None] >= (-self.layers[0].biases)[None, :]).astype(np.int64)
            layers = self.layers[1:]
        for layer in layers:
            w = np.zeros((layer.n_in, layer.n_out), dtype=np.int64)
            w[layer.cols, layer.rows] = layer.values
            pre = act @ w + layer.biases[None, :]
            act = (
                pre * 2.0**-layer.exponent * layer.output_scales[None, :]
                if layer.linear
                else (pre >= 0).astype(np.int64)
            )
        return act


class HeavisideNetwork:
    """Blocks side by side: the outputs of block 0, then of block 1, … (THEORY §7)."""

    def __init__(self, blocks: list[NetworkBlock]) -> None:
        if not blocks:
            raise ValueError("a network has at least one block")
        self.blocks = blocks
        self._body: tuple[bytes, int] | None = None

    @classmethod
    def single(cls, layers: list[Layer]) -> HeavisideNetwork:
        return cls([NetworkBlock(layers)])

    @property
    def n_outputs(self) -> int:
        return sum(b.n_outputs for b in self.blocks)

    @property
    def neurons(self) -> int:
        return sum(b.neurons for b in self.blocks)

    @property
    def depth(self) -> int:
        return max(b.depth for b in self.blocks)

    @property
    def nonzero_weights(self) -> int:
        return sum(b.nonzero_weights for b in self.blocks)

    @property
    def grid_level(self) -> int:
        return max(b.grid_level for b in self.blocks)

    def evaluate(self, max_cells: int = 1 << 26) -> list[tuple[int, np.ndarray]]:
        """Exact outputs of every block, concatenated (:meth:`NetworkBlock.evaluate`)."""
        if (1 << self.grid_level) > max_cells:
            raise BudgetError(f"the network's grid has 2^{self.grid_level} cells, over the budget of {max_cells}")
        return [out for b in self.blocks for out in b.evaluate(max_cells)]

    # ------------------------------------------------------------------ the file
    def body(self) -> tuple[bytes, int]:
        """The self-delimiting body (padded to bytes) and its exact bit length. Computed once."""
        if self._body is None:
            self._body = encode_blocks([b.layers for b in self.blocks])
        return self._body

    @property
    def network_bits(self) -> int:
        """Description length: the exact bit length of the body (the file adds padding and 14 bytes of framing).

        Blocks are coded independently, each followed by one bit, so the network
        bits of blocks side by side are the sum of their own network bits.
        """
        return self.body()[1]

    def serialize(self) -> bytes:
        """The network file: magic, version, body, CRC-32 (``docs/format.md``)."""
        return pack_file(self.body()[0])

    @classmethod
    def deserialize(cls, data: bytes, max_cells: int = 1 << 26) -> HeavisideNetwork:
        """Parse and validate; every defect is a one-line :class:`FormatError` (or a :class:`BudgetError`
        for a network of more than ``max_cells`` units and weights), found before anything sized by the file
        is allocated."""
        body = unpack_file(data)
        blocks, _ = decode_blocks(body, max_cells)
        try:
            return cls([NetworkBlock(layers) for layers in blocks])
        except ValueError as exc:  # decode_blocks builds chained layers; this is a second line of defence
            raise FormatError(f"network file: {exc}") from None
