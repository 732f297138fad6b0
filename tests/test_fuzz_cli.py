"""Fuzzing the command line: hostile numbers in every numeric slot of every command, mutated
.dlc headers and instance files (with recomputed checksums), special files as outputs.

Every case must end with exit code 0 (an answer), 2 (a one-line refusal) or 3 (a failed
verification), never a traceback.  The bulk runs in process (CliRunner); a modest sample
runs the real interpreter under a memory cap (RLIMIT_AS) and a time cap.  Derandomized.
"""

import json
import os
import resource
import stat
import struct
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcalc import Instance, encode, family_heads, parse_heads
from dlcalc.cli import cli

from .dlc_edits import mutate, mutation, with_header

BULK = settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
CAPPED = settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
MEMORY_CAP = 1 << 30
TIME_CAP = 60
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

# ----------------------------------------------------------------------------- hostile numbers, by class

HUGE = [
    "1" + "0" * 309,
    "9" * 5000,
    "1e400",
    "1e308",
    "2^1023",
    "2^99999999",
    "4294967296",
    "18446744073709551617",
    "1" + "0" * 1300,
]
NEGATIVE = ["-1", "-0", "-0.0", "-1e-300", "-2^3", "-" + "9" * 400]
NONFINITE = ["inf", "-inf", "nan", "NaN", "Infinity", "+inf"]
NON_ASCII = ["١٢", "１２", "٣.٥", "1_0", "1e1_0", "2^-1_0", "߁", "१"]
UNDERFLOW = ["1e-400", "2^-1075", "0.5^1075", "4.9e-325"]
EDGE = ["0", "1", "0.5", "5e-324", "2^-1074", "1e-300", "3", "0x10", "", " ", "1e", "2^", "1.5", "+3"]
numbers = st.one_of(
    st.sampled_from(HUGE + NEGATIVE + NONFINITE + NON_ASCII + UNDERFLOW + EDGE),
    st.integers(-(10**400), 10**400).map(str),
    st.floats().map(repr),
    st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=5),
    st.tuples(st.sampled_from(["2", "10", "0.5", "-2", "3"]), st.integers(-5000, 5000)).map(lambda t: f"{t[0]}^{t[1]}"),
)

SMALL = ["--depth", "3"]


