"""Heaviside networks that realize the quantized heads, and their description length (THEORY §7).

``H(t) = 1`` if ``t >= 0`` else 0.  A :class:`HeavisideNetwork` is a stack of
layers with sparse integer weights on a per-layer fixed-point scale
(``weight = value · 2^-exponent``): the first layer reads the scalar input ``x``
with weight 1 (so each first-layer unit is a step ``H(x - g 2^-e)`` at a dyadic
breakpoint), hidden layers apply ``H``, and the last layer is linear with one
amplitude per output.  Every breakpoint is dyadic, so the network is evaluated
exactly on the cells of its grid: integer pre-activations, and for each output
one final multiplication by its amplitude, the same single rounding as the
quantized head's own value.

Constructions (THEORY §7):

- joint: a shared trunk (layer 1: the breakpoints where the needed digits of
  ``y = h(x)`` jump; layer 2: one unit per needed digit,
  ``y_l = H(Σ Δ_{l,c} u_c + y_l(0) - 1/2)``), then heads on layer 3: ``|A|``
  threshold units for the parity of a Walsh head, two units per XOR
  ``z_i = y_{k+i} XOR y_k`` of a sawtooth head (pass-through units ``H(y - 1/2)``
  for ``k = 0``), and a linear output ``f̂ = a (1 - 2^-p - Σ 2^(1-i) z_i)``;
- separate: per head, the cheaper (in bits) of the same construction restricted
  to that head and a one-hidden-layer step network with one unit per jump of ``f̂_t``.

Both are built from the canonical representative ``σ'`` the coder decodes (THEORY
§6), so a network is a function of the quantized class element alone.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ._coders import decode_flips, encode_payload
from ._errors import BudgetError, FormatError
from ._feature import Feature
from ._span import levels_of
from ._quantize import HeadQuantization, HeadTable, _ImageCache, RequirementSet, approximant_values, head_tables
from ._varint import decode_uvarints, encode_uvarints, unzigzag, zigzag

__all__ = [
    "Layer",
    "HeavisideNetwork",
    "digit_levels",
    "joint_network",
    "head_network",
    "step_network",
    "separate_networks",
    "network_outputs_match",
    "NETWORK_MAGIC",
]

NETWORK_MAGIC = b"\x89DHN\r\n\x1a\n"
NETWORK_VERSION = 1
_MAX_EXPONENT = 62


@dataclass
class Layer:
    """One layer: ``n_out`` units over ``n_in`` inputs, sparse integer weights on scale ``2^-exponent``."""

    n_in: int
    n_out: int
    rows: np.ndarray  # int64 unit index of each nonzero weight, sorted with cols
    cols: np.ndarray  # int64 input index
    values: np.ndarray  # int64
    biases: np.ndarray  # int64, length n_out
    exponent: int
    linear: bool = False
    scales: np.ndarray | None = None  # float64 per output of a linear layer

    @property
    def nonzeros(self) -> int:
        return int(self.values.size)


def _layer(n_in, n_out, rows, cols, values, biases, exponent, linear=False, scales=None) -> Layer:
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    keep = values != 0
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, rows))
    return Layer(int(n_in), int(n_out), rows[order], cols[order], values[order],
                 np.asarray(biases, dtype=np.int64), int(exponent), linear,
                 None if scales is None else np.asarray(scales, dtype=np.float64))


class HeavisideNetwork:
    """A layered Heaviside network on ``[0, 1)`` with a linear output layer (THEORY §7)."""

    def __init__(self, layers: list[Layer]) -> None:
        if not layers or not layers[-1].linear or any(layer.linear for layer in layers[:-1]):
            raise ValueError("a network is Heaviside layers followed by one linear output layer")
        self.layers = layers
        self._body: bytes | None = None

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
        """Level of the first layer's breakpoints (0 if the network has no hidden layer)."""
        return self.layers[0].exponent if len(self.layers) > 1 else 0

    # ------------------------------------------------------------------ evaluation
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
            return [(0, np.full(1, out.scales[u] * (out.biases[u] * 2.0**-out.exponent))) for u in range(out.n_out)]
        levels, inputs = self._breakpoints()
        for i, layer in enumerate(self.layers[1:]):
            levels, inputs = self._next(layer, levels, inputs, first=i == 0)
        return list(zip(levels, inputs))

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
        starts = np.searchsorted(layer.rows, np.arange(layer.n_out + 1))
        for u in range(layer.n_out):
            lo, hi = starts[u], starts[u + 1]
            cols, vals = layer.cols[lo:hi], layer.values[lo:hi]
            if first:
                g, lv = inputs[cols], levels[cols]
                level = int(lv.max()) if lv.size else 0
                e = self.layers[0].exponent
                pre = np.zeros(1 << level, dtype=np.int64)
                pre[g >> (e - level)] = vals  # distinct: breakpoints increase, columns in a row increase
                pre = np.cumsum(pre) + layer.biases[u]
            else:
                level = max((levels[c] for c in cols.tolist()), default=0)
                pre = np.full(1 << level, layer.biases[u], dtype=np.int64)
                for c, w in zip(cols.tolist(), vals.tolist()):
                    src = inputs[c]
                    pre += w * (np.repeat(src, 1 << (level - levels[c])) if levels[c] < level else src)
            if layer.linear:
                out_values.append(layer.scales[u] * (pre.astype(np.float64) * 2.0**-layer.exponent))
            else:
                out_values.append((pre >= 0).astype(np.int64))
            out_levels.append(level)
        return out_levels, out_values

    def evaluate_dense(self) -> np.ndarray:
        """Reference evaluator: dense ``cells × units`` matrices on the grid (for tests and the benchmark anchor)."""
        level = self.grid_level
        x = np.arange(1 << level, dtype=np.int64)
        if len(self.layers) == 1:
            act = np.ones((x.size, 1), dtype=np.int64)
            layers = self.layers
        else:
            act = (x[:, None] >= (-self.layers[0].biases)[None, :]).astype(np.int64)
            layers = self.layers[1:]
        for layer in layers:
            w = np.zeros((layer.n_in, layer.n_out), dtype=np.int64)
            w[layer.cols, layer.rows] = layer.values
            pre = act @ w + layer.biases[None, :]
            act = pre * 2.0**-layer.exponent * layer.scales[None, :] if layer.linear else (pre >= 0).astype(np.int64)
        return act

    # ------------------------------------------------------------------ serialization
    def serialize(self) -> bytes:
        """The network file: magic, version, :meth:`body`, CRC-32 (``docs/format.md``)."""
        body = NETWORK_MAGIC + struct.pack(">H", NETWORK_VERSION) + self.body()
        return body + struct.pack(">I", zlib.crc32(body))

    def body(self) -> bytes:
        """The self-delimiting layer stream; its length in bits is the network's description length.

        Computed once: a network's layers are not changed after construction.
        """
        if self._body is None:
            self._body = self._encode_body()
        return self._body

    def _encode_body(self) -> bytes:
        parts = [encode_uvarints([len(self.layers)])]
        layers = self.layers
        if len(layers) > 1:  # the first layer is its sorted breakpoints alone: weights are 1 by definition
            first = layers[0]
            g = -first.biases
            parts.append(encode_uvarints([first.n_out, first.exponent]))
            parts.append(encode_uvarints(np.diff(g, prepend=0)))
            layers = layers[1:]
        for layer in layers:
            counts = np.bincount(layer.rows, minlength=layer.n_out) if layer.nonzeros else np.zeros(layer.n_out, dtype=np.int64)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            gaps = layer.cols.copy()
            if layer.nonzeros:
                first_in_row = np.zeros(layer.nonzeros, dtype=bool)
                first_in_row[starts[counts > 0]] = True
                gaps[~first_in_row] = np.diff(layer.cols)[~first_in_row[1:]]
            parts.append(encode_uvarints([layer.n_in, layer.n_out, int(layer.linear), layer.exponent, layer.nonzeros]))
            parts.append(encode_uvarints(counts))
            parts.append(encode_uvarints(gaps))
            parts.append(encode_uvarints(zigzag(layer.values)))
            parts.append(encode_uvarints(zigzag(layer.biases)))
            if layer.linear:
                mant, expo = _split_floats(layer.scales)
                parts.append(encode_uvarints(zigzag(mant)))
                parts.append(encode_uvarints(zigzag(expo)))
        return b"".join(parts)

    @property
    def network_bits(self) -> int:
        """Description length: bits of :meth:`body` (the file adds 14 bytes of framing)."""
        return 8 * len(self.body())

    @classmethod
    def deserialize(cls, data: bytes) -> "HeavisideNetwork":
        """Parse and validate; every defect is a one-line :class:`FormatError`, found before large allocations."""
        if len(data) < len(NETWORK_MAGIC) + 7 or not data.startswith(NETWORK_MAGIC):
            raise FormatError("not a dlcalc network file (bad magic or too short)")
        (version,) = struct.unpack_from(">H", data, 8)
        if version != NETWORK_VERSION:
            raise FormatError(f"network format version {version} is not supported")
        if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
            raise FormatError("network file checksum mismatch")
        body = data[:-4]
        (n_layers,), pos = decode_uvarints(body, 10, 1)
        if not 1 <= n_layers <= 64:
            raise FormatError(f"network file claims {n_layers} layers")
        layers = []
        if n_layers > 1:
            (n1, e1), pos = decode_uvarints(body, pos, 2)
            n1, e1 = int(n1), int(e1)
            if e1 > _MAX_EXPONENT or n1 > len(body):
                raise FormatError("network first layer has an impossible header")
            steps, pos = decode_uvarints(body, pos, n1)
            g = np.cumsum(steps.astype(np.int64))
            if n1 and (g[-1] >= (1 << e1) or (n1 > 1 and np.any(steps[1:] == 0))):
                raise FormatError("network first layer breakpoints must be increasing within [0, 1)")
            layers.append(Layer(1, n1, np.arange(n1, dtype=np.int64), np.zeros(n1, dtype=np.int64),
                                np.full(n1, 1 << e1, dtype=np.int64), -g, e1))
        for i in range(len(layers), int(n_layers)):
            head, pos = decode_uvarints(body, pos, 5)
            n_in, n_out, linear, exponent, nnz = (int(v) for v in head)
            if linear not in (0, 1) or exponent > _MAX_EXPONENT or n_out > len(body) or nnz > len(body) or n_in > 1 << 40:
                raise FormatError(f"network layer {i} has an impossible header")
            counts, pos = decode_uvarints(body, pos, n_out)
            if int(counts.sum()) != nnz:
                raise FormatError(f"network layer {i}: row counts do not add up to its {nnz} weights")
            gaps, pos = decode_uvarints(body, pos, nnz)
            values, pos = decode_uvarints(body, pos, nnz)
            biases, pos = decode_uvarints(body, pos, n_out)
            scales = None
            if linear:
                mant, pos = decode_uvarints(body, pos, n_out)
                expo, pos = decode_uvarints(body, pos, n_out)
                mant, expo = unzigzag(mant), unzigzag(expo)
                if np.any(np.abs(mant) >= 1 << 53) or np.any(np.abs(expo) > 1100):
                    raise FormatError("network output scales are not float64 values")
                scales = np.ldexp(mant.astype(np.float64), expo.astype(np.int64))
            rows = np.repeat(np.arange(n_out, dtype=np.int64), counts.astype(np.int64))
            starts = np.concatenate(([0], np.cumsum(counts.astype(np.int64))[:-1])).astype(np.int64)
            cols = gaps.astype(np.int64)
            if nnz:
                seg = np.zeros(nnz, dtype=np.int64)
                nonempty = starts[counts > 0]
                seg[nonempty] = 1
                group = np.cumsum(seg) - 1
                cols = np.cumsum(cols) - np.concatenate(([0], np.cumsum(cols)))[nonempty][group]
            if nnz and (cols.min() < 0 or cols.max() >= n_in):
                raise FormatError(f"network layer {i} indexes an input out of range")
            if nnz and np.any(gaps[np.setdiff1d(np.arange(nnz), starts[counts > 0])] == 0):
                raise FormatError(f"network layer {i} repeats an input within a unit")
            layers.append(Layer(n_in, n_out, rows, cols, unzigzag(values), unzigzag(biases), exponent, bool(linear), scales))
        if pos != len(body):
            raise FormatError("network file has trailing bytes")
        _check_shapes(layers)
        return cls(layers)


