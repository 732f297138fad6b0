"""compare, bounds and the baselines (THEORY §5)."""

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from dlcalc import Instance, family_heads, parse_heads, run_coder
from dlcalc.cli import cli
from dlcalc.quantize._bounds import family_bounds, fit_slope, heads_bounds
from dlcalc.study._baselines import available_compressors, baseline_sizes

from .helpers import bounds_by_span


def run(*args, code=0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def m_closed_form(beta: Fraction, eps: float) -> int:
    """``M(ε) = ceil(log2(1/ε)/β)`` for ``ε < 1``, else 0 (THEORY §5), in exact rationals.

    ``M`` is the least integer with ``βM >= log2(1/ε)``, i.e. ``2^(-βM) <= ε``; with ``β = u/v``
    that is ``2^(-uM) <= ε^v``, a comparison of rationals.
    """
    if eps >= 1:
        return 0
    u, v = beta.numerator, beta.denominator
    bound = Fraction(eps) ** v
    m = 0
    while Fraction(1, 2 ** (u * m)) > bound:
        m += 1
    return m


def below(x: float) -> float:
    return math.nextafter(x, 0.0)


def above(x: float) -> float:
    return math.nextafter(x, math.inf)


# (β, ε, M) worked out by hand from M = ceil(log2(1/ε)/β): at ε = 2^-m exactly the heads of top
# t = m/β + 1 have a = 2^-m = ε and are zero, so M = ceil(m/β); the next float below 2^-m lets them
# in (M + 1 when m/β is an integer), the next float above changes nothing.
M_BY_HAND = [
    (1, 2.0**-5, 5),
    (1, below(2.0**-5), 6),
    (1, above(2.0**-5), 5),
    (2, 2.0**-6, 3),
    (2, below(2.0**-6), 4),
    (2, above(2.0**-6), 3),
    (2, 2.0**-5, 3),
    (2, below(2.0**-5), 3),
    (0.5, 2.0**-3, 6),
    (0.5, below(2.0**-3), 7),
    (0.5, above(2.0**-3), 6),
    (1.5, 2.0**-3, 2),
    (1.5, below(2.0**-3), 3),
    (1.5, above(2.0**-3), 2),
    (3, 2.0**-6, 2),
    (3, below(2.0**-6), 3),
    (3, 2.0**-7, 3),
    (1, 1.0, 0),
    (1, below(1.0), 1),
    (1, 2.0, 0),
    (2, 0.5, 1),
    (2, 0.25, 1),
    (2, below(0.25), 2),
    (1, 1e-300, 997),  # 2^-997 ≈ 7.5e-301 <= 1e-300 < 2^-996 ≈ 1.5e-300
]


@pytest.mark.parametrize("beta,eps,m", M_BY_HAND)
def test_walsh_all_closed_forms_at_boundaries(beta, eps, m):
    """L_joint = 2^M - 1 and L_sep = (4^M - 1)/3, lower = upper (THEORY §5), at ε on and next to powers of two."""
    assert m_closed_form(Fraction(beta), eps) == m
    b = family_bounds("walsh-all", float(beta), eps)
    assert b.joint_upper_bits == b.joint_lower_bits == 2**m - 1
    assert b.separate_upper_bits == b.separate_lower_bits == (4**m - 1) // 3
    for depth in (0, 3, 6):  # a finite depth caps the tops at D
        d = family_bounds("walsh-all", float(beta), eps, depth)
        mm = min(m, depth)
        assert (d.joint_upper_bits, d.separate_upper_bits) == (2**mm - 1, (4**mm - 1) // 3)


@pytest.mark.parametrize("beta", [Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(3)])
def test_walsh_all_closed_forms(beta):
    powers = [2.0**-m for m in range(0, 13)]
    for eps in [0.9, 0.3, 1e-3, 1e-20, 1e-300] + powers + [below(e) for e in powers] + [above(e) for e in powers]:
        m = m_closed_form(beta, eps)
        b = family_bounds("walsh-all", float(beta), eps)
        assert (b.joint_lower_bits, b.joint_upper_bits) == (2**m - 1, 2**m - 1), eps
        assert (b.separate_lower_bits, b.separate_upper_bits) == ((4**m - 1) // 3, (4**m - 1) // 3), eps


@pytest.mark.parametrize("family", ["walsh-all", "sawtooth-all"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 1.3])
def test_family_bounds_equal_head_bounds_and_instances(family, beta):
    """Formula bounds, the span of the listed requirement sets (tests/helpers.py) and the coders agree."""
    depth = 6
    heads = family_heads(family, beta, depth)
    inst = Instance.build(depth, heads, seed=5)
    for e in [0.7, 0.2, 2**-4, 2**-7, 0.003]:
        fb = family_bounds(family, beta, e, depth)
        assert fb.as_dict() == {**bounds_by_span(heads, e, depth), "eps": e, "gain": fb.gain}
        assert fb == heads_bounds(heads, e, depth)
        joint, sep = run_coder(inst, e, "joint"), run_coder(inst, e, "separate")
        assert (fb.joint_lower_bits, fb.joint_upper_bits) == (joint.bounds.lower_bound_bits, joint.payload_bits)
        assert (fb.separate_lower_bits, fb.separate_upper_bits) == (sep.bounds.lower_bound_bits, sep.payload_bits)


def test_sawtooth_all_unbounded_matches_listed_heads():
    for e in [0.3, 2**-6, 1e-4]:
        heads = [h for h in family_heads("sawtooth-all", 1.0, 40) if h.amplitude > e]
        assert family_bounds("sawtooth-all", 1.0, e) == heads_bounds(heads, e)


def test_fit_slope_recovers_exponents():
    eps = [2.0**-m for m in range(4, 40)]
    joint = [family_bounds("walsh-all", 1.0, e).joint_upper_bits for e in eps]
    sep = [family_bounds("walsh-all", 1.0, e).separate_upper_bits for e in eps]
    assert fit_slope(eps, joint) == pytest.approx(1.0, abs=0.01)
    assert fit_slope(eps, sep) == pytest.approx(2.0, abs=0.01)
    assert fit_slope([0.5], [3]) is None


def test_baselines_round_trip_and_sizes(monkeypatch):
    """Each baseline is the compressed size of the serialized tables, and a compressor that does not round-trip is
    refused."""
    import bz2
    import zlib

    from dlcalc.study import _baselines

    inst = Instance.build(6, family_heads("walsh-all", 1.0, 6), seed=2)
    tables = run_coder(inst, 2**-6, "joint").decoded.tables
    sizes = baseline_sizes(tables)
    assert set(sizes) == set(available_compressors())
    # walsh:n's parity table has 2^top(n) bits, packed into ceil(2^top/8) bytes; 2^(t-1) heads have top t:
    # 1·1 + 2·1 + 4·1 + 8·2 + 16·4 + 32·8 = 343 bytes
    blobs = [np.packbits(t.values).tobytes() for t in tables]
    assert sum(map(len, blobs)) == 343
    for name, compress in (("zlib", lambda b: zlib.compress(b, 9)), ("bz2", lambda b: bz2.compress(b, 9))):
        frame = 8 * len(compress(b""))  # the framing: what the compressor writes for nothing
        assert sizes[name] == {
            "raw_bits": 8 * 343,
            "joint_bits": 8 * len(compress(b"".join(blobs))),
            "separate_bits": sum(8 * len(compress(b)) for b in blobs),
            "framing_bits": frame,
            "joint_content_bits": 8 * len(compress(b"".join(blobs))) - frame,
            "separate_content_bits": sum(max(0, 8 * len(compress(b)) - frame) for b in blobs),
        }
    for s in sizes.values():
        assert s["raw_bits"] == 8 * 343 and 0 < s["joint_bits"] < s["separate_bits"]
    broken = dict(available_compressors())
    broken["zlib"] = (broken["zlib"][0], lambda b: zlib.decompress(b)[:-1])
    monkeypatch.setattr(_baselines, "available_compressors", lambda: broken)
    with pytest.raises(RuntimeError, match="zlib did not round-trip"):
        baseline_sizes(tables)


def test_bounds_cli_json_contract():
    out = json.loads(run("bounds", "--eps-sweep", "2^-1:2^-12", "--format", "json").stdout)
    assert out["schema_version"] == 3 and len(out["rows"]) == 12
    row = out["rows"][-1]
    assert row["joint_upper_bits"] == 2**12 - 1 and row["separate_upper_bits"] == (4**12 - 1) // 3
    assert set(row) == {
        "eps",
        "joint_lower_bits",
        "joint_upper_bits",
        "separate_lower_bits",
        "separate_upper_bits",
        "gain",
    }
    assert out["theory"] == {"gamma_joint": 1.0, "gamma_separate": 0.5, "slope_joint": 1.0, "slope_separate": 2.0}
    assert out["fit"]["joint_slope"] == pytest.approx(1, abs=0.1)


def test_bounds_tiny_eps_exact_integers():
    out = json.loads(run("bounds", "--eps", "1e-300", "--format", "json").stdout)
    row = out["rows"][0]  # M = 997 (M_BY_HAND): exact integers of 301 and 601 digits in the JSON
    assert row["joint_upper_bits"] == row["joint_lower_bits"] == 2**997 - 1
    assert row["separate_upper_bits"] == (4**997 - 1) // 3


def test_compare_rows_agree_with_encode():
    args = ["--family", "walsh-all", "--depth", "6", "--eps", "0.3,2^-4"]
    out = json.loads(run("compare", *args, "--format", "json").stdout)
    assert [r["eps"] for r in out["rows"]] == [0.3, 2**-4]
    for row in out["rows"]:
        enc = json.loads(run("encode", *args[:4], "--eps", str(row["eps"]), "--format", "json").stdout)
        for coder in ("joint", "separate"):
            for key in ("payload_bits", "lower_bound_bits", "upper_bound_bits", "max_error", "verified", "file_bits"):
                assert row[coder][key] == enc[coder][key]
        assert row["verified"] and row["gain"] == enc["gain"]
        assert set(row["baselines"]) == set(available_compressors())


def test_compare_ndjson_and_csv():
    args = ["compare", "--depth", "4", "--head", "walsh:1-15", "--head", "sawtooth:1", "--eps", "0.2,0.05"]
    lines = run(*args, "--format", "ndjson").stdout.splitlines()
    assert len(lines) == 2 and all(json.loads(line)["schema_version"] == 3 for line in lines)
    csv_lines = run(*args, "--format", "csv", "--no-baselines").stdout.splitlines()
    assert csv_lines[0].startswith("eps,joint.payload_bits") and len(csv_lines) == 3


def test_default_compare_beats_baselines_tenfold():
    out = json.loads(run("compare", "--format", "json").stdout)
    last = out["rows"][-1]
    assert last["eps"] == 2**-10 and last["joint"]["payload_bits"] == 1023
    assert last["separate"]["payload_bits"] == (4**10 - 1) // 3
    assert last["best_baseline"]["joint_bits"] >= 10 * last["joint"]["payload_bits"]


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "rates.png"
    run("bounds", "--eps-sweep", "2^-1:2^-8", "--plot", str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
    run("compare", "--depth", "4", "--eps", "0.3,0.1", "--plot", str(path), code=2)  # exists, no --force
    run("compare", "--depth", "4", "--eps", "0.3,0.1", "--plot", str(path), "--force")


def test_huge_counts_abbreviated_in_tables_only():
    table = run("bounds", "--eps", "1e-300").stdout
    assert "1.339e300" in table and "e+" not in table  # one style: 4 significant digits, 1.234e56
    csv_out = run("bounds", "--eps", "1e-300", "--format", "csv").stdout.splitlines()[1]
    assert len(csv_out.split(",")[2]) == 301  # the exact 301-digit integer


def test_bounds_of_a_head_list_without_a_depth():
    """``bounds --head ...`` with no --depth: unmasked level vectors (THEORY §5).

    walsh:1-7 + sawtooth:0-2 at ε = 2^-4, every amplitude 1, so p = 4 and q = 3 for the sawtooth heads:

    - walsh:1-7 need every nonempty subset of {1,2,3}; sawtooth:0 adds {1},{2},{3},{4};
      sawtooth:1 adds {1,j} for j = 2..5, hence {5}; sawtooth:2 adds {2,j} for j = 3..6, hence {6}.
      The span is all of levels 1..6: joint upper = 1+2+4+8+16+32 = 63.
    - joint lower (q = 3): {1,2,3} from walsh, {4} from {1,4}, {5} from {2,5}: levels 1..5, 31.
    - separate upper: walsh:n alone costs 2^(top(n)-1): 1 + 2·2 + 4·4 = 21; sawtooth:0: 2^4 - 1 = 15;
      sawtooth:1: 2·15 = 30; sawtooth:2: 4·15 = 60; total 126.  Separate lower: 21 + 7 + 14 + 28 = 70.
    - with --depth 5 the levels above 5 carry no freedom: {2,6} masks to {2}, so joint upper = 31,
      sawtooth:2 alone spans {2},{3},{4},{5} = 30, separate upper = 21 + 15 + 30 + 30 = 96.
    """
    args = ["bounds", "--head", "walsh:1-7", "--head", "sawtooth:0-2", "--eps", "2^-4", "--format", "json"]
    (row,) = json.loads(run(*args).stdout)["rows"]
    assert row == {
        "eps": 2**-4,
        "joint_lower_bits": 31,
        "joint_upper_bits": 63,
        "separate_lower_bits": 70,
        "separate_upper_bits": 126,
        "gain": 2.0,
    }
    heads = parse_heads("walsh:1-7") + parse_heads("sawtooth:0-2")
    assert {k: row[k] for k in bounds_by_span(heads, 2**-4, None)} == bounds_by_span(heads, 2**-4, None)
    (row,) = json.loads(run(*args, "--depth", "5").stdout)["rows"]
    assert (
        row["joint_lower_bits"],
        row["joint_upper_bits"],
        row["separate_lower_bits"],
        row["separate_upper_bits"],
    ) == (31, 31, 70, 96)


# Optimal exponents γ* (code length ~ ε^(-1/γ*), log-log slope 1/γ*).  walsh-all (THEORY §5):
# γ*_joint = β, γ*_sep = β/2.  sawtooth-all, by hand from the interval stars: at ε = 2^-m head k
# has p_k = m - βk and spans the levels [k, m + (1-β)k].  For β >= 1 these lie inside [0, m], so
# L_joint = 2^m - 1 and L_sep = Σ_k 2^k (2^(m-βk) - 1) <= m 2^m: slope 1 for both, γ* = 1.  For
# β < 1 the last head (k ≈ m/β) reaches level m/β, so both grow like 2^(m/β): γ* = β.  Both: min(β, 1).
THEORY_EXPONENTS = [
    ("walsh-all", "1", {"gamma_joint": 1.0, "gamma_separate": 0.5, "slope_joint": 1.0, "slope_separate": 2.0}),
    ("walsh-all", "2", {"gamma_joint": 2.0, "gamma_separate": 1.0, "slope_joint": 0.5, "slope_separate": 1.0}),
    ("walsh-all", "0.5", {"gamma_joint": 0.5, "gamma_separate": 0.25, "slope_joint": 2.0, "slope_separate": 4.0}),
    ("sawtooth-all", "1", {"gamma_joint": 1.0, "gamma_separate": 1.0, "slope_joint": 1.0, "slope_separate": 1.0}),
    ("sawtooth-all", "2", {"gamma_joint": 1.0, "gamma_separate": 1.0, "slope_joint": 1.0, "slope_separate": 1.0}),
    ("sawtooth-all", "0.5", {"gamma_joint": 0.5, "gamma_separate": 0.5, "slope_joint": 2.0, "slope_separate": 2.0}),
]


@pytest.mark.parametrize("family,beta,theory", THEORY_EXPONENTS)
def test_theory_exponents_and_fitted_slopes(family, beta, theory):
    out = json.loads(
        run("bounds", "--family", family, "--beta", beta, "--eps-sweep", "2^-10:2^-60", "--format", "json").stdout
    )
    assert out["theory"] == out["fit"]["theory"] == theory
    assert out["family"] == {"name": family, "beta": float(beta)}
    # the fitted slopes of the exact bounds approach the theory (sawtooth-all at β = 1 carries a log factor)
    assert out["fit"]["joint_slope"] == pytest.approx(theory["slope_joint"], rel=0.01)
    assert out["fit"]["separate_slope"] == pytest.approx(theory["slope_separate"], rel=0.06)


@pytest.mark.parametrize("beta, eps", [("0.5", "1e-300"), ("1", "5e-324"), ("0.25", "1e-200")])
def test_bounds_beyond_the_float_range(beta, eps, tmp_path):
    """Level costs are exact integers of any size, and so is what is derived from them: the gain past a
    float's range is the nearest integer, ε below 2^-1022 (1/ε overflows) still has its M, and the
    fit and the plot take logarithms of the integers themselves."""
    m = m_closed_form(Fraction(beta), float(eps))
    joint, sep = 2**m - 1, (4**m - 1) // 3  # walsh-all, THEORY §5
    out = json.loads(run("bounds", "--beta", beta, "--eps", f"1e-10,{eps}", "--format", "json").stdout)
    row = out["rows"][1]
    assert (row["joint_upper_bits"], row["separate_upper_bits"]) == (joint, sep)
    gain = round(Fraction(sep, joint))  # (4^m - 1) / (3 (2^m - 1)) = (2^m + 1) / 3
    assert m > 1024 and row["gain"] == gain
    assert out["fit"]["joint_slope"] == pytest.approx(
        (math.log2(joint) - math.log2(2 ** m_closed_form(Fraction(beta), 1e-10) - 1))
        / (-math.log2(float(eps)) - math.log2(1e10))
    )
    assert (
        f"e{len(str(gain)) - 1} │" in run("bounds", "--beta", beta, "--eps", eps).stdout
    )  # the table: 4 significant digits
    pytest.importorskip("matplotlib")
    path = tmp_path / "rates.png"
    run("bounds", "--beta", beta, "--eps-sweep", f"1e-1:{eps}:5", "--plot", str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"
