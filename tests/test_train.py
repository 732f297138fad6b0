"""``dlcalc train``: trained networks, their certificate, their bits and their exports (THEORY §7).

One training run (module fixture) serves the command-line checks; its ONNX
export is evaluated in onnxruntime on a fine grid against the heads themselves.
"""

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from dlcalc import Budget, Head, Instance
from dlcalc.cli import cli
from dlcalc.core import readable_bytes

pytest.importorskip("jax")
pytest.importorskip("optax")
pytest.importorskip("constriction")

ARCH_FIELDS = {
    "reached",
    "max_error",
    "nonzero_weights",
    "file_bits",
    "stream_bits",
    "width",
    "layers",
    "steps",
    "seconds",
    "payload_bits",
    "lower_bound_bits",
    "constructed",
    "decoded_equal",
    "compile_seconds",
    "train_seconds",
    "zero_heads",
    "trained_max_error",
    "trunk_digits",
    "file_bits_to_payload",
    "stream_bits_to_payload",
    "file_bits_to_constructed",
    "stream_bits_to_constructed",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("train") / "joint.onnx"
    result = CliRunner().invoke(
        cli, ["train", "--depth", "3", "--eps", "2^-2", "--arch", "both", "--format", "json", "--export", str(path)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), path


def test_both_architectures_are_reported(trained):
    doc, _ = trained
    assert doc["eps"] == 0.25 and doc["instance"]["depth"] == 3
    assert {"select": "per-head", "curriculum": True, "prune": True}.items() <= doc["config"].items()
    for arch in ("joint", "separate"):
        record = doc[arch]
        assert ARCH_FIELDS <= set(record)
        assert record["reached"] is True and record["max_error"] <= 0.25
        assert record["decoded_equal"] is True and record["stream_bits"] > 0 and record["file_bits"] > 0
        assert record["layers"] >= 2 and "network_bits" not in record and "depth" not in record
        assert set(record["constructed"]) == {"file_bits", "stream_bits", "nonzero_weights"}
        assert (
            record["compile_seconds"] + record["train_seconds"] <= record["seconds"]
            and record["width"] >= 1
            and record["steps"] > 0
        )
    # walsh-all at depth 3, ε = 1/4: walsh:1 and the two level-2 heads matter;
    # the joint coder pays 3 bits, the separate 5
    assert doc["joint"]["payload_bits"] == 3 and doc["separate"]["payload_bits"] == 5
    heads = doc["separate"]["heads"]
    assert [h["head"] for h in heads][:3] == ["walsh:1", "walsh:2@0.5", "walsh:3@0.5"]
    assert all(
        h["stream_bits"] == 0 and h["file_bits"] == 0 and h["max_error"] == 0.25 and h["zero"] for h in heads[3:]
    )  # no stream
    assert sum(h["stream_bits"] for h in heads) == doc["separate"]["stream_bits"]
    # the max error 0.25 = ε is that of the four heads fixed at 0; the trained heads are exact
    assert doc["joint"]["zero_heads"] == 4 and doc["joint"]["trained_max_error"] == 0
    assert sum(h["file_bits"] for h in heads) == doc["separate"]["file_bits"] > 0


def test_onnx_export_stays_within_the_reported_error(trained):
    ort = pytest.importorskip("onnxruntime")
    doc, path = trained
    inst = Instance.from_dict(doc["instance"])
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    level = 12
    x = np.concatenate([np.arange(1 << level), np.arange(1 << level) + 0.5]) / (1 << level)
    got = session.run(None, {"x": x[:, None]})[0]
    errors = [np.max(np.abs(got[:, t] - inst.evaluate(t, x))) for t in range(len(inst.heads))]
    assert max(errors) <= doc["joint"]["max_error"]
    assert max(errors) == doc["joint"]["max_error"]  # the sup of this piecewise constant error is attained on the grid


def test_json_export_streams_decode(tmp_path):
    from dlcalc.cli._exports import write_json
    from dlcalc.cli._files import DEFAULT_MAX_OUTPUT
    from dlcalc.study import plan_training, trained_document
    from dlcalc.training import TrainConfig
    from dlcalc.training._certify import StepLayer, StepNetwork
    from dlcalc.training._config import ArchResult, TrainedNetwork
    from dlcalc.training._entropy import decode_network
    from dlcalc.training._rounding import RoundedNetwork

    inst = Instance.build(1, [Head("walsh", 1)], seed=0)
    net = StepNetwork([StepLayer([[2]], [-1], 1), StepLayer([[-2]], [1], 0)])
    kept = TrainedNetwork("shallow", 1, RoundedNetwork(net, [Fraction(0)], [1, 0]), 50, True, 0.0)
    path = tmp_path / "nets.json"
    plan = plan_training(inst, 0.5, ["joint"], ["shallow"], TrainConfig(), Budget())
    doc = trained_document({"joint": ArchResult("joint", 0.5, [kept], ["joint"], 10, 0.1)}, plan)
    write_json(str(path), doc, False, DEFAULT_MAX_OUTPUT)  # as the command writes it
    doc = json.loads(path.read_text())
    (entry,) = doc["networks"]["joint"]
    words = np.frombuffer(bytes.fromhex(entry["stream_hex"]), dtype="<u4")
    assert decode_network(words) == net
    assert entry["layers"][0] == {"activation": "heaviside", "exponent": 1, "weights": [[2]], "biases": [-1]}


def test_without_the_extra_one_line_and_the_install_hint(monkeypatch):
    from dlcalc import training

    def missing():
        raise training.TrainingUnavailable("no jax", name="jax")

    monkeypatch.setattr(training, "require_training", missing)
    result = CliRunner().invoke(cli, ["train", "--depth", "2", "--eps", "0.5"])
    assert result.exit_code == 2
    assert "pip install -e '.[train]'" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_compare_puts_trained_bits_beside_the_coders(trained, tmp_path):
    doc, _ = trained
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            "--depth",
            "3",
            "--eps",
            "2^-2",
            "--trained",
            "--no-baselines",
            "--format",
            "json",
            "--plot",
            str(tmp_path / "rates.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["rows"]
    for arch in ("joint", "separate"):
        assert row["trained"][arch]["reached"] is True
        assert (
            row["trained"][arch]["file_bits"] == doc[arch]["file_bits"]
            and row["trained"][arch]["stream_bits"] == doc[arch]["stream_bits"]
        )  # same settings, same seed: same networks
    assert (tmp_path / "rates.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("export", ["joint.json", "joint.onnx", "-"])
def test_an_export_over_max_output_is_not_written(trained, tmp_path, export):
    """The fixture's settings: its compiled programs are reused, so this trains in a fraction of a second."""
    if export.endswith(".onnx"):
        pytest.importorskip("onnxruntime")
    out = export if export == "-" else str(tmp_path / export)
    args = ["train", "--depth", "3", "--eps", "2^-2", "--arch", "joint", "--export", out]
    result = CliRunner().invoke(cli, [*args, "--max-output", "100"])
    where = "stdout" if export == "-" else out
    assert result.exit_code == 2 and result.stdout == "" and list(tmp_path.iterdir()) == []
    assert result.stderr.startswith(f"Error: {where}: ") and result.stderr.count("\n") == 1
    assert result.stderr.endswith("bytes to write, over the budget of 100 bytes (raise --max-output)\n")
    written = CliRunner().invoke(cli, [*args, "--max-output", "1MiB"])
    assert written.exit_code == 0, written.output
    size = len(written.stdout_bytes) if export == "-" else os.path.getsize(out)
    assert 100 < size <= 1 << 20 and f"{readable_bytes(size)} to write" in result.stderr  # the size it named


def test_no_home_directory_means_no_compile_cache(monkeypatch):
    """Without HOME or a passwd entry, ``Path.home()`` raises: training runs without the cache."""
    import pathlib

    import jax

    from dlcalc.training import _optimizer

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(pathlib.Path, "home", no_home)
    before = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", None)
    try:
        assert _optimizer.compile_cache.__wrapped__() is None
    finally:
        jax.config.update("jax_compilation_cache_dir", before)


def test_refused_up_front_over_the_budget():
    result = CliRunner().invoke(cli, ["train", "--depth", "3", "--eps", "2^-2", "--max-cells", "100"])
    assert result.exit_code == 2
    assert "over the budget" in result.stderr and "--max-cells" in result.stderr


def _training_search_cells(instance, eps, archs, config, shapes):
    from dlcalc import QuantizedClass
    from dlcalc.training._steps import training_steps

    steps = training_steps(QuantizedClass(instance.depth, instance.heads, eps), archs, config, shapes)
    (search,) = [s for s in steps if s.name == "training search"]
    return search.cells


def test_training_search_work_in_closed_form():
    from dlcalc import family_heads
    from dlcalc.training._config import TrainConfig

    config = TrainConfig(steps=10, restarts=3, max_width=1, deep_widths=2)
    # walsh:1 at depth 1, ε = 1/4: a grid of 2^(1+1) = 4 points; width 1 is compiled as 4 units (K = 4), one output:
    # (K + 1)(K + 1 + 1) = 30 a point a step; the deep layers (trunk 5 = bit_length(4) + 2): 5·5 + (5² + 6²) = 86, twice
    one = Instance.build(1, [Head("walsh", 1)], seed=0)
    assert _training_search_cells(one, 0.25, ["joint"], config, ["shallow"]) == 10 * 3 * 30 * 4
    assert (
        _training_search_cells(one, 0.25, ["joint", "separate"], config, ["shallow", "deep"])
        == 2 * 10 * 3 * (30 + 2 * 86) * 4
    )
    # walsh-all at depth 2, ε = 1/4: three heads on a grid of 2^(2+1) = 8 points; joint: one network of 3 outputs,
    # (4 + 1)(4 + 1 + 3) = 40; separate: three networks of one output, 30 each
    three = Instance.build(2, family_heads("walsh-all", 1.0, 2), seed=0)
    assert _training_search_cells(three, 0.25, ["joint"], config, ["shallow"]) == 10 * 3 * 40 * 8
    assert _training_search_cells(three, 0.25, ["separate"], config, ["shallow"]) == 10 * 3 * 3 * 30 * 8


def test_the_programs_compiled_are_the_ones_weighed():
    """A short search compiles at most the programs the model weighs (one per width bucket for the shallow
    networks), and it spends its time compiling them, not training: what the compilation step counts."""
    from dlcalc.training import TrainConfig, train_architecture
    from dlcalc.training._steps import _programs
    from dlcalc.training._train import _Clock

    inst = Instance.build(1, [Head("walsh", 1)], seed=0)
    # a seed of its own: new programs (compiled per setting), none of another test's
    config = TrainConfig(steps=2, restarts=1, max_width=6, seed=987654321)
    before = len(_Clock.compiled)
    result = train_architecture(inst, 0.125, "joint", ("shallow",), config)
    compiled = len(_Clock.compiled) - before
    shallow, deep, _ = _programs(config, ("shallow",))
    assert (shallow, deep) == ([4, 8], []) and 1 <= compiled <= len(shallow)
    assert result.compile_seconds > result.train_seconds


def test_compare_trained_on_the_default_instance_is_refused_before_any_training(monkeypatch):
    from dlcalc.training import _train

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(_train, "train_architecture", never)
    result = CliRunner().invoke(cli, ["compare", "--trained"])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert "training search" in line and "over the budget" in line and "--max-cells" in line


@pytest.mark.parametrize("amplitude", ["2^15", "2^100", "1e308"])
@pytest.mark.parametrize("command", ["train", "compare"])
def test_an_amplitude_beyond_the_trained_weights_is_refused_before_any_training(monkeypatch, command, amplitude):
    """A trained network's outputs are integers on a grid as fine as 2^-24 and the certificate takes
    weights below 2^40: `walsh:1@2^100` ended in a traceback of the γ code after the whole search."""
    from dlcalc.training import _train

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(_train, "train_architecture", never)
    args = ["--depth", "2", "--head", f"walsh:1@{amplitude}", "--eps", "0.1"]
    result = CliRunner().invoke(
        cli, [command, *args, *(["--trained", "--no-baselines"] if command == "compare" else [])]
    )
    assert result.exit_code == 2, (result.stderr, result.exception)
    (line,) = result.stderr.strip().splitlines()
    assert "beyond what a trained network's integer outputs reach (at most 2^14" in line


def test_training_at_the_smallest_eps_measures_its_losses_in_float32():
    """ε = 5e-324 is 0 in float32: every loss was NaN, the thresholds NaN, numpy warned about casting them
    on stderr and walsh:1 (one step, exact) was not found.  The losses are measured in ε floored at 2^-40."""
    import warnings

    from dlcalc.training import TrainConfig, train_architecture

    inst = Instance.build(1, [Head("walsh", 1)], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = train_architecture(inst, 5e-324, "joint", ("shallow",), TrainConfig(steps=2, restarts=1, max_width=1))
    assert result.reached and result.max_error == 0


# ----------------------------------------------------------------------------- exported = trained


def _hard_trained(params, shape, task, restart, width, x):
    """The trained parameters evaluated with hard steps, as training evaluates them (padding units 0, inputs
    centred)."""
    from dlcalc.training._config import trunk_width

    c = np.asarray(params["c"][task, restart], dtype=np.float64)
    u1 = (x[:, None] >= c[None, :]).astype(np.float64) * (np.arange(c.size) < width)
    if shape == "shallow":
        return u1[:, :width], None
    w2, b2 = np.asarray(params["w2"][task, restart]), np.asarray(params["b2"][task, restart])
    w3, b3 = np.asarray(params["w3"][task, restart]), np.asarray(params["b3"][task, restart])
    m2 = np.arange(b2.size) < trunk_width(width)
    u2 = ((2 * u1 - 1) @ w2.T + b2 >= 0) * m2
    u3 = (np.einsum("nk,tjk->ntj", 2 * u2 - 1, w3) + b3[None] >= 0) * m2
    k2 = trunk_width(width)
    return u2[:, :k2], u3[:, :, :k2]


def _fit(features, y):
    design = np.hstack([features.astype(np.float64), np.ones((features.shape[0], 1))])
    return design @ np.linalg.lstsq(design, y, rcond=None)[0]


def test_exported_networks_compute_what_was_trained():
    """Every width of the ladder (padded or not), both shapes, joint and separate: the exported network's hard
    steps equal the trained ones on the training grid, its outputs are the trained outputs, and its certificate
    bounds the grid error it shows there."""
    import jax

    from dlcalc import family_heads
    from dlcalc.training import TrainConfig, sup_errors, training_grid, width_ladder
    from dlcalc.training._certify import evaluate_points
    from dlcalc.training._config import trunk_width
    from dlcalc.training._optimizer import _bucket, _deep_trainer, _float_network, _trainer
    from dlcalc.training._rounding import MAX_EXPONENT, Grid, harden

    inst = Instance.build(2, family_heads("walsh-all", 1.0, 2), seed=0)
    eps = 0.375
    config = TrainConfig(steps=20, restarts=2)
    grid = training_grid(inst, eps)
    x = grid.x
    n_heads = len(inst.heads)
    checked = 0
    with jax.enable_x64(True):
        for arch in ("joint", "separate"):
            groups = [list(range(n_heads))] if arch == "joint" else [[t] for t in range(n_heads)]
            targets = np.stack([grid.targets[:, g] for g in groups])
            n_out = targets.shape[2]
            for width in width_ladder(6):
                keys = jax.random.split(jax.random.PRNGKey(width), len(groups) * 2).reshape(len(groups), 2, -1)
                shallow = jax.device_get(_trainer(_bucket(width), x.size, config)(keys, targets, eps, np.int32(width)))
                deep = jax.device_get(
                    _deep_trainer(_bucket(width), x.size, n_out, config)(
                        keys, shallow["c"], targets, eps, np.int32(width), np.int32(trunk_width(width))
                    )
                )
                deep["c"] = shallow["c"]
                for shape, params in (("shallow", shallow), ("deep", deep)):
                    for task, heads in enumerate(groups):
                        for restart in range(2):
                            net = _float_network(params, shape, task, restart, n_out, width)
                            u_last, u_heads = _hard_trained(params, shape, task, restart, width, x)
                            # the exported float network's hard steps
                            act = (x[:, None] >= net.thresholds[None, :]).astype(np.float64)
                            trained_layers = [act]
                            for w, b in net.hidden:
                                act = (act @ w.T + b >= 0).astype(np.float64)
                                trained_layers.append(act)
                            if shape == "shallow":
                                assert np.array_equal(trained_layers[0], u_last)
                                wanted = np.stack([_fit(u_last, targets[task][:, j]) for j in range(n_out)], axis=1)
                            else:
                                assert np.array_equal(trained_layers[1], u_last), (arch, width, shape)
                                assert np.array_equal(trained_layers[2], u_heads.reshape(x.size, -1)), (arch, width)
                                wanted = np.stack(
                                    [_fit(u_heads[:, j], targets[task][:, j]) for j in range(n_out)], axis=1
                                )
                            error = np.max(np.abs(wanted - targets[task]), axis=0)
                            reported = float(params[f"{shape}_error"][task, restart])
                            assert abs(float(error.max()) - reported) < 1e-3, (arch, width, shape)
                            # rounded at the finest steps: the same values on the grid, and a certificate above them
                            step = harden(net, Grid(grid.level, targets[task]), [MAX_EXPONENT] * (len(net.hidden) + 2))
                            got = evaluate_points(step, x)
                            assert np.allclose(got, wanted, atol=1e-5), (arch, width, shape)
                            certified = sup_errors(step, inst.feature, [inst.heads[t] for t in heads])
                            assert all(float(c) >= e - 1e-5 for c, e in zip(certified, error, strict=True)), (
                                arch,
                                width,
                                shape,
                            )
                            checked += 1
    assert checked == 2 * 5 * 2 * (1 + 3)


def test_curriculum_trunk_computes_the_digits_and_every_option_is_certified():
    """walsh-all at depth 2: with the curriculum the deep joint network's trunk computes both digits of h_σ
    exactly; each protocol's kept network is certified by the exact checker, its stream decoded back."""
    from dlcalc import family_heads
    from dlcalc.training import TrainConfig, sup_errors, train_architecture

    inst = Instance.build(2, family_heads("walsh-all", 1.0, 2), seed=0)
    eps = 0.375
    for select, curriculum in (("per-head", True), ("network", False)):
        config = TrainConfig(steps=200, restarts=2, max_width=4, patience=0, select=select, curriculum=curriculum)
        result = train_architecture(inst, eps, "joint", ("deep",), config)
        (net,) = result.networks
        assert result.compile_seconds + result.train_seconds <= result.seconds
        assert net.decoded_equal and net.max_error == max(sup_errors(net.network, inst.feature, inst.heads))
        if curriculum:
            assert result.curriculum_levels == [[1, 2]]
            assert result.reached and net.trunk_digits == [1, 2]
