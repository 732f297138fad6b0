"""compare, bounds and the baselines (THEORY §5)."""

import json
import math

import pytest
from click.testing import CliRunner

from dlcalc import Instance, family_heads, run_coder
from dlcalc._baselines import available_compressors, baseline_sizes
from dlcalc._bounds import family_bounds, fit_slope, heads_bounds, walsh_all_levels
from dlcalc.cli import cli


def run(*args, code=0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0, 1.7])
def test_walsh_all_closed_forms(beta):
    for e in [0.9, 0.5, 0.3, 2**-5, 1e-3, 1e-20, 1e-300]:
        m = walsh_all_levels(beta, e)
        assert m == max(0, math.ceil(math.log2(1 / e) / beta)) or abs(math.log2(1 / e) / beta - round(math.log2(1 / e) / beta)) < 1e-9
        b = family_bounds("walsh-all", beta, e)
        assert b.joint_upper_bits == b.joint_lower_bits == 2**m - 1
        assert b.separate_upper_bits == b.separate_lower_bits == (4**m - 1) // 3


@pytest.mark.parametrize("family", ["walsh-all", "sawtooth-all"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 1.3])
def test_family_bounds_equal_head_bounds_and_instances(family, beta):
    depth = 6
    heads = family_heads(family, beta, depth)
    inst = Instance.build(depth, heads, seed=5)
    for e in [0.7, 0.2, 2**-4, 2**-7, 0.003]:
        fb = family_bounds(family, beta, e, depth)
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


def test_baselines_round_trip_and_sizes():
    inst = Instance.build(6, family_heads("walsh-all", 1.0, 6), seed=2)
    result = run_coder(inst, 2**-6, "joint")
    sizes = baseline_sizes(result.decoded.tables, [True] * len(inst.heads))
    assert set(sizes) == set(available_compressors())
    for name, s in sizes.items():
        assert s["joint_bits"] > 0 and s["separate_bits"] > 0


def test_bounds_cli_json_contract():
    out = json.loads(run("bounds", "--eps-sweep", "2^-1:2^-12", "--format", "json").stdout)
    assert out["schema_version"] == 1 and len(out["rows"]) == 12
    row = out["rows"][-1]
    assert row["joint_upper_bits"] == 2**12 - 1 and row["separate_upper_bits"] == (4**12 - 1) // 3
    assert set(row) == {"eps", "joint_lower_bits", "joint_upper_bits", "separate_lower_bits", "separate_upper_bits", "gain"}
    assert out["theory"] == {"gamma_joint": 1.0, "gamma_separate": 0.5, "slope_joint": 1.0, "slope_separate": 2.0}
    assert out["fit"]["joint_slope"] == pytest.approx(1, abs=0.1)


def test_bounds_tiny_eps_exact_integers():
    out = json.loads(run("bounds", "--eps", "1e-300", "--format", "json").stdout)
    m = walsh_all_levels(1.0, 1e-300)
    assert out["rows"][0]["joint_upper_bits"] == 2**m - 1  # an exact integer in the JSON


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
    assert len(lines) == 2 and all(json.loads(line)["schema_version"] == 1 for line in lines)
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
    assert "≈1.339e300" in table
    csv_out = run("bounds", "--eps", "1e-300", "--format", "csv").stdout.splitlines()[1]
    assert len(csv_out.split(",")[2]) == 301  # the exact 301-digit integer
