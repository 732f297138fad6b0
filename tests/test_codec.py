"""Coders, decoding and verification (THEORY §4-§6)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from dlcalc import Head, Instance, coder_bounds, decode, encode, parse_heads, quantize_heads, run_coder, verify
from dlcalc.coding._container import read_container, write_container
from dlcalc.quantize._tables import approximant_values

from .helpers import approximant_level, count_distinct, head_codes, value_of_code

SMALL_CASES = [
    (2, "walsh:1-3", 0.5),
    (2, "sawtooth:0", 0.1),
    (3, "walsh:5,walsh:6,sawtooth:1", 0.2),
    (3, "sawtooth:0-2", 2**-2),
    (3, "sawtooth:0-3@0.5,walsh:3", 2**-4),
    (3, "sawtooth:2,sawtooth:4", 2**-1 * 0.9),
    (3, "walsh:1-7@0.3", 0.25),
    (1, "sawtooth:0,walsh:1", 0.01),
]


def heads_of(spec: str):
    return [h for part in spec.split(",") for h in parse_heads(part)]


@pytest.mark.parametrize("depth,spec,eps", SMALL_CASES)
def test_payload_equals_brute_force_count(depth, spec, eps):
    """Exhaustive enumeration of all sign patterns: #distinct quantized tuples = 2^payload_bits."""
    heads = heads_of(spec)
    inst = Instance.build(depth, heads, seed=1)
    joint = run_coder(inst, eps, "joint")
    separate = run_coder(inst, eps, "separate")
    n_joint, n_heads = count_distinct(depth, heads, eps)
    assert joint.payload_bits == math.log2(n_joint)
    assert separate.head_payload_bits == [math.log2(n) for n in n_heads]
    for r in (joint, separate):
        assert r.bounds.lower_bound_bits <= r.payload_bits == r.bounds.upper_bound_bits


def test_payload_equals_brute_force_count_depth4():
    heads = heads_of("walsh:5,walsh:9,sawtooth:0@0.5,sawtooth:2")
    eps = 2**-3
    n_joint, n_heads = count_distinct(4, heads, eps)
    inst = Instance.build(4, heads, seed=7)
    assert run_coder(inst, eps, "joint").payload_bits == math.log2(n_joint)
    assert run_coder(inst, eps, "separate").head_payload_bits == [math.log2(n) for n in n_heads]


