"""Weigh once: a command builds one plan (the instance, each class quantized once, the cost weighed once);
the workers below it trust the plan and neither quantize nor weigh again.  Only a file that is read (the
coders' own output, read back as any file would be) is weighed again, once, where it is read."""

import pytest
from click.testing import CliRunner

from dlcalc import QuantizedClass, study
from dlcalc.cli import cli
from dlcalc.cost import Cost


@pytest.fixture
def counts(monkeypatch):
    seen = {"weighed": 0, "quantized": 0}
    real_check, real_init = Cost.check, QuantizedClass.__init__

    def check(self, *args, **kwargs):
        seen["weighed"] += 1
        return real_check(self, *args, **kwargs)

    def init(self, *args, **kwargs):
        seen["quantized"] += 1
        return real_init(self, *args, **kwargs)

    monkeypatch.setattr(Cost, "check", check)
    monkeypatch.setattr(QuantizedClass, "__init__", init)
    return seen


def invoke(*args):
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return result


def test_encode_both_weighs_once_plus_once_per_file_read(counts):
    invoke(
        "encode", "--depth", "6", "--head", "walsh:1-63", "--head", "sawtooth:0-3", "--eps", "2^-5", "--coder", "both"
    )
    assert counts == {"weighed": 1 + 2, "quantized": 1}  # the plan; each of the two files read back


def test_encode_one_coder(counts):
    invoke("encode", "--depth", "5", "--eps", "2^-3", "--coder", "separate")
    assert counts == {"weighed": 1 + 1, "quantized": 1}


def test_a_compare_sweep_quantizes_each_class_once(counts):
    invoke("compare", "--depth", "5", "--eps", "0.5,2^-3,2^-5", "--no-baselines")
    assert counts == {"weighed": 1 + 3 * 2, "quantized": 3}


def test_networks_weigh_once(counts):
    invoke("network", "--depth", "4", "--eps", "2^-3")
    assert counts == {"weighed": 1, "quantized": 1}


def test_quantize_and_info_quantize_once_and_weigh_nothing_sized(counts):
    invoke("quantize", "--depth", "6", "--eps", "2^-4")
    assert counts["quantized"] == 1


def test_a_plan_hands_its_class_to_every_worker(counts):
    from dlcalc import Budget, Family, HeadSet, Instance

    inst = Instance.build(5, HeadSet(Family("walsh-all", 1.0, 5)), seed=3)
    plan = study.plan_encode(inst, 2**-3, ["joint", "separate"], Budget())
    assert counts == {"weighed": 1, "quantized": 1}
    run = study.encode_run(plan, ["joint", "separate"])
    assert {id(r.qclass) for r in run.results.values()} == {id(plan.qclass)}
    assert counts == {"weighed": 1 + 2, "quantized": 1}


def test_the_python_api_returns_what_the_json_output_prints():
    import json

    from dlcalc import Budget, Family, HeadSet, Instance
    from dlcalc.cli._output import dumps

    inst = Instance.build(5, HeadSet(Family("walsh-all", 1.0, 5)), seed=3)
    run = study.encode_run(study.plan_encode(inst, 2**-3, ["joint", "separate"], Budget()), ["joint", "separate"])
    printed = json.loads(invoke("encode", "--depth", "5", "--seed", "3", "--eps", "2^-3").stdout)
    printed.pop("schema_version")
    printed.pop("provenance")
    assert json.loads(dumps(run.payload)) == printed
    plan = study.plan_compare(inst, [0.5, 2**-3], Budget(), baselines=False)
    rows = list(study.compare_rows(plan, baselines=False))
    printed = json.loads(invoke("compare", "--depth", "5", "--seed", "3", "--eps", "0.5,2^-3", "--no-baselines").stdout)
    assert json.loads(dumps(rows)) == printed["rows"]
    assert json.loads(dumps(study.compare_fit(plan, rows))) == printed["fit"]


@pytest.mark.parametrize("command", ["decode", "verify"])
def test_a_file_is_read_once(tmp_path, monkeypatch, command):
    """decode and verify read each file of a stream once: its header parsed, its class quantized, its cost
    weighed (with the export or the verification) and its checksum computed, once each."""
    import zlib

    from dlcalc.coding import _container, _stream

    inst = tmp_path / "inst.json"
    invoke("build", "--depth", "5", "--head", "walsh:1-31", "--head", "sawtooth:0-2", "-o", str(inst))
    stream = CliRunner().invoke(cli, ["encode", str(inst), "--eps", "2^-4", "-o", "-"]).stdout_bytes  # two files
    seen = {"weighed": 0, "quantized": 0, "parsed": 0, "checksums": 0}
    real_check, real_init, real_parse = Cost.check, QuantizedClass.__init__, _stream._parse_header

    def count(key, real):
        def wrapper(*args, **kwargs):
            seen[key] += 1
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(Cost, "check", count("weighed", real_check))
    monkeypatch.setattr(QuantizedClass, "__init__", count("quantized", real_init))
    monkeypatch.setattr(_stream, "_parse_header", count("parsed", real_parse))  # the stream reader's
    monkeypatch.setattr(_container, "_parse_header", count("parsed", real_parse))  # any other reader's
    monkeypatch.setattr(_container.zlib, "crc32", count("checksums", zlib.crc32))
    args = [command] + ([str(inst)] if command == "verify" else []) + ["-", "--format", "json"]
    result = CliRunner().invoke(cli, args, input=stream)
    assert result.exit_code == 0, result.stderr
    assert seen == {"weighed": 2, "quantized": 2, "parsed": 2, "checksums": 2}  # the instance has no ε: not quantized


def test_info_and_quantize_weigh_the_groups_before_the_work(tmp_path):
    """An instance of many small groups is weighed as it is read and described: refused in one line."""
    import json

    from dlcalc import HeadRun, HeadSet, Instance

    runs = [HeadRun("walsh", 2 * i + 1, 2 * i + 1, 0.5 if i % 2 else 0.25) for i in range(3000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(Instance.build(12, HeadSet(None, runs), seed=0).to_dict()))
    for args in (["info"], ["quantize", "--eps", "0.1"]):
        result = CliRunner().invoke(cli, [args[0], str(path), *args[1:], "--max-cells", "1e7"])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f"loading instance {path} needs" in result.stderr and "3000 runs" in result.stderr
    from dlcalc import Budget, BudgetError

    inst = Instance.build(12, HeadSet(None, runs), seed=0)  # built in Python: the description weighs on its own
    with pytest.raises(BudgetError, match=r"^describing this instance needs .*3000 groups of heads"):
        study.describe_instance(inst, Budget(max_cells=10**7))
    with pytest.raises(BudgetError, match=r"^quantizing at ε = 0.1 needs .*3000 groups of heads"):
        study.quantize_records(inst, 0.1, Budget(max_cells=10**7))
