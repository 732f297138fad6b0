"""Quantization, requirement sets, cell tables and exact sup errors (THEORY §4, §8) against oracles.

Expected tables and errors come from ``tests/oracles.py`` (the definitions of
THEORY §2-§4 evaluated directly), from brute-force spans, or from values worked
out by hand in the test.
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from dlcalc import BudgetError, Feature, Head, SpecError
from dlcalc.core._headset import HeadSet
from dlcalc.quantize._groups import QuantizedClass
from dlcalc.quantize._quantize import RequirementSet, check_eps, precision_for, quantize_head, quantize_heads
from dlcalc.quantize._sup_error import sup_error
from dlcalc.quantize._tables import (
    HeadTable,
    _ImageCache,
    _min_uint,
    approximant_values,
    check_table_cells,
    head_tables,
    table_cells,
)

from . import oracles
from .helpers import precision


def test_precision_for_against_the_definition():
    amps = [1.0, 0.5, 0.3, 2.0, 0.75, 3.0, 1e-3]
    epss = [2.0**-e for e in range(0, 14)] + [0.1, 0.3, 0.2999999, 0.3000001, 0.74, 0.76, 1e-5, 1.5, 2.5, 1e-300]
    for a in amps:
        for eps in epss + [a, a / 2, a / 4 * (1 + 2**-52), a / 4 * (1 - 2**-52), a * (1 - 2**-53)]:
            assert precision_for(a, eps) == precision(a, eps), (a, eps)
    assert precision_for(1.0, 1e-300) == math.ceil(math.log2(1e300))


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, float("inf"), float("nan"), True, "0.1", None])
def test_check_eps_refuses(bad):
    with pytest.raises(SpecError, match=r"^eps must be a finite number > 0, got "):
        check_eps(bad)
    with pytest.raises(SpecError):
        quantize_heads([], bad)


def test_check_eps_is_exact():
    assert check_eps(0.1) == Fraction(0.1)
    assert check_eps(3) == 3


def test_masked_vectors_lists_the_stars_then_masks():
    for k, p in itertools.product(range(0, 6), range(0, 5)):
        for depth in (None, 0, 1, 2, 3, 4, 5, 7, 9):
            req = RequirementSet(vectors=frozenset({0b1011}), stars=frozenset({(k, p)}))
            listed = set(oracles.star_vectors(k, p)) | {0b1011}
            mask = (1 << depth) - 1 if depth is not None else -1
            want = {v & mask for v in listed} - {0}
            assert req.masked_vectors(depth) == want, (k, p, depth)


def test_requirement_set_costs_and_levels():
    for stars in [{(0, 3)}, {(2, 2), (0, 1)}, {(1, 4)}, set()]:
        for vectors in [set(), {0b101}, {0b110, 0b11}]:
            req = RequirementSet(frozenset(vectors), frozenset(stars))
            for depth in (None, 1, 2, 3, 6):
                masked = req.masked_vectors(depth)
                assert req.level_cost(depth) == oracles.span_cost(masked), (stars, vectors, depth)
                span_tops = {v.bit_length() for v in oracles.span_of(masked) if v}
                assert req.levels(depth) == sorted(span_tops)
                assert sorted(req.basis(depth)) == sorted(span_tops)


def test_union():
    a = RequirementSet(frozenset({1}), frozenset({(0, 2)}))
    b = RequirementSet(frozenset({4}), frozenset({(1, 1)}))
    assert a.union(b) == RequirementSet(frozenset({1, 4}), frozenset({(0, 2), (1, 1)}))
    assert RequirementSet.union_all([a, b, RequirementSet()]) == a.union(b)
    assert RequirementSet.union_all([]) == RequirementSet()


def test_quantize_head_by_hand():
    q = quantize_head(Head("sawtooth", 2), 2.0**-3)
    assert (q.precision, q.zero, q.eps, q.head) == (3, False, 2.0**-3, Head("sawtooth", 2))
    assert q.requirement == RequirementSet(stars=frozenset({(2, 3)}))
    assert q.lower_requirement == RequirementSet(stars=frozenset({(2, 2)}))
    assert q.quantization_error == Fraction(1, 8)
    q = quantize_head(Head("sawtooth", 0, 0.5), 0.3)  # 0.5/0.3 in (1, 2]: p = 1, packing set empty
    assert (q.precision, q.zero) == (1, False)
    assert q.requirement == RequirementSet(stars=frozenset({(0, 1)}))
    assert q.lower_requirement == RequirementSet()
    assert q.quantization_error == Fraction(1, 4)
    q = quantize_head(Head("walsh", 6, 0.5), 0.25)
    assert (q.precision, q.zero) == (None, False)
    assert q.requirement == q.lower_requirement == RequirementSet(vectors=frozenset({6}))
    assert q.quantization_error == 0
    for head in (Head("walsh", 3, 0.5), Head("sawtooth", 1, 0.5)):
        q = quantize_head(head, 0.5)  # ε >= a: the zero approximant
        assert q.zero and q.precision is None and q.eps == 0.5
        assert q.requirement == q.lower_requirement == RequirementSet()
        assert q.quantization_error == Fraction(1, 2)


def test_quantize_heads_quantizes_each_distinct_head_once():
    heads = [Head("walsh", 3), Head("sawtooth", 1), Head("walsh", 3)]
    qs = quantize_heads(heads, 0.1)
    assert [q.head for q in qs] == heads
    assert qs[0] is qs[2] and qs[0] is not qs[1]
    assert qs[1].precision == 4


@pytest.mark.parametrize(
    "spec,eps,depth,table_level,approx_level,sweeping",
    [
        ("walsh:5", 0.5, 2, 3, 3, False),
        ("walsh:5", 1.0, 2, 0, 0, False),  # zero head
        ("sawtooth:0", 2.0**-2, 4, 2, 2, False),  # k + p = 2 <= D: code table
        ("sawtooth:0", 2.0**-5, 3, 3, 5, True),  # k + p = 5 > D = 3
        ("sawtooth:2", 2.0**-2, 4, 4, 4, False),  # k + p = 4 = D
        ("sawtooth:2", 2.0**-3, 4, 4, 5, True),
        ("sawtooth:6", 2.0**-1, 3, 6, 7, True),  # L = max(D, k) = k
        ("sawtooth:3", 2.0**-1, 2, 3, 4, True),
    ],
)
def test_levels_of_a_quantized_head(spec, eps, depth, table_level, approx_level, sweeping):
    q = quantize_head(Head.parse(spec), eps)
    assert q.table_level(depth) == table_level
    assert q.approximant_level(depth) == approx_level
    assert q.sweeping(depth) is sweeping


def test_head_table_equality():
    a = HeadTable(2, np.array([0, 1, 1, 0], dtype=np.uint8))
    assert a == HeadTable(2, np.array([0, 1, 1, 0], dtype=np.uint8))
    assert a != HeadTable(2, np.array([0, 1, 1, 1], dtype=np.uint8))
    assert a != HeadTable(3, np.array([0, 1, 1, 0], dtype=np.uint8))
    assert a != HeadTable(2, None) and HeadTable(2, None) != a
    assert HeadTable(0, None) == HeadTable(0, None)
    assert HeadTable(0, None) != HeadTable(1, None)
    assert a != "table"


def test_min_uint():
    assert [_min_uint(b) for b in (0, 1, 8, 9, 16, 17, 32, 33, 64)] == [
        np.uint8,
        np.uint8,
        np.uint8,
        np.uint16,
        np.uint16,
        np.uint32,
        np.uint32,
        np.uint64,
        np.uint64,
    ]
    with pytest.raises(BudgetError, match=r"^a table entry of 65 bits does not fit 64 bits$"):
        _min_uint(65)


def test_table_cells_counts_tables_and_one_image_per_level():
    quants = quantize_heads([Head("walsh", 5), Head("walsh", 6), Head("sawtooth", 1), Head("walsh", 1, 0.1)], 0.2)
    # walsh:5, walsh:6 on level 3; sawtooth:1 with p = 3 on level max(2, 1) = 2; walsh:1@0.1 is zero
    assert table_cells(quants, 2) == (8 + 8 + 4) + (8 + 4)
    check_table_cells(quants, 2, 32)
    with pytest.raises(BudgetError, match=r"^the cell tables need 32 cells, over the budget of 31 \(raise --max-cells"):
        check_table_cells(quants, 2, 31)
    with pytest.raises(BudgetError, match="need 32 cells"):
        head_tables(quants, Feature(2, [0, 1, 1]), max_cells=31)
    assert table_cells(quantize_heads([Head("walsh", 1)], 2.0), 5) == 0


def test_image_cache_against_the_digit_form():
    rng = np.random.default_rng(5)
    for depth in (0, 1, 3, 6):
        flips = rng.integers(0, 2, size=(1 << depth) - 1)
        for order in ([depth, 2, 0, depth + 2, 1], [1, depth + 3, depth], [depth + 1, 0]):
            cache = _ImageCache(Feature(depth, flips))
            for level in order:
                assert cache(level).tolist() == oracles.image_cells(flips, depth, level).tolist(), (depth, order, level)


HEADS = [
    "walsh:1",
    "walsh:2",
    "walsh:3",
    "walsh:5",
    "walsh:6",
    "walsh:7",
    "walsh:9",
    "walsh:12",
    "sawtooth:0",
    "sawtooth:1",
    "sawtooth:2",
    "sawtooth:3",
    "sawtooth:5",
    "sawtooth:0@0.5",
    "sawtooth:1@0.3",
]


def oracle_table(q, flips, depth):
    """The table of THEORY §4 / the module docstring, from the oracle functions only."""
    if q.zero:
        return 0, None
    if q.head.family == "walsh":
        return q.head.index.bit_length(), oracles.walsh_parity(flips, depth, q.head.index)
    k, p = q.head.index, q.precision
    if k + p <= max(depth, k):
        return k + p, oracles.quantized_codes(flips, depth, k, p, k + p)
    level = max(depth, k)
    v = oracles.sawtooth_position(flips, depth, k, level)
    if k == 0:
        return level, v
    o = (oracles.image_cells(flips, depth, level) >> (level - k)) & 1
    # the oriented position counts from where S_k starts on the cell: from the top when it falls
    return level, 2 * v + o


def check_tables(flips, depth, eps):
    heads = [Head.parse(s) for s in HEADS]
    quants = quantize_heads(heads, eps)
    tables = head_tables(quants, Feature(depth, flips))
    for q, table in zip(quants, tables, strict=False):
        level, values = oracle_table(q, flips, depth)
        assert table.level == level, (q.head, depth, eps)
        if values is None:
            assert table.values is None
        else:
            assert table.values.tolist() == values.tolist(), (q.head, depth, eps, flips)
            # the smallest unsigned type that holds the entries: parity bit, p-bit code, or (L-k)+1 bits
            k, p = q.head.index, q.precision
            bits = 1 if p is None else p if level == k + p else level - k + (k > 0)
            assert table.values.dtype == np.dtype(f"uint{max(8, 1 << (bits - 1).bit_length())}"), (
                q.head,
                table.values.dtype,
            )


@pytest.mark.parametrize("eps", [2.0**-1, 2.0**-2, 0.2, 2.0**-4])
def test_head_tables_every_sign_pattern_up_to_depth_3(eps):
    for depth in range(0, 4):
        for bits in itertools.product((0, 1), repeat=(1 << depth) - 1):
            check_tables(np.array(bits, dtype=np.int64), depth, eps)


@pytest.mark.parametrize("depth", [9, 10])
def test_head_tables_at_depth_9_and_10(depth):
    rng = np.random.default_rng(depth)
    for eps in (2.0**-3, 2.0**-12, 0.3):
        check_tables(rng.integers(0, 2, size=(1 << depth) - 1), depth, eps)


def test_sweeping_table_orientation_by_hand():
    # depth 1, flip at the root: h swaps the halves. sawtooth:1 reads y_1 and S_1(y) = 1 - |2y - 1|.
    q = quantize_head(Head("sawtooth", 1), 2.0**-2)  # p = 2, k + p = 3 > L = 1: sweeping
    (table,) = head_tables([q], Feature(1, [1]))
    # x in [0, 1/2) -> y in [1/2, 1): y_1 = 1, S_1 falls from 1 to 0, v = 0 (no digit) -> 2v + o = 1
    assert table.level == 1 and table.values.tolist() == [1, 0]
    level, values = approximant_values(q, table, 1)
    # falling on [0, 1/2): codes 3, 2, 1, 0; rising on [1/2, 1): 0, 1, 2, 3; f̂ = 1 - (2Q+1)/4
    assert level == 3
    assert values.tolist() == [1 - (2 * c + 1) / 4 for c in (3, 2, 1, 0, 0, 1, 2, 3)]


# ----------------------------------------------------------------------------- sup errors


def random_wrong_table(rng, q, truth, depth):
    values = truth.values.astype(np.int64).copy()
    k, p = q.head.index, q.precision
    if q.head.family == "walsh":
        limit = 2
    elif truth.level == k + p:
        limit = 1 << p
    else:
        limit = (1 << (truth.level - k)) * (2 if k else 1)
    flips = rng.random(values.size) < rng.choice([0.0, 0.05, 0.5])
    values[flips] = rng.integers(0, limit, size=int(flips.sum()))
    return HeadTable(truth.level, values.astype(truth.values.dtype))


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5])
def test_sup_error_of_any_table_is_the_exact_sup(depth):
    rng = np.random.default_rng(100 + depth)
    for trial in range(12):
        flips = rng.integers(0, 2, size=(1 << depth) - 1)
        feature = Feature(depth, flips)
        for eps in (0.3, 2.0**-2, 2.0**-5):
            heads = [Head.parse(s) for s in HEADS]
            quants = quantize_heads(heads, eps)
            truths = head_tables(quants, feature)
            for q, truth in zip(quants, truths, strict=False):
                if q.zero:
                    assert sup_error(q, HeadTable(0, None), truth) == Fraction(q.head.amplitude)
                    continue
                wrong = random_wrong_table(rng, q, truth, depth)
                got = sup_error(q, wrong, truth)
                if q.head.family == "walsh":
                    differs = not np.array_equal(wrong.values, truth.values)
                    assert got == (2 * Fraction(q.head.amplitude) if differs else 0)
                else:
                    want = oracles.sawtooth_sup_error(
                        flips, depth, q.head.amplitude, q.head.index, q.precision, wrong.level, wrong.values
                    )
                    assert got == want, (q.head, depth, eps, trial)
                    assert sup_error(q, truth, truth) == Fraction(q.head.amplitude) / 2**q.precision


@pytest.mark.parametrize(
    "spec,depth,eps,wrong_codes,error_over_a",
    [
        # code table of sawtooth:1 at depth 3, p = 2: a code off by one errs by 3/4, by two by 5/4
        ("sawtooth:1", 3, 2.0**-2, {0: +1}, Fraction(3, 4)),
        ("sawtooth:1", 3, 2.0**-2, {5: +2}, Fraction(5, 4)),
        ("sawtooth:0", 3, 2.0**-3, {7: -3}, Fraction(7, 8)),
    ],
)
def test_sup_error_of_code_tables_by_hand(spec, depth, eps, wrong_codes, error_over_a):
    q = quantize_head(Head.parse(spec), eps)
    flips = np.zeros((1 << depth) - 1, dtype=np.uint8)  # h = identity: Q = floor(2^p S_k(x))
    (truth,) = head_tables([q], Feature(depth, flips))
    values = truth.values.astype(np.int64)
    for cell, delta in wrong_codes.items():
        values[cell] += delta
    assert sup_error(q, HeadTable(truth.level, values), truth) == error_over_a * Fraction(q.head.amplitude)


def test_sup_error_of_a_flipped_orientation_by_hand():
    # sawtooth:0 never sweeps with an orientation; sawtooth:1 at depth 1, p = 3: m = k + p - L = 3
    q = quantize_head(Head("sawtooth", 1), 2.0**-3)
    (truth,) = head_tables([q], Feature(1, [0]))
    assert truth.values.tolist() == [0, 1]  # rising on [0, 1/2), falling on [1/2, 1)
    wrong = HeadTable(1, np.array([1, 1], dtype=np.uint8))  # the first cell claims to fall
    # a falling staircase against a rising line: worst at the ends, |1 - (2·7+1)/8| + ... = (2^(m+1) - 1)/2^p
    assert sup_error(q, wrong, truth) == Fraction(15, 8)
    assert sup_error(q, wrong, truth) == oracles.sawtooth_sup_error([0], 1, 1.0, 1, 3, 1, wrong.values)


def test_sup_error_refuses_a_table_of_another_shape():
    q = quantize_head(Head("walsh", 3), 0.5)
    truth = HeadTable(2, np.zeros(4, dtype=np.uint8))
    for wrong in (
        HeadTable(3, np.zeros(8, dtype=np.uint8)),
        HeadTable(2, None),
        HeadTable(2, np.zeros(3, dtype=np.uint8)),
    ):
        with pytest.raises(ValueError, match="^decoded table does not match the head's table shape$"):
            sup_error(q, wrong, truth)


# ----------------------------------------------------------------------------- approximant values


def test_approximant_values_from_the_codes():
    rng = np.random.default_rng(7)
    for depth in (0, 2, 4):
        flips = rng.integers(0, 2, size=(1 << depth) - 1)
        for eps in (0.3, 2.0**-3, 2.0**-6):
            heads = [Head.parse(s) for s in HEADS]
            quants = quantize_heads(heads, eps)
            for q, table in zip(quants, head_tables(quants, Feature(depth, flips)), strict=False):
                level, values = approximant_values(q, table, depth)
                a = Fraction(q.head.amplitude)
                if q.zero:
                    assert (level, values.tolist()) == (0, [0.0])
                elif q.head.family == "walsh":
                    assert level == q.head.index.bit_length()
                    assert values.tolist() == [
                        float(a * (1 - 2 * b)) for b in oracles.walsh_parity(flips, depth, q.head.index)
                    ]
                else:
                    k, p = q.head.index, q.precision
                    assert level == k + p
                    codes = oracles.quantized_codes(flips, depth, k, p, k + p)
                    assert values.tolist() == [float(a * (1 - Fraction(2 * int(c) + 1, 2**p))) for c in codes]


def test_approximant_values_budget():
    q = quantize_head(Head("sawtooth", 2), 2.0**-10)  # the approximant lives on level 12
    (table,) = head_tables([q], Feature(2, [0, 1, 0]))
    with pytest.raises(
        BudgetError,
        match=r"^sawtooth:2: the approximant has 2\^12 cells, over the budget of 4095 \(raise --max-cells\)$",
    ):
        approximant_values(q, table, 2, max_cells=4095)
    level, values = approximant_values(q, table, 2, max_cells=4096)
    assert level == 12 and values.size == 4096


def test_sawtooth_star_cost_against_listed_spans():
    from dlcalc.quantize._groups import sawtooth_star_cost

    for k in range(0, 6):
        for p in (None, 0, 1, 2, 3, 5):
            for depth in (None, 0, 1, 3, 6, 9):
                want = oracles.span_cost(oracles.star_vectors(k, p or 0), depth)
                assert sawtooth_star_cost(k, p, depth) == want, (k, p, depth)
    assert sawtooth_star_cost(3, 1000, None) == (2**1000 - 1) * 8


def test_bit_lengths_of_int64_arrays():
    from dlcalc.quantize._groups import _bit_lengths

    values = [0, 1, 2, 3, 255, 256, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**33 + 5, 2**40, 2**62 + 1, 2**63 - 1]
    assert _bit_lengths(np.array(values, dtype=np.int64)).tolist() == [v.bit_length() for v in values]


def test_bounds_names_only_the_two_coders():
    qclass = QuantizedClass(3, HeadSet.of([Head("walsh", 3)]), 0.25)
    assert (qclass.bounds("joint").upper_bound_bits, qclass.bounds("separate").upper_bound_bits) == (2, 2)
    with pytest.raises(ValueError, match=r"^unknown coder 'both' \(joint or separate\)$"):
        qclass.bounds("both")


def test_quantization_records_keep_eps_and_flags():
    for head, eps, zero in (
        (Head("walsh", 3), 0.25, False),
        (Head("sawtooth", 2), 2.0**-3, False),
        (Head("walsh", 1, 0.5), 0.5, True),
    ):
        q = quantize_head(head, eps)
        assert q.eps == eps and q.zero is zero, head
    qclass = QuantizedClass(4, HeadSet.of([Head("walsh", 3), Head("sawtooth", 1), Head("walsh", 5, 0.25)]), 0.25)
    assert [(g.eps, g.zero) for g in qclass.groups] == [(0.25, False), (0.25, False), (0.25, True)]
    assert all(type(g.zero) is bool for g in qclass.groups)


def test_group_requirements_leave_out_heads_beyond_the_depth():
    # sawtooth:0-5 at depth 2: heads k > 2 read no free level (THEORY §4); p = 2 at ε = 2^-2
    qclass = QuantizedClass(2, HeadSet.of([Head("sawtooth", k) for k in range(6)]), 0.25)
    (group,) = qclass.groups
    assert group.precision == 2
    # one star with the span of the listed ones (0, 2), (1, 2), (2, 2): it reaches level 2 + p
    assert group.requirement(2).stars == frozenset({(0, 4)})
    assert group.requirement(None).stars == frozenset({(0, 7)})
    assert group.lower_requirement(2).stars == frozenset({(0, 3)})
    listed = RequirementSet(stars=frozenset({(0, 2), (1, 2), (2, 2)}))
    assert group.requirement(2).basis(2) == listed.basis(2) and group.requirement(2).level_cost(2) == listed.level_cost(
        2
    )
    beyond = QuantizedClass(2, HeadSet.of([Head("sawtooth", k) for k in range(3, 6)]), 0.25).groups[0]
    assert beyond.requirement(2).stars == frozenset() and beyond.separate_bits(2) == 0
    # p = 1 (ε = a/2): the packing set A(0) is empty
    one = QuantizedClass(3, HeadSet.of([Head("sawtooth", 0), Head("sawtooth", 1)]), 0.5).groups[0]
    assert (
        one.precision == 1
        and one.lower_requirement(3).stars == frozenset()
        and one.lower_requirement(3).vectors == frozenset()
    )


def test_tables_use_the_smallest_unsigned_type():
    feature = Feature.from_seed(12, 3)
    for head, eps, dtype in (
        (Head("walsh", 5), 0.5, np.uint8),
        (Head("sawtooth", 0), 2.0**-9, np.uint16),
        (Head("sawtooth", 3), 2.0**-6, np.uint8),
        (Head("sawtooth", 1), 2.0**-9, np.uint16),
        (Head("sawtooth", 2), 2.0**-3, np.uint8),
    ):
        # a position and an orientation bit on level k + p: k + p - k + 1 bits; walsh parities 1 bit
        (table,) = head_tables([quantize_head(head, eps)], feature)
        assert table.values.dtype == dtype, head


@pytest.mark.parametrize(
    "depth,spec,eps",
    [
        (3, "sawtooth:0", 2.0**-5),
        (3, "sawtooth:1", 2.0**-4),
        (2, "sawtooth:2", 2.0**-3),
        (4, "sawtooth:0", 2.0**-4),
        (3, "walsh:5", 0.5),
        (4, "sawtooth:3", 2.0**-2),
    ],
)
def test_approximant_values_against_the_definition(depth, spec, eps):
    """f̂ on every cell of its own level, sweeping tables included, against a per-cell evaluation (tests/helpers.py)."""
    from dlcalc import parse_heads
    from dlcalc.quantize._tables import approximant_chunk

    from .helpers import head_codes, value_of_code

    (head,) = parse_heads(spec)
    for seed in range(3):
        feature = Feature.from_seed(depth, seed)
        q = quantize_head(head, eps)
        (table,) = head_tables([q], feature)
        level, values = approximant_values(q, table, depth)
        want_level, codes = head_codes(feature.flips, depth, head, eps)
        assert level == want_level
        assert [Fraction(v) for v in values] == [value_of_code(head, eps, c) for c in codes]
        n = 1 << level
        for start, stop in ((0, n), (1, n - 1), (n // 2 - 1, n // 2 + 1), (n - 1, n), (3, 4)):
            assert approximant_chunk(q, table, depth, start, stop).tolist() == values[start:stop].tolist()


def test_a_zero_head_approximant_is_zero_on_any_range():
    from dlcalc.quantize._tables import approximant_chunk

    q = quantize_head(Head("sawtooth", 1, 0.25), 0.5)
    assert q.zero and approximant_values(q, HeadTable(0, None), 4) == (0, pytest.approx([0.0]))
    assert approximant_chunk(q, HeadTable(0, None), 4, 3, 7).tolist() == [0.0] * 4


def test_a_group_names_its_first_head_by_default():
    qclass = QuantizedClass(4, HeadSet.of([Head("sawtooth", k) for k in range(2, 5)]), 2.0**-3)
    (group,) = qclass.groups
    assert group.head_quant().head == Head("sawtooth", 2) and group.head_quant(2).head == Head("sawtooth", 4)
    assert [q.head.index for q in group.head_quants()] == [2, 3, 4]
