"""The cost model (THEORY §8, docs/cost.md): exact figures from the class, up-front refusals naming the option."""

import time
import tracemalloc

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import Budget, BudgetError, Family, HeadRun, HeadSet, Instance, QuantizedClass, true_tables
from dlcalc.cli import cli
from dlcalc.coding import reference_of, run_class
from dlcalc.core._budget import SATURATION_LEVEL, pow2, readable, scaled
from dlcalc.cost._coding import feature_step, pipeline_phase, tables_step
from dlcalc.cost._cost import Cost
from dlcalc.cost._networks import network_steps


def run(*args, code=0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_figures_saturate_without_building_huge_integers():
    assert pow2(10) == 1024 and scaled(3, 4) == 48
    assert pow2(10**12).bit_length() == SATURATION_LEVEL + 1  # never 2^(10^12)
    assert readable(scaled(5, 10**9)) == f"more than 2^{SATURATION_LEVEL}"
    heads = HeadSet(None, [HeadRun("walsh", 1 << 100_000, 1 << 100_000), HeadRun("sawtooth", 10**9, 10**9 + 5)])
    start = time.perf_counter()
    step = tables_step(QuantizedClass(8, heads, 0.1))
    assert time.perf_counter() - start < 0.5
    with pytest.raises(BudgetError, match=r"more than 2\^4096 cells .*--max-cells"):
        Cost([], [[step]]).check(Budget(), "this")


def test_messages_are_one_readable_line():
    qclass = QuantizedClass(16, HeadSet(Family("walsh-all", 1.0, 16)), 2**-16)
    cost = Cost([feature_step(16)], [pipeline_phase(qclass, ["joint", "separate"], truth=True)])
    with pytest.raises(BudgetError) as info:
        cost.check(Budget(max_cells=1 << 20), "encode")
    message = str(info.value)
    assert "\n" not in message and "--max-cells" in message and "≈" in message and len(message) < 250
    with pytest.raises(BudgetError, match=r"needs 2\^32 payload bits|--max-bits"):
        cost.check(Budget(max_bits=1000), "encode")
    with pytest.raises(BudgetError, match="GiB of memory .*--max-memory"):
        cost.check(Budget(max_memory=1 << 20), "encode")


def test_a_sweep_totals_its_rows():
    phases = [
        pipeline_phase(QuantizedClass(10, HeadSet(Family("walsh-all", 1.0, 10)), 2.0**-m), ["joint"]) for m in (4, 8)
    ]
    cost = Cost([], phases)
    assert cost.cells == Cost([], phases[:1]).cells + Cost([], phases[1:]).cells
    assert cost.memory_bytes == max(Cost([], [p]).memory_bytes for p in phases)


@settings(max_examples=30)
@given(
    depth=st.integers(0, 9),
    family=st.sampled_from([None, "walsh-all", "sawtooth-all"]),
    extra=st.lists(
        st.tuples(st.sampled_from(["walsh", "sawtooth"]), st.integers(0, 600), st.integers(0, 20)), max_size=3
    ),
    eps=st.sampled_from([0.3, 2**-5, 2**-9]),
)
def test_table_cells_are_an_upper_bound(depth, family, extra, eps):
    runs = [HeadRun(f, max(i, 1 if f == "walsh" else 0), max(i, 1 if f == "walsh" else 0) + n) for f, i, n in extra]
    heads = HeadSet(Family(family, 1.0, depth) if family else None, runs)
    if not len(heads):
        return
    qclass = QuantizedClass(depth, heads, eps)
    step = tables_step(qclass)
    if step.cells > 1 << 24:
        return
    tables = true_tables(qclass, Instance.build(depth, heads, seed=1).feature)
    assert tables.cells <= step.cells


@pytest.mark.parametrize(
    "heads,depth,eps",
    [
        (HeadSet(Family("walsh-all", 1.0, 12)), 12, 2**-12),
        (HeadSet(Family("sawtooth-all", 1.0, 12)), 12, 2**-14),
        (
            HeadSet(None, [HeadRun("walsh", 1, 255), HeadRun("sawtooth", 0, 3, 0.5), HeadRun("walsh", 5000, 5001)]),
            10,
            2**-9,
        ),
    ],
)
def test_memory_estimate_bounds_the_traced_peak(heads, depth, eps):
    inst = Instance.build(depth, heads, seed=2)
    qclass = QuantizedClass(depth, heads, eps)
    for coder in ("joint", "separate"):
        estimate = Cost([feature_step(depth)], [pipeline_phase(qclass, [coder])]).memory_bytes
        tracemalloc.start()
        run_class(inst, qclass, coder, reference_of(inst, qclass), Budget())  # the plan's worker: the class given
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= estimate, (coder, peak, estimate)


@pytest.mark.parametrize(
    "args,option",
    [
        (["encode", "--depth", "12", "--eps", "2^-12", "--max-cells", "100000"], "--max-cells"),
        (["encode", "--depth", "12", "--eps", "2^-12", "--max-bits", "100000"], "--max-bits"),
        (["encode", "--depth", "12", "--eps", "2^-12", "--max-memory", "1MiB"], "--max-memory"),
        (["compare", "--depth", "12", "--eps-sweep", "2^-1:2^-12", "--max-cells", "1e6"], None),
        (
            ["compare", "--depth", "12", "--eps-sweep", "2^-1:2^-12", "--no-baselines", "--max-cells", "10000000"],
            "--max-cells",
        ),
        (["network", "--depth", "1", "--head", "sawtooth:5", "--eps", "2^-20"], "--max-memory"),
        (["network", "--depth", "16", "--eps", "2^-16"], "--max-cells"),
    ],
)
def test_cli_refuses_up_front_naming_the_option(args, option):
    start = time.perf_counter()
    result = run(*args, code=2)
    assert time.perf_counter() - start < 5
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error:")
    if option:
        assert option in result.stderr


def test_decode_refuses_a_small_file_that_claims_huge_work(tmp_path):
    path = tmp_path / "s.dlc"
    run("encode", "--depth", "2", "--head", "sawtooth:0", "--eps", "2^-30", "--coder", "joint", "-o", str(path))
    assert path.stat().st_size < 120
    result = run("decode", str(path), "-o", str(tmp_path / "t.csv"), "--max-cells", "1e6", code=2)
    assert "export" in result.stderr and "--max-cells" in result.stderr
    assert not (tmp_path / "t.csv").exists()


def test_network_cost_bounds_the_walsh_all_network():
    qclass = QuantizedClass(8, HeadSet(Family("walsh-all", 1.0, 8)), 2**-8)
    steps = network_steps(qclass, ["joint", "separate"])
    inst = Instance.build(8, qclass.heads, seed=0)
    from dlcalc import quantize_heads
    from dlcalc.networks._construction import joint_network

    net = joint_network(quantize_heads(list(inst.heads), 2**-8), inst.feature)
    cells = sum(v.size for _, v in net.evaluate())
    assert cells <= sum(s.cells for s in steps)
