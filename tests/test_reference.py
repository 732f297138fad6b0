"""The reference evaluator that decides verification, against independent oracles (THEORY §2-§4, §8).

Oracles: the Haar series and the iterated tent map evaluated in floats (exact at the dyadic
points used), brute force over fine cells, the coders' own closed-form sup error (an
independent derivation), and quantization errors written out by hand.  Fault injection
breaks the coders' table builder so that encoder and decoder agree on a wrong function,
and checks that verification still fails.
"""

import json
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

import dlcalc.coding._sections as sections_module
import dlcalc.quantize._tables as head_tables_module
import dlcalc.quantize._tableset as tables_module
from dlcalc import (
    BudgetError,
    Feature,
    Head,
    Instance,
    QuantizedClass,
    decode,
    encode,
    family_heads,
    head_tables,
    parse_heads,
    quantize_heads,
    run_coder,
    sup_error,
    verify,
)
from dlcalc.cli import cli
from dlcalc.coding._pipeline import instance_reference
from dlcalc.quantize._tables import HeadTable, approximant_values
from dlcalc.reference._evaluate import feature_image, reference_point_values
from dlcalc.reference._reference import reference_truth

from .helpers import precision

# ----------------------------------------------------------------------------- direct definitions


def series_h(flips, depth: int, x: np.ndarray, level: int) -> np.ndarray:
    """h(x) = 1/2 - 1/4 Σ_j Σ_k σ_{j,k} 2^-j ψ(2^j x - k) at points x of the dyadic grid of ``level``.

    Terms ``j >= J = max(level, D)`` have σ = +1 and ψ = +1 (x has no digits there), and sum
    to ``2^(1-J)``; the rest are summed term by term.  Every partial sum is a dyadic of at
    most J + 2 bits, so the float result is exact for J <= 50.
    """
    big = max(level, depth)
    total = np.full(x.shape, 0.5 - 0.25 * 2.0 ** (1 - big))
    for j in range(big):
        k = np.floor(2.0**j * x).astype(np.int64)
        psi = np.where(2.0**j * x - k < 0.5, 1.0, -1.0)
        sigma = 1 - 2 * flips[(1 << j) - 1 + k].astype(np.int64) if j < depth else 1
        total -= 0.25 * sigma * 2.0**-j * psi
    return total


def digit(y: np.ndarray, i: int) -> np.ndarray:
    return np.floor(y * 2.0**i).astype(np.int64) & 1


def direct_g(head: Head, y: np.ndarray) -> np.ndarray:
    """Walsh parity of the digits in A(n), or 1 - 2 S_k with S_k the k-fold tent map."""
    if head.family == "walsh":
        parity = sum(digit(y, i) for i in range(1, head.index.bit_length() + 1) if head.index >> (i - 1) & 1)
        return 1.0 - 2.0 * (parity & 1)
    s = y.copy()
    for _ in range(head.index):
        s = 1.0 - np.abs(2.0 * s - 1.0)
    return 1.0 - 2.0 * s


def direct_fhat(head: Head, eps: float, y: np.ndarray) -> np.ndarray:
    """THEORY §4: a(1 - 2(Σ_{i<=p} 2^-i z_i + 2^-(p+1))) with z_i = y_{k+i} XOR y_k (y_i for k = 0)."""
    p = precision(head.amplitude, eps)
    if p is None:
        return np.zeros_like(y)
    if head.family == "walsh":
        return head.amplitude * direct_g(head, y)
    k = head.index
    yk = digit(y, k) if k else 0
    s = sum((digit(y, k + i) ^ yk) * 2.0**-i for i in range(1, p + 1))
    return head.amplitude * (1.0 - 2.0 * (s + 2.0 ** -(p + 1)))


