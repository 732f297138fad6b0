"""Payloads, decoders and verification (THEORY §5-§6) against exhaustive enumeration and oracles."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

from dlcalc import BudgetError, DlcalcError, Feature, Head, Instance, decode, encode, quantize_heads, run_coder, verify
from dlcalc.coding._container import read_container
from dlcalc.coding._payload import decode_flips, encode_payload, payload_layout
from dlcalc.coding._pipeline import coder_bounds

from .test_quantize_cases import oracle_table


def functional(flips, depth, vector, top):
    """``φ_b(c) = XOR_{l in b} s(level-(l-1) ancestor of c)`` for the nodes ``c`` of level ``top - 1`` (THEORY §4)."""
    out = []
    for c in range(1 << (top - 1)):
        bit = 0
        for lv in range(1, top + 1):
            if vector >> (lv - 1) & 1 and lv - 1 < depth:
                bit ^= int(flips[(1 << (lv - 1)) - 1 + (c >> (top - lv))])
        out.append(bit)
    return out


def test_payload_layout():
    assert payload_layout({}) == []
    assert payload_layout({1: 1, 3: 0b101, 4: 0b1010}) == [(1, 1, 0), (3, 0b101, 1), (4, 0b1010, 5)]


BASES = [{1: 1}, {2: 0b11}, {3: 0b101}, {2: 0b10, 3: 0b101}, {1: 1, 2: 2, 3: 4}, {3: 0b111}, {2: 0b11, 3: 0b110 ^ 0b11}]


def test_encode_payload_lists_the_functionals_every_sign_pattern():
    for depth in (2, 3):
        for bits in itertools.product((0, 1), repeat=(1 << depth) - 1):
            feature = Feature(depth, np.array(bits, dtype=np.uint8))
            for basis in BASES:
                if max(basis) > depth:
                    continue
                want = [b for t, v in sorted(basis.items()) for b in functional(bits, depth, v, t)]
                assert encode_payload(feature, basis).tolist() == want


def test_decode_flips_is_the_canonical_representative():
    """The one flip vector with zeros off the pivot levels that has the payload (found by enumeration)."""
    depth = 3
    features = [np.array(bits, dtype=np.uint8) for bits in itertools.product((0, 1), repeat=7)]
    for basis in BASES + [{}]:
        pivots = set(basis)
        canonical = [
            f
            for f in features
            if all(f[(1 << j) - 1 : (1 << (j + 1)) - 1].sum() == 0 for j in range(depth) if j + 1 not in pivots)
        ]
        by_payload = {
            tuple(b for t, v in sorted(basis.items()) for b in functional(f, depth, v, t)): f for f in canonical
        }
        assert len(by_payload) == len(canonical) == 2 ** sum(1 << (t - 1) for t in basis)
        for payload, flips in by_payload.items():
            got = decode_flips(depth, basis, np.array(payload, dtype=np.uint8))
            assert got.depth == depth and got.flips.tolist() == flips.tolist(), (basis, payload)


def test_decode_flips_refuses_bad_input():
    with pytest.raises(ValueError, match=r"^payload holds 2 bits, the basis needs 3$"):
        decode_flips(2, {1: 1, 2: 2}, np.zeros(2, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"^basis must be masked to the feature depth$"):
        decode_flips(2, {3: 4}, np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"^basis must be masked to the feature depth$"):
        encode_payload(Feature(2, [0, 0, 0]), {3: 4})
    assert encode_payload(Feature(2, [1, 1, 1]), {}).tolist() == []
    assert decode_flips(2, {}, np.zeros(0, dtype=np.uint8)).flips.tolist() == [0, 0, 0]


# ----------------------------------------------------------------------------- the codec


SPECS = ["walsh:1", "walsh:5", "walsh:6@0.5", "sawtooth:0", "sawtooth:1@0.5", "sawtooth:2", "walsh:3@0.1"]


@pytest.mark.parametrize("coder", ["joint", "separate"])
def test_decoded_tables_are_the_oracle_tables(coder):
    heads = [Head.parse(s) for s in SPECS]
    rng = np.random.default_rng(3)
    for depth in (0, 1, 2, 3, 5, 9):
        for eps in (0.3, 2.0**-3, 2.0**-7):
            flips = rng.integers(0, 2, size=(1 << depth) - 1)
            inst = Instance.build(depth, heads, flips=flips)
            decoded = decode(encode(inst, eps, coder))
            assert decoded.coder == coder
            for q, table in zip(decoded.quants, decoded.tables, strict=False):
                level, values = oracle_table(q, flips, depth)
                assert table.level == level
                assert (table.values is None) if values is None else table.values.tolist() == values.tolist()
            v = verify(inst, decoded)
            assert v.verified and all(v.tables_equal)
            assert v.errors == [q.quantization_error for q in decoded.quants]


def flip_one_bit(data: bytes, section: int, bit: int) -> bytes:
    """Flip one meaningful bit of a section in the file itself (sections end just before the CRC-32)."""
    import struct
    import zlib

    bits = read_container(data).section_bits.tolist()
    nbytes = [(b + 7) // 8 for b in bits]
    start = len(data) - 4 - sum(nbytes) + sum(nbytes[:section])
    body = bytearray(data[:-4])
    body[start + bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(body) + struct.pack(">I", zlib.crc32(bytes(body)))


@pytest.mark.parametrize("coder", ["joint", "separate"])
def test_every_payload_bit_matters_and_verify_sees_it(coder):
    """Flipping any one payload bit changes a decoded table (§5: distinct payloads, distinct tuples)."""
    heads = [Head.parse(s) for s in ["walsh:5", "walsh:2", "sawtooth:1", "sawtooth:0@0.5"]]
    inst = Instance.build(3, heads, seed=4)
    eps = 2.0**-2
    data = encode(inst, eps, coder)
    box = read_container(data)
    for s, size in enumerate(box.section_bits.tolist()):
        for bit in range(size):
            v = verify(inst, decode(flip_one_bit(data, s, bit)))
            assert not all(v.tables_equal) and not v.verified, (s, bit)
            assert v.max_error > Fraction(eps)


def test_coder_bounds_closed_forms():
    heads = [Head("walsh", 5), Head("sawtooth", 2), Head("sawtooth", 0, 0.5)]
    quants = quantize_heads(heads, 2.0**-3)  # p = 3 for sawtooth:2, p = 2 for sawtooth:0@0.5
    sep = coder_bounds(quants, None, "separate")
    # walsh:5 -> 2^(3-1); sawtooth:2 -> 2^2 (2^3 - 1) (lower: p - 1 = 2); sawtooth:0 -> 2^2 - 1 (lower 2^1 - 1)
    assert sep.head_upper_bits == (4, 28, 3) and sep.head_lower_bits == (4, 12, 1)
    assert (sep.upper_bound_bits, sep.lower_bound_bits) == (35, 17)
    joint = coder_bounds(quants, None, "joint")
    # joint upper: {1,3}, {2,3..5}, {1}, {2}: levels 1..5 all pivots -> 31; lower: {1,3}, {2,3}, {2,4}, {1} -> 1+2+4+8
    assert (joint.upper_bound_bits, joint.lower_bound_bits) == (31, 15)
    assert joint.head_upper_bits == () and joint.head_lower_bits == ()
    # at depth 3 the masks cut: upper {1,3}, {2,3}, {2}, {1}, {2} -> 1+2+4
    assert coder_bounds(quants, 3, "joint").upper_bound_bits == 7


def test_encode_budget_and_coder_name():
    inst = Instance.build(4, [Head("walsh", 15)], seed=0)  # 2^(4-1) = 8 payload bits
    assert len(read_container(encode(inst, 0.5, "joint", max_bits=8)).section(0)) == 8
    with pytest.raises(
        BudgetError,
        match=r"^the joint encoder needs 8 payload bits \(joint payload: 8\), over the budget of 7 "
        r"\(raise --max-bits, or use `dlcalc bounds`",
    ):
        encode(inst, 0.5, "joint", max_bits=7)
    with pytest.raises(BudgetError, match="needs 16 payload bits"):
        encode(Instance.build(4, [Head("walsh", 15), Head("walsh", 8)], seed=0), 0.5, "separate", max_bits=15)
    with pytest.raises(ValueError, match="coder must be one of"):
        encode(inst, 0.5, "both")


def test_verify_refuses_another_class():
    inst = Instance.build(3, [Head("walsh", 3)], seed=1)
    decoded = decode(encode(inst, 0.5, "joint"))
    other = Instance.build(4, [Head("walsh", 3), Head("walsh", 1)], seed=1)
    with pytest.raises(
        DlcalcError,
        match=r"^the \.dlc file encodes depth 3 with 1 head \(walsh:3\); "
        r"the instance has depth 4 with 2 heads \(walsh:3, walsh:1\)$",
    ):
        verify(other, decoded)
    with pytest.raises(DlcalcError, match="encodes depth 3"):
        verify(Instance.build(3, [Head("walsh", 2)], seed=1), decoded)


def test_run_coder_record():
    heads = [Head("walsh", 5), Head("sawtooth", 1, 0.5)]
    inst = Instance.build(3, heads, seed=2)
    joint = run_coder(inst, 2.0**-3, "joint")
    sep = run_coder(inst, 2.0**-3, "separate")
    # walsh:5 reads {1,3}; sawtooth:1@0.5 has p = 2: {1,2}, {1,3}; joint span {1,3}, {1,2}: levels 2, 3 -> 6
    assert (joint.payload_bits, joint.head_payload_bits) == (6, None)
    assert sep.head_payload_bits == [4, 2 * 3] and sep.payload_bits == 10
    assert joint.file_bits == 8 * len(joint.data) and joint.coder == "joint" and joint.eps == 2.0**-3
    assert joint.bounds.upper_bound_bits == 6 and joint.verification.verified
    with pytest.raises(BudgetError, match="need"):
        run_coder(inst, 2.0**-3, "joint", max_cells=15)
    with pytest.raises(
        BudgetError, match=r"^the joint coder needs 6 payload bits \(joint payload: 6\), over the budget of 5"
    ):
        run_coder(inst, 2.0**-3, "joint", max_bits=5)


def test_decode_refuses_the_depth_before_the_tables():
    inst = Instance.build(5, [Head("walsh", 1)], seed=0)
    data = encode(inst, 0.5, "joint")
    with pytest.raises(BudgetError) as info:
        decode(data, max_cells=16)
    assert str(info.value) == (
        "header depth 5 needs 2^5 cells, over the budget of 16 "
        "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
    )
    with pytest.raises(
        BudgetError, match=r"^decoding this \.dlc file needs 8 cells \(joint decoded tables: 6\), over the budget of 3"
    ):
        decode(encode(Instance.build(1, [Head("walsh", 1)], seed=0), 0.5, "joint"), max_cells=3)


def test_payload_dtype():
    assert encode_payload(Feature(2, [1, 1, 1]), {}).dtype == np.uint8
    assert encode_payload(Feature(2, [1, 1, 1]), {2: 3}).dtype == np.uint8


def test_decode_flips_reproduces_the_payload_of_any_triangular_basis():
    """THEORY §6: s'(c) = φ_b(c) XOR the other terms of b; with other pivots among them (a basis not reduced)."""
    depth = 3
    for basis in ({1: 1, 2: 0b11}, {1: 1, 2: 0b10, 3: 0b111}, {2: 0b11, 3: 0b110}, {1: 1, 3: 0b101}):
        n = sum(1 << (t - 1) for t in basis)
        for payload in itertools.product((0, 1), repeat=n):
            got = decode_flips(depth, basis, np.array(payload, dtype=np.uint8))
            want = [b for t, v in sorted(basis.items()) for b in functional(got.flips, depth, v, t)]
            assert want == list(payload), (basis, payload)


