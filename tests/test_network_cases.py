"""Heaviside networks (THEORY §7) against the oracle approximants, a literal evaluation, and counts by hand."""

from fractions import Fraction

import numpy as np
import pytest

from dlcalc import BudgetError, FormatError, Head, Instance, head_tables, quantize_heads
from dlcalc._network import (
    HeavisideNetwork,
    Layer,
    _heads_layers,
    digit_levels,
    head_network,
    joint_network,
    network_outputs_match,
    representative,
    separate_networks,
    step_network,
)

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


def literal_outputs(net: HeavisideNetwork, level: int):
    """Each output at the left end of every level cell, applying the layers literally in exact arithmetic."""
    layers = net.layers
    out = []
    for c in range(1 << level):
        x = Fraction(c, 1 << level)
        if len(layers) == 1:
            act = [Fraction(1)]
        else:
            first = layers[0]
            act = [Fraction(int(first.values[u]) * x + int(first.biases[u]) >= 0) for u in range(first.n_out)]
        for layer in layers[1:] if len(layers) > 1 else layers:
            pre = [Fraction(int(b), 1 << layer.exponent) for b in layer.biases]
            for r, col, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values.tolist()):
                pre[r] += Fraction(v, 1 << layer.exponent) * act[col]
            if layer.linear:
                act = [Fraction(float(s)) * v for s, v in zip(layer.scales, pre)]
            else:
                act = [Fraction(int(v >= 0)) for v in pre]
        out.append(act)
    return [[row[t] for row in out] for t in range(len(out[0]))]


SPECS = ["walsh:1", "walsh:3", "walsh:6@0.5", "sawtooth:0", "sawtooth:1@0.5", "sawtooth:2", "walsh:2@0.1"]
CASES = [(0, 0.3), (1, 2.0**-2), (2, 0.3), (3, 2.0**-3), (4, 2.0**-2)]


@pytest.mark.parametrize("depth,eps", CASES)
def test_joint_network_against_the_oracle_and_a_literal_evaluation(depth, eps):
    rng = np.random.default_rng(depth)
    flips = rng.integers(0, 2, size=(1 << depth) - 1)
    heads = [Head.parse(s) for s in SPECS]
    quants = quantize_heads(heads, eps)
    inst = Instance.build(depth, heads, flips=flips)
    net = joint_network(quants, inst.feature)
    level = max(net.grid_level, depth, max(q.approximant_level(depth) for q in quants))
    literal = literal_outputs(net, level)
    outputs = net.evaluate()
    dense = net.evaluate_dense()
    for t, q in enumerate(quants):
        want = oracle_fhat(q, flips, depth, level)
        assert literal[t] == want, (q.head, depth, eps)
        lv, values = outputs[t]
        assert np.repeat(values, 1 << (level - lv)).tolist() == [float(w) for w in want]
        assert np.repeat(dense[:, t], 1 << (level - net.grid_level)).tolist() == [float(w) for w in want]
    back = HeavisideNetwork.deserialize(net.serialize())
    assert back.serialize() == net.serialize() and back.network_bits == net.network_bits == 8 * len(net.body())
    assert literal_outputs(back, level) == literal


@pytest.mark.parametrize("depth,eps", CASES)
def test_separate_networks_against_the_oracle(depth, eps):
    rng = np.random.default_rng(10 + depth)
    flips = rng.integers(0, 2, size=(1 << depth) - 1)
    heads = [Head.parse(s) for s in SPECS]
    quants = quantize_heads(heads, eps)
    inst = Instance.build(depth, heads, flips=flips)
    for q, (kind, net) in zip(quants, separate_networks(quants, inst.feature)):
        level = max(net.grid_level, q.approximant_level(depth))
        assert literal_outputs(net, level)[0] == oracle_fhat(q, flips, depth, level), (q.head, kind)
        rep = representative(inst.feature, q.requirement)
        (table,) = head_tables([q], rep)
        candidates = {"trunk": head_network(q, inst.feature)}
        if not q.zero:
            candidates["step"] = step_network(q, table, depth)
        best = min(c.network_bits for c in candidates.values())
        assert net.network_bits == best
        assert kind == ("step" if q.zero else min(candidates, key=lambda k: (candidates[k].network_bits, k != "trunk")))