heads_strategy = st.one_of(
    st.builds(Head, st.just("walsh"), st.integers(1, 100), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
    st.builds(Head, st.just("sawtooth"), st.integers(0, 6), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
)


# ----------------------------------------------------------------------------- the evaluator itself


@pytest.mark.parametrize("depth", [0, 1, 3, 6])
@pytest.mark.parametrize("seed", [0, 5])
def test_feature_image_is_the_series(depth, seed):
    flips = Feature.from_seed(depth, seed).flips
    for level in range(depth + 3):
        x = np.arange(1 << level) / (1 << level)
        y = series_h(flips, depth, x, level)
        image = feature_image(flips, depth, level)
        if level >= depth:  # a translation: left ends go to left ends
            assert np.array_equal(image, y * (1 << level))
        mid = series_h(flips, depth, (np.arange(1 << level) + 0.5) / (1 << level), level + 1)
        assert np.array_equal(image, np.floor(mid * (1 << level)))


@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 1000),
    head=heads_strategy,
    eps=st.sampled_from([2.0, 0.4, 0.1, 2**-5, 2**-8, 0.003]),
)
@example(depth=3, seed=1, head=Head("sawtooth", 2), eps=2**-4)
@example(depth=5, seed=2, head=Head("walsh", 19), eps=0.1)
def test_point_values_match_the_definitions(depth, seed, head, eps):
    """f = a g(h(x)) and the quantized f̂ of THEORY §4 at every point of a fine dyadic grid."""
    flips = Feature.from_seed(depth, seed).flips
    p = precision(head.amplitude, eps) or 0
    need = head.index.bit_length() if head.family == "walsh" else head.index + p
    level = max(depth, need) + 1
    f, fhat = reference_point_values(flips, depth, head, eps, level)
    x = np.arange(1 << level) / (1 << level)
    y = series_h(flips, depth, x, level)
    assert np.array_equal(f, head.amplitude * direct_g(head, y))
    mid = series_h(flips, depth, x + 0.5 / (1 << level), level + 1)  # f̂ is constant on the cell
    assert np.array_equal(fhat, direct_fhat(head, eps, mid))


def brute_force_error(flips, depth: int, q, table) -> float:
    """max over fine cells of |f - f̂| at the left end and at the left limit of the right end.

    On cells of level R >= max(D, k) (>= top(n)) f is affine and f̂ (from the coders'
    expansion of the table) constant, so the left limit at the right end is 2 f(mid) - f(left).
    """
    head = q.head
    level, fhat = approximant_values(q, table, depth, max_cells=1 << 22)
    fine = max(level, depth, head.index if head.family == "sawtooth" else head.index.bit_length())
    x = np.arange(1 << fine) / (1 << fine)
    left = head.amplitude * direct_g(head, series_h(flips, depth, x, fine))
    mid = head.amplitude * direct_g(head, series_h(flips, depth, x + 0.5 / (1 << fine), fine + 1))
    values = np.repeat(fhat, 1 << (fine - level)) if fine >= level else fhat
    return float(max(np.abs(left - values).max(), np.abs(2 * mid - left - values).max()))


def perturb(table: HeadTable, bound: int, noise_seed: int, share: float) -> HeadTable:
    rng = np.random.default_rng(noise_seed)
    values = table.values.copy()
    idx = rng.integers(0, values.size, size=max(1, int(values.size * share)))
    values[idx] = rng.integers(0, bound, size=idx.size).astype(values.dtype)
    return HeadTable(table.level, values)


def value_bound(q, depth: int) -> int:
    """The format's value range of a head's table (module docstring of dlcalc.quantize._quantize)."""
    if q.head.family == "walsh":
        return 2
    if not q.sweeping(depth):
        return 1 << q.precision
    return 1 << (q.table_level(depth) - q.head.index + (1 if q.head.index else 0))


