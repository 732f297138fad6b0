"""Packed, vectorized, group-by-group paths against the per-head paths they replace (THEORY §4-§6, §8).

Every oracle here works one head at a time: ``head_tables`` (one table per head
from the feature's image), ``encode_payload``/``decode_flips`` (one basis at a
time), ``level_cost`` of each head's vector, or plain loops.
"""

import time
import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import (
    Family,
    Head,
    HeadRun,
    HeadSet,
    Instance,
    QuantizedClass,
    coder_bounds,
    decode,
    encode,
    head_tables,
    level_cost,
    quantize_heads,
    reduce_basis,
    run_coder,
    true_tables,
)
from dlcalc.coding._container import write_container
from dlcalc.coding._payload import decode_flips, encode_payload
from dlcalc.coding._sections import decode_joint, decode_separate, joint_section, separate_sections
from dlcalc.quantize._groups import _walsh_range_cost, range_span
from dlcalc.quantize._tableset import spread_bits, subset_xor_rows

runs = st.one_of(
    st.builds(
        lambda lo, n, a: HeadRun("walsh", lo, lo + n, a),
        st.integers(1, 300),
        st.integers(0, 70),
        st.sampled_from([1.0, 0.5, 0.3, 2.0**-6]),
    ),
    st.builds(
        lambda lo, n, a: HeadRun("sawtooth", lo, lo + n, a),
        st.integers(0, 8),
        st.integers(0, 2),
        st.sampled_from([1.0, 0.5, 0.3]),
    ),
)
families = st.one_of(
    st.none(), st.tuples(st.sampled_from(["walsh-all", "sawtooth-all"]), st.sampled_from([0.5, 1.0, 2.0]))
)


def head_set(depth, family, run_list) -> HeadSet:
    fam = Family(family[0], family[1], depth) if family else None
    heads = HeadSet(fam, run_list)
    return heads if len(heads) else HeadSet(None, [HeadRun("walsh", 1, 1)])


@given(
    st.integers(1, 9), st.lists(st.integers(0, 255), min_size=9, max_size=9), st.integers(1, 500), st.integers(0, 40)
)
def test_subset_xor_rows_equal_a_plain_loop(width, plane_bytes, first, count):
    planes = np.array(plane_bytes, dtype=np.uint8)[:, None].repeat(3, axis=1)
    planes[:, 1] ^= 0x5A
    last = min(first + count, (1 << 9) - 1)
    first = min(first, last)
    rows = subset_xor_rows(planes, first, last)
    for i, n in enumerate(range(first, last + 1)):
        want = np.zeros(3, dtype=np.uint8)
        for lv in range(9):
            if n >> lv & 1:
                want ^= planes[lv]
        assert np.array_equal(rows[i], want)


@given(st.integers(1, 3), st.integers(0, 2**16))
def test_spread_bits_equal_repeat(nbytes, seed):
    rows = np.random.default_rng(seed).integers(0, 256, size=(3, nbytes), dtype=np.uint8)
    got = spread_bits(rows, 2 * nbytes)
    want = np.packbits(np.repeat(np.unpackbits(rows, axis=1), 2, axis=1), axis=1)
    assert np.array_equal(got, want)


@given(st.integers(1, 2000), st.integers(0, 300))
def test_range_span_spans_the_range(first, count):
    last = first + count
    assert reduce_basis(range_span(first, last)) == reduce_basis(range(first, last + 1))


@given(st.integers(1, 3000), st.integers(0, 300), st.one_of(st.none(), st.integers(0, 12)))
def test_walsh_range_cost_is_the_sum_of_head_costs(first, count, depth):
    last = first + count
    assert _walsh_range_cost(first, last, depth) == sum(level_cost([n], depth) for n in range(first, last + 1))