def test_unit_counts_by_hand():
    # walsh:3 at depth 2, identity feature: y_1 jumps at 1/2, y_2 at 1/4, 1/2, 3/4
    inst = Instance.build(2, [Head("walsh", 3)], flips=[0, 0, 0])
    quants = quantize_heads(inst.heads, 0.5)
    net = joint_network(quants, inst.feature)
    l1, l2, l3, out = net.layers
    assert (l1.n_out, l1.exponent, sorted((-l1.biases).tolist())) == (3, 2, [1, 2, 3])
    assert (l2.n_in, l2.n_out, l3.n_out, out.n_out) == (3, 2, 2, 1)
    assert net.neurons == 3 + 2 + 2 and net.depth == 4 and net.grid_level == 2
    assert net.nonzero_weights == 3 + 4 + 4 + 2
    # sawtooth:1 at ε 2^-2 (p = 2): digits y_1, y_2, y_3; two units per XOR z_i = y_{1+i} ^ y_1
    q = quantize_heads([Head("sawtooth", 1)], 2.0**-2)
    assert digit_levels(q[0]) == [1, 2, 3]
    net = joint_network(q, Instance.build(3, [Head("sawtooth", 1)], seed=0).feature)
    assert [layer.n_out for layer in net.layers] == [net.layers[0].n_out, 3, 4, 1]
    q0 = quantize_heads([Head("sawtooth", 0)], 2.0**-3)  # y_1..y_3 passed through: one unit each
    assert digit_levels(q0[0]) == [1, 2, 3]
    net = joint_network(q0, Instance.build(3, [Head("sawtooth", 0)], seed=0).feature)
    assert [layer.n_out for layer in net.layers][1:] == [3, 3, 1]
    assert digit_levels(quantize_heads([Head("walsh", 13)], 0.5)[0]) == [1, 3, 4]
    assert digit_levels(quantize_heads([Head("walsh", 13)], 1.0)[0]) == []


def test_shared_units_are_built_once():
    inst = Instance.build(3, [Head("walsh", 3), Head("walsh", 3, 0.5), Head("walsh", 5)], seed=1)
    net = joint_network(quantize_heads(inst.heads, 0.25), inst.feature)
    # walsh:3 twice shares its two threshold units; walsh:5 has two of its own
    assert net.layers[2].n_out == 4 and net.layers[1].n_out == 3


def test_zero_heads_give_constant_networks():
    heads = [Head("walsh", 3, 0.1), Head("sawtooth", 2, 0.25)]
    inst = Instance.build(3, heads, seed=0)
    quants = quantize_heads(heads, 0.3)
    net = joint_network(quants, inst.feature)
    assert len(net.layers) == 1 and net.neurons == 0 and net.grid_level == 0
    assert [(lv, v.tolist()) for lv, v in net.evaluate()] == [(0, [0.0]), (0, [0.0])]
    for kind, n in separate_networks(quants, inst.feature):
        ((level, values),) = n.evaluate()
        assert kind == "step" and n.neurons == 0 and level == 0 and values.tolist() == [0.0]


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
    assert literal_outputs(net, 2)[0] == [Fraction(-1, 4), Fraction(-3, 4), Fraction(3, 4), Fraction(1, 4)]
    # a head without jumps: walsh:1 with every digit... walsh:1 at ε 2 is zero; sawtooth:0 never is constant
    flat = step_network(quantize_heads([Head("walsh", 1)], 2.0)[0], None, 1)
    assert flat.neurons == 0 and flat.evaluate()[0][1].tolist() == [0.0]


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
    # outputs on a finer grid than the table are compared cell by cell
    fine = [(lv + 2, np.repeat(v, 4)) for lv, v in outputs]
    assert network_outputs_match(fine, quants, tables, 3) == [True, True]