def _split_floats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each float as ``m · 2^e`` with ``m`` odd (or 0): short varints for amplitudes like ``2^-3``."""
    frac, expo = np.frexp(np.asarray(values, dtype=np.float64))
    mant = np.ldexp(frac, 53).astype(np.int64)
    expo = expo.astype(np.int64) - 53
    nz = mant != 0
    tz = np.zeros(mant.shape, dtype=np.int64)
    low = mant[nz] & -mant[nz]
    tz[nz] = np.log2(low.astype(np.float64)).astype(np.int64)
    return mant >> tz, np.where(nz, expo + tz, 0)


def _check_shapes(layers: list[Layer]) -> None:
    if len(layers) > 1:
        first = layers[0]
        e = first.exponent
        if first.n_in != 1 or first.linear or (first.nonzeros != first.n_out) or np.any(first.values != (1 << e)) \
                or np.any(first.rows != np.arange(first.n_out)) or np.any(first.biases > 0) or np.any(first.biases <= -(1 << e)):
            raise FormatError("network first layer must be steps H(x - g 2^-e) with weight 1 and 0 <= g < 2^e")
    for a, b in zip(layers, layers[1:]):
        if b.n_in != a.n_out:
            raise FormatError("network layers do not chain (inputs != previous outputs)")
    if not layers[-1].linear or any(layer.linear for layer in layers[:-1]):
        raise FormatError("network must end in exactly one linear layer")
    if len(layers) == 1 and layers[0].nonzeros:
        raise FormatError("a network without hidden layers has constant outputs (no weights)")


# ----------------------------------------------------------------------------- constructions


def digit_levels(q: HeadQuantization) -> list[int]:
    """Digits ``y_l`` of ``h(x)`` the quantized head reads (THEORY §4)."""
    if q.zero:
        return []
    if q.head.family == "walsh":
        return levels_of(q.head.index)
    k, p = q.head.index, q.precision
    return ([k] if k >= 1 else []) + list(range(k + 1, k + p + 1))


def representative(feature: Feature, requirement: RequirementSet) -> Feature:
    """The canonical ``σ'`` the coder's decoder rebuilds for this requirement set (THEORY §6)."""
    basis = requirement.basis(feature.depth)
    return decode_flips(feature.depth, basis, encode_payload(feature, basis))


def _trunk(feature: Feature, levels: list[int], max_cells: int):
    """Layers 1-2: breakpoint units and one unit per digit; returns the layers and the digit rows."""
    top = max(levels)
    if (1 << top) > max_cells:
        raise BudgetError(f"the trunk reads digit {top}: 2^{top} cells, over the budget of {max_cells} (raise --max-cells)")
    grid, rows, deltas, biases = [], [], [], []
    images = _ImageCache(feature)
    images(min(top, feature.depth))  # one pass; the coarser digit levels are strided views of it
    for row, lv in enumerate(levels):
        y = (images(lv) & 1).astype(np.int64)  # digit l of h(x) on level-l cells
        jumps = np.flatnonzero(np.diff(y)) + 1
        grid.append(jumps << (top - lv))
        rows.append(np.full(jumps.size, row, dtype=np.int64))
        deltas.append(y[jumps] - y[jumps - 1])
        biases.append(2 * int(y[0]) - 1)  # y_l(0) - 1/2 on scale 2^-1
    grid_all = np.concatenate(grid) if grid else np.zeros(0, dtype=np.int64)
    points, unit_of = np.unique(grid_all, return_inverse=True)
    layer1 = _layer(1, points.size, np.arange(points.size), np.zeros(points.size), np.full(points.size, 1 << top), -points, top)
    layer2 = _layer(points.size, len(levels), np.concatenate(rows) if rows else [], unit_of, 2 * np.concatenate(deltas) if deltas else [],
                    biases, 1)
    return layer1, layer2, {lv: i for i, lv in enumerate(levels)}


def _heads_layers(quants: list[HeadQuantization], digit_row: dict[int, int]):
    """Layer 3 (parity, XOR and pass-through units, shared when equal) and the linear output layer."""
    units: dict[tuple, int] = {}
    r3, c3, v3, b3 = [], [], [], []

    def unit(key: tuple, inputs: list[int], bias: int) -> int:
        if key not in units:
            units[key] = len(units)
            for c in inputs:
                r3.append(units[key])
                c3.append(c)
                v3.append(2)
            b3.append(bias)
        return units[key]

    ro, co, vo, bo, exps = [], [], [], [], []
    for t, q in enumerate(quants):
        if q.zero:
            exps.append(0)
            bo.append(0)
            continue
        if q.head.family == "walsh":
            rows_in = [digit_row[lv] for lv in digit_levels(q)]
            m = len(rows_in)
            exps.append(0)
            bo.append(1)  # f̂/a = 1 - 2·parity, parity = Σ_j (-1)^(j+1) [Σ y >= j]
            for j in range(1, m + 1):
                u = unit(("sum>=", tuple(rows_in), j), rows_in, -2 * j + 1)
                ro.append(t)
                co.append(u)
                vo.append(-2 * (-1) ** (j + 1))
            continue
        k, p = q.head.index, q.precision
        if p > _MAX_EXPONENT:
            raise BudgetError(f"{q.head.spec}: precision {p} needs output weights beyond {_MAX_EXPONENT} bits")
        exps.append(p)
        bo.append((1 << p) - 1)  # f̂/a = 1 - 2^-p - Σ 2^(1-i) z_i, on scale 2^-p
        for i in range(1, p + 1):
            weight = 1 << (p + 1 - i)
            if k == 0:
                u = unit(("pass", digit_row[i]), [digit_row[i]], -1)
                ro.append(t)
                co.append(u)
                vo.append(-weight)
            else:
                pair = [digit_row[k], digit_row[k + i]]
                u1 = unit(("sum>=", tuple(pair), 1), pair, -1)
                u2 = unit(("sum>=", tuple(pair), 2), pair, -3)
                ro += [t, t]
                co += [u1, u2]
                vo += [-weight, weight]
    # each output's 2^-p is folded into its scale a 2^-p (exact): the weights stay small integers
    layer3 = _layer(len(digit_row), len(units), r3, c3, v3, b3, 1)
    scales = [np.ldexp(q.head.amplitude, -e) for q, e in zip(quants, exps)]
    out = _layer(len(units), len(quants), ro, co, vo, bo, 0, linear=True, scales=scales)
    return layer3, out


def _trunk_network(quants: list[HeadQuantization], feature: Feature, max_cells: int) -> HeavisideNetwork:
    levels = sorted({lv for q in quants for lv in digit_levels(q)})
    if not levels:
        return HeavisideNetwork([_layer(1, len(quants), [], [], [], [0] * len(quants), 0, True, [q.head.amplitude for q in quants])])
    layer1, layer2, rows = _trunk(feature, levels, max_cells)
    layer3, out = _heads_layers(quants, rows)
    return HeavisideNetwork([layer1, layer2, layer3, out])


def joint_network(quants: list[HeadQuantization], feature: Feature, max_cells: int = 1 << 26) -> HeavisideNetwork:
    """The joint network: one trunk for every needed digit, small heads on top (THEORY §7)."""
    rep = representative(feature, RequirementSet.union_all(q.requirement for q in quants))
    return _trunk_network(quants, rep, max_cells)


def head_network(q: HeadQuantization, feature: Feature, max_cells: int = 1 << 26) -> HeavisideNetwork:
    """The trunk-and-head construction restricted to one head."""
    return _trunk_network([q], representative(feature, q.requirement), max_cells)


def step_network(q: HeadQuantization, table: HeadTable, depth: int, max_cells: int = 1 << 26) -> HeavisideNetwork:
    """One hidden layer, one unit per jump of ``f̂_t``: ``f̂ = a (V(0) + Σ ΔV H(x - c 2^-r)) 2^-p``."""
    amp = [q.head.amplitude]
    if q.zero:
        return HeavisideNetwork([_layer(1, 1, [], [], [], [0], 0, True, amp)])
    level, values = approximant_values(q, table, depth, max_cells)
    if q.head.family == "walsh":
        v, e = 1 - 2 * table.values.astype(np.int64), 0
    else:
        p = q.precision
        e = p
        v = np.rint(values / q.head.amplitude * 2.0**p).astype(np.int64)  # 2^p - 2Q - 1, exact
    jumps = np.flatnonzero(np.diff(v)) + 1
    scale = [np.ldexp(q.head.amplitude, -e)]  # f̂ = (a 2^-p) · V, V an integer
    if jumps.size == 0:
        return HeavisideNetwork([_layer(1, 1, [], [], [], [int(v[0])], 0, True, scale)])
    layer1 = _layer(1, jumps.size, np.arange(jumps.size), np.zeros(jumps.size), np.full(jumps.size, 1 << level), -jumps, level)
    out = _layer(jumps.size, 1, np.zeros(jumps.size), np.arange(jumps.size), v[jumps] - v[jumps - 1], [int(v[0])], 0, True, scale)
    return HeavisideNetwork([layer1, out])


def separate_networks(quants: list[HeadQuantization], feature: Feature, max_cells: int = 1 << 26) -> list[tuple[str, HeavisideNetwork]]:
    """Per head, the cheaper in bits of the restricted trunk network and the step network."""
    out = []
    for q in quants:
        if q.zero:  # f̂ = 0: the constant network (both constructions reduce to it)
            out.append(("step", step_network(q, HeadTable(0, None), feature.depth)))
            continue
        rep = representative(feature, q.requirement)
        (table,) = head_tables([q], rep)
        candidates = [("trunk", _trunk_network([q], rep, max_cells))]
        if q.zero or (1 << q.approximant_level(feature.depth)) <= max_cells:
            candidates.append(("step", step_network(q, table, feature.depth, max_cells)))
        out.append(min(candidates, key=lambda kv: kv[1].network_bits))
    return out


def network_outputs_match(outputs: list[tuple[int, np.ndarray]], quants: list[HeadQuantization], tables: list[HeadTable], depth: int) -> list[bool]:
    """Does each network output equal the quantized head ``f̂_t`` on every cell, bit for bit?"""
    result = []
    for (level, got), q, table in zip(outputs, quants, tables):
        ref_level, ref = approximant_values(q, table, depth)
        common = max(level, ref_level)
        a = np.repeat(got, 1 << (common - level)) if level < common else got
        b = np.repeat(ref, 1 << (common - ref_level)) if ref_level < common else ref
        result.append(bool(np.array_equal(a, b)))
    return result
