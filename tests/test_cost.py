"""The cost model (THEORY §8, docs/cost.md): exact figures from the class, up-front refusals naming the option."""

import time
import tracemalloc

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import (
    Budget,
    BudgetError,
    Family,
    Head,
    HeadRun,
    HeadSet,
    Instance,
    QuantizedClass,
    family_heads,
    true_tables,
)
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


# ----------------------------------------------------------------------------- training: compilation and rounding


def _training_figures(depth, heads, eps, archs=("joint",), shapes=("shallow", "deep"), **settings):
    from dlcalc.training import TrainConfig
    from dlcalc.training._steps import training_steps

    config = TrainConfig(**settings)
    heads = Instance.build(depth, heads, seed=0).heads
    return {s.name: s for s in training_steps(QuantizedClass(depth, heads, eps), list(archs), config, shapes)}


def test_training_weighs_one_compilation_per_program():
    from dlcalc.training._steps import COMPILER_BYTES, DEEP_PROGRAM_CELLS, PROGRAM_BYTES, PROGRAM_CELLS

    heads = [Head("walsh", 1)]
    short = {"steps": 1, "restarts": 1}
    # the ladder up to 64 compiles five width buckets (4, 8, 16, 32, 64) for the shallow networks
    step = _training_figures(1, heads, 0.25, shapes=("shallow",), **short)["compilation"]
    assert step.cells == 5 * PROGRAM_CELLS and step.held_bytes == COMPILER_BYTES + 5 * PROGRAM_BYTES
    # a narrower ladder, fewer buckets: 4 and 8
    assert _training_figures(1, heads, 0.25, shapes=("shallow",), max_width=8, **short)["compilation"].cells == (
        2 * PROGRAM_CELLS
    )
    # the deep layers at deep_widths = 2 widths: trained together or the curriculum's trunk, the head layers
    both = _training_figures(1, heads, 0.25, **short)["compilation"].cells
    assert both == 5 * PROGRAM_CELLS + 2 * 2 * DEEP_PROGRAM_CELLS
    plain = _training_figures(1, heads, 0.25, curriculum=False, select="network", **short)["compilation"].cells
    assert plain == 5 * PROGRAM_CELLS + 2 * DEEP_PROGRAM_CELLS
    # each architecture compiles its own programs; some separate networks may have a curriculum, others not
    two = _training_figures(1, heads, 0.25, archs=("joint", "separate"), **short)["compilation"].cells
    assert two == both + 5 * PROGRAM_CELLS + 2 * 3 * DEEP_PROGRAM_CELLS
    # neither the steps nor the restarts change what is compiled
    assert _training_figures(1, heads, 0.25, steps=600, restarts=4)["compilation"].cells == both


def test_training_weighs_rounding_every_output_and_restart():
    from dlcalc.training._steps import ATTEMPT_CELLS, CERTIFY_CELLS

    # walsh:1 at depth 1, ε = 1/4, width 1 only, shallow: a grid of 4 points, one output; 25 first-layer steps
    # scanned and 5 bisection steps of the output layer, 6 of them certified; the two best restarts of 3
    # per attempt and point: the fit's (1 + 1)(1 + 1 + 1) + 2 products (8 a cell: 1), 3 steps on both grids;
    # the certificate: CERTIFY_CELLS + 1 for the output, and its 2 pieces
    step = _training_figures(1, [Head("walsh", 1)], 0.25, shapes=("shallow",), max_width=1, restarts=3)
    point = 30 * (1 + 3) * 4
    fixed = 30 * ATTEMPT_CELLS + 6 * (CERTIFY_CELLS + 1)
    assert step["rounding and certification"].cells == 2 * (point + fixed) + 2 * 6 * 2
    one = _training_figures(1, [Head("walsh", 1)], 0.25, shapes=("shallow",), max_width=1, restarts=1)
    assert one["rounding and certification"].cells == point + fixed + 6 * 2
    # every output is certified: 255 heads at depth 8 weigh far more than one
    many = _training_figures(8, family_heads("walsh-all", 1.0, 8), 2**-8, steps=1, restarts=1)
    few = _training_figures(8, [Head("walsh", 255)], 2**-8, steps=1, restarts=1)
    assert many["rounding and certification"].cells > 30 * few["rounding and certification"].cells > 0


def test_a_short_search_weighs_its_compilation_and_rounding():
    # the case: `train --depth 8 --eps 2^-8 --arch joint --steps 1 --restarts 1` ran for 45 s (8 s of it
    # compiling, 36 s rounding) while the search alone weighed 9e7 cells (0.45 s at 5 ns a cell)
    figures = _training_figures(8, family_heads("walsh-all", 1.0, 8), 2**-8, steps=1, restarts=1)
    search = figures["training search"].cells
    assert search < 1e8
    assert figures["compilation"].cells > 20 * search and figures["rounding and certification"].cells > 20 * search
    total = sum(s.cells for s in figures.values())
    assert 10 / 5e-9 < total < Budget().max_cells  # 10 s or more at 5 ns a cell, still within the default budget


def test_a_training_sweep_compiles_each_program_once():
    from dlcalc.training import TrainConfig
    from dlcalc.training._steps import training_steps

    heads = Instance.build(2, [Head("walsh", 1), Head("walsh", 3, 0.5)], seed=0).heads
    compiled: set = set()

    def compilation(eps):
        steps = training_steps(QuantizedClass(2, heads, eps), ["joint"], TrainConfig(), ("shallow",), compiled)
        return {s.name: s for s in steps}["compilation"].cells

    first = compilation(0.25)
    assert first > 0
    assert compilation(0.3) == 0  # the same grid and outputs: the same programs
    assert compilation(0.5) == first  # walsh:3 is 0 at ε = 1/2: a coarser grid, one output, programs of their own


def test_max_bits_bounds_the_payload_decode_and_verify_read(tmp_path):
    """``--max-bits`` bounds the payload bits "encoded or decoded, in total" (README): a file's payload
    read by ``decode`` or ``verify`` counts, summed over a stream; ``decode`` once ignored it."""
    stem = tmp_path / "x"
    runner = CliRunner()
    built = runner.invoke(cli, ["encode", "--depth", "6", "--eps", "2^-6", "-o", str(stem)])
    assert built.exit_code == 0, built.stderr
    joint, separate = tmp_path / "x.joint.dlc", tmp_path / "x.separate.dlc"  # payloads of 63 and 1365 bits
    for path, bits in ((joint, 63), (separate, 1365)):
        over = runner.invoke(cli, ["decode", str(path), "--max-bits", str(bits - 1), "--format", "json"])
        assert over.exit_code == 2 and f"needs {bits} payload bits" in over.stderr, over.stderr
        assert runner.invoke(cli, ["decode", str(path), "--max-bits", str(bits), "--format", "json"]).exit_code == 0
    stream = tmp_path / "both.dlc"
    stream.write_bytes(joint.read_bytes() + separate.read_bytes())
    over = runner.invoke(cli, ["decode", str(stream), "--max-bits", "1427", "--format", "json"])
    assert over.exit_code == 2 and "needs 1428 payload bits" in over.stderr, over.stderr
    instance = tmp_path / "i.json"
    assert runner.invoke(cli, ["build", "--depth", "6", "-o", str(instance)]).exit_code == 0
    over = runner.invoke(cli, ["verify", str(instance), str(separate), "--max-bits", "1364"])
    assert over.exit_code == 2 and "needs 1365 payload bits" in over.stderr, over.stderr
    assert runner.invoke(cli, ["verify", str(instance), str(separate), "--max-bits", "1365"]).exit_code == 0