def test_budgets():
    inst = Instance.build(3, [Head("sawtooth", 1)], seed=0)
    quants = quantize_heads(inst.heads, 2.0**-10)  # reads digit 11
    with pytest.raises(BudgetError, match=r"^the trunk reads digit 11: 2\^11 cells, over the budget of 2047 \(raise --max-cells\)$"):
        joint_network(quants, inst.feature, max_cells=2047)
    net = joint_network(quants, inst.feature, max_cells=2048)
    with pytest.raises(BudgetError, match=r"^the network's grid has 2\^11 cells, over the budget of 2047$"):
        net.evaluate(max_cells=2047)
    assert net.evaluate(max_cells=2048)[0][0] == 11
    far = quantize_heads([Head("sawtooth", 0)], 2.0**-63)  # the trunk would refuse first; the head layer alone
    with pytest.raises(BudgetError, match=r"^sawtooth:0: precision 63 needs output weights beyond 62 bits$"):
        _heads_layers(far, {lv: lv - 1 for lv in range(1, 64)})
    quants = quantize_heads([Head("sawtooth", 0)], 2.0**-6)
    feature = Instance.build(2, [Head("sawtooth", 0)], seed=1).feature
    with pytest.raises(BudgetError, match="the trunk reads digit 6"):
        separate_networks(quants, feature, max_cells=63)
    # at exactly 2^6 cells both constructions fit, and the step network is the shorter one here
    (kind, net), = separate_networks(quants, feature, max_cells=64)
    assert kind == "step" and net.network_bits < head_network(quants[0], feature).network_bits


def test_network_layers_must_end_linear():
    hidden = Layer(1, 1, np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64), np.zeros(1, np.int64), 0)
    linear = Layer(1, 1, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(1, np.int64), 0,
                   True, np.ones(1))
    for layers in ([], [hidden], [linear, linear], [hidden, hidden]):
        with pytest.raises(ValueError, match="^a network is Heaviside layers followed by one linear output layer$"):
            HeavisideNetwork(layers)
    assert HeavisideNetwork([hidden, linear]).depth == 2


def test_deserialize_refuses_defects():
    inst = Instance.build(3, [Head("walsh", 5), Head("sawtooth", 1, 0.5)], seed=3)
    data = joint_network(quantize_heads(inst.heads, 2.0**-3), inst.feature).serialize()
    import struct
    import zlib

    def reseal(body):
        return body + struct.pack(">I", zlib.crc32(body))

    def msg(blob):
        with pytest.raises(FormatError) as info:
            HeavisideNetwork.deserialize(blob)
        return str(info.value)

    assert msg(data[:14]) == "not a dlcalc network file (bad magic or too short)"
    assert msg(data[:15]) == "network file checksum mismatch"
    assert msg(b"\x89DLC\r\n\x1a\n" + data[8:]) == "not a dlcalc network file (bad magic or too short)"
    assert msg(reseal(data[:8] + b"\x00\x02" + data[10:-4])) == "network format version 2 is not supported"
    assert msg(data[:-1] + bytes([data[-1] ^ 1])) == "network file checksum mismatch"
    assert msg(reseal(data[:10] + b"\x00" + data[11:-4])) == "network file claims 0 layers"
    assert msg(reseal(data[:10] + b"\x41" + data[11:-4])) == "network file claims 65 layers"
    assert msg(reseal(data[:-4] + b"\x00")) == "network file has trailing bytes"
    # the smallest network: one linear layer, no weights, one output of value 0
    const = HeavisideNetwork.deserialize(reseal(data[:10] + bytes([1, 0, 1, 1, 0, 0, 0, 0, 2, 0])))
    ((level, values),) = const.evaluate()
    assert len(const.layers) == 1 and level == 0 and values.tolist() == [0.0]


def _hidden(n_in, rows, cols, values, biases, exponent=0):
    return Layer(n_in, len(biases), np.array(rows, np.int64), np.array(cols, np.int64), np.array(values, np.int64),
                 np.array(biases, np.int64), exponent)


