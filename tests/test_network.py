"""Heaviside networks (THEORY §7): exact realization, serialization round trip, bits against the bounds."""

import json
import math
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcalc import (
    Feature,
    FormatError,
    Head,
    Instance,
    coder_bounds,
    family_heads,
    head_tables,
    parse_heads,
    parse_number,
    quantize_heads,
    sup_error,
)
from dlcalc.cli import cli
from dlcalc.networks._construction import (
    HeavisideNetwork,
    best_joint,
    joint_candidates,
    joint_network,
    network_outputs_match,
    parallel_stack,
    separate_networks,
    shared_trunk_network,
    step_network,
)
from dlcalc.quantize._bounds import fit_slope
from dlcalc.quantize._tables import approximant_values

from .helpers import all_flips, head_codes, value_of_code

head_strategy = st.one_of(
    st.builds(Head, st.just("walsh"), st.integers(1, 63), st.sampled_from([1.0, 0.5, 0.3])),
    st.builds(Head, st.just("sawtooth"), st.integers(0, 6), st.sampled_from([1.0, 0.5, 0.3])),
)


def heaviside_reference(net: HeavisideNetwork, x: np.ndarray) -> np.ndarray:
    """Independent evaluation: each block's layers applied literally to real inputs x (rational weights)."""
    columns = []
    for block in net.blocks:
        layers = block.layers
        if len(layers) == 1:  # constant outputs
            act = np.zeros((x.size, 0))
        else:
            first = layers[0]
            act = (
                x[:, None] * (first.values * 2.0**-first.exponent)[None, :]
                + (first.biases * 2.0**-first.exponent)[None, :]
                >= 0
            ) * 1.0
            layers = layers[1:]
        for layer in layers:
            w = np.zeros((layer.n_in, layer.n_out))
            w[layer.cols, layer.rows] = layer.values * 2.0**-layer.exponent
            pre = act @ w + layer.biases * 2.0**-layer.exponent
            act = pre * layer.scales if layer.linear else (pre >= 0) * 1.0
        columns.append(act)
    return np.concatenate(columns, axis=1)


def seeded_instances():
    """24 seeded instances: walsh-all and sawtooth-all families and mixed heads, depths 3-8, several ε."""
    rng = np.random.default_rng(11)
    out = []
    for i in range(24):
        depth = int(rng.integers(3, 9))
        if i % 4 == 0:
            heads = family_heads("walsh-all", float(rng.choice([0.5, 1.0, 2.0])), depth)
        elif i % 4 == 1:
            heads = family_heads("sawtooth-all", float(rng.choice([0.5, 1.0])), depth)
        else:
            heads = []
            for _ in range(int(rng.integers(2, 9))):
                amp = float(rng.choice([1.0, 0.5, 0.3]))
                if rng.random() < 0.6:
                    heads.append(Head("walsh", int(rng.integers(1, 2**depth)), amp))
                else:
                    heads.append(Head("sawtooth", int(rng.integers(0, depth + 1)), amp))
        eps = float(rng.choice([0.4, 2**-3, 2**-5, 0.01, 2**-8]))
        out.append((depth, int(rng.integers(0, 1000)), heads, eps))
    return out


SEEDED = seeded_instances()


def test_seeded_instances_cover_the_brief():
    families = {
        "walsh"
        if all(h.family == "walsh" for h in heads)
        else "sawtooth"
        if all(h.family == "sawtooth" for h in heads)
        else "mixed"
        for _, _, heads, _ in SEEDED
    }
    assert len(SEEDED) >= 20 and families == {"walsh", "sawtooth", "mixed"}
    assert {d for d, *_ in SEEDED} >= {3, 4, 5, 6, 7, 8} and len({e for *_, e in SEEDED}) >= 4