@given(
    depth=st.integers(0, 7),
    seed=st.integers(0, 999),
    family=families,
    run_list=st.lists(runs, max_size=4),
    eps=st.sampled_from([0.6, 0.2, 2**-4, 2**-7, 0.01]),
)
def test_group_paths_equal_per_head_paths(depth, seed, family, run_list, eps):
    """Tables, sections, decoders, bounds and section lengths: group by group = head by head."""
    heads = head_set(depth, family, run_list)
    inst = Instance.build(depth, heads, seed=seed)
    qclass = QuantizedClass(depth, heads, eps)
    quants = quantize_heads(list(heads), eps)
    assert qclass.quants() == quants
    per_head = head_tables(quants, inst.feature)
    truth = true_tables(qclass, inst.feature)
    assert list(truth) == per_head
    # bounds and each head's bits
    for coder in ("joint", "separate"):
        want = coder_bounds(quants, depth, coder)
        got = qclass.bounds(coder)
        assert (got.lower_bound_bits, got.upper_bound_bits) == (want.lower_bound_bits, want.upper_bound_bits)
    head_bits = [int(b) for q in qclass.groups for b in q.head_bits(depth)]
    assert head_bits == [q.requirement.level_cost(depth) for q in quants]
    # the separate sections: one per head with bits, each the per-head payload
    sections = separate_sections(qclass, inst.feature)
    bases = [q.requirement.basis(depth) for q in quants]
    want_sections = [encode_payload(inst.feature, b) for b in bases if b]
    assert sections.bits.tolist() == [w.size for w in want_sections]
    data = np.concatenate(sections.data) if sections.data else np.zeros(0, dtype=np.uint8)
    assert data.tobytes() == b"".join(np.packbits(w).tobytes() for w in want_sections)
    # the separate decoder: head t from its section, as decode_flips and head_tables do it one head at a time
    decoded = decode_separate(qclass, data, sections.bits)
    it = iter(want_sections)
    for q, b, table in zip(quants, bases, decoded, strict=False):
        rep = decode_flips(depth, b, next(it) if b else np.zeros(0, dtype=np.uint8))
        assert table == head_tables([q], rep)[0]
    # the joint decoder: the representative's tables equal the truth
    joint = joint_section(qclass, inst.feature)
    assert list(decode_joint(qclass, joint.data[0])) == per_head


def test_zero_families_are_counted_not_materialized():
    """A depth-30 walsh-all file at ε = 1/8: seven heads carry bits, 2^30 - 8 are counted; decoding holds kilobytes."""
    qclass = QuantizedClass(30, HeadSet(Family("walsh-all", 1.0, 30)), 2**-3)
    basis = qclass.joint_basis()
    assert sorted(basis) == [1, 2, 3] and qclass.zero_heads == 2**30 - 8
    flips = np.array([1, 0, 1, 1, 0, 0, 1], dtype=np.uint8)  # the first three levels of some feature
    shallow = Instance.build(3, [Head("walsh", 1)], flips=flips).feature
    data = write_container("joint", qclass, joint_section(qclass, shallow))
    tracemalloc.start()
    start = time.perf_counter()
    decoded = decode(data)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1 and peak < 1 << 20
    assert len(decoded.tables) == 2**30 - 1
    assert decoded.tables[6] == head_tables(quantize_heads([Head("walsh", 7, 0.25)], 2**-3), shallow)[0]
    assert decoded.tables[2**29].values is None  # a zero head: no table


def test_packed_walsh_level_at_depth_12_equals_per_head():
    """One full level of 2048 heads, packed and built by doubling, against 2048 per-head tables."""
    inst = Instance.build(12, HeadSet(Family("walsh-all", 1.0, 12)), seed=5)
    qclass = QuantizedClass(12, inst.heads, 2**-12)
    truth = true_tables(qclass, inst.feature)
    last = truth.blocks[-1]
    assert last.rows.shape == (2048, 512)
    per_head = head_tables(list(qclass.groups[-1].head_quants()), inst.feature)
    assert np.array_equal(last.rows, np.stack([np.packbits(t.values) for t in per_head]))
    data = encode(inst, 2**-12, "separate")
    assert np.array_equal(decode(data).tables.blocks[-1].rows, last.rows)
    payload = qclass.bounds("separate").upper_bound_bits
    assert payload < 8 * len(data) < payload + 64 * 4095 + 8 * 256  # the section table: 8 bytes per head