def _linear(n_in, rows, cols, values, biases, scales):
    return Layer(n_in, len(biases), np.array(rows, np.int64), np.array(cols, np.int64), np.array(values, np.int64),
                 np.array(biases, np.int64), 0, True, np.array(scales, dtype=np.float64))


def test_dense_evaluator_is_exact_beyond_2_to_53():
    # two steps at 0 and 1/2; a unit with weights 2^60 + 1 and -2^60 and bias -1 fires where both steps are on
    first = _hidden(1, [0, 1], [0, 0], [2, 2], [0, -1], exponent=1)
    big = _hidden(2, [0, 0], [0, 1], [2**60 + 1, -(2**60)], [-1])
    out = _linear(1, [0], [0], [1], [0], [1.0])
    net = HeavisideNetwork([first, big, out])
    # x in [0, 1/2): 2^60 + 1 - 1 >= 0 fires; x in [1/2, 1): 2^60 + 1 - 2^60 - 1 = 0 fires too
    assert net.evaluate_dense()[:, 0].tolist() == [1.0, 1.0]
    assert net.evaluate()[0][1].tolist() == [1.0, 1.0]


def _varints(*values):
    out = bytearray()
    for x in values:
        while x >= 0x80:
            out.append((x & 0x7F) | 0x80)
            x >>= 7
        out.append(x)
    return bytes(out)


def test_reader_refuses_a_breakpoint_that_wraps_below_zero():
    import struct
    import zlib

    magic = bytes([0x89, 0x44, 0x48, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A])
    # two layers: one step with breakpoint gap 2^64 - 1 (reads as g = -1), then a linear output
    body = _varints(2, 1, 2, 2**64 - 1) + _varints(1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 0)
    blob = magic + struct.pack(">H", 1) + body
    with pytest.raises(FormatError, match=r"^network first layer must be steps H\(x - g 2\^-e\) with weight 1 and 0 <= g < 2\^e$"):
        HeavisideNetwork.deserialize(blob + struct.pack(">I", zlib.crc32(blob)))
    good = magic + struct.pack(">H", 1) + _varints(2, 1, 2, 3) + _varints(1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 0)
    net = HeavisideNetwork.deserialize(good + struct.pack(">I", zlib.crc32(good)))
    ((level, values),) = net.evaluate()
    assert level == 2 and values.tolist() == [0.0, 0.0, 0.0, 1.0]  # H(x - 3/4)


def test_network_outputs_match_repeats_a_coarser_output():
    # a Walsh table of all-zero parities is the constant a: one value on level 0 states it
    (q,) = quantize_heads([Head("walsh", 2, 0.5)], 0.25)
    table = head_tables([q], Instance.build(2, [Head("walsh", 2)], flips=[0, 0, 0]).feature)[0]
    constant = type(table)(table.level, np.zeros_like(table.values))
    assert network_outputs_match([(0, np.array([0.5]))], [q], [constant], 2) == [True]
    assert network_outputs_match([(0, np.array([-0.5]))], [q], [constant], 2) == [False]
    assert network_outputs_match([(1, np.array([0.5, 0.5]))], [q], [constant], 2) == [True]


def _network_file(*layer_varints: bytes) -> bytes:
    import struct
    import zlib

    blob = bytes([0x89, 0x44, 0x48, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A]) + struct.pack(">H", 1) + b"".join(layer_varints)
    return blob + struct.pack(">I", zlib.crc32(blob))


# layer streams of docs/format.md: n_in, n_out, linear, e, nnz, counts, columns, values, biases[, scales]
_STEP = _varints(1, 1, 1)  # first layer: one unit H(x - 1/2)
_PASS = _varints(1, 1, 0, 0, 1, 1, 0, 2, 1)  # H(y - 1): weight 1, bias -1 (zigzag 2 and 1)
_OUT = _varints(1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 0)  # linear: weight 1, bias 0, scale 1·2^0