@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 1000),
    head=heads_strategy,
    eps=st.sampled_from([0.4, 0.1, 2**-5, 2**-9, 0.003]),
    noise_seed=st.integers(0, 1000),
    share=st.sampled_from([0.0, 0.01, 0.3, 1.0]),
)
@example(depth=2, seed=3, head=Head("sawtooth", 1), eps=2**-5, noise_seed=1, share=0.3)
@example(depth=4, seed=3, head=Head("sawtooth", 0, 0.5), eps=2**-9, noise_seed=2, share=1.0)
@example(depth=6, seed=9, head=Head("sawtooth", 2), eps=0.1, noise_seed=4, share=0.3)
def test_sup_error_against_brute_force(depth, seed, head, eps, noise_seed, share):
    """Right (share 0) and perturbed tables: the exact reference error equals brute force."""
    inst = Instance.build(depth, [head], seed=seed)
    (q,) = quantize_heads([head], eps)
    (table,) = head_tables([q], inst.feature)
    truth = reference_truth(depth, inst.feature.flips, [head], eps)
    if q.zero:
        assert truth.check([table]) == ([True], [Fraction(head.amplitude)])
        return
    if share:
        table = perturb(table, value_bound(q, depth), noise_seed, share)
    (equal,), (error,) = truth.check([table])
    assert error == pytest.approx(brute_force_error(inst.feature.flips, depth, q, table), abs=1e-12)
    assert equal == (error == q.quantization_error and table == head_tables([q], inst.feature)[0])


@given(
    depth=st.integers(0, 7),
    seed=st.integers(0, 1000),
    head=heads_strategy,
    eps=st.sampled_from([0.4, 0.1, 2**-5, 2**-9, 2**-20, 0.003, 1e-30, 1e-300]),
    noise_seed=st.integers(0, 1000),
    share=st.sampled_from([0.0, 0.01, 0.3, 1.0]),
)
@example(depth=3, seed=4, head=Head("sawtooth", 1), eps=1e-300, noise_seed=3, share=0.3)
@example(depth=7, seed=4, head=Head("sawtooth", 0), eps=1e-30, noise_seed=5, share=1.0)
@example(depth=5, seed=0, head=Head("sawtooth", 3, 0.3), eps=2**-5, noise_seed=6, share=0.3)
def test_reference_agrees_with_the_closed_form(depth, seed, head, eps, noise_seed, share):
    """Two independent derivations of the exact sup error, on right and perturbed tables."""
    inst = Instance.build(depth, [head], seed=seed)
    (q,) = quantize_heads([head], eps)
    (right,) = head_tables([q], inst.feature)
    table = right if q.zero or not share else perturb(right, value_bound(q, depth), noise_seed, share)
    (equal,), (error,) = reference_truth(depth, inst.feature.flips, [head], eps).check([table])
    assert error == sup_error(q, table, right)
    assert equal == (table == right)


@pytest.mark.parametrize(
    "depth,spec,eps,expected",
    [
        (5, "sawtooth:0", 2**-3, Fraction(1, 8)),  # p = 3, code table on level 3
        (5, "sawtooth:2@0.75", 0.01, Fraction(3, 4) / 128),  # p = 7: 0.75/128 <= 0.01 < 0.75/64; sweeping
        (3, "sawtooth:1", 1e-300, Fraction(1, 2**997)),  # p = 997: 2^-997 <= 1e-300 < 2^-996
        (0, "sawtooth:4@2", 2**-6, Fraction(2, 2**7)),  # depth 0, level max(D, k) = 4
        (4, "walsh:5", 0.1, Fraction(0)),
        (4, "walsh:3@0.1", 0.1, Fraction(0.1)),  # ε >= a: f̂ = 0 errs by a
        (4, "sawtooth:1@0.25", 0.5, Fraction(1, 4)),
    ],
)
def test_right_tables_err_by_the_quantization_error(depth, spec, eps, expected):
    """The error of a right table is a 2^-p (0 for Walsh, a for zero heads), written out here."""
    heads = parse_heads(spec)
    inst = Instance.build(depth, heads, seed=7)
    result = run_coder(inst, eps, "joint")
    assert result.verification.errors == [expected]
    assert result.verification.tables_equal == [True]


def one_cell(table: HeadTable, cell: int, value: int) -> HeadTable:
    values = table.values.copy()
    values[cell] = value
    return HeadTable(table.level, values)