def test_reference_truth_is_weighed_before_it_is_built():
    from dlcalc.coding._pipeline import instance_reference

    inst = Instance.build(4, [Head("walsh", k) for k in range(1, 8)], seed=1)
    # the feature alone is 2^4 = 16 cells; the reference also evaluates every head on its cells
    for max_cells in (16, 40):
        with pytest.raises(
            BudgetError, match=r"^verification needs \d+ cells \(verification: \d+\), over the budget of "
        ):
            instance_reference(inst, 0.25, max_cells=max_cells)
    assert instance_reference(inst, 0.25, max_cells=100).matches(4, inst.feature.flips, inst.heads, 0.25)


@pytest.fixture
def tiny_default_budget(monkeypatch):
    """Defaults far below what the tests need: only a budget that is passed on lets the work through."""
    from dlcalc.core._budget import Budget

    monkeypatch.setattr(Budget.__init__, "__defaults__", (40, 8, 1 << 10))
    return Budget(1 << 20, 1 << 20, 1 << 30)


@pytest.mark.parametrize("coder", ["joint", "separate"])
def test_a_given_budget_reaches_every_step(tiny_default_budget, coder):
    from dlcalc.coding._pipeline import instance_reference

    inst = Instance.build(5, [Head("walsh", k) for k in range(1, 12)] + [Head("sawtooth", 1)], seed=2)
    big = tiny_default_budget
    result = run_coder(inst, 2.0**-4, coder, budget=big)
    assert result.verification.verified
    assert run_coder(
        inst, 2.0**-4, coder, budget=big, reference=instance_reference(inst, 2.0**-4, budget=big)
    ).verification.verified
    assert decode(result.data, budget=big).container.payload_bits == result.payload_bits
    assert verify(inst, decode(result.data, budget=big), budget=big).verified
    with pytest.raises(BudgetError, match=rf"^the {coder} coder needs "):
        run_coder(inst, 2.0**-4, coder)  # the defaults
    with pytest.raises(BudgetError, match=r"^verification needs "):
        instance_reference(inst, 2.0**-4)
    with pytest.raises(BudgetError, match=r"^decoding this \.dlc file needs "):
        decode(result.data)


