"""Exact sup errors of step networks (THEORY §3, §7, §8) and their entropy-coded streams.

Oracles: networks with errors known in closed form, the constructed networks
(whose error is the quantization error of THEORY §4), and a dense evaluation on
a dyadic grid fine enough to hold every breakpoint, where each grid cell's
supremum is read off its left end and its left limit at the right end.
"""

import subprocess
import sys
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import Feature, Head, Instance, family_heads, quantize_heads
from dlcalc.networks._construction import separate_networks, shared_trunk_network
from dlcalc.training._certify import StepLayer, StepNetwork, evaluate_points, from_heaviside, sup_errors
from dlcalc.training._rounding import FloatNetwork, Grid, harden, round_network

IDENTITY = Feature(0, [])


def steps_net(thresholds, values, exponent_in, exponent_out):
    """``N = Σ_j values[j] H(x - g_j 2^-e)`` plus ``values[-1]`` as bias: a one-hidden-layer staircase."""
    n = len(thresholds)
    first = StepLayer(np.full((n, 1), 1 << exponent_in), -np.asarray(thresholds), exponent_in)
    out = StepLayer(np.asarray([values[:-1]]), [values[-1]], exponent_out)
    return StepNetwork([first, out])


# ----------------------------------------------------------------------------- hand-made networks


def test_exact_network_has_zero_error():
    net = steps_net([1], [-2, 1], 1, 0)  # 1 - 2 H(x - 1/2) = walsh:1 under the identity feature
    assert sup_errors(net, IDENTITY, [Head("walsh", 1)]) == [0]


def test_a_single_wrong_point_counts():
    # H(1/2 - x) is 1 at x = 1/2 itself: 2 H(1/2 - x) - 1 misses walsh:1 by 2 at that one point
    net = StepNetwork([StepLayer([[-2]], [1], 1), StepLayer([[2]], [-1], 0)])
    assert sup_errors(net, IDENTITY, [Head("walsh", 1)]) == [2]
    # the same net shifted right by a hair of a non-dyadic amount misses on a whole interval, also by 2
    net = StepNetwork([StepLayer([[-3]], [2], 0), StepLayer([[2]], [-1], 0)])  # 1 on [0, 2/3]
    assert sup_errors(net, IDENTITY, [Head("walsh", 1)]) == [2]


def test_non_dyadic_breakpoint():
    net = StepNetwork([StepLayer([[3]], [-1], 0), StepLayer([[-2]], [1], 0)])  # 1 - 2 H(x - 1/3)
    assert sup_errors(net, IDENTITY, [Head("walsh", 1)]) == [2]  # on [1/3, 1/2): N = -1, f = 1
    # sawtooth:0 is 1 - 2x: values 3/4, 0, -1/2 on thirds; the sup 1/2 is only approached as x -> 1
    net = StepNetwork([StepLayer([[3], [3]], [-1, -2], 0), StepLayer([[-3, -2]], [3], 2)])
    assert list(evaluate_points(net, [0, F(1, 3), F(2, 3)]).ravel()) == [F(3, 4), 0, F(-1, 2)]
    assert sup_errors(net, IDENTITY, [Head("sawtooth", 0)]) == [F(1, 2)]


@pytest.mark.parametrize("p", [1, 2, 5])
def test_staircases_against_a_slope(p):
    k = 1 << p
    # midpoint staircase 1 - (2j+1)/K: error exactly 1/K (attained at the left ends)
    mid = steps_net(list(range(1, k)), [-2] * (k - 1) + [k - 1], p, p)
    assert sup_errors(mid, IDENTITY, [Head("sawtooth", 0)]) == [F(1, k)]
    # left-end staircase 1 - 2j/K: error 2/K, approached at every right end and never attained
    left = steps_net(list(range(1, k)), [-2] * (k - 1) + [k], p, p)
    assert sup_errors(left, IDENTITY, [Head("sawtooth", 0)]) == [F(2, k)]


