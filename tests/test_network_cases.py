"""Heaviside networks (THEORY §7): outputs against the oracle approximants, choices, budgets."""

from fractions import Fraction

import numpy as np
import pytest

from dlcalc import BudgetError, Head, Instance, head_tables, quantize_heads
from dlcalc.networks._construction import (
    digit_levels,
    head_network,
    joint_candidates,
    joint_network,
    network_outputs_match,
    representative,
    separate_networks,
    shared_trunk_network,
    step_network,
)
from dlcalc.networks._heaviside import HeavisideNetwork

from . import oracles


def oracle_fhat(q, flips, depth, level):
    """``f̂_t`` on every level-``level`` cell (as Fractions), from the oracle codes (THEORY §4)."""
    a = Fraction(q.head.amplitude)
    if q.zero:
        return [Fraction(0)] * (1 << level)
    if q.head.family == "walsh":
        parity = oracles.walsh_parity(flips, depth, q.head.index)
        parity = np.repeat(parity, 1 << (level - q.head.index.bit_length()))
        return [a * (1 - 2 * int(b)) for b in parity]
    k, p = q.head.index, q.precision
    codes = oracles.quantized_codes(flips, depth, k, p, max(level, k + p))
    codes = codes[:: 1 << (max(level, k + p) - level)] if level < k + p else codes
    return [a * (1 - Fraction(2 * int(c) + 1, 1 << p)) for c in codes]


def outputs_on(net, level):
    """Each output of ``net`` on every level-``level`` cell."""
    return [np.repeat(values, 1 << (level - lv)).tolist() for lv, values in net.evaluate()]


SPECS = ["walsh:1", "walsh:3", "walsh:6@0.5", "sawtooth:0", "sawtooth:1@0.5", "sawtooth:2", "walsh:2@0.1"]
CASES = [(0, 0.3), (1, 2.0**-2), (2, 0.3), (3, 2.0**-3), (4, 2.0**-2)]


@pytest.mark.parametrize("depth,eps", CASES)
def test_joint_networks_against_the_oracle(depth, eps):
    rng = np.random.default_rng(depth)
    flips = rng.integers(0, 2, size=(1 << depth) - 1)
    heads = [Head.parse(s) for s in SPECS]
    quants = quantize_heads(heads, eps)
    inst = Instance.build(depth, heads, flips=flips)
    level = max([depth] + [q.approximant_level(depth) for q in quants])
    want = [[float(v) for v in oracle_fhat(q, flips, depth, level)] for q in quants if not q.zero]  # the live heads
    candidates = joint_candidates(quants, inst.feature)
    for name, net in candidates.items():
        assert outputs_on(net, level) == want, name
        back = HeavisideNetwork.deserialize(net.serialize())
        assert outputs_on(back, level) == want and back.network_bits == net.network_bits
    best = joint_network(quants, inst.feature)
    assert best.network_bits == min(n.network_bits for n in candidates.values())
    assert outputs_on(best, level) == want
    assert shared_trunk_network(quants, inst.feature).network_bits == candidates["shared_trunk"].network_bits


@pytest.mark.parametrize("depth,eps", CASES)
def test_separate_networks_against_the_oracle(depth, eps):
    rng = np.random.default_rng(10 + depth)
    flips = rng.integers(0, 2, size=(1 << depth) - 1)
    heads = [Head.parse(s) for s in SPECS]
    quants = quantize_heads(heads, eps)
    inst = Instance.build(depth, heads, flips=flips)
    live = [q for q in quants if not q.zero]  # a zero head has no network
    assert any(q.zero for q in quants) == (eps >= 0.1)
    for q, (kind, net) in zip(live, separate_networks(quants, inst.feature), strict=True):
        level = max(depth, q.approximant_level(depth))
        assert outputs_on(net, level) == [[float(v) for v in oracle_fhat(q, flips, depth, level)]], (q.head, kind)
        rep = representative(inst.feature, q.requirement)
        (table,) = head_tables([q], rep)
        candidates = {"trunk": head_network(q, inst.feature), "step": step_network(q, table, depth)}
        assert net.network_bits == min(c.network_bits for c in candidates.values())
        assert kind == min(candidates, key=lambda k: (candidates[k].network_bits, k != "trunk"))


def test_digit_levels():
    assert digit_levels(quantize_heads([Head("walsh", 13)], 0.5)[0]) == [1, 3, 4]
    assert digit_levels(quantize_heads([Head("walsh", 13)], 1.0)[0]) == []
    assert digit_levels(quantize_heads([Head("sawtooth", 1)], 2.0**-2)[0]) == [1, 2, 3]
    assert digit_levels(quantize_heads([Head("sawtooth", 0)], 2.0**-3)[0]) == [1, 2, 3]
    assert digit_levels(quantize_heads([Head("sawtooth", 2, 0.5)], 2.0**-3)[0]) == [2, 3, 4]