def test_encode_of_a_large_family_follows_the_heads_that_carry_bits():
    """walsh-all at depth 18, ε = 2^-3: 262,143 heads, of which 7 carry bits; the record lists 18 groups."""
    import json

    from click.testing import CliRunner

    from dlcalc.cli import cli

    inst = Instance.build(18, HeadSet(Family("walsh-all", 1.0, 18)), seed=3)
    _ = inst.feature  # drawn before the timing starts
    tracemalloc.start()
    start = time.perf_counter()
    for coder in ("joint", "separate"):
        result = run_coder(inst, 2**-3, coder)
        assert result.verification.verified and result.payload_bits == (7 if coder == "joint" else 1 + 2 * 2 + 4 * 4)
    elapsed, peak = time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2 and peak < 8 << 20
    out = CliRunner().invoke(cli, ["encode", "--depth", "18", "--eps", "2^-3", "--format", "json"]).stdout
    record = json.loads(out)
    assert len(out) < 20_000 and len(record["joint"]["heads"]) == 18
    assert record["separate"]["zero_heads"] == 2**18 - 8
    zero = record["separate"]["heads"][3]
    assert (zero["head"], zero["count"], zero["zero"], zero["error"]) == ("walsh:8-15@0.125", 8, True, 0.125)


small_runs = st.one_of(
    st.builds(
        lambda lo, n, a: HeadRun("walsh", lo, lo + n, a),
        st.integers(1, 40),
        st.integers(0, 9),
        st.sampled_from([1.0, 0.3, 2.0**-6]),
    ),
    st.builds(
        lambda lo, n, a: HeadRun("sawtooth", lo, lo + n, a),
        st.integers(0, 4),
        st.integers(0, 2),
        st.sampled_from([1.0, 0.3]),
    ),
)


@settings(max_examples=40)
@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 99),
    run_list=st.lists(small_runs, min_size=1, max_size=3),
    eps=st.sampled_from([0.6, 2**-3, 2**-6]),
    chunk=st.sampled_from([7, 64, 1 << 18]),
)
def test_streamed_exports_equal_the_approximant_values(depth, seed, run_list, eps, chunk):
    """CSV and npz, written chunk by chunk, hold exactly approximant_values of every head (zero groups once)."""
    import csv
    import io
    import json

    import dlcalc.coding._export as export_module
    from dlcalc.quantize._tables import approximant_values

    heads = HeadSet(None, run_list)
    inst = Instance.build(depth, heads, seed=seed)
    decoded = decode(encode(inst, eps, "separate"))
    old = export_module.EXPORT_CHUNK
    export_module.EXPORT_CHUNK = chunk
    try:
        text, archive = io.BytesIO(), io.BytesIO()
        export_module.write_csv_export(text, decoded)
        export_module.write_npz_export(archive, decoded)
    finally:
        export_module.EXPORT_CHUNK = old
    rows = list(csv.reader(io.StringIO(text.getvalue().decode())))
    assert rows[0] == ["head", "level", "cell", "value"]
    want_rows, want_arrays = [], {}
    for q, g in ((q, q.group) for q in decoded.qclass.groups):
        if q.zero:
            want_rows.append([g.spec, "0", "0", "0.0"])
            want_arrays[f"head{g.position}"] = np.zeros(1)
            continue
        for i, hq in enumerate(q.head_quants()):
            level, values = approximant_values(hq, decoded.tables[g.position + i], depth)
            want_rows += [[hq.head.spec, str(level), str(c), repr(v)] for c, v in enumerate(values.tolist())]
            want_arrays[f"head{g.position + i}"] = values
    assert rows[1:] == want_rows
    with np.load(io.BytesIO(archive.getvalue())) as z:
        meta = json.loads(str(z["meta"]))
        assert [h["array"] for h in meta["heads"]] == list(want_arrays)
        for name, values in want_arrays.items():
            assert np.array_equal(z[name], values)