def _reader_message(blob: bytes) -> str:
    with pytest.raises(FormatError) as info:
        HeavisideNetwork.deserialize(blob)
    return str(info.value)


def test_reader_accepts_64_layers_and_no_more():
    net = HeavisideNetwork.deserialize(_network_file(_varints(64), _STEP, *[_PASS] * 62, _OUT))
    ((level, values),) = net.evaluate()
    assert len(net.layers) == 64 and level == 1 and values.tolist() == [0.0, 1.0]
    assert _reader_message(_network_file(_varints(65), _STEP, *[_PASS] * 63, _OUT)) == "network file claims 65 layers"


def test_reader_first_layer_header():
    assert _reader_message(_network_file(_varints(2, 1, 63, 1), _OUT)) == "network first layer has an impossible header"
    assert HeavisideNetwork.deserialize(_network_file(_varints(2, 1, 62, 1), _OUT)).grid_level == 62
    # 30 units claimed in a 30-byte body: not over the body, but the varints cannot fit in what is left
    blob = _network_file(_varints(2, 30, 0), bytes(17))
    assert _reader_message(blob) == "network file: 30 varints cannot fit in the 17 bytes left"
    assert _reader_message(_network_file(_varints(2, 31, 0), bytes(17))) == "network first layer has an impossible header"
    # breakpoints that wrap around: g = 5, then 5 + (2^64 - 3) = 2 (mod 2^64); 5 is past 2^2
    assert _reader_message(_network_file(_varints(2, 2, 2, 5, 2**64 - 3), _varints(2, 1, 1, 0, 0, 0, 0, 2, 0))) == (
        "network first layer must be steps H(x - g 2^-e) with weight 1 and 0 <= g < 2^e")
    # g = 4, then 4 + (2^64 - 2) = 2: the first breakpoint is exactly 2^2, one past the grid
    assert _reader_message(_network_file(_varints(2, 2, 2, 4, 2**64 - 2), _varints(2, 1, 1, 0, 0, 0, 0, 2, 0))) == (
        "network first layer must be steps H(x - g 2^-e) with weight 1 and 0 <= g < 2^e")


def test_reader_layer_shapes():
    two_in = _varints(2, 1, 0, 0, 1, 1, 0, 2, 1)  # a hidden layer reading 2 inputs after a 1-unit layer
    assert _reader_message(_network_file(_varints(3), _STEP, two_in, _OUT)) == "network layers do not chain (inputs != previous outputs)"
    middle_linear = _varints(1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 0)
    assert _reader_message(_network_file(_varints(3), _STEP, middle_linear, _OUT)) == "network must end in exactly one linear layer"
    assert _reader_message(_network_file(_varints(2), _STEP, _PASS)) == "network must end in exactly one linear layer"
    assert _reader_message(_network_file(_varints(1), _OUT)) == "a network without hidden layers has constant outputs (no weights)"


def test_reader_layer_header_bounds():
    # a 1-layer network: n_in, n_out, linear, e, nnz, then n_out counts ...
    huge_out = _network_file(_varints(1), _varints(1, 40, 1, 0, 0), bytes(4))
    assert _reader_message(huge_out) == "network layer 0 has an impossible header"
    # nnz equal to the body length: the counts add up, the columns cannot fit
    blob = _network_file(_varints(1, 1, 1, 1, 0, 40, 40), bytes(23))  # 10 + 7 + 23 = 40 bytes of body
    assert len(blob) - 4 == 40 and _reader_message(blob) == "network file: 40 varints cannot fit in the 23 bytes left"
    # 2^40 inputs is the largest n_in read; a constant network may have that many
    net = HeavisideNetwork.deserialize(_network_file(_varints(1, 2**40, 1, 1, 0, 0, 0, 0, 2, 0)))
    assert net.layers[0].n_in == 2**40 and [v.tolist() for _, v in net.evaluate()] == [[0.0]]
    assert _reader_message(_network_file(_varints(1, 2**40 + 1, 1, 1, 0, 0, 0, 0, 2, 0))) == "network layer 0 has an impossible header"