def test_one_wrong_code_errs_by_three_half_steps():
    """Code table (sawtooth:1, D = 6, ε = 0.1: p = 4 on level 5): Q ± 1 in one cell errs by 3 2^-p."""
    inst = Instance.build(6, [Head("sawtooth", 1)], seed=3)
    (table,) = head_tables(quantize_heads(inst.heads, 0.1), inst.feature)
    truth = reference_truth(6, inst.feature.flips, inst.heads, 0.1)
    assert table.level == 5 and truth.check([table]) == ([True], [Fraction(1, 16)])
    for cell, q in enumerate(table.values.tolist()):
        for wrong in (q - 1, q + 1):
            if 0 <= wrong < 16:
                assert truth.check([one_cell(table, cell, wrong)]) == ([False], [Fraction(3, 16)])
        assert truth.check([one_cell(table, cell, 16)]) == ([False], [float("inf")])  # not a 4-digit code


@pytest.mark.parametrize("seed", [0, 1])
def test_one_wrong_sweeping_state_errs_by_the_closed_form(seed):
    """Sweeping table (sawtooth:1, D = 3, ε = 2^-4: p = 4, m = 2): in one cell,
    |Δv| 2^(m+1) + 1 (same orientation) or |Δv| 2^(m+1) + 2^(m+1) - 1 (flipped), over 2^p."""
    inst = Instance.build(3, [Head("sawtooth", 1)], seed=seed)
    (table,) = head_tables(quantize_heads(inst.heads, 2**-4), inst.feature)
    truth = reference_truth(3, inst.feature.flips, inst.heads, 2**-4)
    assert table.level == 3 and truth.check([table]) == ([True], [Fraction(1, 16)])
    for cell, state in enumerate(table.values.tolist()):
        v, o = state >> 1, state & 1
        for dv in (-1, 0, 1):
            for flip in (0, 1):
                if (dv, flip) == (0, 0) or not 0 <= v + dv < 4:
                    continue
                expected = Fraction(abs(dv) * 8 + (7 if flip else 1), 16)
                assert truth.check([one_cell(table, cell, 2 * (v + dv) + (o ^ flip))]) == ([False], [expected])
        assert truth.check([one_cell(table, cell, 8)]) == ([False], [float("inf")])  # v = 4 has 3 digits


def test_one_wrong_position_without_orientation():
    """sawtooth:0 sweeping (D = 3, ε = 2^-5: p = 5, m = 2): v ± 1 in one cell errs by (2^(m+1) + 1) 2^-p."""
    inst = Instance.build(3, [Head("sawtooth", 0)], seed=5)
    (table,) = head_tables(quantize_heads(inst.heads, 2**-5), inst.feature)
    truth = reference_truth(3, inst.feature.flips, inst.heads, 2**-5)
    for cell, v in enumerate(table.values.tolist()):
        for wrong in (v - 1, v + 1):
            if 0 <= wrong < 8:
                assert truth.check([one_cell(table, cell, wrong)]) == ([False], [Fraction(9, 32)])


@given(
    cells=st.lists(st.tuples(st.integers(-40, 40), st.integers(-20, 20)), min_size=1, max_size=8),
    shift=st.sampled_from([0, 1, 2, 3, 5, 70]),
)
@example(cells=[(1, -3), (0, 3)], shift=70)
@example(cells=[(1, -1), (0, 1)], shift=3)
@example(cells=[(-2, 1), (2, -1), (0, 0)], shift=2)
def test_max_abs_is_exact(cells, shift):
    from dlcalc.reference._evaluate import _max_abs

    hi, lo = (np.array(col, dtype=np.int64) for col in zip(*cells, strict=False))
    assert _max_abs(hi, lo, shift) == max(abs(h * 2**shift + w) for h, w in cells)


def test_blocks_do_not_change_the_verdict(monkeypatch):
    """Evaluated a few cells at a time, perturbed tables still err by the closed form."""
    from dlcalc.reference import _reference as reference_module

    monkeypatch.setattr(reference_module, "_BLOCK_CELLS", 4)
    heads = parse_heads("walsh:1-40") + parse_heads("sawtooth:0-4@0.5")
    inst = Instance.build(5, heads, seed=8)
    for eps in (2**-4, 2**-9):
        quants = quantize_heads(heads, eps)
        right = head_tables(quants, inst.feature)
        tables = [perturb(t, value_bound(q, 5), i, 0.2) for i, (q, t) in enumerate(zip(quants, right, strict=False))]
        equal, errors = reference_truth(5, inst.feature.flips, heads, eps).check(tables)
        assert errors == [sup_error(q, got, want) for q, got, want in zip(quants, tables, right, strict=False)]
        assert equal == [got == want for got, want in zip(tables, right, strict=False)]
        assert not all(equal)


