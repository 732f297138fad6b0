"""The command line: JSON contracts, errors as one line with exit code 2, verification exit 3."""

import csv
import io
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
    out = run_json(
        "build", "--depth", "4", "--seed", "3", "--head", "walsh:1-3", "--head", "sawtooth:0@0.5", "-o", str(path)
    )
    assert out["schema_version"] == 3
    assert out["instance"]["depth"] == 4 and out["instance"]["seed"] == 3
    assert [h["head"] for h in out["instance"]["heads"]] == [
        "walsh:1-3",
        "sawtooth:0@0.5",
    ]  # explicit heads stay ranges
    info = run_json("info", str(path))
    assert info["instance"] == out["instance"]
    assert info["orthogonal"] is False and info["max_offdiag_gram"] == 0.25
    assert [(h["head"], h["count"], h["levels"]) for h in info["heads"]] == [
        ("walsh:1", 1, [1]),
        ("walsh:2-3", 2, [1, 2]),
        ("sawtooth:0@0.5", 1, [1, 2, 3, 4]),
    ]
    info = run_json("info", "--depth", "4", "--head", "walsh:1-7")
    assert info["orthogonal"] is True and info["max_offdiag_gram"] == 0


def test_info_with_amplitudes_whose_products_leave_the_float_range():
    """Gram entries are exact: ``<walsh:1, walsh:1> = a_s a_t`` and ``<sawtooth:0, walsh:1> = a_s a_t / 2``
    (THEORY §3), whatever a float product of the amplitudes would round to (inf, 0, or a tie)."""
    from fractions import Fraction

    big = Fraction(1e300)
    info = run_json(
        "info", "--depth", "2", "--head", "walsh:1@1e300", "--head", "walsh:1@1e10", "--head", "walsh:1@1e300"
    )
    assert info["orthogonal"] is False and info["max_offdiag_gram"] == round(big * big)  # heads 1 and 3, not 1 and 2
    assert info["gram"][0][2] == round(big * big) and info["gram"][0][1] == round(big * Fraction(1e10))
    info = run_json("info", "--depth", "2", "--head", "sawtooth:0@1e300", "--head", "walsh:1@1e300")
    assert info["max_offdiag_gram"] == round(big * big / 2)
    table = run("info", "--depth", "2", "--head", "walsh:1@1e-200", "--head", "sawtooth:0@1e-200").stdout
    assert "orthogonal: no (largest off-diagonal Gram entry 5e-401," in table  # not the float product's 0


def test_family_shortcut():
    info = run_json("info", "--family", "walsh-all", "--beta", "2", "--depth", "3")
    assert [(h["amplitude"], h["count"]) for h in info["heads"]] == [(1, 1), (0.25, 2), (2**-4, 4)]
    assert info["instance"]["family"] == {"name": "walsh-all", "beta": 2.0}
    assert info["instance"]["heads"] == []  # a family stays a family