def _zigzag(v: int) -> int:
    return 2 * v if v >= 0 else -2 * v - 1


def test_reader_output_scales_and_row_counts():
    def constant(mant, expo):
        return _network_file(_varints(1, 1, 1, 1, 0, 0, 0, 0, _zigzag(mant), _zigzag(expo)))

    assert HeavisideNetwork.deserialize(constant(2**53 - 1, -53)).layers[0].scales.tolist() == [(2**53 - 1) * 2.0**-53]
    with np.errstate(over="ignore"):
        assert HeavisideNetwork.deserialize(constant(-3, 1100)).layers[0].scales.tolist() == [-np.inf]  # read, as ldexp gives it
    assert HeavisideNetwork.deserialize(constant(5, -1100)).layers[0].scales.tolist() == [0.0]
    for mant, expo in ((2**53, 0), (-(2**53), 0), (1, 1101), (1, -1101)):
        assert _reader_message(constant(mant, expo)) == "network output scales are not float64 values"
    counts_off = _network_file(_varints(2), _STEP, _varints(1, 1, 1, 0, 1, 0, 0, 2, 0, 2, 0))
    assert _reader_message(counts_off) == "network layer 1: row counts do not add up to its 1 weights"


def test_breakpoint_levels_from_trailing_zeros():
    # one step at 3/4: its level is 2 (3 = 0b11 has no trailing zero), not floor(log2 3) = 1 below the grid
    ((level, values),) = HeavisideNetwork.deserialize(_network_file(_varints(2, 1, 2, 3), _OUT)).evaluate()
    assert level == 2 and values.tolist() == [0.0, 0.0, 0.0, 1.0]
    # steps at 2/8 and 6/8 live on level 2; at 5/8 on level 3
    net = HeavisideNetwork.deserialize(_network_file(_varints(2, 2, 3, 2, 4), _varints(2, 1, 1, 0, 2, 2, 0, 1, 2, 2, 0, 2, 0)))
    ((level, values),) = net.evaluate()
    assert level == 2 and values.tolist() == [0.0, 1.0, 1.0, 2.0]
    net = HeavisideNetwork.deserialize(_network_file(_varints(2, 1, 3, 5), _OUT))
    assert net.evaluate()[0][0] == 3 and literal_outputs(net, 3)[0] == [0, 0, 0, 0, 0, 1, 1, 1]


def test_constant_network_on_a_finer_scale():
    # one linear layer, exponent 2, bias 3, scale 1: the constant 3/4
    net = HeavisideNetwork.deserialize(_network_file(_varints(1, 1, 1, 1, 2, 0, 0, _zigzag(3), _zigzag(1), 0)))
    assert [(lv, v.tolist()) for lv, v in net.evaluate()] == [(0, [0.75])]
    assert net.evaluate_dense().tolist() == [[0.75]]


def test_a_step_at_zero_lives_on_level_0():
    ((level, values),) = HeavisideNetwork.deserialize(_network_file(_varints(2, 1, 3, 0), _OUT)).evaluate()
    assert level == 0 and values.tolist() == [1.0]  # H(x - 0) is 1 on all of [0, 1)


def test_construction_weights_by_hand():
    # walsh:5 reads {1, 3}; sawtooth:1 at p = 2 reads the pairs (1, 2) and (1, 3): the pair (1, 3) is
    # the same two threshold units [y_1 + y_3 >= 1], [y_1 + y_3 >= 2] for both heads
    inst = Instance.build(3, [Head("walsh", 5), Head("sawtooth", 1)], seed=5)
    net = joint_network(quantize_heads(inst.heads, 2.0**-2), inst.feature)
    l1, l2, l3, out = net.layers
    assert l2.exponent == 1 and sorted(set(np.abs(l2.values).tolist())) == [2]  # y_l = H(Σ 2Δ u + 2 y_l(0) - 1) on 2^-1
    assert set(l2.biases.tolist()) <= {-1, 1}
    assert l3.exponent == 1 and l3.n_out == 4 and set(l3.values.tolist()) == {2}
    assert sorted(l3.biases.tolist()) == [-3, -3, -1, -1]  # [Σ >= 1] and [Σ >= 2] on scale 2^-1
    assert out.exponent == 0 and out.linear and l1.scales is None and l2.scales is None and l3.scales is None
    # sawtooth:1 output: 2^p - 1 - Σ 2^(p+1-i) ([Σ >= 1] - [Σ >= 2]) on scale a 2^-p
    assert out.scales.tolist() == [1.0, 0.25]
    assert sorted(out.biases.tolist()) == [1, 3]