def test_output_fixed_at_zero_and_amplitude():
    net = steps_net([], [0], 0, 0)
    heads = [Head("walsh", 3, 0.375), Head("sawtooth", 2, 0.75)]
    two = StepNetwork([net.layers[0], StepLayer(np.zeros((2, 0)), [0, 0], 0)])
    assert sup_errors(two, Feature.from_seed(3, 1), heads) == [F(3, 8), F(3, 4)]


# ----------------------------------------------------------------------------- constructed networks


def certified_blocks(net, inst, heads):
    """Each block of a constructed network certified against the heads of its outputs."""
    errors, offset = [], 0
    for block, step in zip(net.blocks, from_heaviside(net), strict=False):
        errors += sup_errors(step, inst.feature, heads[offset : offset + block.n_outputs])
        offset += block.n_outputs
    return errors


@settings(max_examples=25)
@given(
    depth=st.integers(0, 5),
    seed=st.integers(0, 99),
    family=st.sampled_from(["walsh-all", "sawtooth-all"]),
    eps=st.sampled_from([0.3, 2**-3, 0.1, 2**-5]),
)
def test_constructed_networks_err_by_the_quantization_error(depth, seed, family, eps):
    inst = Instance.build(depth, family_heads(family, 1.0, depth) + [Head("sawtooth", 1, 0.3)], seed=seed)
    heads = list(inst.heads)
    quants = quantize_heads(heads, eps)
    live = [q for q in quants if not q.zero]  # a zero head has no network (its error is its amplitude)
    want = [q.quantization_error for q in live]
    if live:
        assert certified_blocks(shared_trunk_network(quants, inst.feature), inst, [q.head for q in live]) == want
    for q, (_, net) in zip(live, separate_networks(quants, inst.feature), strict=True):
        assert certified_blocks(net, inst, [q.head]) == [q.quantization_error]


# ----------------------------------------------------------------------------- dense evaluation


def dense_sup(net: StepNetwork, inst: Instance, level: int) -> list[float]:
    """Sup over a dyadic grid holding every breakpoint: N is constant and f affine on each cell, so a cell's
    sup is at its left end or in the left limit at its right end, f(r-) = 2 f(mid) - f(left)."""
    n = 1 << level
    x = np.arange(n) / n
    mid = (np.arange(n) + 0.5) / n
    first = net.layers[0]
    act = (x[:, None] * first.weights[:, 0] + first.biases >= 0) * 1.0
    for layer in net.layers[1:]:
        pre = act @ layer.weights.T.astype(float) + layer.biases
        act = pre if layer is net.layers[-1] else (pre >= 0) * 1.0
    out = act * 2.0 ** -net.layers[-1].exponent
    sups = []
    for t in range(net.n_outputs):
        f_left, f_mid = inst.evaluate(t, x), inst.evaluate(t, mid)
        sups.append(float(max(np.max(np.abs(f_left - out[:, t])), np.max(np.abs(2 * f_mid - f_left - out[:, t])))))
    return sups


def upper_layers(draw, n_in, n_out):
    """Zero or one hidden layer and the output layer, small integer weights."""
    layers = []
    for _ in range(draw(st.integers(0, 1))):
        n2 = draw(st.integers(1, 4))
        w = draw(st.lists(st.integers(-3, 3), min_size=n2 * n_in, max_size=n2 * n_in))
        layers.append(
            StepLayer(
                np.array(w, dtype=np.int64).reshape(n2, n_in),
                draw(st.lists(st.integers(-3, 3), min_size=n2, max_size=n2)),
                0,
            )
        )
        n_in = n2
    w = draw(st.lists(st.integers(-8, 8), min_size=n_out * n_in, max_size=n_out * n_in))
    layers.append(
        StepLayer(
            np.array(w, dtype=np.int64).reshape(n_out, n_in),
            draw(st.lists(st.integers(-8, 8), min_size=n_out, max_size=n_out)),
            3,
        )
    )
    return layers