def test_max_cells_and_max_bits_override_a_given_budget():
    from dlcalc.coding._pipeline import instance_reference
    from dlcalc.core._budget import Budget

    inst = Instance.build(5, [Head("walsh", k) for k in range(1, 12)], seed=2)
    roomy = Budget()
    with pytest.raises(BudgetError, match=r"^the joint coder needs \d+ cells .*over the budget of 40 "):
        run_coder(inst, 0.25, "joint", budget=roomy, max_cells=40)
    with pytest.raises(BudgetError, match=r"^the joint coder needs \d+ payload bits .*over the budget of 2 "):
        run_coder(inst, 0.25, "joint", budget=roomy, max_bits=2)
    with pytest.raises(BudgetError, match=r"^verification needs \d+ cells .*over the budget of 40 "):
        instance_reference(inst, 0.25, budget=roomy, max_cells=40)
    data = encode(inst, 0.25, "joint")
    with pytest.raises(BudgetError, match=r"^verification needs \d+ cells .*over the budget of 40 "):
        verify(inst, decode(data), max_cells=40)
    with pytest.raises(BudgetError, match=r"^verification needs \d+ cells .*over the budget of 40 "):
        verify(inst, decode(data), budget=Budget(max_cells=40))


def test_the_coder_weighs_verification_only_when_it_builds_the_reference():
    from dlcalc.coding._pipeline import instance_reference
    from dlcalc.core._budget import Budget

    inst = Instance.build(6, [Head("walsh", k) for k in range(1, 64)], seed=5)
    eps = 0.5
    # find the smallest cell budget the coder passes with a reference given, then check around it
    reference = instance_reference(inst, eps)
    fits = smallest_cell_budget(
        lambda cells: run_coder(inst, eps, "joint", budget=Budget(max_cells=cells), reference=reference)
    )
    with pytest.raises(
        BudgetError, match=r"^the joint coder needs "
    ):  # without a reference it must also pay for verification
        run_coder(inst, eps, "joint", budget=Budget(max_cells=fits))
    with pytest.raises(BudgetError, match=r"^the joint coder needs "):
        run_coder(inst, eps, "joint", budget=Budget(max_cells=fits - 1), reference=instance_reference(inst, eps))