def test_unreadable_tables_fail():
    inst = Instance.build(4, parse_heads("walsh:5") + parse_heads("sawtooth:1") + parse_heads("walsh:3@0.1"), seed=2)
    quants = quantize_heads(inst.heads, 0.1)
    tables = head_tables(quants, inst.feature)
    truth = reference_truth(4, inst.feature.flips, inst.heads, 0.1)
    assert truth.check(tables)[0] == [True, True, True]
    walsh, saw, _ = tables
    broken = [
        HeadTable(walsh.level + 1, np.repeat(walsh.values, 2)),  # the right function on the wrong level
        HeadTable(saw.level, saw.values[:-1]),  # wrong shape
        HeadTable(0, np.zeros(1, dtype=np.uint8)),  # values for a zero head
    ]
    equal, errors = truth.check(broken)
    assert equal == [False, False, False] and errors == [float("inf")] * 3
    out_of_range = HeadTable(walsh.level, walsh.values + 2)
    assert truth.check([out_of_range, saw, tables[2]])[0] == [False, True, True]


@given(
    depth=st.integers(0, 12),
    heads=st.lists(heads_strategy, min_size=1, max_size=6),
    eps=st.sampled_from([2.0, 0.4, 0.1, 2**-5, 2**-9, 1e-300]),
)
def test_reference_needs_no_more_cells_than_the_coders(depth, heads, eps):
    """The budget the coders pass is the budget the reference needs: the same count, derived twice."""
    from dlcalc.quantize._tables import table_cells
    from dlcalc.reference._evaluate import reference_cells, reference_heads

    assert reference_cells(reference_heads(heads, depth, eps)) == table_cells(quantize_heads(heads, eps), depth)


def test_budget_is_refused_before_allocating():
    heads = [Head("walsh", 1 << 40)]  # a table of 2^41 cells
    with pytest.raises(BudgetError, match="verification needs"):
        reference_truth(2, Feature.from_seed(2, 0).flips, heads, 0.1, max_cells=1 << 26)
    with pytest.raises(BudgetError, match="verification needs 96 cells"):  # 2^5 image + 2 heads of 2^5
        reference_truth(5, Feature.from_seed(5, 0).flips, parse_heads("walsh:17-18"), 0.1, max_cells=95)


def test_reference_of_another_instance_is_refused():
    heads = parse_heads("walsh:1-7")
    a, b = Instance.build(4, heads, seed=1), Instance.build(4, heads, seed=2)
    decoded = decode(encode(a, 0.1, "joint"))
    with pytest.raises(ValueError, match="another instance"):
        verify(a, decoded, instance_reference(b, 0.1))
    with pytest.raises(ValueError, match="another instance"):
        verify(a, decoded, instance_reference(a, 0.2))
    assert verify(a, decoded, instance_reference(a, 0.1)).verified


# ----------------------------------------------------------------------------- fault injection
#
# Each fault breaks the coders' table builders (dlcalc.quantize._tableset: the packed Walsh rows, and the
# per-head sawtooth tables of dlcalc.quantize._quantize they call), which the joint decoder, the separate
# decoder and any mirror of the truth all go through.


def _walsh_parity_one_level_off(monkeypatch):
    original = tables_module.digit_planes
    monkeypatch.setattr(
        tables_module, "digit_planes", lambda cells, level: original(cells << 1, level)
    )  # digit l+1 for l


def _orientation_one_level_off(monkeypatch):
    def state(images, k, level):
        width = level - k
        if k == 0:
            return images, None
        o = (images >> (width + 1)) & 1  # y_{k-1} instead of y_k
        u = images & ((1 << width) - 1)
        return np.where(o == 0, u, ((1 << width) - 1) - u), o

    monkeypatch.setattr(head_tables_module, "_sawtooth_state", state)