# every numeric slot of every command: a function of the hostile number to a command line
SLOTS = []
for cmd, tail in [
    ("build", []),
    ("info", []),
    ("quantize", ["--eps", "0.25"]),
    ("encode", ["--eps", "0.25"]),
    ("compare", ["--eps", "0.25", "--no-baselines"]),
    ("network", ["--eps", "0.25"]),
]:
    SLOTS += [
        lambda n, c=cmd, t=tail: [c, "--depth", n, "--head", "walsh:1", *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--seed", n, *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--head", f"walsh:{n}", *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--head", f"sawtooth:{n}", *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--head", f"walsh:1-{n}", *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--head", f"sawtooth:1@{n}", *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--family", "walsh-all", "--beta", n, *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--family", "sawtooth-all", "--beta", n, *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--max-cells", n, *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--max-memory", n, *t],
        lambda n, c=cmd, t=tail: [c, *SMALL, "--max-memory", f"{n}GiB", *t],
    ]
    if "--eps" in tail:
        SLOTS.append(lambda n, c=cmd, t=tail: [c, *SMALL, "--eps", n, *t[2:]])
SLOTS += [
    lambda n: ["encode", *SMALL, "--eps", "0.1", "--max-bits", n],
    lambda n: ["decode", "-", "--index", n],
    lambda n: ["decode", "-", "--max-cells", n],
    lambda n: ["compare", *SMALL, "--no-baselines", "--max-bits", n, "--eps", "0.3"],
    lambda n: ["compare", *SMALL, "--no-baselines", "--eps", f"0.5,{n}"],
    lambda n: ["compare", *SMALL, "--no-baselines", "--eps-sweep", f"{n}:0.1:3"],
    lambda n: ["compare", *SMALL, "--no-baselines", "--eps-sweep", f"0.5:{n}:3"],
    lambda n: ["bounds", "--family", "walsh-all", "--beta", n, "--eps", "1e-300"],
    lambda n: ["bounds", "--family", "sawtooth-all", "--beta", n, "--eps", "5e-324"],
    lambda n: ["bounds", "--family", "sawtooth-all", "--beta", n, "--eps", "0.25", "--depth", "100000"],
    lambda n: ["bounds", "--family", "walsh-all", "--eps", n],
    lambda n: ["bounds", "--family", "sawtooth-all", "--eps", n],
    lambda n: ["bounds", "--family", "sawtooth-all", "--beta", "1e-300", "--eps", "0.25", "--depth", n],
    lambda n: ["bounds", "--family", "walsh-all", "--beta", "0.01", "--eps", "1e-300", "--depth", n],
    lambda n: ["bounds", "--head", f"walsh:{n}", "--eps", "1e-300"],
    lambda n: ["bounds", "--head", f"sawtooth:{n}", "--eps", "5e-324"],
    lambda n: ["bounds", "--head", f"sawtooth:{n}@1e308", "--head", "walsh:7", "--eps", "5e-324"],
    lambda n: ["bounds", "--head", f"sawtooth:0-3@{n}", "--eps", "1e-300"],
    lambda n: ["bounds", "--eps-sweep", f"{n}:1e-300:7"],
    lambda n: ["bounds", "--eps-sweep", f"0.5:{n}"],
    lambda n: ["bounds", "--eps-sweep", f"0.5:1e-300:{n}"],
]
FORMATS = st.sampled_from(["table", "json", "ndjson", "csv"])


def check(result, fmt=None) -> None:
    assert result.exit_code in (0, 2, 3), (result.exit_code, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    if result.exit_code in (0, 3) and fmt in ("json", "ndjson") and result.stdout:
        for line in result.stdout.splitlines():
            json.loads(line)


@BULK
@given(st.sampled_from(range(len(SLOTS))), numbers, FORMATS)
def test_hostile_numbers_in_every_slot(slot, number, fmt):
    args = SLOTS[slot](number) + ["--format", fmt]
    check(CliRunner().invoke(cli, args, input=slot_input(args)), fmt)


def slot_input(args: list[str]) -> bytes | None:
    """What a slot's command reads on stdin: a .dlc file for ``decode -``."""
    return DLC[1] if args[:2] == ["decode", "-"] else None


# ----------------------------------------------------------------------------- mutated headers and instances


def _dlc_files():
    inst = Instance.build(4, parse_heads("walsh:1-5") + parse_heads("sawtooth:0-1@0.5"), seed=1)
    fam = Instance.build(4, family_heads("walsh-all", 1.0, 4), seed=1, family={"name": "walsh-all", "beta": 1.0})
    return [encode(inst, 0.25, "joint"), encode(inst, 2**-4, "separate"), encode(fam, 0.25, "separate")]


DLC = _dlc_files()
INSTANCE = Instance.build(3, parse_heads("walsh:1-3") + parse_heads("sawtooth:1@0.5"), seed=2).to_dict()

# raw JSON text: what json.dumps never writes but a file may hold
raw_values = st.one_of(
    numbers.filter(lambda t: t.strip() != ""),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "1e-400",
            "1e400",
            "true",
            "null",
            '"x"',
            "[]",
            "{}",
            "1.0",
            "4.0",
            '["walsh:1"]',
            '{"name": "walsh-all", "beta": 1e-400}',
            '{"name": "sawtooth-all", "beta": 1' + "0" * 309 + "}",
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
        max_leaves=6,
    ).map(lambda v: json.dumps(v, allow_nan=True)),
)
HEADER_KEYS = ["depth", "eps", "heads", "family", "comment", "eps"]  # eps twice: duplicates are drawn as well


def json_with(doc: dict, key: str, raw: str, duplicate: bool) -> str:
    """``doc`` as JSON text with ``key`` set to the raw text ``raw`` (or added a second time)."""
    base = {k: v for k, v in doc.items() if duplicate or k != key}
    text = json.dumps(base)
    return (
        (text[:-1] + (", " if base else "") + f"{json.dumps(key)}: {raw}}}")
        if text != "{}"
        else f"{{{json.dumps(key)}: {raw}}}"
    )


@BULK
@given(
    st.sampled_from(range(len(DLC))), st.sampled_from(HEADER_KEYS), raw_values, st.booleans(), st.booleans(), FORMATS
)
def test_mutated_headers_with_recomputed_checksums(tmp_path_factory, which, key, raw, duplicate, verify, fmt):
    data = DLC[which]
    (hlen,) = struct.unpack_from(">I", data, 12)
    header = json.loads(data[16 : 16 + hlen])
    mutated = with_header(data, json_with(header, key, raw, duplicate).encode())
    if verify:
        instance = tmp_path_factory.mktemp("inst") / "inst.json"
        instance.write_text(json.dumps(INSTANCE))
        args = ["verify", str(instance), "-"]
    else:
        args = ["decode", "-"]
    check(CliRunner().invoke(cli, args + ["--format", fmt], input=mutated), fmt)


@BULK
@given(st.sampled_from(range(len(DLC))), st.lists(mutation, min_size=1, max_size=4), st.booleans())
def test_mutated_dlc_bytes(which, ops, seal):
    check(CliRunner().invoke(cli, ["decode", "-", "--format", "json"], input=mutate(DLC[which], ops, seal)), "json")


INSTANCE_PATHS = ["", "heads.0", "family"]
INSTANCE_KEYS = [
    "dlcalc",
    "schema_version",
    "depth",
    "seed",
    "flips",
    "family",
    "heads",
    "extra",
    "index",
    "amplitude",
    "head",
    "beta",
    "name",
]


@BULK
@given(
    st.sampled_from(INSTANCE_PATHS),
    st.sampled_from(INSTANCE_KEYS),
    raw_values,
    st.booleans(),
    st.sampled_from([["info", "-"], ["encode", "-", "--eps", "0.25"], ["quantize", "-", "--eps", "2^-3"]]),
    FORMATS,
)
def test_mutated_instances(path, key, raw, duplicate, command, fmt):
    doc = json.loads(json.dumps({**INSTANCE, "family": {"name": "walsh-all", "beta": 1.0}}))
    if path == "":
        text = json_with(doc, key, raw, duplicate)
    else:
        outer, _, inner = path.partition(".")
        target = doc[outer][int(inner)] if inner else doc[outer]
        marker = "__MUTATED__"
        doc[outer] = [marker] + doc[outer][1:] if inner else marker
        text = json.dumps(doc).replace(json.dumps(marker), json_with(target, key, raw, duplicate))
    check(CliRunner().invoke(cli, command + ["--format", fmt], input=text), fmt)


# ----------------------------------------------------------------------------- special files as outputs

KINDS = [
    "missing",
    "regular",
    "dangling symlink",
    "live symlink",
    "symlink to a device",
    "fifo",
    "directory",
    "device node",
]
WRITERS = [
    lambda out: ["build", *SMALL, "--head", "walsh:1", "-o", out],
    lambda out: ["encode", *SMALL, "--head", "walsh:1", "--eps", "0.5", "--coder", "joint", "-o", out],
    lambda out: ["decode", "-", "-o", out],
    lambda out: ["network", *SMALL, "--head", "walsh:1", "--eps", "0.5", "--export", out],
    lambda out: ["bounds", "--eps", "0.5", "--plot", out],
]
SUFFIXES = ["", "", ".csv", ".json", ".png"]


def make_target(tmp: Path, kind: str, suffix: str) -> Path | None:
    path = tmp / f"out{suffix}"
    keep = tmp / "keep"
    keep.write_text("keep")
    if kind == "regular":
        path.write_text("old")
    elif kind == "dangling symlink":
        os.symlink(tmp / "nowhere", path)
    elif kind == "live symlink":
        os.symlink(keep, path)
    elif kind == "symlink to a device":
        os.symlink("/dev/null", path)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "device node":
        try:
            os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        except OSError:
            return None
    return path


@settings(max_examples=48, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(KINDS), st.sampled_from(range(len(WRITERS))), st.booleans())
def test_special_files_as_outputs(tmp_path_factory, kind, writer, force):
    tmp = tmp_path_factory.mktemp("out")
    path = make_target(tmp, kind, SUFFIXES[writer])
    if path is None:
        return
    before = os.lstat(path) if kind != "missing" else None
    args = WRITERS[writer](str(path)) + (["--force"] if force else [])
    result = CliRunner().invoke(cli, args, input=DLC[0] if writer == 2 else None)
    check(result)
    may_write = kind == "missing" or (force and kind in ("regular", "dangling symlink", "live symlink"))
    if may_write:
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISREG(os.lstat(path).st_mode)
    else:
        assert result.exit_code == 2
        after = os.lstat(path)
        assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino
    assert (tmp / "keep").read_text() == "keep"
    assert not list(tmp.glob(".dlcalc-*"))


# ----------------------------------------------------------------------------- the real interpreter, capped


def capped(args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        input=stdin,
        capture_output=True,
        preexec_fn=limits,
        env=ENV,
        timeout=TIME_CAP,
    )


def check_process(proc) -> None:
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode in (0, 2, 3), (proc.returncode, err)
    assert "Traceback" not in err and "MemoryError" not in err and "Exception ignored" not in err, err
    if proc.returncode == 2:
        assert err.count("\n") == 1, err


@CAPPED
@given(st.sampled_from(range(len(SLOTS))), numbers, FORMATS)
def test_hostile_numbers_under_memory_and_time_caps(slot, number, fmt):
    args = SLOTS[slot](number) + ["--format", fmt]
    check_process(capped(args, slot_input(args)))


@CAPPED
@given(st.sampled_from(range(len(DLC))), st.sampled_from(HEADER_KEYS), raw_values, st.booleans())
def test_mutated_headers_under_memory_and_time_caps(which, key, raw, duplicate):
    data = DLC[which]
    (hlen,) = struct.unpack_from(">I", data, 12)
    header = json.loads(data[16 : 16 + hlen])
    check_process(capped(["decode", "-"], with_header(data, json_with(header, key, raw, duplicate).encode())))


#: One number of each class, tried in every slot of every command (the draws above add variety).
REPRESENTATIVES = [
    "1" + "0" * 309,
    "9" * 5000,
    "1e400",
    "2^1023",
    "1e308",
    "-1",
    "-0",
    "nan",
    "inf",
    "١٢",
    "1_0",
    "1e-400",
    "2^-1075",
    "5e-324",
    "0",
    "0.5",
    "3",
]


def test_every_class_in_every_slot():
    runner = CliRunner()
    for slot in SLOTS:
        for number in REPRESENTATIVES:
            for fmt in ("json", "table"):
                args = slot(number) + ["--format", fmt]
                check(runner.invoke(cli, args, input=slot_input(args)), fmt)
