"""Heaviside networks that realize the quantized heads, and their description length (THEORY §7).

Constructions, all on the dyadic grid (``H(t) = 1`` if ``t >= 0`` else 0; the
networks, their evaluation and their files are in :mod:`dlcalc.networks._heaviside`):

- shared trunk: layer 1 has a step ``H(x - c 2^-R)`` at every point where a needed
  digit ``y_l = b_l(h(x))`` jumps; layer 2 one *toggle* unit per digit,
  ``y_l = H(Σ_c Δ_{l,c} u_c + y_l(0) - 1/2)`` with ``Δ = ±1`` alternating.  On top,
  small binary gates (all ``H`` of integer combinations on scale ``2^-1``):

  * a Walsh head on levels ``A`` is ``f̂/a = 1 - 2 parity``; the parity of a set ``S``
    of digits is a *toggle* over the nested threshold units ``[Σ_{l∈S} y_l >= j]``,
    ``j = 1 … |S|``.  Two layouts, the shorter kept: *flat*, each head reading its own
    threshold units; *halves*, the Walsh levels split into a low and a high half, the
    parity of each half-set shared by every head that reads it, and a head with both
    halves reading ``p_L``, ``p_H`` and their AND:
    ``f̂/a = 1 - 2 p_L - 2 p_H + 4 p_L p_H = 1 - 2 (p_L XOR p_H)``;
  * a sawtooth head reads ``z_i = y_{k+i} XOR y_k`` (the parity of the pair; ``z_i = y_i``
    for ``k = 0``) through ``f̂/a = 1 - 2^-p - Σ 2^(1-i) z_i``.

  Gates sit in the latest layer their readers allow; a value needed further up is
  passed on by copy units ``H(2y - 1)``, so every layer reads only the one below.
- zero heads: a head that is 0 at ε (``ε >= a``, THEORY §3) is ``f̂ = 0`` whatever the
  network, and the class alone says which heads those are, so no network realizes them
  and they cost no bit: every construction realizes the *live* heads only
  (:func:`live_heads`), in order; a class with none has no network at all.
- step network: one hidden layer, one unit per jump of ``f̂_t``.
- separate networks: per head, the shorter (in bits) of the trunk restricted to that
  head and its step network.
- joint network: the shorter of the shared trunk for all heads and the *parallel
  stack* of the separate networks (a stack of per-head networks is a joint network
  too, and the file format makes its bits the sum of theirs, so the joint network
  never costs more than the separate ones).

Networks are built from the canonical representative ``σ'`` the coder decodes
(THEORY §6), so a network is a function of the quantized class element alone.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import BudgetError
from ..coding._payload import decode_flips, encode_payload
from ..core._feature import Feature
from ..core._headset import digit_levels as read_levels
from ..quantize._quantize import HeadQuantization, RequirementSet
from ..quantize._tables import HeadTable, _ImageCache, approximant_values, head_tables
from ._format import MAX_SCALE_EXP, MIN_SCALE_EXP, NETWORK_VERSION, Layer, make_layer, toggle_row
from ._heaviside import HeavisideNetwork, NetworkBlock

__all__ = [
    "NETWORK_VERSION",
    "HeavisideNetwork",
    "NetworkBlock",
    "Layer",
    "digit_levels",
    "live_heads",
    "joint_candidates",
    "shared_trunk_network",
    "parallel_stack",
    "best_joint",
    "joint_network",
    "head_network",
    "step_network",
    "separate_networks",
    "network_outputs_match",
    "JOINT_CONSTRUCTIONS",
]

#: Largest sawtooth precision a network output can carry (weights ``2^(p+1-i)``, row sums below 2^62).
MAX_NETWORK_PRECISION = 60
#: The joint constructions, in the order ties are broken.
JOINT_CONSTRUCTIONS = ("shared_trunk", "parallel_stack")


def digit_levels(q: HeadQuantization) -> list[int]:
    """Digits ``y_l`` of ``h(x)`` the quantized head reads (THEORY §4)."""
    if q.zero:
        return []
    return read_levels(q.head.family, q.head.index, q.head.index, q.precision)


def live_heads(quants: list[HeadQuantization]) -> list[HeadQuantization]:
    """The heads a network realizes: those that are not 0 at ε, in order.

    A zero head (``ε >= a``) is ``f̂ = 0`` on every cell; which heads are zero follows from
    the class (the heads and ε), which a code for the class knows before its first bit, so
    such a head needs no network and costs nothing (docs/theory.md §7).
    """
    return [q for q in quants if not q.zero]


def representative(feature: Feature, requirement: RequirementSet) -> Feature:
    """The canonical ``σ'`` the coder's decoder rebuilds for this requirement set (THEORY §6)."""
    basis = requirement.basis(feature.depth)
    return decode_flips(feature.depth, basis, encode_payload(feature, basis))


# ----------------------------------------------------------------------------- outputs


def _output_scale(q: HeadQuantization) -> float:
    """``a`` for a Walsh head, ``a 2^-p`` for a sawtooth head (its output weights stay integers);
    for a zero head (``ε >= a``, output 0 whatever its scale) ``a`` where the format holds it, else 1."""
    if q.zero:
        return q.head.amplitude if 2.0**MIN_SCALE_EXP <= q.head.amplitude < 2.0**MAX_SCALE_EXP else 1.0
    scale = q.head.amplitude if q.head.family == "walsh" else math.ldexp(q.head.amplitude, -q.sawtooth_precision)
    if not 2.0**MIN_SCALE_EXP <= scale < 2.0**MAX_SCALE_EXP:
        raise BudgetError(f"{q.head.spec}: output scale {scale:g} is outside the network format's range")
    return scale


def _output_layer(n_in: int, outputs: list[tuple[list[int], list[int], int]], scales: list[float]) -> Layer:
    """The linear output layer; an output with no inputs and bias 0 (a zero head) borrows a neighbour's scale.

    Zero outputs carry no information; giving them the scale of the output before them
    (or after, at the start; 1 if every output is zero) keeps the file canonical and short.
    """
    live = [bool(cols) or bias != 0 for cols, _, bias in outputs]
    fixed = list(scales)
    known = [s for s, ok in zip(scales, live, strict=False) if ok]
    current = known[0] if known else 1.0
    for t, ok in enumerate(live):
        if ok:
            current = scales[t]
        else:
            fixed[t] = current
    rows = [t for t, (cols, _, _) in enumerate(outputs) for _ in cols]
    cols = [c for cols, _, _ in outputs for c in cols]
    values = [v for _, vals, _ in outputs for v in vals]
    return make_layer(n_in, len(outputs), rows, cols, values, [b for _, _, b in outputs], 0, True, fixed)


# ----------------------------------------------------------------------------- gates


class _Circuit:
    """Binary gates over the trunk's digits (node ``i < n_digits`` is digit ``i``), laid out in layers.

    A gate is ``H(Σ w_i v_i + b)`` on scale ``2^-1`` over earlier nodes; equal gates are
    built once.  :meth:`layers` places each gate as late as its readers allow and adds
    copy units ``H(2v - 1)`` wherever a value must climb more than one layer.
    """

    def __init__(self, n_digits: int) -> None:
        self.n_digits = n_digits
        self.gates: list[tuple[tuple[int, ...], tuple[int, ...], int]] = []
        self._ids: dict[tuple, int] = {}

    def gate(self, inputs, values, bias: int) -> int:
        key = (tuple(inputs), tuple(int(v) for v in values), int(bias))
        if key not in self._ids:
            self._ids[key] = self.n_digits + len(self.gates)
            self.gates.append(key)
        return self._ids[key]

    def toggle(self, inputs) -> int:
        """A unit that is 0 below all inputs and flips at each (nested) input: the parity of their count."""
        values, bias = toggle_row(len(inputs), 0)
        return self.gate(inputs, values.tolist(), bias)

    def layers(self, outputs: list[tuple[list[int], list[int], int]], scales: list[float]) -> list[Layer]:
        """Hidden layers above the digits (the digits are layer 0) and the output layer."""
        n = self.n_digits + len(self.gates)
        gate_inputs = [()] * self.n_digits + [g[0] for g in self.gates]
        asap = [0] * n
        for v in range(self.n_digits, n):
            asap[v] = 1 + max(asap[i] for i in gate_inputs[v])
        read = {c for cols, _, _ in outputs for c in cols}
        top = max((asap[v] for v in read), default=0)
        late = [top if v in read else n + top for v in range(n)]
        need = [top if v in read else -1 for v in range(n)]
        for v in range(n - 1, self.n_digits - 1, -1):
            for i in gate_inputs[v]:
                late[i] = min(late[i], late[v] - 1)
                need[i] = max(need[i], late[v] - 1)
        for v in range(self.n_digits):
            late[v] = 0
        position: list[dict[int, int]] = []
        for level in range(top + 1):
            present = [v for v in range(n) if late[v] <= level <= need[v]]
            position.append({v: i for i, v in enumerate(present)})
        layers = []
        for level in range(1, top + 1):
            below, here = position[level - 1], position[level]
            rows, cols, values, biases = [], [], [], []
            for v, u in here.items():
                if late[v] == level:
                    inputs, vals, bias = self.gates[v - self.n_digits]
                else:  # a copy of the unit below
                    inputs, vals, bias = (v,), (2,), -1
                rows += [u] * len(inputs)
                cols += [below[i] for i in inputs]
                values += list(vals)
                biases.append(bias)
            layers.append(make_layer(len(below), len(here), rows, cols, values, biases, 1))
        last = position[top]
        mapped = []
        for out_cols, out_vals, bias in outputs:
            pairs = sorted((last[c], v) for c, v in zip(out_cols, out_vals, strict=False))
            mapped.append(([c for c, _ in pairs], [v for _, v in pairs], bias))
        layers.append(_output_layer(len(last), mapped, scales))
        return layers


def _parity_sums(circuit: _Circuit, inputs: list[int]) -> list[int]:
    """The threshold units ``[Σ inputs >= j]``, ``j = 1 … |inputs|``: nested, so a toggle over them is the parity."""
    return [circuit.gate(inputs, [2] * len(inputs), 1 - 2 * j) for j in range(1, len(inputs) + 1)]


def _walsh_flat(circuit: _Circuit, digit: dict[int, int], walsh: list[tuple[int, list[int]]]) -> dict[int, tuple]:
    """Walsh outputs read their own threshold units: ``f̂/a = 1 - 2 Σ_j (-1)^(j+1) [Σ_{l∈A} y_l >= j]``."""
    out = {}
    for t, levels in walsh:
        inputs = [digit[lv] for lv in levels]
        units = inputs if len(inputs) == 1 else _parity_sums(circuit, inputs)
        values, bias = toggle_row(len(units), 1)
        out[t] = (units, values.tolist(), bias)
    return out


def _walsh_halves(circuit: _Circuit, digit: dict[int, int], walsh: list[tuple[int, list[int]]]) -> dict[int, tuple]:
    """Walsh outputs from shared half parities: one AND gate per head that needs both halves."""
    used = sorted({lv for _, levels in walsh for lv in levels})
    low = set(used[: (len(used) + 1) // 2])
    halves = [
        (tuple(lv for lv in levels if lv in low), tuple(lv for lv in levels if lv not in low)) for _, levels in walsh
    ]
    parity: dict[tuple[int, ...], int] = {}
    for side in (0, 1):
        for subset in sorted({h[side] for h in halves if h[side]}, key=lambda s: sum(1 << (lv - 1) for lv in s)):
            inputs = [digit[lv] for lv in subset]
            # a singleton is copied, which keeps the half parities of a side together and in order
            parity[subset] = circuit.toggle(inputs if len(subset) == 1 else _parity_sums(circuit, inputs))
    out = {}
    for (t, _), (lo, hi) in zip(walsh, halves, strict=True):
        if lo and hi:
            p_lo, p_hi = parity[lo], parity[hi]
            both = circuit.gate([p_lo, p_hi], [2, 2], -3)
            out[t] = ([p_lo, p_hi, both], [-2, -2, 4], 1)
        else:
            out[t] = ([parity[lo or hi]], [-2], 1)
    return out


#: Layouts of the Walsh part of a trunk network; the shorter one is kept.
WALSH_LAYOUTS = {"flat": _walsh_flat, "halves": _walsh_halves}


def _sawtooth_output(circuit: _Circuit, digit: dict[int, int], q: HeadQuantization) -> tuple:
    """``f̂/a = 1 - 2^-p - Σ_i 2^(1-i) z_i`` with ``z_i = y_{k+i} XOR y_k``, a toggle over ``[y_k + y_{k+i} >= j]``."""
    k, p = q.head.index, q.sawtooth_precision
    if p > MAX_NETWORK_PRECISION:
        raise BudgetError(f"{q.head.spec}: precision {p} needs output weights beyond {MAX_NETWORK_PRECISION + 1} bits")
    units, values = [], []
    for i in range(1, p + 1):
        weight = 1 << (p + 1 - i)
        units.append(digit[i] if k == 0 else circuit.toggle(_parity_sums(circuit, [digit[k], digit[k + i]])))
        values.append(-weight)
    return units, values, (1 << p) - 1


# ----------------------------------------------------------------------------- trunk


def _trunk(feature: Feature, levels: list[int], max_cells: int) -> tuple[Layer, Layer]:
    """Layers 1-2: breakpoint units and one toggle unit per digit (digits in increasing level)."""
    top = max(levels)
    if (1 << top) > max_cells:
        raise BudgetError(
            f"the trunk reads digit {top}: 2^{top} cells, over the budget of {max_cells} (raise --max-cells)"
        )
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
    points, unit_of = np.unique(np.concatenate(grid), return_inverse=True)
    layer1 = make_layer(
        1, points.size, np.arange(points.size), np.zeros(points.size), np.full(points.size, 1 << top), -points, top
    )
    layer2 = make_layer(points.size, len(levels), np.concatenate(rows), unit_of, 2 * np.concatenate(deltas), biases, 1)
    return layer1, layer2


def _trunk_network(quants: list[HeadQuantization], feature: Feature, max_cells: int) -> HeavisideNetwork:
    """The trunk and its gates; with several Walsh heads of two or more levels, the shorter of the Walsh layouts."""
    levels = sorted({lv for q in quants for lv in digit_levels(q)})
    scales = [_output_scale(q) for q in quants]
    empty: tuple[list[int], list[int], int] = ([], [], 0)
    if not levels:
        return HeavisideNetwork.single([_output_layer(0, [empty] * len(quants), scales)])
    digit = {lv: i for i, lv in enumerate(levels)}
    walsh = [(t, digit_levels(q)) for t, q in enumerate(quants) if not q.zero and q.head.family == "walsh"]
    # sharing half parities needs two heads of two or more levels
    layouts = WALSH_LAYOUTS if sum(len(levels) > 1 for _, levels in walsh) > 1 else {"flat": _walsh_flat}
    layer1, layer2 = _trunk(feature, levels, max_cells)
    best = None
    for layout in layouts.values():
        circuit = _Circuit(len(levels))
        outputs = [empty] * len(quants)
        for t, out in layout(circuit, digit, walsh).items():
            outputs[t] = out
        for t, q in enumerate(quants):
            if not q.zero and q.head.family == "sawtooth":
                outputs[t] = _sawtooth_output(circuit, digit, q)
        net = HeavisideNetwork.single([layer1, layer2, *circuit.layers(outputs, scales)])
        if best is None or net.network_bits < best.network_bits:
            best = net
    assert best is not None  # there is always at least the flat layout
    return best


# ----------------------------------------------------------------------------- constructions


def head_network(q: HeadQuantization, feature: Feature, max_cells: int = 1 << 26) -> HeavisideNetwork:
    """The trunk-and-gates construction restricted to one head."""
    return _trunk_network([q], representative(feature, q.requirement), max_cells)


def step_network(q: HeadQuantization, table: HeadTable, depth: int, max_cells: int = 1 << 26) -> HeavisideNetwork:
    """One hidden layer, one unit per jump of ``f̂_t``: ``f̂ = a 2^-p (V(0) + Σ ΔV H(x - c 2^-r))``."""
    scale = [_output_scale(q)]
    if q.zero:
        return HeavisideNetwork.single([_output_layer(0, [([], [], 0)], scale)])
    level, values = approximant_values(q, table, depth, max_cells)
    if q.head.family == "walsh":
        assert table.values is not None  # a Walsh head's table has values
        v = 1 - 2 * table.values.astype(np.int64)
    else:
        v = np.rint(values / q.head.amplitude * 2.0**q.sawtooth_precision).astype(np.int64)  # 2^p - 2Q - 1, exact
    jumps = np.flatnonzero(np.diff(v)) + 1
    if jumps.size == 0:
        return HeavisideNetwork.single([_output_layer(0, [([], [], int(v[0]))], scale)])
    layer1 = make_layer(
        1, jumps.size, np.arange(jumps.size), np.zeros(jumps.size), np.full(jumps.size, 1 << level), -jumps, level
    )
    out = make_layer(
        jumps.size, 1, np.zeros(jumps.size), np.arange(jumps.size), v[jumps] - v[jumps - 1], [int(v[0])], 0, True, scale
    )
    return HeavisideNetwork.single([layer1, out])


def separate_networks(
    quants: list[HeadQuantization], feature: Feature, max_cells: int = 1 << 26
) -> list[tuple[str, HeavisideNetwork]]:
    """Per live head (:func:`live_heads`), the shorter in bits of the restricted trunk network and the
    step network; a zero head has none."""
    out = []
    for q in live_heads(quants):
        rep = representative(feature, q.requirement)
        (table,) = head_tables([q], rep)
        candidates = [("trunk", _trunk_network([q], rep, max_cells))]
        if (1 << q.approximant_level(feature.depth)) <= max_cells:
            candidates.append(("step", step_network(q, table, feature.depth, max_cells)))
        out.append(min(candidates, key=lambda kv: kv[1].network_bits))
    return out


def parallel_stack(networks: list[HeavisideNetwork]) -> HeavisideNetwork:
    """Networks side by side, outputs in order: a joint network whose bits are the sum of theirs."""
    return HeavisideNetwork([block for net in networks for block in net.blocks])


def shared_trunk_network(
    quants: list[HeadQuantization], feature: Feature, max_cells: int = 1 << 26
) -> HeavisideNetwork:
    """One trunk for every digit any live head needs, their gates on top (built from the joint ``σ'``);
    one output per live head (:func:`live_heads`; a ValueError if there is none)."""
    live = live_heads(quants)
    if not live:
        raise ValueError("every head is 0 at ε: there is no network to build")
    rep = representative(feature, RequirementSet.union_all(q.requirement for q in live))
    return _trunk_network(live, rep, max_cells)


def joint_candidates(
    quants: list[HeadQuantization],
    feature: Feature,
    max_cells: int = 1 << 26,
    separate: list[tuple[str, HeavisideNetwork]] | None = None,
) -> dict[str, HeavisideNetwork]:
    """Both joint constructions: ``shared_trunk`` (one trunk for every needed digit) and ``parallel_stack``;
    none when every head is 0 at ε.

    ``separate`` are the separate networks when the caller has them already.
    """
    if not live_heads(quants):
        return {}
    if separate is None:
        separate = separate_networks(quants, feature, max_cells)
    return {
        "shared_trunk": shared_trunk_network(quants, feature, max_cells),
        "parallel_stack": parallel_stack([n for _, n in separate]),
    }


def joint_network(
    quants: list[HeadQuantization],
    feature: Feature,
    max_cells: int = 1 << 26,
    separate: list[tuple[str, HeavisideNetwork]] | None = None,
) -> HeavisideNetwork | None:
    """The joint network: the shorter of the shared trunk and the parallel stack (THEORY §7); None when
    every head is 0 at ε."""
    candidates = joint_candidates(quants, feature, max_cells, separate)
    return best_joint(candidates)[1] if candidates else None


def best_joint(candidates: dict[str, HeavisideNetwork]) -> tuple[str, HeavisideNetwork]:
    """The shortest candidate; ties go to the shared trunk."""
    name = min(JOINT_CONSTRUCTIONS, key=lambda c: (candidates[c].network_bits, JOINT_CONSTRUCTIONS.index(c)))
    return name, candidates[name]


def network_outputs_match(
    outputs: list[tuple[int, np.ndarray]], quants: list[HeadQuantization], tables: list[HeadTable], depth: int
) -> list[bool]:
    """Does each network output equal the quantized head ``f̂_t`` on every cell, bit for bit?

    A network's outputs are those of the live heads (:func:`live_heads`), in order: ``quants`` and
    ``tables`` are the class's heads, zero heads included or not, and the answers are the live heads'."""
    live = [(q, table) for q, table in zip(quants, tables, strict=True) if not q.zero]
    result = []
    for (level, got), (q, table) in zip(outputs, live, strict=True):
        ref_level, ref = approximant_values(q, table, depth)
        common = max(level, ref_level)
        a = np.repeat(got, 1 << (common - level)) if level < common else got
        b = np.repeat(ref, 1 << (common - ref_level)) if ref_level < common else ref
        result.append(bool(np.array_equal(a, b)))
    return result
