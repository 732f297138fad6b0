"""What the commands tell people: refusals before the work, one number style in every command,
bounds beside the bits, the fit only where it means something, files named in errors."""

import csv
import io
import json
import sys
import time
from fractions import Fraction

import pytest
from click.testing import CliRunner

import dlcalc
from dlcalc.cli import cli
from dlcalc.coding._pipeline import encode as encode_bytes

from .terminal import render, tables


def run(*args, code=0, input=None):
    # piped, a table is laid out for 80 columns: these tests read whole tables at 160
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, env={"COLUMNS": "160"})
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def table_of(result, index=0):
    return tables(render(result.stdout.replace("\n", "\r\n").encode(), 160))[index]


# ----------------------------------------------------------------------------- refusals before the work

D14 = ["--depth", "14"]


@pytest.fixture(scope="module")
def depth14(tmp_path_factory):
    """A depth-14 walsh-all instance file and its joint .dlc at ε = 2^-13 (decoding it is real work)."""
    where = tmp_path_factory.mktemp("d14")
    inst = dlcalc.Instance.build(
        14, dlcalc.family_heads("walsh-all", 1.0, 14), seed=0, family={"name": "walsh-all", "beta": 1.0}
    )
    (where / "inst.json").write_text(inst.dumps())
    (where / "inst.dlc").write_bytes(encode_bytes(inst, 2**-13, "joint"))
    (where / "exists.png").write_bytes(b"x")
    (where / "exists.json").write_bytes(b"x")
    (where / "exists.csv").write_bytes(b"x")
    return where


def _no_work(*_, **__):
    raise AssertionError("the work started before the refusal")


REFUSALS = [
    (["compare", *D14, "--plot", "{d}/exists.png"], "exists", None),
    (["compare", *D14, "--plot", "{d}/x.gif"], ".png, .svg or .pdf", None),
    (["compare", *D14, "--plot", "{d}/x.png"], "matplotlib", "matplotlib"),
    (["bounds", "--eps-sweep", "2^-1:2^-40", "--plot", "{d}/x.gif"], ".png, .svg or .pdf", None),
    (["network", *D14, "--eps", "2^-14", "--export", "{d}/x.txt"], ".json or .onnx", None),
    (["network", *D14, "--eps", "2^-14", "--export", "{d}/exists.json"], "exists", None),
    (["network", *D14, "--eps", "2^-14", "--export", "{d}/x.onnx"], "onnx", "onnx"),
    (["decode", "{d}/inst.dlc", "-o", "{d}/x.txt"], ".npz or .csv", None),
    (["decode", "{d}/inst.dlc", "-o", "{d}/exists.csv"], "exists", None),
    (["encode", "{d}/inst.json", "--eps", "2^-14", "--coder", "joint", "-o", "{d}/exists.png"], "exists", None),
    (["build", *D14, "-o", "{d}/exists.json"], "exists", None),
]


@pytest.mark.parametrize(
    "args, says, missing", REFUSALS, ids=[" ".join(a[:1] + a[-2:-1]) + f" {s}" for a, s, _ in REFUSALS]
)
def test_refusals_come_before_the_work(depth14, monkeypatch, args, says, missing):
    from dlcalc import study
    from dlcalc.cli import coding
    from dlcalc.study import _coding, _compare

    for module, name in [  # the work itself, wherever a command reaches it
        (_compare, "compare_row"),
        (_compare, "family_bounds"),
        (study, "network_records"),
        (coding, "decode_container"),
        (_coding, "run_class"),
    ]:
        monkeypatch.setattr(module, name, _no_work)
    if missing:  # the optional extra is not installed
        monkeypatch.setitem(sys.modules, missing, None)
    start = time.monotonic()
    result = run(*(a.format(d=depth14) for a in args), code=2)
    elapsed = time.monotonic() - start
    assert says in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert elapsed < 1.0, f"refused after {elapsed:.2f} s"


def test_decode_of_the_depth14_file_is_real_work(depth14):
    # what the refusals above skip: the file decodes (and exports) for real
    out = json.loads(run("decode", str(depth14 / "inst.dlc"), "--format", "json").stdout)
    assert out["depth"] == 14 and out["payload_bits"] == 2**13 - 1


