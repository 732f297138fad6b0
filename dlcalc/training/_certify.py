"""Exact sup errors of Heaviside step networks against the heads (THEORY §3, §7, §8).

A :class:`StepNetwork` reads a scalar ``x``: its first layer computes
``H(W_i x + B_i)`` (``H(t) = 1`` for ``t >= 0``), later hidden layers threshold
integer combinations of binary inputs, and the last layer is linear.  Every
weight is a dyadic rational ``value · 2^-exponent`` with an integer ``value``,
so the network is piecewise constant in ``x``; it changes only at the rational
points ``-B_i / W_i``, where its value can differ from both one-sided limits.

A head ``f_t = a_t g_t ∘ h_σ`` is affine on every cell of its level ``r_t``
(THEORY §8) and right-continuous.  So the supremum over ``[0, 1)`` of
``|f_t - N_t|`` is a maximum over finitely many candidates, computed here in
exact integer arithmetic:

- at each breakpoint ``p`` of the network, ``|f(p) - N(p)|``;
- on each open interval ``(p, q)`` between consecutive breakpoints, where ``N``
  is a constant ``v``, ``max(sup f - v, v - inf f)``, with ``sup f`` and
  ``inf f`` taken over ``f(p)``, the left limit ``f(q-)`` and both one-sided
  values at every cell boundary strictly inside.

Suprema that are only approached (a staircase against a slope) are found
through the one-sided limits, so the result is the supremum, not a maximum
over samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._errors import BudgetError
from ..core._feature import Feature
from ..core._heads import Head

__all__ = [
    "StepLayer",
    "StepNetwork",
    "from_heaviside",
    "to_heaviside",
    "is_step_layer",
    "network_regions",
    "head_pieces",
    "sup_errors",
    "evaluate_points",
]

#: Largest absolute integer weight or bias a step network may hold.
MAX_WEIGHT = 1 << 40


@dataclass(eq=False)
class StepLayer:
    """One layer: integer ``weights`` (``n_out × n_in``) and ``biases`` on the scale ``2^-exponent``."""

    weights: np.ndarray
    biases: np.ndarray
    exponent: int

    def __post_init__(self) -> None:
        self.weights = np.asarray(self.weights, dtype=np.int64)
        self.biases = np.asarray(self.biases, dtype=np.int64).reshape(-1)
        self.exponent = int(self.exponent)
        if self.weights.ndim != 2 or self.weights.shape[0] != self.biases.size:
            raise ValueError("a layer's weights are an n_out × n_in matrix, one bias per unit")
        for values in (self.weights, self.biases):
            if values.size and int(np.max(np.abs(values))) >= MAX_WEIGHT:
                raise BudgetError(f"a step network weight exceeds 2^{MAX_WEIGHT.bit_length() - 1}")

    @property
    def n_out(self) -> int:
        return int(self.biases.size)

    @property
    def n_in(self) -> int:
        return int(self.weights.shape[1])

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, StepLayer)
            and self.exponent == other.exponent
            and self.weights.shape == other.weights.shape
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.biases, other.biases)
        )


@dataclass(eq=False)
class StepNetwork:
    """Heaviside layers on a scalar input, then one linear layer times a dyadic ``scale`` per output (THEORY §7).

    ``scales`` are exact dyadic rationals (Fractions); trained networks use 1.

    Examples
    --------
    One unit ``H(x - 1/2)`` and the output ``1 - 2u`` is ``walsh:1`` under the identity feature:

    >>> net = StepNetwork([StepLayer([[2]], [-1], 1), StepLayer([[-2]], [1], 0)])
    >>> [float(e) for e in sup_errors(net, Feature(0, []), [Head("walsh", 1)])]
    [0.0]
    """

    layers: list[StepLayer]
    scales: list[Fraction] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a step network has at least its output layer")
        if self.layers[0].n_in != 1:
            raise ValueError("the first layer reads the scalar input")
        for a, b in zip(self.layers, self.layers[1:], strict=False):
            if b.n_in != a.n_out:
                raise ValueError("step network layers do not chain")
        if not self.scales:
            self.scales = [Fraction(1)] * self.n_outputs
        self.scales = [Fraction(s) for s in self.scales]
        if len(self.scales) != self.n_outputs:
            raise ValueError("one scale per output")

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def depth(self) -> int:
        """Number of weight layers (the output layer included)."""
        return len(self.layers)

    @property
    def widths(self) -> list[int]:
        """Units of each hidden layer."""
        return [layer.n_out for layer in self.layers[:-1]]

    @property
    def nonzero_weights(self) -> int:
        """Nonzero weights (biases not counted, as for the constructed networks)."""
        return sum(int(np.count_nonzero(layer.weights)) for layer in self.layers)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, StepNetwork)
            and len(self.layers) == len(other.layers)
            and all(a == b for a, b in zip(self.layers, other.layers, strict=True))
            and self.scales == other.scales
        )


def _dense(layer) -> np.ndarray:
    dense = np.zeros((layer.n_out, max(layer.n_in, 1)), dtype=np.int64)
    dense[layer.rows, layer.cols] = layer.values
    return dense


def from_heaviside(net) -> list[StepNetwork]:
    """Each block of a constructed :class:`~dlcalc.networks._heaviside.HeavisideNetwork` as a dense :class:`StepNetwork`
    (the blocks' outputs, in order, are the network's).

    The constructions' first layer is ``H(x - g 2^-e)`` (weight 1, bias ``-g``); a
    block without hidden layers becomes an empty first layer and its constant outputs.
    """
    out = []
    for block in net.blocks:
        layers = block.layers
        scales = [Fraction(float(s)) for s in layers[-1].scales]
        if len(layers) == 1:
            last = layers[0]
            out.append(
                StepNetwork(
                    [
                        StepLayer(np.zeros((0, 1), dtype=np.int64), np.zeros(0, dtype=np.int64), 0),
                        StepLayer(np.zeros((last.n_out, 0), dtype=np.int64), last.biases, last.exponent),
                    ],
                    scales,
                )
            )
            continue
        out.append(StepNetwork([StepLayer(_dense(layer), layer.biases, layer.exponent) for layer in layers], scales))
    return out


def is_step_layer(layer: StepLayer) -> bool:
    """Increasing thresholds ``H(x - g 2^-e)``, ``0 < g < 2^e``: weight ``2^e`` (that is 1) each."""
    g = -layer.biases
    return (
        layer.exponent >= 0
        and bool(np.all(layer.weights[:, 0] == (1 << layer.exponent)))
        and (g.size == 0 or (g[0] > 0 and g[-1] < (1 << layer.exponent) and bool(np.all(np.diff(g) > 0))))
    )


def to_heaviside(net: StepNetwork):
    """A step network whose first layer is increasing thresholds, as a one-block
    :class:`~dlcalc.networks._heaviside.HeavisideNetwork` (for its ONNX export and exact grid evaluation)."""
    from ..networks._format import make_layer
    from ..networks._heaviside import HeavisideNetwork

    if not is_step_layer(net.layers[0]):
        raise ValueError("the first layer is not increasing thresholds H(x - g 2^-e)")
    scales = [float(s) for s in net.scales]
    if net.layers[0].n_out == 0:  # constant outputs: the one region's values, as biases
        out = net.layers[-1]
        (values,) = _propagate(net, np.zeros((1, 0), dtype=np.int64))
        return HeavisideNetwork.single([make_layer(0, out.n_out, [], [], [], values, out.exponent, True, scales)])
    layers = []
    for i, layer in enumerate(net.layers):
        rows, cols = np.nonzero(layer.weights)
        last = i == net.depth - 1
        layers.append(
            make_layer(
                layer.n_in,
                layer.n_out,
                rows,
                cols,
                layer.weights[rows, cols],
                layer.biases,
                layer.exponent,
                last,
                scales if last else None,
            )
        )
    return HeavisideNetwork.single(layers)


# ----------------------------------------------------------------------------- the network side


def _propagate(net: StepNetwork, first: np.ndarray) -> np.ndarray:
    """Integer outputs (on each output's scale ``2^-exponent``) for rows of first-layer activations."""
    act = first.astype(np.int64)
    for layer in net.layers[1:]:
        # |pre| <= (n_in + 1) 2^40: int64 up to 2^22 inputs, exact Python integers beyond
        dtype = np.int64 if layer.n_in < (1 << 22) else object
        pre = act.astype(dtype) @ layer.weights.T.astype(dtype) + layer.biases.astype(dtype)[None, :]
        act = pre if layer is net.layers[-1] else (pre >= 0).astype(np.int64)
    return act


def network_regions(net: StepNetwork) -> tuple[list[Fraction], np.ndarray, np.ndarray]:
    """Breakpoints and the network's value on each piece, exactly.

    Returns ``(points, at_point, on_interval)``: the sorted distinct breakpoints
    ``0 = p_0 < p_1 < ... < p_{m-1}`` in ``[0, 1)`` (0 always included), and the
    integer outputs (scale ``2^-e`` of the output layer, before ``scales``) at
    each ``p_j`` and on each open interval ``(p_j, p_{j+1})`` (``p_m = 1``),
    shape ``(m, T)`` each.
    """
    first = net.layers[0]
    w = [int(v) for v in first.weights[:, 0]]
    b = [int(v) for v in first.biases]
    cuts = [Fraction(-bi, wi) if wi else None for wi, bi in zip(w, b, strict=False)]
    points = sorted({Fraction(0)} | {c for c in cuts if c is not None and 0 <= c < 1})
    m = len(points)
    index = {p: j for j, p in enumerate(points)}
    rank = np.array(
        [(-1 if c < 0 else m if c >= 1 else index[c]) if c is not None else 0 for c in cuts], dtype=np.int64
    )
    sign = np.sign(np.array(w, dtype=np.int64))
    constant = np.array([bi >= 0 for bi in b], dtype=bool)
    j = np.arange(m)[:, None]
    rank, sign, constant = rank[None, :], sign[None, :], constant[None, :]
    # H(W x + B) with W > 0 is on for x >= c; with W < 0 for x <= c (inclusive: H(0) = 1)
    on_point = np.where(sign > 0, rank <= j, np.where(sign < 0, rank >= j, constant))
    on_interval = np.where(sign > 0, rank <= j, np.where(sign < 0, rank >= j + 1, constant))
    return points, _propagate(net, on_point), _propagate(net, on_interval)


def evaluate_points(net: StepNetwork, x) -> np.ndarray:
    """Exact network outputs at given points (Fractions or floats, read exactly), as Fractions, shape ``(n, T)``.

    A direct evaluator, independent of :func:`network_regions` (for tests and checks).
    """
    first = net.layers[0]
    xs = [Fraction(v) for v in np.asarray(x, dtype=object).ravel()]
    rows = np.array(
        [[int(wi) * xi + int(bi) >= 0 for wi, bi in zip(first.weights[:, 0], first.biases, strict=False)] for xi in xs],
        dtype=np.int64,
    )
    rows = rows.reshape(len(xs), first.n_out)
    ints = _propagate(net, rows)
    e = net.layers[-1].exponent
    return np.array(
        [
            [
                Fraction(int(v), 1 << e) * s if e >= 0 else Fraction(int(v) << -e) * s
                for v, s in zip(row, net.scales, strict=False)
            ]
            for row in ints
        ],
        dtype=object,
    ).reshape(len(xs), net.n_outputs)


# ----------------------------------------------------------------------------- the head side


def head_pieces(head: Head, feature: Feature, max_cells: int = 1 << 26) -> tuple[int, np.ndarray, np.ndarray]:
    """``(L, left, right)``: ``g_t ∘ h`` on each level-``L`` cell of ``x`` is affine from ``left/2^(L+1)``
    at the cell's left end to the left limit ``right/2^(L+1)`` at its right end (THEORY §3, §8).

    ``L = r_t`` (:meth:`Head.exact_level`); ``h`` maps each level-``L`` cell onto
    a level-``L`` cell by a translation when ``L >= D`` (and ``g`` is constant on
    the cell when ``L < D``), so the cell's values are ``g``'s on its image.
    """
    level = head.exact_level(feature.depth)
    if (1 << level) > max_cells:
        raise BudgetError(
            f"{head.spec} is affine on 2^{level} cells, over the budget of {max_cells} (raise --max-cells)"
        )
    left, _, right = head._scaled_values(level)
    image = feature.image_cells(level)
    return level, np.asarray(left, dtype=np.int64)[image], np.asarray(right, dtype=np.int64)[image]


def _dyadic(value: Fraction) -> tuple[int, int]:
    """``value = m / 2^k`` with ``k >= 0``; raises for a non-dyadic rational."""
    den = value.denominator
    if den & (den - 1):
        raise ValueError(f"{value} is not a dyadic rational")
    return value.numerator, den.bit_length() - 1


def _head_sup(
    nums: list[int], big_q: int, at_point, on_interval, level: int, left, right, amp: Fraction, out_scale: Fraction
) -> Fraction:
    """Sup of ``|a g∘h - s n|`` for one output: the integer core of :func:`sup_errors`.

    Points are ``X / q`` with ``q`` a common multiple of every breakpoint's
    denominator and of ``2^L``; ``F = f · 2^(L+1) q / a`` is an integer at each
    of them, and so is every error numerator below (Python integers: exact at any size).
    """
    cells = 1 << level
    q = big_q * cells // math.gcd(big_q, cells)
    xs = [v * (q // big_q) for v in nums]
    ends = xs[1:] + [q]
    lo = np.array([int(v) for v in left], dtype=object)
    ro = np.array([int(v) for v in right], dtype=object)
    k = [(x << level) // q for x in xs]  # cell holding p_j
    k_end = [((x << level) - 1) // q for x in ends]  # cell holding the points just left of the interval's end

    def affine(cell: list[int], pos: list[int]) -> np.ndarray:
        c = np.array(cell, dtype=np.int64)
        frac = np.array([(x << level) - kk * q for x, kk in zip(pos, cell, strict=True)], dtype=object)
        return lo[c] * q + (ro[c] - lo[c]) * frac

    f_at = affine(k, xs)  # f(p_j): f is right-continuous
    f_end = affine(k_end, ends)  # f(e_j-): the left limit at the interval's end
    f_hi, f_lo = np.maximum(f_at, f_end), np.minimum(f_at, f_end)
    if cells > 1:  # boundary c (x = c/2^L) carries f = lo[c] and f(-) = ro[c-1]
        b_hi = np.maximum(lo[1:], ro[:-1]) * q
        b_lo = np.minimum(lo[1:], ro[:-1]) * q
        for j, (a, b) in enumerate(zip(k, k_end, strict=True)):
            if a < b:  # boundaries k_j + 1 .. k_end_j lie strictly inside (p_j, e_j)
                f_hi[j] = max(f_hi[j], max(b_hi[a:b]))
                f_lo[j] = min(f_lo[j], min(b_lo[a:b]))
    am, ae = _dyadic(amp)
    sm, se = _dyadic(out_scale)
    # |a F / (2^(L+1) q) - s n| = |am 2^se F - sm 2^(L+1+ae) q n| / (2^(L+1+ae+se) q)
    mul_f, mul_n = am << se, sm * (1 << (level + 1 + ae)) * q
    n_pt = np.array([int(v) for v in at_point], dtype=object)
    n_iv = np.array([int(v) for v in on_interval], dtype=object)
    worst = max(
        max(abs(mul_f * f_at - mul_n * n_pt)),
        max(mul_f * f_hi - mul_n * n_iv),
        max(mul_n * n_iv - mul_f * f_lo),
    )
    return Fraction(int(worst), (1 << (level + 1 + ae + se)) * q)


def sup_errors(
    net: StepNetwork, feature: Feature, heads: Sequence[Head | None], max_cells: int = 1 << 26
) -> list[Fraction]:
    """Exact ``sup_{x∈[0,1)} |f_t(x) - N_t(x)|`` for every output ``t`` (THEORY §4 norm), as Fractions.

    ``heads[t]`` is the head output ``t`` approximates; ``None`` marks an output
    whose target is 0 (its error is then ``sup |N_t|``).
    """
    if len(heads) != net.n_outputs:
        raise ValueError(f"{net.n_outputs} outputs for {len(heads)} heads")
    points, at_point, on_interval = network_regions(net)
    big_q = 1
    for p in points:
        big_q = big_q * p.denominator // math.gcd(big_q, p.denominator)
    nums = [p.numerator * (big_q // p.denominator) for p in points]
    e = net.layers[-1].exponent
    errors = []
    for t, head in enumerate(heads):
        out_scale = net.scales[t] / (1 << e) if e >= 0 else net.scales[t] * (1 << -e)
        if head is None:
            level, left, right, amp = 0, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64), Fraction(1)
        else:
            level, left, right = head_pieces(head, feature, max_cells)
            amp = Fraction(head.amplitude)
        errors.append(_head_sup(nums, big_q, at_point[:, t], on_interval[:, t], level, left, right, amp, out_scale))
    return errors