@pytest.mark.parametrize("depth,seed,heads,eps", SEEDED, ids=[f"D{d}-s{s}-T{len(h)}-eps{e:g}" for d, s, h, e in SEEDED])
def test_joint_never_costs_more_and_every_network_is_exact(depth, seed, heads, eps):
    inst = Instance.build(depth, heads, seed=seed)
    quants = quantize_heads(heads, eps)
    tables = head_tables(quants, inst.feature)
    separate = separate_networks(quants, inst.feature)
    candidates = joint_candidates(quants, inst.feature, separate=separate)
    live = [(q, t) for q, t in zip(quants, tables, strict=True) if not q.zero]
    assert len(separate) == len(live)  # a zero head has no network
    if not live:  # every head is 0 at ε: no network, no bit
        assert candidates == {} and joint_network(quants, inst.feature) is None
        return
    chosen, joint = best_joint(candidates)
    stack = parallel_stack([n for _, n in separate])
    separate_bits = sum(n.network_bits for _, n in separate)
    bounds = {arch: coder_bounds(quants, depth, arch) for arch in ("joint", "separate")}
    # blocks side by side cost exactly the sum of their own files
    assert stack.network_bits == separate_bits == candidates["parallel_stack"].network_bits
    assert joint.network_bits == min(c.network_bits for c in candidates.values())
    if bounds["joint"].upper_bound_bits < bounds["separate"].upper_bound_bits:
        assert joint.network_bits <= separate_bits
    assert joint.network_bits >= bounds["joint"].lower_bound_bits
    assert separate_bits >= bounds["separate"].lower_bound_bits
    # the quantized heads are within ε of the true ones (exactly, from the §4 closed forms)
    assert all(sup_error(q, t, t) <= eps for q, t in zip(quants, tables, strict=False))
    for net in (*candidates.values(), *(n for _, n in separate)):
        back = HeavisideNetwork.deserialize(net.serialize())
        assert back.serialize() == net.serialize() and back.network_bits == net.network_bits
    for net in candidates.values():
        back = HeavisideNetwork.deserialize(net.serialize())
        assert all(network_outputs_match(back.evaluate(), quants, tables, depth))
    for (q, table), (_, n) in zip(live, separate, strict=True):
        back = HeavisideNetwork.deserialize(n.serialize())
        assert network_outputs_match(back.evaluate(), [q], [table], depth) == [True]


@settings(max_examples=100)  # dense evaluation on fine grids, both joint constructions: the costliest property here
@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 999),
    heads=st.lists(head_strategy, min_size=1, max_size=4),
    eps=st.sampled_from([0.6, 0.2, 2**-4, 2**-6, 0.01]),
)
def test_networks_are_within_eps_of_the_true_heads(depth, seed, heads, eps):
    inst = Instance.build(depth, heads, seed=seed)
    quants = quantize_heads(heads, eps)
    separate = separate_networks(quants, inst.feature)
    for net in joint_candidates(quants, inst.feature, separate=separate).values():
        back = HeavisideNetwork.deserialize(net.serialize())
        # the direct composition a g(h(x)) is within ε of the network everywhere on a fine grid
        level = min(max(back.grid_level, depth) + 1, 10)
        x = np.arange(1 << level) / (1 << level)
        ref = heaviside_reference(back, x)
        live = [t for t, q in enumerate(quants) if not q.zero]  # the outputs are the live heads'
        assert ref.shape[1] == len(live)
        for column, t in enumerate(live):
            assert np.max(np.abs(ref[:, column] - inst.evaluate(t, x))) <= eps * (1 + 1e-12)
    for t, q in enumerate(quants):  # a zero head is 0, within ε of the true head: |a h| <= a <= ε
        if q.zero:
            assert inst.heads[t].amplitude <= eps


def test_prefix_sum_evaluator_equals_dense():
    inst = Instance.build(6, parse_heads("walsh:1-15") + parse_heads("sawtooth:0-3@0.5"), seed=4)
    quants = quantize_heads(inst.heads, 2**-5)
    net = joint_network(quants, inst.feature)
    (block,) = net.blocks
    dense = block.evaluate_dense()
    for t, (level, values) in enumerate(block.evaluate()):
        assert np.array_equal(np.repeat(values, 1 << (block.grid_level - level)), dense[:, t])


def test_serialized_networks_are_a_code_for_a_small_class():
    """Over all 2^7 sign patterns of depth 3: every joint network equals f̂ from the definitions on every
    cell, distinct functions get distinct files, and the longest file is at least the lower bound (THEORY §7)."""
    heads = parse_heads("walsh:1-7") + [Head("sawtooth", 1, 0.5)]
    eps = 2**-3
    quants = quantize_heads(heads, eps)
    flips = all_flips(3)
    codes = [head_codes(flips, 3, h, eps) for h in heads]
    files: dict[bytes, bytes] = {}
    longest = 0
    for i, row in enumerate(flips):
        net = shared_trunk_network(quants, Feature(3, row))
        for (level, got), h, (code_level, code) in zip(net.evaluate(), heads, codes, strict=False):
            cells = np.arange(1 << max(level, code_level))
            want = [float(value_of_code(h, eps, c)) for c in code[i][cells >> (max(level, code_level) - code_level)]]
            assert got[cells >> (max(level, code_level) - level)].tolist() == want
        key = b"|".join(c[i].tobytes() for _, c in codes)
        assert files.setdefault(net.serialize(), key) == key  # one file, one function
        longest = max(longest, net.network_bits)
    assert len(files) == len(set(files.values())) == 2 ** coder_bounds(quants, 3, "joint").upper_bound_bits
    assert longest >= coder_bounds(quants, 3, "joint").lower_bound_bits