@st.composite
def random_networks(draw, n_out):
    """First-layer units H(w x + b) with w = ±2^e or 0: rising and falling steps at dyadic points, and constants."""
    e1 = draw(st.integers(0, 6))
    n1 = draw(st.integers(0, 6))
    w1 = draw(st.lists(st.sampled_from([1 << e1, -(1 << e1), 0]), min_size=n1, max_size=n1))
    b1 = draw(st.lists(st.integers(-(1 << e1), 1 << e1), min_size=n1, max_size=n1))
    return StepNetwork([StepLayer(np.array(w1, dtype=np.int64).reshape(n1, 1), b1, e1)] + upper_layers(draw, n1, n_out))


@st.composite
def canonical_networks(draw, n_out):
    """First layer increasing thresholds H(x - g 2^-e), 0 < g < 2^e: the networks the file format holds."""
    e = draw(st.integers(1, 6))
    g = sorted(draw(st.sets(st.integers(1, (1 << e) - 1), max_size=6)))
    first = StepLayer(np.full((len(g), 1), 1 << e, dtype=np.int64), -np.array(g, dtype=np.int64), e)
    return StepNetwork([first] + upper_layers(draw, len(g), n_out))


@settings(max_examples=40)
@given(data=st.data(), depth=st.integers(0, 3), seed=st.integers(0, 20))
def test_certificate_equals_dense_evaluation(data, depth, seed):
    heads = data.draw(
        st.lists(
            st.one_of(
                st.builds(Head, st.just("walsh"), st.integers(1, 15), st.sampled_from([1.0, 0.5])),
                st.builds(Head, st.just("sawtooth"), st.integers(0, 3), st.sampled_from([1.0, 0.75])),
            ),
            min_size=1,
            max_size=3,
        )
    )
    net = data.draw(random_networks(len(heads)))
    inst = Instance.build(depth, heads, seed=seed)
    level = max([6, depth] + [h.exact_level(depth) for h in heads])
    assert [float(e) for e in sup_errors(net, inst.feature, heads)] == dense_sup(net, inst, level)


@settings(max_examples=30)
@given(data=st.data())
def test_step_networks_in_the_file_format_evaluate_alike(data):
    from dlcalc.networks._heaviside import HeavisideNetwork
    from dlcalc.training._certify import to_heaviside

    net = data.draw(canonical_networks(data.draw(st.integers(1, 3))))
    back = HeavisideNetwork.deserialize(to_heaviside(net).serialize())
    for t, (level, values) in enumerate(back.evaluate()):
        x = [F(i, 1 << level) for i in range(1 << level)]
        assert [float(v) for v in evaluate_points(net, x)[:, t]] == values.tolist()


# ----------------------------------------------------------------------------- quantization


def test_quantize_snaps_thresholds_onto_the_jumps():
    # thresholds trained between grid points near 1/4, 1/2, 3/4: rounding to 2^-2 puts them on the jumps of walsh:2
    inst = Instance.build(0, [Head("walsh", 2)], seed=0)
    net = FloatNetwork(np.array([0.2401, 0.4703, 0.7711]), [], np.ones((1, 3), dtype=bool))
    grid = Grid(4, inst.evaluate(0, (2 * np.arange(16) + 1) / 32)[:, None])
    check = inst.evaluate(0, (2 * np.arange(32) + 1) / 64)[:, None]
    assert sup_errors(harden(net, grid, [24, 24]), inst.feature, inst.heads) == [
        2
    ]  # off the jumps: a whole sliver wrong
    q = round_network(net, grid, inst.feature, inst.heads, 2**-4, check)
    assert q.max_error == 0 and q.exponents[0] == 2
    assert (-q.network.layers[0].biases).tolist() == [1, 2, 3] and q.network.layers[0].exponent == 2


# ----------------------------------------------------------------------------- the entropy-coded stream


@settings(max_examples=30)
@given(data=st.data())
def test_stream_decodes_to_the_network(data):
    pytest.importorskip("constriction")
    from dlcalc.training._entropy import decode_network, encode_network

    net = data.draw(random_networks(data.draw(st.integers(1, 3))))
    stream = encode_network(net)
    assert decode_network(stream.words) == net
    # coded_bits is the stream's exact length: the words hold it with at most one word of padding
    assert 32 * len(stream.words) - 32 <= stream.coded_bits <= 32 * len(stream.words)
    assert stream.stream_bits == stream.coded_bits + 2 * (stream.coded_bits + 1).bit_length() - 1