head_strategy = st.one_of(
    st.builds(Head, st.just("walsh"), st.integers(1, 200), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
    st.builds(Head, st.just("sawtooth"), st.integers(0, 9), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
)


@given(
    depth=st.integers(0, 7),
    seed=st.integers(0, 2**32),
    heads=st.lists(head_strategy, min_size=1, max_size=6),
    eps=st.one_of(st.sampled_from([2.0**-e for e in range(0, 12)]), st.floats(1e-3, 1.5)),
    coder=st.sampled_from(["joint", "separate"]),
)
def test_round_trip_property(depth, seed, heads, eps, coder):
    """Encode, decode from the bytes alone: tables equal the truth, sup error <= ε."""
    inst = Instance.build(depth, heads, seed=seed)
    result = run_coder(inst, eps, coder)
    v = result.verification
    assert all(v.tables_equal)
    assert v.max_error <= Fraction(eps)
    assert v.verified
    assert result.payload_bits == result.bounds.upper_bound_bits >= result.bounds.lower_bound_bits
    # independent check: decoded values against the direct composition a·g(h(x)) at sample points
    decoded = decode(result.data)
    x = (np.arange(512) + 0.5) / 512
    for t, (q, table) in enumerate(zip(decoded.quants, decoded.tables, strict=False)):
        level, values = approximant_values(q, table, depth, max_cells=1 << 22)
        fhat = values[np.floor(x * (1 << level)).astype(np.int64)]
        assert np.max(np.abs(inst.evaluate(t, x) - fhat)) <= eps * (1 + 1e-12)


def test_sup_error_is_attained_and_exact():
    inst = Instance.build(5, heads_of("sawtooth:0-3@0.75"), seed=3)
    result = run_coder(inst, 0.01, "joint")
    for q, err in zip(result.quants, result.verification.errors, strict=False):
        assert err == Fraction(q.head.amplitude) / 2**q.precision
    # sampled at the left ends of the quantization cells the error is attained
    decoded = result.decoded
    for t, (q, table) in enumerate(zip(decoded.quants, decoded.tables, strict=False)):
        level, values = approximant_values(q, table, inst.depth)
        x = np.arange(1 << level) / (1 << level)
        assert np.max(np.abs(inst.evaluate(t, x) - values)) == pytest.approx(float(q.quantization_error))


def test_zero_heads_cost_nothing():
    inst = Instance.build(4, heads_of("walsh:3@0.1,sawtooth:1@0.1"), seed=0)
    r = run_coder(inst, 0.1, "separate")
    assert r.payload_bits == 0 and r.verification.verified
    assert r.verification.max_error == Fraction(0.1)


def flip_sections_except(box, keep: int) -> bytes:
    """The separate file with every section but ``keep`` inverted (padding left zero)."""
    from dlcalc.coding._sections import Sections

    starts = np.concatenate(([0], np.cumsum((box.section_bits + 7) // 8)))
    data = box.data.copy()
    for i, nbits in enumerate(box.section_bits.tolist()):
        if i != keep:
            bits = np.unpackbits(data[starts[i] : starts[i + 1]])
            bits[:nbits] ^= 1
            data[starts[i] : starts[i + 1]] = np.packbits(bits)
    return write_container("separate", box.qclass, Sections(box.section_bits, [data]))


def test_separate_decoder_uses_only_its_section():
    inst = Instance.build(5, heads_of("walsh:3,sawtooth:1,sawtooth:0@0.5"), seed=11)
    data = encode(inst, 2**-4, "separate")
    box = read_container(data)
    reference = decode(data).tables
    assert box.section_bits.size == len(inst.heads)  # every head costs bits: section t is head t
    for t in range(len(inst.heads)):
        tampered = decode(flip_sections_except(box, t)).tables
        assert tampered[t] == reference[t]
        others = [i for i in range(len(inst.heads)) if i != t]
        assert any(tampered[i] != reference[i] for i in others)


def test_verify_detects_another_instance():
    heads = heads_of("walsh:1-7,sawtooth:1")
    a = Instance.build(4, heads, seed=1)
    b = Instance.build(4, heads, seed=2)
    result = verify(b, decode(encode(a, 2**-5, "joint")))
    assert not result.verified
    assert result.max_error > Fraction(2**-5)


def test_bounds_match_theory_formulas():
    heads = [Head("sawtooth", 2)]
    q = quantize_heads(heads, 2**-5)
    b = coder_bounds(q, None, "joint")
    assert (b.lower_bound_bits, b.upper_bound_bits) == (4 * (2**4 - 1), 4 * (2**5 - 1))


@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 1000),
    head=head_strategy,
    eps=st.sampled_from([0.4, 0.1, 2**-5, 2**-9, 0.003]),
    noise_seed=st.integers(0, 1000),
)
# sawtooth code tables with k >= 1 (k + p <= D): sawtooth:2 with p = 4, sawtooth:1 with p = 4
@example(depth=6, seed=3, head=Head("sawtooth", 2), eps=0.1, noise_seed=1)
@example(depth=5, seed=8, head=Head("sawtooth", 1, 0.5), eps=2**-5, noise_seed=2)
@example(depth=6, seed=1, head=Head("sawtooth", 0), eps=2**-5, noise_seed=3)  # code table, k = 0
@example(depth=4, seed=1, head=Head("sawtooth", 2), eps=2**-5, noise_seed=4)  # sweeping table, k >= 1
def test_sup_error_of_wrong_tables_matches_direct_evaluation(depth, seed, head, eps, noise_seed):
    """Perturbed tables: the closed-form sup error equals a fine sampling of |a g(h(x)) - f̂(x)|."""
    from dlcalc import head_tables, sup_error
    from dlcalc.quantize._tables import HeadTable

    inst = Instance.build(depth, [head], seed=seed)
    (q,) = quantize_heads([head], eps)
    (truth,) = head_tables([q], inst.feature)
    if q.zero:
        return
    rng = np.random.default_rng(noise_seed)
    values = truth.values.copy()
    hi = int(values.max()) if values.size else 0
    idx = rng.integers(0, values.size, size=max(1, values.size // 4))
    values[idx] = rng.integers(0, max(hi, 1) + 1, size=idx.size).astype(values.dtype)
    values[idx[0]] = (int(truth.values[idx[0]]) + 1) % (max(hi, 1) + 1)  # at least one entry is wrong
    wrong = HeadTable(truth.level, values)
    exact = float(sup_error(q, wrong, truth))
    level, fhat = approximant_values(q, wrong, depth, max_cells=1 << 22)
    fine = max(level, depth, head.index if head.family == "sawtooth" else 0) + 3
    x = np.arange(1 << fine) / (1 << fine)
    sampled = float(np.max(np.abs(inst.evaluate(0, x) - fhat[np.arange(1 << fine) >> (fine - level)])))
    slope = head.amplitude * 2.0 ** (head.index + 1) if head.family == "sawtooth" else 0.0
    assert sampled <= exact + 1e-12
    assert exact <= sampled + slope * 2.0**-fine + 1e-12


@given(depth=st.integers(0, 8), seed=st.integers(0, 99), n=st.integers(1, 1023))
def test_walsh_fast_path_equals_generic_decoder(depth, seed, n):
    from dlcalc import head_tables
    from dlcalc.coding._payload import decode_flips
    from dlcalc.coding._sections import _walsh_table_from_section

    inst = Instance.build(depth, [Head("walsh", n)], seed=seed)
    box = read_container(encode(inst, 0.5, "separate"))
    (q,) = box.qclass.quants()
    basis = q.requirement.basis(depth)
    section = box.section(0) if basis else np.zeros(0, dtype=np.uint8)
    generic = head_tables([q], decode_flips(depth, basis, section))[0]
    if len(basis) == 1:
        assert _walsh_table_from_section(q, basis, section) == generic
    assert generic == head_tables([q], inst.feature)[0]
    assert decode(encode(inst, 0.5, "separate")).tables[0] == generic


small_head = st.one_of(
    st.builds(Head, st.just("walsh"), st.integers(1, 255), st.sampled_from([1.0, 0.5, 0.3])),
    st.builds(Head, st.just("sawtooth"), st.integers(0, 5), st.sampled_from([1.0, 0.5, 0.3])),
)


@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 2**32),
    heads=st.lists(small_head, min_size=1, max_size=3),
    eps=st.sampled_from([0.6, 0.2, 2**-3, 2**-5, 0.01]),
    coder=st.sampled_from(["joint", "separate"]),
)
@example(
    depth=10,
    seed=3,
    coder="joint",
    eps=2**-6,  # the image cache's strided levels at depth >= 9
    heads=[
        Head("walsh", 1023),
        Head("walsh", 300, 0.5),
        Head("sawtooth", 2),
        Head("sawtooth", 0, 0.5),
        Head("sawtooth", 7),
    ],
)
@example(
    depth=9,
    seed=4,
    coder="separate",
    eps=2**-5,
    heads=[Head("walsh", 257), Head("sawtooth", 3), Head("sawtooth", 6, 0.5)],
)
def test_decoded_functions_equal_the_definition(depth, seed, heads, eps, coder):
    """Decoded f̂ on every cell, bit for bit, against the per-cell evaluation of THEORY §2-§4 (tests/helpers.py)."""
    assume(all(approximant_level(h, eps) <= (13 if depth >= 9 else 9) for h in heads))
    inst = Instance.build(depth, heads, seed=seed)
    decoded = decode(encode(inst, eps, coder))
    for head, q, table in zip(heads, decoded.quants, decoded.tables, strict=False):
        level, values = approximant_values(q, table, depth)
        ref_level, codes = head_codes(inst.feature.flips, depth, head, eps)
        want = np.array([float(value_of_code(head, eps, c)) for c in codes.tolist()])
        common = max(level, ref_level)
        assert np.array_equal(np.repeat(values, 1 << (common - level)), np.repeat(want, 1 << (common - ref_level))), (
            head.spec
        )