def test_zero_heads_need_no_network():
    """A head that is 0 at ε is f̂ = 0 by the class alone: no network realizes it and it costs no bit,
    separate or joint (docs/theory.md §7); once cost 9 bits each, 9,207 bits for walsh-all at depth 10, ε = 1."""
    inst = Instance.build(10, family_heads("walsh-all", 1.0, 10), seed=0)
    quants = quantize_heads(inst.heads, 1.0)  # every head is 0
    assert separate_networks(quants, inst.feature) == [] and joint_candidates(quants, inst.feature) == {}
    assert joint_network(quants, inst.feature) is None
    with pytest.raises(ValueError, match="^every head is 0 at ε: there is no network to build$"):
        shared_trunk_network(quants, inst.feature)
    quants = quantize_heads(inst.heads, 0.5)  # one head (walsh:1, a = 1) reads one digit; 1022 are 0
    separate = separate_networks(quants, inst.feature)
    joint = joint_network(quants, inst.feature, separate=separate)
    assert len(separate) == 1 and joint is not None and joint.n_outputs == 1
    tables = head_tables(quants, inst.feature)
    assert network_outputs_match(joint.evaluate(), quants, tables, 10) == [True]  # the live head's alone
    with pytest.raises(ValueError):  # an output for a zero head (or one missing) is a misaligned call
        network_outputs_match(joint.evaluate() * 2, quants, tables, 10)
    assert joint.network_bits <= separate[0][1].network_bits < 100
    for eps, bits in ((1, 0), (0.5, joint.network_bits)):
        result = CliRunner().invoke(
            cli, ["network", "--family", "walsh-all", "--depth", "10", "--eps", str(eps), "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["joint"]["network_bits"] == bits and out["separate"]["network_bits"] == bits
        assert out["joint"]["zero_heads"] == out["separate"]["zero_heads"] == 1023 - (eps < 1)
        assert out["joint"]["verified"] and out["separate"]["verified"]


@pytest.mark.parametrize("amplitude", ["1e300", "2^-1074"])
def test_zero_heads_of_any_amplitude_have_networks(amplitude):
    """A zero head (ε >= a) outputs 0 whatever its scale, so an amplitude the format could not
    hold as a scale does not stop the networks; its error is its amplitude (THEORY §4)."""
    args = [
        "network",
        "--depth",
        "2",
        "--head",
        f"walsh:1-3@{amplitude}",
        "--head",
        "sawtooth:0@0.5",
        "--eps",
        "1e300",
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    for arch in ("joint", "separate"):
        assert out[arch]["verified"] is True and out[arch]["max_error"] == max(parse_number(amplitude), 0.5)


def test_default_instance_meets_the_size_goals():
    inst = Instance.build(10, family_heads("walsh-all", 1.0, 10), seed=0)
    quants = quantize_heads(inst.heads, 2**-10)
    joint = shared_trunk_network(quants, inst.feature)  # the joint network is never longer
    payload = coder_bounds(quants, 10, "joint").upper_bound_bits
    assert joint.network_bits <= 8 * joint.nonzero_weights and joint.network_bits <= 30 * payload


def test_walsh_all_network_exponent_gap():
    """Separate network bits grow towards 4^M, joint ones no faster than the 2^M of the joint coder
    (walsh-all, β = 1, ε = 2^-M at depth M; per-head framing flattens the separate slope at small M)."""
    ms = list(range(4, 9))
    joint_bits, sep_bits = [], []
    for m in ms:
        inst = Instance.build(m, family_heads("walsh-all", 1.0, m), seed=m)
        quants = quantize_heads(inst.heads, 2.0**-m)
        separate = separate_networks(quants, inst.feature)
        joint_bits.append(joint_network(quants, inst.feature, separate=separate).network_bits)
        sep_bits.append(sum(n.network_bits for _, n in separate))
    eps = [2.0**-m for m in ms]
    sj, ss = fit_slope(eps, joint_bits), fit_slope(eps, sep_bits)
    assert sj <= 1.1 and 1.5 <= ss <= 2.2 and ss - sj >= 0.8
    top = math.log2(sep_bits[-1] / sep_bits[-2])
    assert 1.6 <= top <= 2.2


def test_step_network_one_unit_per_jump():
    inst = Instance.build(4, [Head("sawtooth", 1)], seed=0)
    (q,) = quantize_heads(inst.heads, 2**-3)
    (table,) = head_tables([q], inst.feature)
    net = step_network(q, table, 4)
    level, values = net.evaluate()[0]
    assert net.neurons == int(np.count_nonzero(np.diff(values)))


def reseal(body: bytes) -> bytes:
    """Recompute the CRC-32 so that a deeper check must catch the defect."""
    return body + zlib.crc32(body).to_bytes(4, "big")


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: b"\x00", "bad magic or too short"),
        (lambda d: d[:5], "bad magic or too short"),
        (lambda d: d[:14], "bad magic or too short"),
        (lambda d: b"\x89DLC\r\n\x1a\n" + d[8:], "bad magic"),
        (lambda d: d[:-5] + b"\x00", "checksum mismatch"),
        (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "checksum mismatch"),
        (lambda d: reseal(d[:8] + b"\x00\x01" + d[10:-4]), "version 1 is not supported"),
        (lambda d: reseal(d[:8] + b"\x00\x03" + d[10:-4]), "version 3 is not supported"),
        (lambda d: reseal(d[:10] + b"\x00" * 9 + d[19:-4]), "more than 63 bits"),
        (lambda d: reseal(d[:-5]), "ends inside"),
        (lambda d: reseal(d[:-4] + b"\x00"), "trailing bytes"),
        (lambda d: reseal(d[:-5] + bytes([d[-5] | 1])), "nonzero padding"),
    ],
)
def test_corrupt_network_files(mutate, message):
    inst = Instance.build(4, parse_heads("walsh:1-3"), seed=0)
    net = joint_network(quantize_heads(inst.heads, 0.1), inst.feature)
    assert net.network_bits % 8  # the body ends inside its last byte: there are padding bits to corrupt
    with pytest.raises(FormatError, match=message):
        HeavisideNetwork.deserialize(mutate(net.serialize()))