# ----------------------------------------------------------------------------- one number style


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    where = tmp_path_factory.mktemp("files")
    run(
        "build",
        "-d",
        "6",
        "-s",
        "1",
        "--head",
        "walsh:1-7",
        "--head",
        "sawtooth:0-2@0.5",
        "-o",
        str(where / "inst.json"),
    )
    run(
        "build",
        "-d",
        "6",
        "-s",
        "2",
        "--head",
        "walsh:1-7",
        "--head",
        "sawtooth:0-2@0.5",
        "-o",
        str(where / "other.json"),
    )
    run("encode", str(where / "inst.json"), "--eps", "2^-6", "-o", str(where / "inst.dlc"))
    return where


def test_every_command_writes_eps_as_a_power_of_two(files):
    inst, dlc = str(files / "inst.json"), str(files / "inst.joint.dlc")
    titled = [
        ("quantize", inst, "--eps", "2^-6"),
        ("encode", inst, "--eps", "2^-6"),
        ("decode", dlc),
        ("verify", inst, dlc),
        ("network", inst, "--eps", "2^-6"),
    ]
    for args in titled:
        out = run(*args).stdout
        assert "ε = 2^-6" in out.splitlines()[0], (args, out.splitlines()[0])
        assert "0.015625:" not in out and "= 0.015625" not in out
    for args in [("compare", inst, "--eps", "2^-6,2^-3"), ("bounds", "--eps", "2^-6,2^-3")]:
        assert [row[0] for row in table_of(run(*args)).rows] == ["2^-3", "2^-6"]
    # and in messages
    bad = run("verify", str(files / "other.json"), dlc, code=3)
    assert "against ε = 2^-6" in bad.stderr
    # amplitudes that are powers of two, too
    assert "sawtooth:0@2^-1" in run("info", inst).stdout


def test_errors_are_never_shown_below_their_value():
    args = ["--depth", "10", "--head", "sawtooth:0-3", "--head", "sawtooth:1@0.3", "--eps", "2^-10"]
    records = json.loads(run("quantize", *args, "--format", "json").stdout)["heads"]
    shown = table_of(run("quantize", *args))
    col = shown.headers.index("sup error")
    for record, row in zip(records, shown.rows, strict=False):
        value = Fraction(2) ** int(row[col][2:]) if row[col].startswith("2^") else Fraction(row[col])
        assert value >= Fraction(record["error"])
    assert "2^-10" in run("quantize", *args).stdout  # 2^-10 = 0.0009765625, a power of two: exact
    encoded = run("encode", *args)
    assert "0.0009765" not in encoded.stdout.replace("0.0009765625", "")


def test_one_style_for_gains():
    assert (
        "gain (separate ÷ joint payload bits): 2.794"
        in run(
            "encode", "--depth", "6", "-s", "1", "--head", "walsh:1-7", "--head", "sawtooth:0-2@0.5", "--eps", "2^-6"
        ).stdout
    )
    rows = table_of(run("compare", "--depth", "6", "--eps", "2^-2,2^-6", "--no-baselines")).rows
    assert [r[5] for r in rows] == ["1.667", "21.67"]  # 5/3 and 1365/63, 4 significant digits


# ----------------------------------------------------------------------------- compare's table


def test_compare_shows_lower_and_upper_bounds_in_payload_bits():
    args = ["compare", "--family", "sawtooth-all", "--depth", "8", "--eps", "2^-3,2^-5", "--no-baselines"]
    rows = json.loads(run(*args, "--format", "json").stdout)["rows"]
    table = table_of(run(*args))
    assert table.headers[:6] == [
        "ε",
        "joint payload bits",
        "joint bounds (bits)",
        "separate payload bits",
        "separate bounds (bits)",
        "gain (sep ÷ joint)",
    ]
    for row, line in zip(rows, table.rows, strict=False):
        for coder, col in (("joint", 2), ("separate", 4)):
            lo, up = row[coder]["lower_bound_bits"], row[coder]["upper_bound_bits"]
            assert lo < up and line[col] == f"{lo}–{up}"
    # equal bounds: one number (walsh-all, lower = upper)
    walsh = table_of(run("compare", "--depth", "6", "--eps", "2^-4", "--no-baselines"))
    assert walsh.rows[0][1:5] == ["15", "15", "85", "85"]


