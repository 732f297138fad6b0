"""The command line: JSON contracts, errors as one line with exit code 2, verification exit 3."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dlcalc.cli import cli


def run(*args, input=None, code=0):
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def run_json(*args):
    return json.loads(run(*args, "--format", "json").stdout)


def test_build_and_info_json(tmp_path):
    path = tmp_path / "inst.json"
    out = run_json("build", "--depth", "4", "--seed", "3", "--head", "walsh:1-3", "--head", "sawtooth:0@0.5", "-o", str(path))
    assert out["schema_version"] == 1
    assert out["instance"]["depth"] == 4 and out["instance"]["seed"] == 3
    assert [h["head"] for h in out["instance"]["heads"]] == ["walsh:1", "walsh:2", "walsh:3", "sawtooth:0@0.5"]
    info = run_json("info", str(path))
    assert info["instance"] == out["instance"]
    assert info["orthogonal"] is False and info["max_offdiag_gram"] == 0.25
    assert info["heads"][2]["levels"] == [1, 2]
    info = run_json("info", "--depth", "4", "--head", "walsh:1-7")
    assert info["orthogonal"] is True and info["max_offdiag_gram"] == 0


def test_family_shortcut():
    info = run_json("info", "--family", "walsh-all", "--beta", "2", "--depth", "3")
    assert [h["amplitude"] for h in info["heads"]] == [1, 0.25, 0.25, 2**-4, 2**-4, 2**-4, 2**-4]
    assert info["instance"]["family"] == {"name": "walsh-all", "beta": 2.0}


def test_default_instance():
    info = run_json("info")
    assert info["instance"]["depth"] == 10 and len(info["heads"]) == 1023


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--family", "nope"],
        ["build", "--head", "walsh:0"],
        ["build", "--head", "haar:1"],
        ["build", "--depth", "-3"],
        ["build", "--head", "walsh:1@0"],
        ["build", "--head", "walsh:1@-0.5"],
        ["build", "--depth", "40", "--head", "walsh:1"],
        ["build", "--beta", "1"],
        ["encode", "--depth", "3", "--eps", "0"],
        ["encode", "--depth", "3", "--eps", "abc"],
        ["info", "/nonexistent/inst.json"],
    ],
)
def test_bad_input_is_one_line_exit_2(args):
    result = run(*args, code=2)
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"dlcalc": "instance", "schema_version": 9, "depth": 2, "seed": 0, "heads": []}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "seed": 0, "heads": [{"family": "walsh", "index": 0}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "seed": -1, "heads": [{"family": "walsh", "index": 1}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 99, "seed": 0, "heads": [{"family": "walsh", "index": 1}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "flips": "zz", "heads": [{"family": "walsh", "index": 1}]}',
    ],
)
def test_bad_instance_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("info", str(path), code=2)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: instance")


def test_encode_json_contract(tmp_path):
    out = run_json("encode", "--depth", "5", "--head", "walsh:1-7", "--head", "sawtooth:0-1", "--eps", "2^-5", "--coder", "both")
    assert set(out) >= {"schema_version", "instance", "joint", "separate", "gain", "eps"}
    for coder in ("joint", "separate"):
        rec = out[coder]
        for key in ("payload_bits", "file_bits", "lower_bound_bits", "upper_bound_bits", "max_error", "eps", "verified", "coder", "heads"):
            assert key in rec
        assert rec["verified"] is True and rec["max_error"] <= 2**-5
        assert rec["lower_bound_bits"] <= rec["payload_bits"] == rec["upper_bound_bits"] < rec["file_bits"]
        assert {"head", "precision", "payload_bits", "error", "levels"} <= set(rec["heads"][0])
    assert out["joint"]["heads"][0]["payload_bits"] is None
    assert sum(h["payload_bits"] for h in out["separate"]["heads"]) == out["separate"]["payload_bits"]
    assert out["gain"] == out["separate"]["payload_bits"] / out["joint"]["payload_bits"]
    single = run_json("encode", "--depth", "5", "--head", "walsh:1-7", "--head", "sawtooth:0-1", "--eps", "2^-5", "--coder", "joint")
    assert single["payload_bits"] == out["joint"]["payload_bits"] and single["coder"] == "joint"


def test_encode_decode_verify_files(tmp_path):
    inst = tmp_path / "inst.json"
    other = tmp_path / "other.json"
    run("build", "-d", "5", "-s", "1", "--head", "walsh:1-15", "--head", "sawtooth:2", "-o", str(inst))
    run("build", "-d", "5", "-s", "2", "--head", "walsh:1-15", "--head", "sawtooth:2", "-o", str(other))
    dlc = tmp_path / "x.dlc"
    run("encode", str(inst), "--eps", "0.01", "--coder", "joint", "-o", str(dlc))
    assert dlc.exists()
    run("encode", str(inst), "--eps", "0.01", "--coder", "joint", "-o", str(dlc), code=2)  # no overwrite
    run("encode", str(inst), "--eps", "0.01", "--coder", "joint", "-o", str(dlc), "--force")
    dec = run_json("decode", str(dlc))
    assert dec["coder"] == "joint" and dec["depth"] == 5
    ok = run_json("verify", str(inst), str(dlc))
    assert ok["verified"] is True
    bad = run("verify", str(other), str(dlc), "--format", "json", code=3)
    assert json.loads(bad.stdout)["verified"] is False
    table = tmp_path / "t.csv"
    run("decode", str(dlc), "-o", str(table))
    lines = table.read_text().splitlines()
    assert lines[0] == "head,level,cell,value" and len(lines) > 16
    npz = tmp_path / "t.npz"
    run("decode", str(dlc), "-o", str(npz))
    import numpy as np

    with np.load(npz) as z:
        meta = json.loads(str(z["meta"]))
        assert meta["heads"][0]["head"] == "walsh:1" and z["head15"].size == 2 ** meta["heads"][15]["level"]


def test_corrupt_dlc_cli(tmp_path):
    path = tmp_path / "x.dlc"
    path.write_bytes(b"\x89DLC\r\n\x1a\nxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    result = run("decode", str(path), code=2)
    assert result.stderr.startswith("Error:") and result.stderr.count("\n") == 1


def test_installed_script_pipeline(tmp_path):
    exe = shutil.which("dlcalc")
    if exe is None:
        pytest.skip("dlcalc is not installed on PATH")
    build = subprocess.run([exe, "build", "-d", "6", "--head", "walsh:1-7", "--head", "sawtooth:1", "-o", "-"],
                           capture_output=True, check=True)
    enc = subprocess.run([exe, "encode", "-", "--eps", "0.1", "-o", "-"], input=build.stdout,
                         capture_output=True, check=True)
    dec = subprocess.run([exe, "decode", "-", "--format", "json"], input=enc.stdout, capture_output=True, check=True)
    assert dec.stderr == b"" and enc.stderr == b"" and build.stderr == b""
    out = json.loads(dec.stdout)  # --coder both: the joint and the separate file, back to back
    assert [c["coder"] for c in out["containers"]] == ["joint", "separate"]
    assert all(c["depth"] == 6 for c in out["containers"])
    shell = subprocess.run(f"{exe} build -d 6 --head walsh:1-7 -o - | {exe} encode - --eps 0.1 -o - | {exe} decode -",
                           shell=True, capture_output=True, check=True)
    assert shell.stderr == b"" and b"joint coder" in shell.stdout and b"separate coder" in shell.stdout


def test_outputs_are_atomic(tmp_path, monkeypatch):
    """An interrupt between writing and renaming leaves neither the target nor a temporary file."""
    target = tmp_path / "inst.json"

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    result = CliRunner().invoke(cli, ["build", "-d", "3", "--head", "walsh:1", "-o", str(target)])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_one_line_error(tmp_path):
    result = run("build", "-d", "3", "--head", "walsh:1", "-o", str(tmp_path / "missing" / "inst.json"), code=1)
    assert result.stderr.startswith("Error: cannot write") and result.stderr.count("\n") == 1


def test_pipeline_through_stdin_and_stdout():
    inst = run("build", "-d", "5", "--head", "walsh:1-7", "-o", "-").stdout_bytes
    dlc = CliRunner().invoke(cli, ["encode", "-", "--eps", "0.1", "--coder", "separate", "-o", "-"], input=inst)
    assert dlc.exit_code == 0 and dlc.stdout_bytes.startswith(b"\x89DLC")
    out = CliRunner().invoke(cli, ["decode", "-", "--format", "json"], input=dlc.stdout_bytes)
    assert json.loads(out.stdout)["coder"] == "separate"


def test_json_output_of_a_command_is_an_instance(tmp_path):
    doc = run("build", "-d", "4", "--head", "sawtooth:1", "--format", "json").stdout
    again = CliRunner().invoke(cli, ["info", "-", "--format", "json"], input=doc)
    assert json.loads(again.stdout)["instance"] == json.loads(doc)["instance"]


def test_closed_pipe_ends_quietly():
    exe = shutil.which("dlcalc")
    if exe is None:
        pytest.skip("dlcalc is not installed on PATH")
    proc = subprocess.Popen([exe, "bounds", "--eps-sweep", "1e-1:1e-300:20000", "--format", "ndjson"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    _, err = proc.communicate(timeout=60)
    assert json.loads(first)["schema_version"] == 1
    assert err == b"" and proc.returncode == 0


def test_written_files_get_ordinary_permissions(tmp_path):
    target = tmp_path / "inst.json"
    old = os.umask(0o022)
    try:
        run("build", "-d", "3", "--head", "walsh:1", "-o", str(target))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_long_tables_are_cut_for_people_not_for_scripts():
    table = run("info", "--depth", "9", "--head", "walsh:1-511").stdout
    assert "311 more rows not shown" in table
    assert len(run("info", "--depth", "9", "--head", "walsh:1-511", "--format", "csv").stdout.splitlines()) == 512


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "dlcalc", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "dlcalc" in result.stdout