def test_network_cli_json(tmp_path):
    export = tmp_path / "nets.json"
    result = CliRunner().invoke(
        cli,
        [
            "network",
            "--depth",
            "5",
            "--head",
            "walsh:1-7",
            "--head",
            "sawtooth:1",
            "--eps",
            "2^-4",
            "--format",
            "json",
            "--export",
            str(export),
        ],
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    for arch in ("joint", "separate"):
        rec = out[arch]
        for key in (
            "neurons",
            "layers",
            "nonzero_weights",
            "network_bits",
            "payload_bits",
            "lower_bound_bits",
            "max_error",
            "verified",
            "constructions",
        ):
            assert key in rec
        assert rec["verified"] and rec["network_bits"] >= rec["lower_bound_bits"]
    joint = out["joint"]["constructions"]
    assert joint["chosen"] in ("shared_trunk", "parallel_stack")
    assert (
        out["joint"]["network_bits"]
        == joint[f"{joint['chosen']}_bits"]
        == min(joint["shared_trunk_bits"], joint["parallel_stack_bits"])
    )
    assert joint["parallel_stack_bits"] == out["separate"]["network_bits"]
    sep = out["separate"]["constructions"]
    assert sep["trunk"] + sep["step"] == 8 and out["separate"]["construction"].endswith("step")
    # coder bits by hand (THEORY §5, depth 5, ε = 2^-4, sawtooth:1 with p = 4, q = 3): joint, walsh:1-7 span
    # {1,2,3} and {1,j} for j = 2..5 add {4},{5}: 31; lower {1,j} for j <= 4: 15.  Separate: walsh
    # 1 + 2·2 + 4·4 = 21, sawtooth:1 alone 2 + 4 + 8 + 16 = 30 (lower 2 + 4 + 8 = 14): 51 and 35.
    assert (out["joint"]["payload_bits"], out["joint"]["lower_bound_bits"]) == (31, 15)
    assert (out["separate"]["payload_bits"], out["separate"]["lower_bound_bits"]) == (51, 35)
    doc = json.loads(export.read_text())
    for arch in ("joint", "separate"):
        net = doc["networks"][arch]
        data = bytes.fromhex(net["serialized_hex"])
        assert HeavisideNetwork.deserialize(data).network_bits == out[arch]["network_bits"] == net["network_bits"]
        # the record's sizes recomputed from the exported layers and bytes (14 bytes of framing, < 8 bits of padding)
        assert 8 * (len(data) - 14) - 8 < out[arch]["network_bits"] <= 8 * (len(data) - 14)
        layers = [layer for block in net["blocks"] for layer in block["layers"]]
        assert out[arch]["nonzero_weights"] == sum(len(layer["values"]) for layer in layers)
        assert out[arch]["neurons"] == sum(layer["n_out"] for layer in layers if layer["activation"] == "heaviside")
        assert out[arch]["layers"] == max(len(block["layers"]) for block in net["blocks"])
        assert sum(block["outputs"] for block in net["blocks"]) == 8
        # the instance lists its explicit heads as runs: walsh:1-7 and sawtooth:1
        assert [h for block in net["blocks"] for h in block["heads"]] == [f"walsh:{n}" for n in range(1, 8)] + [
            "sawtooth:1"
        ]
        # each block is a network of its own: its file, its bits; side by side they add up exactly
        assert sum(block["network_bits"] for block in net["blocks"]) == net["network_bits"]
        for block in net["blocks"]:
            assert (
                HeavisideNetwork.deserialize(bytes.fromhex(block["serialized_hex"])).network_bits
                == block["network_bits"]
            )
        assert out[arch]["ratio_to_payload"] == out[arch]["network_bits"] / out[arch]["payload_bits"]
    assert len(doc["networks"]["separate"]["blocks"]) == 8
    assert [b["kind"] for b in doc["networks"]["separate"]["blocks"]].count("step") == out["separate"]["constructions"][
        "step"
    ]


def test_network_table_names_the_joint_construction():
    args = ["network", "--depth", "6", "--family", "walsh-all", "--eps", "2^-6"]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.stderr
    assert "shared trunk" in result.stdout and "construction" in result.stdout
    # at 80 columns the construction is the first to go, and the line under the table says so
    narrow = CliRunner().invoke(cli, args, env={"COLUMNS": "80"}).stdout
    assert "shared trunk" not in narrow and "construction" in narrow.split("not shown at this width:")[1]


def test_compare_networks_columns():
    args = ["compare", "--depth", "5", "--eps", "0.3,2^-4", "--networks", "--no-baselines", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    for row in json.loads(result.stdout)["rows"]:
        assert row["networks"]["joint"]["verified"] and row["networks"]["separate"]["network_bits"] > 0
        assert row["networks"]["joint"]["network_bits"] <= row["networks"]["separate"]["network_bits"]


def test_compare_plot_draws_network_bits(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from dlcalc import study as plot  # the command draws through the study layer

    drawn = {}
    real = plot.plot_rates

    def spy(target, title, eps, series, bands, fmt=None, **kw):
        drawn.update(series=series, bands=bands)
        real(target, title, eps, series, bands, fmt, **kw)

    monkeypatch.setattr(plot, "plot_rates", spy)
    path = tmp_path / "rates.svg"
    args = ["compare", "--depth", "5", "--eps", "0.3,2^-3,2^-5", "--networks", "--no-baselines", "--plot", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert {"joint", "separate", "joint network", "separate network"} <= set(drawn["series"])
    assert set(drawn["bands"]) == {"joint", "separate"}
    assert path.read_text().count("<path") > 10 and "network" in path.read_text()


def _onnx_outputs(model: bytes, x: np.ndarray) -> np.ndarray:
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return np.concatenate(session.run(None, {"x": x}), axis=1)


@pytest.mark.parametrize("arch", ["joint", "separate"])
def test_onnx_export_matches_exact_evaluation(tmp_path, arch):
    pytest.importorskip("onnxruntime")
    path = tmp_path / f"{arch}.onnx"
    heads = ["--head", "walsh:1-7", "--head", "sawtooth:0-2@0.3"]
    result = CliRunner().invoke(
        cli, ["network", "--depth", "5", *heads, "--eps", "2^-4", "--arch", arch, "--export", str(path)]
    )
    assert result.exit_code == 0, result.stderr
    inst = Instance.build(5, parse_heads("walsh:1-7") + parse_heads("sawtooth:0-2@0.3"), seed=0)
    quants = quantize_heads(inst.heads, 2**-4)
    separate = separate_networks(quants, inst.feature)
    net = (
        joint_network(quants, inst.feature, separate=separate)
        if arch == "joint"
        else parallel_stack([n for _, n in separate])
    )
    level = max(net.grid_level, 5)
    x = (np.arange(1 << level) / (1 << level))[:, None]
    got = _onnx_outputs(path.read_bytes(), x)
    assert got.shape == (x.shape[0], 10)
    tables = head_tables(quants, inst.feature)
    for t, (q, table) in enumerate(zip(quants, tables, strict=False)):  # against f̂ itself, on every cell
        lv, ref = approximant_values(q, table, 5)
        assert np.array_equal(got[:, t], ref[np.arange(x.shape[0]) >> (level - lv)])


def test_separate_onnx_has_one_output_per_head(tmp_path):
    onnx = pytest.importorskip("onnx")
    path = tmp_path / "s.onnx"
    result = CliRunner().invoke(
        cli,
        ["network", "--depth", "4", "--head", "walsh:1-5", "--eps", "0.1", "--arch", "separate", "--export", str(path)],
    )
    assert result.exit_code == 0, result.stderr
    model = onnx.load(str(path))
    assert [o.name for o in model.graph.output] == [f"y{i}" for i in range(5)]


def test_onnx_export_holds_the_live_heads_and_refuses_a_class_without_network(tmp_path):
    """A zero head has no network, so no ONNX output; with every head 0 there is nothing to export."""
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    path = tmp_path / "s.onnx"
    heads = ["--head", "walsh:1-3", "--head", "walsh:4@0.1", "--head", "sawtooth:0@0.5"]
    args = ["network", "--depth", "3", *heads, "--eps", "0.2", "--arch", "separate", "--export", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    model = onnx.load(str(path))
    assert [o.name for o in model.graph.output] == [f"y{i}" for i in range(4)]  # walsh:4@0.1 is 0 at ε = 0.2
    assert model.graph.doc_string == "outputs: walsh:1, walsh:2, walsh:3, sawtooth:0@0.5"
    none = tmp_path / "none.onnx"
    result = CliRunner().invoke(
        cli, ["network", "--depth", "3", "--head", "walsh:1-3@0.1", "--eps", "0.2", "--export", str(none)]
    )
    assert result.exit_code == 2 and "every head is 0 at ε = 0.2: there is no network" in result.stderr
    assert not none.exists()
    doc = tmp_path / "none.json"
    args = [
        "network",
        "--depth",
        "3",
        "--head",
        "walsh:1-3@0.1",
        "--eps",
        "0.2",
        "--export",
        str(doc),
        "--format",
        "json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    exported = json.loads(doc.read_text())
    assert exported["zero_heads"] == ["walsh:1-3@0.1"]  # runs of heads, never listed one by one
    assert exported["networks"]["joint"] == {"network_bits": 0, "serialized_hex": None, "blocks": []}


def test_onnx_export_is_sized_up_front(tmp_path):
    """The networks fit the budgets; checking their ONNX model is weighed on its own before it runs: every grid
    point through every unit (``activation_cells`` a point, on the 2^8 cells of the grid) plus the dense matrices
    (``dense_entries``) in cells, and in memory the matrices three times over (the model, its bytes, onnxruntime)
    and 2^22 activations at once, 8 bytes each, three times over (docs/cost.md)."""
    pytest.importorskip("onnx")
    from dlcalc.networks._onnx import activation_cells, dense_entries

    path = tmp_path / "big.onnx"
    inst = Instance.build(8, family_heads("walsh-all", 1.0, 8), seed=0)
    net = joint_network(quantize_heads(inst.heads, 2**-8), inst.feature)
    assert net.grid_level == 8 and dense_entries(net) == 79136 and activation_cells(net) < 2**22
    args = [
        "network",
        "--depth",
        "8",
        "--family",
        "walsh-all",
        "--eps",
        "2^-8",
        "--arch",
        "joint",
        "--export",
        str(path),
    ]
    assert CliRunner().invoke(cli, args[:-2] + ["--max-memory", "64MiB"]).exit_code == 0  # the networks alone fit
    memory = 24 * dense_entries(net) + 24 * 2**22
    assert memory > 64 << 20 and memory / 2**20 == pytest.approx(97.81, abs=0.01)
    result = CliRunner().invoke(cli, args + ["--max-memory", "64MiB"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert f"checking the ONNX export needs about {memory / 2**20:.3g} MiB of memory" in result.stderr  # 97.8 MiB
    assert "--max-memory" in result.stderr
    assert not path.exists()


def test_an_onnx_export_far_over_the_budget_is_refused_before_a_network_is_built(tmp_path, monkeypatch):
    """``network --depth 12 --eps 2^-12 --arch separate --export s.onnx`` was refused only after its 4,095
    networks were built (13.6 s, 1.1 GB): its check needs at least 3 units a point for each of their
    Σ 2^(t-1) · 2^(t-1) first-layer steps on 2^12 points, about 6.9e10 cells, which the plan weighs up front."""
    pytest.importorskip("onnx")
    import dlcalc.study._networks as networks

    def built(*args, **kwargs):
        raise AssertionError("a network was built")

    monkeypatch.setattr(networks, "separate_networks", built)
    path = tmp_path / "s.onnx"
    args = ["network", "--depth", "12", "--eps", "2^-12", "--arch", "separate", "--export", str(path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "ONNX check (at least): ≈6.9e10" in result.stderr and "--max-cells" in result.stderr
    assert not path.exists()


def test_onnx_check_runs_in_batches_and_can_fail():
    pytest.importorskip("onnxruntime")
    from dlcalc import BudgetError
    from dlcalc.networks._onnx import activation_cells, check_onnx, to_onnx

    heads = parse_heads("walsh:1-7") + parse_heads("sawtooth:0-2@0.3")
    quants = quantize_heads(heads, 2**-4)
    nets = [shared_trunk_network(quants, Instance.build(5, heads, seed=seed).feature) for seed in (0, 1)]
    model = to_onnx(nets[0])
    per_point = activation_cells(nets[0])
    assert check_onnx(model, nets[0], max_cells=3 * per_point) is None  # batches of three grid points
    assert check_onnx(model, nets[1], max_cells=3 * per_point) is not None  # another feature: some output differs
    with pytest.raises(BudgetError, match="activations per input point"):
        check_onnx(model, nets[0], max_cells=per_point - 1)


def test_ratio_to_payload_falls_as_the_payload_grows():
    """The shared trunk's bits per coder bit fall with M (walsh-all): its gates grow like 2^(M/2), the trunk like
    2^M."""
    ratios = []
    for m in (6, 8, 10):
        inst = Instance.build(m, family_heads("walsh-all", 1.0, m), seed=1)
        quants = quantize_heads(inst.heads, 2.0**-m)
        ratios.append(
            shared_trunk_network(quants, inst.feature).network_bits / coder_bounds(quants, m, "joint").upper_bound_bits
        )
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] < 10


@settings(max_examples=60, deadline=None)
@given(
    depth=st.integers(0, 6),
    seed=st.integers(0, 999),
    heads=st.lists(head_strategy, min_size=1, max_size=5),
    eps=st.sampled_from([0.6, 0.2, 2**-4, 2**-6, 0.01]),
)
def test_the_onnx_check_weighed_before_the_networks_is_never_above_its_exact_figure(depth, seed, heads, eps):
    """The figure that refuses an ONNX export before any network is built (``onnx_least_step``) is a lower
    bound of the exact one weighed on the built network: every breakpoint it counts is a jump of ``f̂``."""
    from dlcalc.cost import onnx_least_step
    from dlcalc.networks import activation_cells
    from dlcalc.quantize import QuantizedClass

    inst = Instance.build(depth, heads, seed=seed)
    qclass = QuantizedClass(depth, inst.heads, eps)
    quants = quantize_heads(heads, eps)
    separate = separate_networks(quants, inst.feature)
    nets = {"joint": joint_network(quants, inst.feature, separate=separate)}
    nets["separate"] = parallel_stack([n for _, n in separate]) if separate else None
    for arch, net in nets.items():
        least = onnx_least_step(qclass, arch)
        exact = activation_cells(net) << net.grid_level if net else 0
        assert least.cells <= exact, arch
        if net:  # and not vacuous: the gates, digits and outputs it leaves out add at most a few times as much
            assert exact <= 8 * least.cells, arch