def test_compare_says_what_the_baseline_ratio_divides():
    # like with like: the compressor's whole output against the whole .dlc file, its content against the payload
    out = run("compare", "--depth", "5", "--eps", "2^-1,2^-4").stdout
    headers = table_of(run("compare", "--depth", "5", "--eps", "2^-1,2^-4")).headers
    assert {"content ÷ joint payload", "file ÷ joint .dlc file", "its content bits", "its file bits"} <= set(headers)
    assert "whole output" in out and "divided by the joint payload bits" in out
    assert "divided by the joint coder's whole .dlc file bits" in out
    doc = json.loads(run("compare", "--depth", "5", "--eps", "2^-1,2^-4", "--format", "json").stdout)
    for row in doc["rows"]:
        best = row["best_baseline"]
        assert best["ratio_to_joint_file"] == best["joint_bits"] / row["joint"]["file_bits"]
        assert best["ratio_to_joint_payload"] == best["joint_content_bits"] / row["joint"]["payload_bits"]
        framing = row["baselines"][best["name"]]["framing_bits"]
        assert best["joint_content_bits"] == best["joint_bits"] - framing


def test_a_single_eps_prints_no_fit():
    out = run("compare", "--depth", "5", "--eps", "2^-3").stdout
    assert "slope" not in out and "γ" not in out
    assert (
        json.loads(run("compare", "--depth", "5", "--eps", "2^-3", "--format", "json").stdout)["fit"]["joint_slope"]
        is None
    )


def test_a_depth_that_caps_the_bits_is_said_and_left_out_of_the_fit():
    args = ["compare", "--family", "sawtooth-all", "--depth", "5", "--eps-sweep", "2^-1:2^-9", "--no-baselines"]
    doc = json.loads(run(*args, "--format", "json").stdout)
    # independent check of which rows the depth caps: one more level of depth would add bits
    deeper = json.loads(run(*args[:4], "6", *args[5:], "--format", "json").stdout)
    capped = [
        r["eps"]
        for r, d in zip(doc["rows"], deeper["rows"], strict=False)
        if r["separate"]["payload_bits"] != d["separate"]["payload_bits"]
    ]
    assert capped and doc["fit"]["depth_capped_eps"] == capped
    out = run(*args).stdout
    assert f"depth 5 reached at ε ≤ 2^-{len(doc['rows']) - len(capped) + 1}" in out
    assert "theory (depth-free)" in out
    # the fit uses the uncapped rows only: their slope, not the flattened one
    from dlcalc.quantize._bounds import fit_slope

    free = [r for r in doc["rows"] if r["eps"] not in capped]
    assert doc["fit"]["joint_slope"] == fit_slope([r["eps"] for r in free], [r["joint"]["payload_bits"] for r in free])


def test_eps_and_sweep_merge_sorted_once():
    doc = json.loads(run("bounds", "--eps", "2^-3,0.3,2^-1", "--eps-sweep", "2^-1:2^-4", "--format", "json").stdout)
    assert [r["eps"] for r in doc["rows"]] == [0.5, 0.3, 0.25, 0.125, 0.0625]


# ----------------------------------------------------------------------------- files and formats


def test_decode_exports_say_what_they_wrote(files, tmp_path):
    for name in ("table.csv", "table.npz"):
        result = run("decode", str(files / "inst.joint.dlc"), "-o", str(tmp_path / name))
        assert f"wrote {tmp_path / name}" in result.stderr and (tmp_path / name).exists()


def test_decode_picks_one_file_of_a_stream(files):
    stream = (files / "inst.joint.dlc").read_bytes() + (files / "inst.separate.dlc").read_bytes()
    refused = run("decode", "-", "-o", "-", input=stream, code=2)
    assert "--index" in refused.stderr and "stdin holds 2" in refused.stderr
    second = run("decode", "-", "--index", "2", "-o", "-", input=stream).stdout
    alone = run("decode", str(files / "inst.separate.dlc"), "-o", "-").stdout
    assert second == alone and second.startswith("head,level,cell,value")
    assert json.loads(run("decode", "-", "--index", "1", "--format", "json", input=stream).stdout)["coder"] == "joint"
    assert "holds 2 .dlc files" in run("decode", "-", "--index", "3", input=stream, code=2).stderr
    verified = json.loads(
        run("verify", str(files / "inst.json"), "-", "--index", "2", "--format", "json", input=stream).stdout
    )
    assert verified["coder"] == "separate" and verified["verified"] is True