def test_zero_heads_have_no_network():
    heads = [Head("walsh", 3, 0.1), Head("sawtooth", 2, 0.25), Head("walsh", 1, 0.5)]
    inst = Instance.build(3, heads, seed=0)
    quants = quantize_heads(heads, 0.3)  # the first two are 0 at ε = 0.3; walsh:1@0.5 is not
    (net,) = [n for _, n in separate_networks(quants, inst.feature)]
    joint = joint_network(quants, inst.feature)
    assert joint is not None and joint.n_outputs == net.n_outputs == 1  # the live head's output alone
    want = [-0.5, 0.5] if inst.feature.flips[0] else [0.5, -0.5]
    assert [v.tolist() for _, v in joint.evaluate()] == [want]
    # the zero heads' constant networks are still what step_network builds for them, 0 everywhere
    for q in quants[:2]:
        ((level, values),) = step_network(q, None, 3).evaluate()
        assert level == 0 and values.tolist() == [0.0]
    assert joint_network(quants[:2], inst.feature) is None and separate_networks(quants[:2], inst.feature) == []


def test_step_network_by_hand():
    # sawtooth:0 at depth 1 with the root flipped: h(x) = x + 1/2 mod 1; p = 2
    inst = Instance.build(1, [Head("sawtooth", 0)], flips=[1])
    (q,) = quantize_heads(inst.heads, 2.0**-2)
    (table,) = head_tables([q], inst.feature)
    net = step_network(q, table, 1)
    # codes on quarters: 2, 3, 0, 1 -> values 1 - (2Q+1)/4: -1/4, -3/4, 3/4, 1/4; jumps at 1/4, 1/2, 3/4
    assert net.neurons == 3
    level, values = net.evaluate()[0]
    assert level == 2 and values.tolist() == [-0.25, -0.75, 0.75, 0.25]


def test_step_network_of_a_table_without_jumps():
    (q,) = quantize_heads([Head("walsh", 6, 0.5)], 0.25)
    flat = type(head_tables([q], Instance.build(3, [q.head], seed=0).feature)[0])(3, np.zeros(8, dtype=np.uint8))
    net = step_network(q, flat, 3)
    assert net.neurons == 0 and [(lv, v.tolist()) for lv, v in net.evaluate()] == [(0, [0.5])]
    (q,) = quantize_heads([Head("sawtooth", 0, 0.5)], 2.0**-3)  # p = 2; all codes 3: 0.5 (1 - 7/4)
    net = step_network(q, type(flat)(2, np.full(4, 3, dtype=np.uint8)), 3)
    assert HeavisideNetwork.deserialize(net.serialize()).evaluate()[0][1].tolist() == [-3 * 0.5 / 4]


def test_network_outputs_match_detects_a_wrong_value():
    inst = Instance.build(3, [Head("walsh", 5), Head("sawtooth", 1)], seed=2)
    quants = quantize_heads(inst.heads, 2.0**-2)
    tables = head_tables(quants, inst.feature)
    outputs = joint_network(quants, inst.feature).evaluate()
    assert network_outputs_match(outputs, quants, tables, 3) == [True, True]
    for t in range(2):
        level, values = outputs[t]
        bad = values.copy()
        bad[-1] = -bad[-1]
        wrong = list(outputs)
        wrong[t] = (level, bad)
        assert network_outputs_match(wrong, quants, tables, 3) == [t != 0, t != 1]
    fine = [(lv + 2, np.repeat(v, 4)) for lv, v in outputs]  # finer than the tables: compared cell by cell
    assert network_outputs_match(fine, quants, tables, 3) == [True, True]


def test_network_outputs_match_repeats_a_coarser_output():
    # a Walsh table of all-zero parities is the constant a: one value on level 0 states it
    (q,) = quantize_heads([Head("walsh", 2, 0.5)], 0.25)
    table = head_tables([q], Instance.build(2, [Head("walsh", 2)], flips=[0, 0, 0]).feature)[0]
    constant = type(table)(table.level, np.zeros_like(table.values))
    assert network_outputs_match([(0, np.array([0.5]))], [q], [constant], 2) == [True]
    assert network_outputs_match([(0, np.array([-0.5]))], [q], [constant], 2) == [False]
    assert network_outputs_match([(1, np.array([0.5, 0.5]))], [q], [constant], 2) == [True]


def test_budgets():
    inst = Instance.build(3, [Head("sawtooth", 1)], seed=0)
    quants = quantize_heads(inst.heads, 2.0**-10)  # reads digit 11
    with pytest.raises(BudgetError, match=r"2\^11 cells, over the budget of 2047"):
        joint_network(quants, inst.feature, max_cells=2047)
    assert joint_network(quants, inst.feature, max_cells=2048).evaluate(max_cells=2048)[0][0] == 11
    quants = quantize_heads([Head("sawtooth", 0)], 2.0**-6)
    feature = Instance.build(2, [Head("sawtooth", 0)], seed=1).feature
    with pytest.raises(BudgetError, match="2\\^6 cells"):
        separate_networks(quants, feature, max_cells=63)
    # at exactly 2^6 cells both constructions fit, and the step network is the shorter one here
    ((kind, net),) = separate_networks(quants, feature, max_cells=64)
    assert kind == "step" and net.network_bits < head_network(quants[0], feature).network_bits


