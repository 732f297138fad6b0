"""Every JSON and ndjson document says where it comes from: dlcalc and format versions, the
command and the parameters given, the seed as a string (exact beyond 2^53)."""

import json

import pytest
from click.testing import CliRunner

from dlcalc import __version__
from dlcalc.cli import cli
from dlcalc.cli._common import SCHEMA_VERSION
from dlcalc.coding import FORMAT_VERSION
from dlcalc.networks import NETWORK_VERSION

BIG_SEED = "123456789012345678901"  # beyond 2^53: a double would not hold it


def run(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def check(doc: dict, command: str) -> dict:
    origin = doc["provenance"]
    assert origin["dlcalc_version"] == __version__
    assert origin["schema_version"] == doc["schema_version"] == SCHEMA_VERSION
    assert origin["container_format_version"] == FORMAT_VERSION
    assert origin["network_format_version"] == NETWORK_VERSION
    assert origin["command"] == f"dlcalc {command}"
    return origin


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--depth", "4", "--eps", "0.1", "--no-baselines"],
        ["bounds", "--eps", "0.5"],
        ["encode", "--depth", "3", "--eps", "2^-2"],
        ["quantize", "--depth", "3", "--eps", "2^-2"],
        ["info", "--depth", "3"],
        ["build", "--depth", "3"],
        ["network", "--depth", "3", "--eps", "2^-2"],
    ],
)
def test_every_json_and_ndjson_document_has_provenance(args):
    origin = check(json.loads(run(*args, "--format", "json")), args[0])
    assert origin["arguments"]["fmt"] == "json"
    for line in run(*args, "--format", "ndjson").splitlines():
        check(json.loads(line), args[0])


def test_the_instance_as_given_can_be_rerun():
    doc = json.loads(run("compare", "--depth", "4", "--seed", BIG_SEED, "--eps", "0.1", "--format", "json"))
    origin = doc["provenance"]
    assert origin["seed"] == BIG_SEED and origin["arguments"]["seed"] == BIG_SEED
    assert origin["arguments"]["depth"] == 4 and origin["arguments"]["eps"] == [0.1]
    # the arguments as recorded run the same command again
    again = json.loads(
        run(
            "compare",
            "--depth",
            str(origin["arguments"]["depth"]),
            "--seed",
            origin["seed"],
            "--eps",
            "0.1",
            "--format",
            "json",
        )
    )
    assert again["rows"] == doc["rows"]


def test_decode_stream_documents_have_provenance(tmp_path):
    dlc = tmp_path / "both.dlc"
    dlc.write_bytes(CliRunner().invoke(cli, ["encode", "--depth", "3", "--eps", "2^-2", "-o", "-"]).stdout_bytes)
    doc = json.loads(run("decode", str(dlc), "--format", "json"))
    check(doc, "decode")
    assert len(doc["containers"]) == 2


def test_the_provenance_of_an_ndjson_stream_is_built_once(monkeypatch):
    """Every line repeats the same provenance (here a sweep of 3000 values of ε): built and serialized
    once, so that the stream is written in time linear in its bytes, not rows × arguments."""
    from dlcalc.cli import _output

    calls = []
    real = _output.provenance
    monkeypatch.setattr(_output, "provenance", lambda: calls.append(1) or real())
    lines = run("bounds", "--eps-sweep", "0.5:0.1:3000", "--format", "ndjson").splitlines()
    assert len(lines) == 3000 and len(calls) == 1
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert first["provenance"] == last["provenance"] and len(first["provenance"]["arguments"]["eps_sweep"]) == 3000
    assert lines[0] == json.dumps(first, sort_keys=True)  # the document as one json.dumps would write it


@pytest.mark.parametrize(
    "args",
    [
        ["bounds", "--eps-sweep", "0.5:0.1:100000"],
        ["compare", "--depth", "2", "--eps-sweep", "0.5:0.1:100000", "--no-baselines", "--max-cells", "2^62"],
        ["bounds", "--eps-sweep", "0.5:0.1:5000", "--max-output", "1MiB"],
    ],
)
def test_an_ndjson_stream_over_max_output_is_refused_before_its_rows(args):
    """10^5 lines each repeating the 10^5 values of the sweep would be ≈190 GiB: weighed up front."""
    result = CliRunner().invoke(cli, [*args, "--format", "ndjson"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "ndjson records" in result.stderr and "--max-output" in result.stderr