def test_constructed_network_streams():
    pytest.importorskip("constriction")
    from dlcalc.training._entropy import decode_network, network_stream

    inst = Instance.build(5, family_heads("walsh-all", 1.0, 5), seed=2)
    quants = quantize_heads(list(inst.heads), 2**-5)
    (net,) = from_heaviside(shared_trunk_network(quants, inst.feature))
    stream, equal = network_stream(net)
    assert equal
    changed = decode_network(stream.words)
    changed.layers[-1].weights[0, 0] += 1
    assert changed != net


def test_library_imports_no_training_stack():
    code = (
        "import sys, dlcalc, dlcalc.cli; print(sorted(m for m in ('jax', 'optax', 'constriction') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ----------------------------------------------------------------------------- pruning, the rounding fallback, digits


def test_simplify_keeps_the_function_and_drops_what_changes_nothing():
    from dlcalc.training._rounding import RoundedNetwork, simplify

    heads = [Head("walsh", 1)]
    # thresholds 1/4, 1/2, 3/4; a trunk of three units: u = H(x - 1/2) written with needless weights, a unit that is
    # always on, and a duplicate of the first; a head unit reading them all; the output 1 - 2 v
    net = StepNetwork(
        [
            StepLayer([[4], [4], [4]], [-1, -2, -3], 2),
            StepLayer([[1, 4, 1], [0, 0, 0], [0, 2, 0]], [-3, 1, -1], 0),
            StepLayer([[2, 1, 2]], [-2], 0),
            StepLayer([[-2]], [1], 0),
        ]
    )
    errors = sup_errors(net, IDENTITY, heads)
    assert errors == [0]
    simpler = simplify(RoundedNetwork(net, errors, [2, 0, 0, 0]), IDENTITY, heads)
    assert simpler.errors == [0] and sup_errors(simpler.network, IDENTITY, heads) == [0]
    assert simpler.network.nonzero_weights < net.nonzero_weights
    assert simpler.network.widths[:2] == [1, 1]  # one threshold, one trunk unit


def test_rounding_fallback_keeps_thresholds_on_the_grid():
    # sawtooth:0 = 1 - 2x under the identity, one threshold trained at 0.52 between the grid points 3/8 and 5/8, and
    # an ε nothing reaches: the fallback rounds the threshold to the coarsest step that errs least on the check grid
    # (1/2, certified error 1/2), where the finest step leaves it at 0.52 (error about 0.54 just left of it)
    heads = [Head("sawtooth", 0)]
    x = (2 * np.arange(4) + 1) / 8
    grid = Grid(2, (1 - 2 * x)[:, None])
    xc = (2 * np.arange(8) + 1) / 16
    net = FloatNetwork(np.array([0.52]), [], np.ones((1, 1), dtype=bool))
    q = round_network(net, grid, IDENTITY, heads, 0.01, (1 - 2 * xc)[:, None])
    assert q.exponents[0] == 1 and q.max_error == F(1, 2)
    finest = harden(net, grid, [24, 24])
    assert max(sup_errors(finest, IDENTITY, heads)) > F(1, 2)


def test_trunk_digits_of_a_hand_made_deep_network():
    from dlcalc.training._deep import trunk_digits

    feature = Feature(1, [0])
    net = StepNetwork(
        [
            StepLayer([[2]], [-1], 1),  # H(x - 1/2) = y_1 under the identity flips
            StepLayer([[2]], [-1], 0),  # the trunk unit: H(2u - 1) = u
            StepLayer([[2]], [-1], 0),
            StepLayer([[-2]], [1], 0),
        ]
    )
    assert trunk_digits(net, feature) == [1]
    flipped = Feature(1, [1])  # y_1 = 1 - b_1(x): the complement counts too
    assert trunk_digits(net, flipped) == [1]
    assert trunk_digits(StepNetwork(net.layers[:1] + net.layers[-1:]), feature) == []