def test_separate_networks_hand_their_budget_to_the_step_network(monkeypatch):
    from dlcalc.networks import _construction as _network

    seen = []
    real = _network.step_network

    def spy(q, table, depth, max_cells=None):
        seen.append(max_cells)
        return real(q, table, depth) if max_cells is None else real(q, table, depth, max_cells)

    monkeypatch.setattr(_network, "step_network", spy)
    heads = [Head("walsh", 3), Head("sawtooth", 1)]
    separate_networks(quantize_heads(heads, 2.0**-2), Instance.build(3, heads, seed=0).feature, max_cells=1234)
    assert seen == [1234, 1234]


def test_separate_networks_keep_the_trunk_when_it_is_shorter():
    for spec, depth, eps in (("walsh:326", 7, 0.125), ("sawtooth:4", 4, 2.0**-6)):
        head = Head.parse(spec)
        (q,) = quantize_heads([head], eps)
        feature = Instance.build(depth, [head], seed=1).feature
        rep = representative(feature, q.requirement)
        trunk, step = head_network(q, feature), step_network(q, head_tables([q], rep)[0], depth)
        ((kind, net),) = separate_networks([q], feature)
        assert (kind, net.network_bits) == (
            ("trunk", trunk.network_bits) if trunk.network_bits <= step.network_bits else ("step", step.network_bits)
        )
        assert kind == "trunk", (spec, trunk.network_bits, step.network_bits)


def test_sawtooth_gates_up_to_precision_60():
    from dlcalc.networks._construction import _Circuit, _sawtooth_output

    (q,) = quantize_heads([Head("sawtooth", 0)], 2.0**-60)
    units, values, bias = _sawtooth_output(_Circuit(60), {lv: lv - 1 for lv in range(1, 61)}, q)
    assert bias == 2**60 - 1 and values[0] == -(2**60) and values[-1] == -2 and units == list(range(60))
    (q,) = quantize_heads([Head("sawtooth", 0)], 2.0**-61)
    with pytest.raises(BudgetError) as info:
        _sawtooth_output(_Circuit(61), {lv: lv - 1 for lv in range(1, 62)}, q)
    assert str(info.value) == "sawtooth:0: precision 61 needs output weights beyond 61 bits"


def test_output_scales_within_the_format_range():
    import math

    from dlcalc.networks._construction import _output_scale
    from dlcalc.networks._format import MAX_SCALE_EXP, MIN_SCALE_EXP

    def scale(amplitude, eps=None, family="walsh"):
        head = Head(family, 1, amplitude)
        return _output_scale(quantize_heads([head], amplitude / 2 if eps is None else eps)[0])

    assert scale(2.0**MIN_SCALE_EXP) == 2.0**MIN_SCALE_EXP
    assert scale(math.ldexp(1.0, MAX_SCALE_EXP) * (1 - 2**-53)) == math.ldexp(1.0, MAX_SCALE_EXP) * (1 - 2**-53)
    for bad in (2.0**MAX_SCALE_EXP, 2.0 ** (MIN_SCALE_EXP - 1)):
        with pytest.raises(BudgetError) as info:
            scale(bad)
        assert str(info.value) == f"walsh:1@{bad!r}: output scale {bad:g} is outside the network format's range"
    assert scale(0.75, 2.0**-3, "sawtooth") == 0.75 / 8  # a 2^-p with p = 3
    assert scale(0.75, 1.0, "sawtooth") == 0.75  # a zero head keeps its amplitude


def test_zero_outputs_borrow_a_neighbours_scale():
    from dlcalc.networks._construction import _output_layer

    zero, live, bias_only = ([], [], 0), ([0], [2], 0), ([], [], 3)
    layer = _output_layer(1, [zero, live, zero, bias_only, zero], [0.1, 0.5, 0.7, 0.9, 0.3])
    assert layer.scales.tolist() == [0.5, 0.5, 0.5, 0.9, 0.9]
    assert _output_layer(1, [zero, zero], [0.1, 0.2]).scales.tolist() == [1.0, 1.0]
    assert _output_layer(1, [live, zero], [0.25, 0.2]).scales.tolist() == [0.25, 0.25]


def test_every_hidden_unit_is_read():
    """A unit nothing reads would only cost bits: the gate layout leaves none."""
    rng = np.random.default_rng(21)
    specs = ["walsh:7", "walsh:13", "walsh:11@0.5", "walsh:6", "sawtooth:0", "sawtooth:2", "sawtooth:1@0.5"]
    for depth in (2, 3, 4, 5):
        heads = [Head.parse(s) for s in specs]
        flips = rng.integers(0, 2, size=(1 << depth) - 1)
        feature = Instance.build(depth, heads, flips=flips).feature
        for eps in (0.3, 2.0**-3):
            quants = quantize_heads(heads, eps)
            nets = list(joint_candidates(quants, feature).values()) + [n for _, n in separate_networks(quants, feature)]
            for net in nets:
                for block in net.blocks:
                    for layer, above in zip(block.layers, block.layers[1:], strict=False):
                        unread = set(range(layer.n_out)) - set(above.cols.tolist())
                        assert not unread, (depth, eps, [lay.n_out for lay in block.layers], sorted(unread))