def test_constant_networks_read_one_input():
    heads = [Head("walsh", 3, 0.1)]
    inst = Instance.build(2, heads, seed=0)
    (q,) = quantize_heads(heads, 0.3)
    for net in (joint_network([q], inst.feature), step_network(q, None, 2), separate_networks([q], inst.feature)[0][1]):
        (layer,) = net.layers
        assert (layer.n_in, layer.n_out, layer.exponent, layer.nonzeros, layer.biases.tolist()) == (1, 1, 0, 0, [0])
        assert layer.scales.tolist() == [0.1]


def test_step_network_of_a_table_without_jumps():
    (q,) = quantize_heads([Head("walsh", 6, 0.5)], 0.25)
    flat = type(head_tables([q], Instance.build(3, [q.head], seed=0).feature)[0])(3, np.zeros(8, dtype=np.uint8))
    net = step_network(q, flat, 3)
    (layer,) = net.layers
    assert (layer.n_in, layer.n_out, layer.exponent, layer.nonzeros, layer.biases.tolist(), layer.linear) == (1, 1, 0, 0, [1], True)
    assert layer.scales.tolist() == [0.5]
    assert [(lv, v.tolist()) for lv, v in net.evaluate()] == [(0, [0.5])]
    (q,) = quantize_heads([Head("sawtooth", 0, 0.5)], 2.0**-3)  # p = 2; all codes 3: V = 2^2 - 2·3 - 1 = -3
    flat = type(flat)(2, np.full(4, 3, dtype=np.uint8))
    (layer,) = step_network(q, flat, 3).layers
    assert layer.biases.tolist() == [-3] and layer.scales.tolist() == [0.5 / 4]
    assert HeavisideNetwork.deserialize(step_network(q, flat, 3).serialize()).evaluate()[0][1].tolist() == [-3 * 0.5 / 4]


def test_precision_62_is_the_last_one_a_head_layer_takes():
    (q,) = quantize_heads([Head("sawtooth", 0)], 2.0**-62)
    layer3, out = _heads_layers([q], {lv: lv - 1 for lv in range(1, 63)})
    assert out.exponent == 0 and out.scales.tolist() == [2.0**-62] and out.biases.tolist() == [2**62 - 1]


def test_zero_scales_round_trip():
    blob = _network_file(_varints(1, 1, 1, 1, 0, 0, 0, 0, 0, 0))  # scale 0 · 2^0
    net = HeavisideNetwork.deserialize(blob)
    assert net.layers[0].scales.tolist() == [0.0] and net.serialize() == blob
    half = _network_file(_varints(1, 1, 1, 1, 0, 0, 0, 0, _zigzag(1), _zigzag(-1)))  # 1 · 2^-1
    assert HeavisideNetwork.deserialize(half).serialize() == half


def test_separate_networks_hand_their_budget_to_the_step_network(monkeypatch):
    from dlcalc import _network

    seen = []
    real = _network.step_network

    def spy(q, table, depth, max_cells=None):
        seen.append(max_cells)
        return real(q, table, depth) if max_cells is None else real(q, table, depth, max_cells)

    monkeypatch.setattr(_network, "step_network", spy)
    heads = [Head("walsh", 3), Head("sawtooth", 1)]
    separate_networks(quantize_heads(heads, 2.0**-2), Instance.build(3, heads, seed=0).feature, max_cells=1234)
    assert seen == [1234, 1234]