def test_default_instance():
    info = run_json("info")
    assert info["instance"]["depth"] == 10 and len(info["heads"]) == 10
    assert sum(h["count"] for h in info["heads"]) == 1023


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
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "seed": 0, '
        '"heads": [{"family": "walsh", "index": 0}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "seed": -1, '
        '"heads": [{"family": "walsh", "index": 1}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 99, "seed": 0, '
        '"heads": [{"family": "walsh", "index": 1}]}',
        '{"dlcalc": "instance", "schema_version": 1, "depth": 2, "flips": "zz", '
        '"heads": [{"family": "walsh", "index": 1}]}',
    ],
)
def test_bad_instance_files(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("info", str(path), code=2)
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: instance")


def test_encode_json_contract(tmp_path):
    out = run_json(
        "encode", "--depth", "5", "--head", "walsh:1-7", "--head", "sawtooth:0-1", "--eps", "2^-5", "--coder", "both"
    )
    assert set(out) >= {"schema_version", "instance", "joint", "separate", "gain", "eps"}
    for coder in ("joint", "separate"):
        rec = out[coder]
        for key in (
            "payload_bits",
            "file_bits",
            "lower_bound_bits",
            "upper_bound_bits",
            "max_error",
            "eps",
            "verified",
            "coder",
            "heads",
        ):
            assert key in rec
        assert rec["verified"] is True and rec["max_error"] <= 2**-5
        assert rec["lower_bound_bits"] <= rec["payload_bits"] == rec["upper_bound_bits"] < rec["file_bits"]
        assert {"head", "count", "precision", "payload_bits", "error", "levels", "table_equal"} <= set(rec["heads"][0])
    # by hand (THEORY §5, depth 5, ε = 2^-5, p = 5): walsh:1-7 span levels {1,2,3}, sawtooth:0 adds {1}..{5}:
    # joint 2^5 - 1 = 31.  Separate: walsh 1 + 2·2 + 4·4 = 21, sawtooth:0 31, sawtooth:1 {1,j} for j = 2..6,
    # {1,6} masked to {1}: levels 1..5, 31; total 83.  Lower (q = 4): joint 31; sawtooth:0 15, sawtooth:1 30: 66.
    assert (out["joint"]["payload_bits"], out["joint"]["lower_bound_bits"]) == (31, 31)
    assert (out["separate"]["payload_bits"], out["separate"]["lower_bound_bits"]) == (83, 66)
    # heads are listed in groups: walsh:1, walsh:2-3, walsh:4-7 (one top level each) and the run sawtooth:0-1
    assert [(h["head"], h["count"]) for h in out["separate"]["heads"]] == [
        ("walsh:1", 1),
        ("walsh:2-3", 2),
        ("walsh:4-7", 4),
        ("sawtooth:0-1", 2),
    ]
    assert [h["payload_bits"] for h in out["separate"]["heads"]] == [1, 2 * 2, 4 * 4, 31 + 31]
    assert [h["precision"] for h in out["joint"]["heads"]] == [None] * 3 + [5]
    assert [h["error"] for h in out["joint"]["heads"]] == [0] * 3 + [2**-5]
    assert out["joint"]["max_error"] == 2**-5 and out["gain"] == 83 / 31
    assert out["joint"]["heads"][0]["payload_bits"] is None
    assert sum(h["payload_bits"] for h in out["separate"]["heads"]) == out["separate"]["payload_bits"]
    assert out["gain"] == out["separate"]["payload_bits"] / out["joint"]["payload_bits"]
    single = run_json(
        "encode", "--depth", "5", "--head", "walsh:1-7", "--head", "sawtooth:0-1", "--eps", "2^-5", "--coder", "joint"
    )
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
        assert meta["heads"][15]["head"] == "sawtooth:2" and meta["heads"][15]["array"] == "head15"


def test_corrupt_dlc_cli(tmp_path):
    path = tmp_path / "x.dlc"
    path.write_bytes(b"\x89DLC\r\n\x1a\nxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    result = run("decode", str(path), code=2)
    assert result.stderr.startswith("Error:") and result.stderr.count("\n") == 1


def test_installed_script_pipeline(tmp_path):
    exe = shutil.which("dlcalc")
    if exe is None:
        pytest.skip("dlcalc is not installed on PATH")
    build = subprocess.run(
        [exe, "build", "-d", "6", "--head", "walsh:1-7", "--head", "sawtooth:1", "-o", "-"],
        capture_output=True,
        check=True,
    )
    enc = subprocess.run(
        [exe, "encode", "-", "--eps", "0.1", "-o", "-"], input=build.stdout, capture_output=True, check=True
    )
    dec = subprocess.run([exe, "decode", "-", "--format", "json"], input=enc.stdout, capture_output=True, check=True)
    assert dec.stderr == b"" and enc.stderr == b"" and build.stderr == b""
    out = json.loads(dec.stdout)  # --coder both: the joint and the separate file, back to back
    assert [c["coder"] for c in out["containers"]] == ["joint", "separate"]
    assert all(c["depth"] == 6 for c in out["containers"])
    shell = subprocess.run(
        f"{exe} build -d 6 --head walsh:1-7 -o - | {exe} encode - --eps 0.1 -o - | {exe} decode -",
        shell=True,
        capture_output=True,
        check=True,
    )
    assert shell.stderr == b"" and b"joint coder" in shell.stdout and b"separate coder" in shell.stdout


@pytest.mark.parametrize("command", ["decode", "verify"])
def test_rows_of_a_stream_say_which_file_they_come_from(tmp_path, command):
    """ndjson and CSV rows of a stream of two files carry the file's place (as --index counts) and coder."""
    inst = tmp_path / "inst.json"
    run("build", "-d", "3", "--head", "walsh:1-3", "--head", "sawtooth:0@0.3", "-o", str(inst))
    stream = run("encode", str(inst), "--eps", "0.1", "-o", "-").stdout_bytes
    args = [command] + ([str(inst)] if command == "verify" else []) + ["-"]
    rows = [json.loads(line) for line in run(*args, "--format", "ndjson", input=stream).stdout.splitlines()]
    groups = ["walsh:1", "walsh:2-3", "sawtooth:0@0.3"]
    assert [(r["container"], r["coder"], r["head"]) for r in rows] == (
        [(1, "joint", g) for g in groups] + [(2, "separate", g) for g in groups]
    )
    table = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv", input=stream).stdout)))
    assert [(r["container"], r["coder"], r["head"]) for r in table] == [
        (str(n), c, g) for n, c, g in ((r["container"], r["coder"], r["head"]) for r in rows)
    ]
    one = [
        json.loads(line) for line in run(*args, "--index", "2", "--format", "ndjson", input=stream).stdout.splitlines()
    ]
    assert [r["head"] for r in one] == groups  # one file: its rows as they are


def test_outputs_are_atomic(tmp_path, monkeypatch):
    """An interrupt between writing and renaming leaves neither the target nor a temporary file."""
    target = tmp_path / "inst.json"

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    monkeypatch.setattr(os, "link", interrupted)  # a new file is linked into place, an old one replaced
    result = CliRunner().invoke(cli, ["build", "-d", "3", "--head", "walsh:1", "-o", str(target)])
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_one_line_error(tmp_path):
    result = run("build", "-d", "3", "--head", "walsh:1", "-o", str(tmp_path / "missing" / "inst.json"), code=2)
    assert result.stderr.startswith("Error: -o ") and result.stderr.count("\n") == 1
    assert f"directory {tmp_path / 'missing'} does not exist" in result.stderr


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
    proc = subprocess.Popen(
        # 20000 lines, each repeating the sweep in its provenance: ≈8 GB, over the default --max-output
        [exe, "bounds", "--eps-sweep", "1e-1:1e-300:20000", "--format", "ndjson", "--max-output", "64GiB"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    _, err = proc.communicate(timeout=60)
    assert json.loads(first)["schema_version"] == 3
    assert err == b"" and proc.returncode == 0


def test_written_files_get_ordinary_permissions(tmp_path):
    target = tmp_path / "inst.json"
    old = os.umask(0o022)
    try:
        run("build", "-d", "3", "--head", "walsh:1", "-o", str(target))
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_long_tables_are_cut_for_people_not_for_scripts(tmp_path):
    # 511 explicit heads whose amplitudes alternate: no two form one group, so 511 rows
    heads = [{"family": "walsh", "index": n, "amplitude": 1.0 if n % 2 else 0.5} for n in range(1, 512)]
    path = tmp_path / "inst.json"
    path.write_text(
        json.dumps({"dlcalc": "instance", "schema_version": 2, "depth": 9, "seed": 0, "family": None, "heads": heads})
    )
    table = run("info", str(path)).stdout
    assert "311 more rows not shown" in table
    assert len(run("info", str(path), "--format", "csv").stdout.splitlines()) == 512


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "dlcalc", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "dlcalc" in result.stdout


ENCODE_ARGS = ["encode", "--depth", "5", "--head", "walsh:1-7", "--head", "sawtooth:0-1", "--eps", "2^-5"]


@pytest.mark.parametrize("coder,payload_bits", [("joint", 31), ("separate", 83)])
def test_max_bits_accepts_the_exact_payload_and_refuses_one_less(coder, payload_bits):
    """The payloads are 31 and 83 bits (test_encode_json_contract): exactly the budget passes, one bit less is
    refused."""
    out = run_json(*ENCODE_ARGS, "--coder", coder, "--max-bits", str(payload_bits))
    assert out["payload_bits"] == payload_bits and out["verified"]
    refused = run(*ENCODE_ARGS, "--coder", coder, "--max-bits", str(payload_bits - 1), code=2)
    assert refused.stderr == (
        f"Error: encode at ε = 2^-5 needs {payload_bits} payload bits ({coder} payload: {payload_bits}), "
        f"over the budget of {payload_bits - 1} (raise --max-bits, or use `dlcalc bounds` for the formula values)\n"
    )
    assert refused.stdout == ""
    # --max-bits bounds the whole command: both coders, every row
    run("compare", *ENCODE_ARGS[1:], "--no-baselines", "--max-bits", str(31 + 83), "--format", "json")
    run("compare", *ENCODE_ARGS[1:], "--no-baselines", "--max-bits", str(31 + 83 - 1), code=2)
    # at ε = 2^-4 (p = 4): joint 31 again (levels 1..5); separate 21 + (2^4 - 1) + (2 + 4 + 8 + 16) = 66
    run("compare", *ENCODE_ARGS[1:-1], "2^-5,2^-4", "--no-baselines", "--max-bits", str(31 + 83 + 31 + 66))
    run("compare", *ENCODE_ARGS[1:-1], "2^-5,2^-4", "--no-baselines", "--max-bits", str(31 + 83 + 31 + 66 - 1), code=2)


# depth 3, walsh:3 and sawtooth:1 at ε = 2^-2 (docs/cost.md, by hand):
# - the feature: 2^3 = 8 cells;
# - one set of tables: walsh:3's parity table has 2^top(3) = 4 cells, sawtooth:1 (p = 2, k + p = 3 <= D) a code
#   table of 2^3 = 8 cells; the feature's image on the finest table level, 3: 8 cells; the digit planes of
#   Walsh level 2: 2 · 2^2 = 8 cells.  28 cells;
# - the joint payload: {1,2} from walsh:3, {1,2}, {1,3} from sawtooth:1: basis tops 2 and 3, 2 + 4 = 6 bits;
#   decoding it: the representative's 2^3 = 8 flip cells, then its tables, 28 cells;
# - the reference that judges them: the feature's image on each table level, 4 + 8, and the true tables, 4 + 8: 24;
# - encode: feature 8, payload 6, representative 8, decoded tables 28, verification 24: 74;
#   decode: 8 + 28 = 36; verify: its feature 8, decoding 36, verification 24: 68.
CELLS_ARGS = ["--depth", "3", "--head", "walsh:3", "--head", "sawtooth:1"]


def test_max_cells_accepts_the_exact_need_and_refuses_one_less(tmp_path):
    command = ["encode", *CELLS_ARGS, "--eps", "2^-2", "--coder", "joint"]
    run(*command, "--max-cells", "74", "--format", "json")
    refused = run(*command, "--max-cells", "73", code=2)
    assert refused.stderr.startswith(
        "Error: encode at ε = 2^-2 needs 74 cells (joint decoded tables: 28), over the budget of 73 (raise --max-cells"
    )
    run(
        "quantize", *CELLS_ARGS, "--eps", "2^-2", "--max-cells", "8", "--format", "json"
    )  # the feature could be drawn; nothing more
    dlc = tmp_path / "x.dlc"
    inst = tmp_path / "inst.json"
    run("build", *CELLS_ARGS, "-o", str(inst))
    run("encode", str(inst), "--eps", "2^-2", "--coder", "joint", "-o", str(dlc))
    for command, need in ((["decode", str(dlc)], 36), (["verify", str(inst), str(dlc)], 68)):
        assert run(*command, "--max-cells", str(need), "--format", "json").exit_code == 0
        refused = run(*command, "--max-cells", str(need - 1), code=2)
        assert f"needs {need} cells" in refused.stderr and f"over the budget of {need - 1}" in refused.stderr
        assert refused.stderr.count("\n") == 1


def test_max_cells_bounds_the_depth():
    """A depth-5 feature has 2^5 = 32 cells."""
    assert run_json("build", "--depth", "5", "--head", "walsh:1", "--max-cells", "32")["instance"]["depth"] == 5
    refused = run("build", "--depth", "5", "--head", "walsh:1", "--max-cells", "31", code=2)
    assert refused.stderr.startswith("Error: depth 5 needs 2^5 cells, over the budget of 31")


# ----------------------------------------------------------------------------- explicit flips

FLIPS = [1, 0, 1, 1, 0, 0, 1]  # s_{0,0}; s_{1,0}, s_{1,1}; s_{2,0..3}: packed 1011001(0) = 0xb2


def test_explicit_flip_instance_saves_and_loads(tmp_path):
    from dlcalc import Instance, parse_heads

    inst = Instance.build(3, parse_heads("walsh:5") + parse_heads("sawtooth:1@0.5"), flips=FLIPS)
    doc = inst.to_dict()
    assert (doc["seed"], doc["flips"]) == (None, "b2")
    back = Instance.loads(inst.dumps())
    assert back == inst and back.seed is None and back.feature.flips.tolist() == FLIPS
    path = tmp_path / "inst.json"
    path.write_text(inst.dumps())
    info = run_json("info", str(path))
    assert info["instance"]["flips"] == "b2" and info["instance"]["seed"] is None
    assert run("info", str(path)).stdout.count("explicit flips") == 1


@pytest.mark.parametrize(
    "flips,message",
    [
        ("b3", "instance flips have nonzero padding bits"),
        ("b200", "instance flips hold 2 bytes; depth 3 needs 1"),
        ("zz", "instance flips are not valid hex"),
        (178, "instance flips must be a hex string"),
    ],
)
def test_bad_explicit_flips(flips, message):
    from dlcalc import FormatError, Instance

    doc = {
        "dlcalc": "instance",
        "schema_version": 1,
        "depth": 3,
        "seed": None,
        "flips": flips,
        "heads": [{"family": "walsh", "index": 5}],
    }
    with pytest.raises(FormatError, match=message):
        Instance.from_dict(doc)


def test_explicit_flip_instance_encodes_and_verifies(tmp_path):
    from dlcalc import Instance, decode, parse_heads

    from .helpers import head_codes

    heads = parse_heads("walsh:5") + parse_heads("walsh:7@0.5") + parse_heads("sawtooth:1")
    inst = Instance.build(3, heads, flips=FLIPS)
    path, dlc = tmp_path / "inst.json", tmp_path / "x.dlc"
    path.write_text(inst.dumps())
    out = run_json("encode", str(path), "--eps", "2^-3", "-o", str(dlc))
    assert out["instance"]["flips"] == "b2"
    # joint: walsh:5 {1,3}, walsh:7 {1,2,3} and sawtooth:1's {1,2},{1,3},{1,4}->{1} span levels 1..3: 7 bits;
    # separate: 4 + 4 + 7 = 15 bits
    assert (out["joint"]["payload_bits"], out["separate"]["payload_bits"]) == (7, 15)
    for coder in ("joint", "separate"):
        assert run_json("verify", str(path), str(tmp_path / f"x.{coder}.dlc"))["verified"] is True
        decoded = decode((tmp_path / f"x.{coder}.dlc").read_bytes())
        walsh5, walsh7, _ = decoded.tables
        assert (
            walsh5.values.tolist()
            == head_codes(inst.feature.flips, 3, heads[0], 2**-3)[1].tolist()
            == [0, 1, 1, 0, 0, 1, 1, 0]
        )
        assert (
            walsh7.values.tolist()
            == head_codes(inst.feature.flips, 3, heads[1], 2**-3)[1].tolist()
            == [0, 1, 0, 1, 1, 0, 1, 0]
        )
    other = tmp_path / "other.json"  # flip s_{1,1}: walsh:7 reads it, so the file no longer fits
    other.write_text(Instance.build(3, heads, flips=[1, 0, 0, 1, 0, 0, 1]).dumps())
    failed = run("verify", str(other), str(tmp_path / "x.joint.dlc"), "--format", "json", code=3)
    assert json.loads(failed.stdout)["verified"] is False


def test_zero_head_note_agrees_in_number():
    one = run("encode", "-d", "3", "--head", "walsh:1", "--head", "walsh:2@0.25", "--eps", "0.25", "--format", "table")
    assert "1 head has amplitude ≤ ε: it is 0, carries no bits and errs by its amplitude" in " ".join(
        one.output.split()
    )
    two = run(
        "encode", "-d", "3", "--head", "walsh:1", "--head", "walsh:2-3@0.25", "--eps", "0.25", "--format", "table"
    )
    assert "2 heads have amplitude ≤ ε: they are 0, carry no bits and err by their amplitude" in " ".join(
        two.output.split()
    )