def smallest_cell_budget(run, upper: int = 1 << 20) -> int:
    """The smallest ``max_cells`` at which ``run(max_cells)`` is not refused (bisection; ``upper`` must pass)."""

    def passes(cells: int) -> bool:
        try:
            run(cells)
        except BudgetError:
            return False
        return True

    lo, hi = 0, upper  # refused at lo, passes at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if passes(mid) else (mid, hi)
    return hi


def test_a_reference_of_another_instance_is_refused():
    from dlcalc.coding._pipeline import instance_reference

    inst = Instance.build(3, [Head("walsh", 3)], seed=1)
    other = Instance.build(3, [Head("walsh", 3)], seed=2)
    decoded = decode(encode(inst, 0.25, "joint"))
    with pytest.raises(ValueError, match=r"^the reference truth belongs to another instance or ε$"):
        verify(inst, decoded, instance_reference(other, 0.25))
    with pytest.raises(ValueError, match=r"^the reference truth belongs to another instance or ε$"):
        verify(inst, decoded, instance_reference(inst, 0.5))


@pytest.mark.parametrize("coder", ["joint", "separate"])
def test_the_encoder_weighs_encoding_alone(coder):
    """Encoding does not pay for the decoded tables: at the smallest budget it fits in, decoding is refused."""
    from dlcalc.core._budget import Budget

    inst = Instance.build(6, [Head("walsh", k) for k in range(1, 64)] + [Head("sawtooth", 2)], seed=4)
    hi = smallest_cell_budget(lambda cells: encode(inst, 2.0**-3, coder, budget=Budget(max_cells=cells)))
    data = encode(inst, 2.0**-3, coder, budget=Budget(max_cells=hi))
    with pytest.raises(BudgetError, match=r"^decoding this \.dlc file needs "):
        decode(data, budget=Budget(max_cells=hi))