def _wrapped_tables(monkeypatch, change):
    original = tables_module.true_tables

    def tables(qclass, feature):
        out = original(qclass, feature)
        for block in out.blocks:
            change(block)
        return out

    monkeypatch.setattr(tables_module, "true_tables", tables)
    monkeypatch.setattr(sections_module, "true_tables", tables)  # the coders build their tables here


def _flipped_digit(monkeypatch):
    def change(block):
        if block.rows is not None and block.rows.size:
            block.rows[:, 0] ^= 0x80  # the first cell's parity bit
        for table in block.tables or ():
            table.values[0] ^= 1  # the last digit of the first cell's entry

    _wrapped_tables(monkeypatch, change)


def _table_one_level_down(monkeypatch):
    def change(block):  # the right function, stored one level too fine
        if block.rows is not None:
            bits = np.unpackbits(block.rows, axis=1)[:, : 1 << block.level]
            block.rows = np.packbits(np.repeat(bits, 2, axis=1), axis=1)
        if block.tables is not None:
            block.tables = [HeadTable(t.level + 1, np.repeat(t.values, 2)) for t in block.tables]

    _wrapped_tables(monkeypatch, change)


FAULTS = {
    "walsh parity one level off": _walsh_parity_one_level_off,
    "sawtooth orientation one level off": _orientation_one_level_off,
    "flipped digit": _flipped_digit,
    "table on the wrong level": _table_one_level_down,
}


def fault_instance(depth: int) -> Instance:
    heads = family_heads("walsh-all", 1.0, 9) + parse_heads("sawtooth:0-3")
    return Instance.build(depth, heads, seed=depth)


@pytest.mark.parametrize("depth", [9, 12])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faulty_table_builder_fails_verification(monkeypatch, depth, fault):
    """Encoder and decoder agree on a wrong function; the reference still says no."""
    inst = fault_instance(depth)
    eps = 2**-12
    FAULTS[fault](monkeypatch)
    result = run_coder(inst, eps, "joint")
    quants = quantize_heads(inst.heads, eps)
    mirror = list(
        tables_module.true_tables(QuantizedClass(depth, inst.heads, eps), inst.feature)
    )  # the same faulty code
    assert list(result.decoded.tables) == mirror
    if fault != "table on the wrong level":
        assert max(
            sup_error(q, got, want) for q, got, want in zip(quants, result.decoded.tables, mirror, strict=False)
        ) <= Fraction(eps)
    v = result.verification
    assert not v.verified and not all(v.tables_equal)
    assert v.max_error > Fraction(eps)
    if fault == "table on the wrong level":  # no function of the format: no finite error
        assert v.tables_equal == [False] * len(inst.heads) and v.errors == [float("inf")] * len(inst.heads)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faulty_table_builder_exits_3(monkeypatch, tmp_path, fault):
    runner = CliRunner()
    inst_path, dlc_path = tmp_path / "inst.json", tmp_path / "inst.dlc"
    build = runner.invoke(
        cli,
        [
            "build",
            "--depth",
            "10",
            "--seed",
            "4",
            "--head",
            "walsh:1-511",
            "--head",
            "sawtooth:0-3",
            "-o",
            str(inst_path),
        ],
    )
    assert build.exit_code == 0, build.stderr
    FAULTS[fault](monkeypatch)
    enc = runner.invoke(
        cli, ["encode", str(inst_path), "--eps", "2^-12", "--coder", "joint", "-o", str(dlc_path), "--format", "json"]
    )
    assert enc.exit_code == 3, enc.stderr
    record = json.loads(enc.stdout)
    assert record["verified"] is False and "verification failed" in enc.stderr
    ver = runner.invoke(cli, ["verify", str(inst_path), str(dlc_path), "--format", "json"])
    assert ver.exit_code == 3, ver.stderr
    checked = json.loads(ver.stdout)
    assert checked["verified"] is False
    for out in (record, checked):
        if fault == "table on the wrong level":
            assert out["max_error"] is None and {h["error"] for h in out["heads"]} == {None}
        else:
            assert out["max_error"] > 2**-12
    monkeypatch.undo()  # the same file under the right table builder verifies
    assert runner.invoke(cli, ["verify", str(inst_path), str(dlc_path)]).exit_code == 0