def test_csv_booleans_match_json(files):
    rows = list(
        csv.DictReader(
            io.StringIO(
                run("verify", str(files / "inst.json"), str(files / "inst.joint.dlc"), "--format", "csv").stdout
            )
        )
    )
    assert {r["table_equal"] for r in rows} == {"true"} and {r["within_eps"] for r in rows} == {"true"}
    compare_rows = list(
        csv.DictReader(io.StringIO(run("compare", "--depth", "4", "--eps", "0.3", "--format", "csv").stdout))
    )
    assert compare_rows[0]["joint.verified"] == "true"


def test_errors_about_a_file_name_it(tmp_path):
    bad = tmp_path / "not-a-dlc.dlc"
    bad.write_bytes(b"hello, this is not a dlc file at all")
    result = run("decode", str(bad), code=2)
    assert str(bad) in result.stderr and "bad magic" in result.stderr and result.stderr.count("\n") == 1
    assert "stdin" in run("decode", "-", input=b"garbage that is no dlc file", code=2).stderr


def test_help_says_what_options_are_for():
    compare_help = run("compare", "--help").stdout
    assert "--plot FILE.png|svg|pdf" in compare_help and "Overwrite an existing --plot file" in compare_help
    network_help = run("network", "--help").stdout
    arch = network_help.split("Options:", 1)[1].split("--arch", 1)[1].split("\n  -", 1)[0]
    assert "joint" in arch and "separate" in arch and "network" in arch


@pytest.mark.parametrize(
    "args, advice",
    [
        (
            ["compare", "--depth", "16", "--eps-sweep", "2^-1:2^-16"],
            "(leave the compressors out with --no-baselines, or raise --max-cells",
        ),
        (["compare", "--trained"], "(train at fewer values of ε, as --eps-sweep 2^-1:2^-2 does, or raise --max-cells"),
        (
            ["compare", "--depth", "16", "--eps-sweep", "2^-1:2^-16", "--no-baselines", "--max-cells", "1e9"],
            "(give fewer or larger values of ε (--eps, --eps-sweep), or raise --max-cells",
        ),
        (["compare", "--depth", "16", "--eps", "2^-16", "--no-baselines", "--max-cells", "1e9"], "(raise --max-cells"),
    ],
)
def test_a_refused_sweep_names_what_would_fit(args, advice):
    """A refusal names the smaller request that fits, by the largest step, before the budget option."""
    result = run(*args, code=2)
    assert advice in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_heads_that_read_above_the_depth_are_named():
    """Walsh heads whose digits pass the depth are not accepted silently: the output says what happens."""
    for command in (["compare", "--no-baselines"], ["encode"], ["quantize"], ["info"]):
        eps = [] if command == ["info"] else ["--eps", "0.5"]
        out = run(*command, "--depth", "2", "--head", "walsh:1-7", *eps).stdout
        assert "walsh:4-7 read digits above the depth 2; there the feature is the identity" in " ".join(out.split())
        out = run(*command, "--depth", "3", "--head", "walsh:1-7", *eps).stdout
        assert "above the depth" not in out


def test_a_family_with_no_heads_says_why():
    result = run("compare", "--depth", "0", code=2)
    assert "walsh-all at depth 0 has no heads" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "missing, says",
    [
        (["jax", "optax", "constriction"], "(jax, optax and constriction are missing)"),
        (["constriction"], "(constriction is missing)"),
        (["jax", "constriction"], "(jax and constriction are missing)"),
    ],
)
def test_the_train_extra_names_every_missing_package(monkeypatch, missing, says):
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)
    result = run("train", "--depth", "2", "--eps", "0.5", code=2)
    assert result.stderr == f"Error: dlcalc train needs the train extra {says}: pip install -e '.[train]'\n"


def test_install_hints_are_written_one_way():
    """Every hint the tool prints installs from the checkout, as the README does: pip install -e '.[extra]'."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "dlcalc"
    hints = {m for f in root.rglob("*.py") for m in re.findall(r"pip install [^ \n`\"]* ?[^ \n`\"]*", f.read_text())}
    assert hints and all(re.fullmatch(r"pip install -e '\.\[(train|onnx|plot)\]'[).,]?", h) for h in hints), hints
