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

import pytest
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
    lambda n: ["decode", "-", "-o", os.devnull, "--max-output", n],  # the number first, then the device refused
    lambda n: ["build", *SMALL, "-o", os.devnull, "--max-output", f"{n}KiB"],
    lambda n: ["bounds", "--eps", "0.5", "--max-cells", n],
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


# ----------------------------------------------------------------------------- every command, by class


def command_lines(tmp: Path) -> dict[str, list[str]]:
    """One small, quick command line per command (an instance and a .dlc file written to ``tmp``)."""
    inst, dlc = tmp / "inst.json", tmp / "in.dlc"
    inst.write_text(json.dumps(INSTANCE))
    dlc.write_bytes(encode(Instance.from_dict(INSTANCE), 0.25, "joint"))
    tail = ["--depth", "3", "--head", "walsh:1-3", "--head", "sawtooth:0@0.5"]
    return {
        "build": ["build", *tail],
        "info": ["info", *tail],
        "quantize": ["quantize", *tail, "--eps", "2^-3"],
        "encode": ["encode", *tail, "--eps", "2^-3"],
        "decode": ["decode", str(dlc)],
        "verify": ["verify", str(inst), str(dlc)],
        "compare": ["compare", *tail, "--eps", "0.5,0.25"],
        "bounds": ["bounds", "--eps", "0.5,2^-20"],
        "network": ["network", *tail, "--eps", "2^-3"],
        "train": ["train", "--depth", "1", "--eps", "0.5", "--steps", "1", "--restarts", "1", "--max-width", "1"]
        + ["--arch", "joint", "--shape", "shallow"],
        "completion": ["completion", "bash"],
    }


#: Every output option of every command, as a function of the path it is pointed at.
OUTPUT_OPTIONS = {
    "build -o": lambda lines, out: [*lines["build"], "-o", out],
    "encode -o": lambda lines, out: [*lines["encode"], "--coder", "joint", "-o", out],
    "encode --coder both -o": lambda lines, out: [*lines["encode"], "-o", out],
    "decode -o .csv": lambda lines, out: [*lines["decode"], "-o", f"{out}.csv"],
    "decode -o .npz": lambda lines, out: [*lines["decode"], "-o", f"{out}.npz"],
    "compare --plot": lambda lines, out: [*lines["compare"], "--plot", f"{out}.png"],
    "bounds --plot": lambda lines, out: [*lines["bounds"], "--plot", f"{out}.svg"],
    "network --export .json": lambda lines, out: [*lines["network"], "--export", f"{out}.json"],
    "network --export .onnx": lambda lines, out: [*lines["network"], "--export", f"{out}.onnx"],
    "train --export": lambda lines, out: [*lines["train"], "--export", f"{out}.json"],
}


def test_every_output_option_is_listed():
    """The table above names every option that writes a file: a new one must join it."""
    writing = {
        (name, opt)
        for name, command in cli.commands.items()
        for param in command.params
        for opt in param.opts
        if opt in ("-o", "--plot", "--export")
    }
    listed = {(key.split()[0], key.split()[1 if "--coder" not in key else 3]) for key in OUTPUT_OPTIONS}
    assert writing == listed


@pytest.mark.parametrize("where", ["missing", "a file", "read-only"])
@pytest.mark.parametrize("option", list(OUTPUT_OPTIONS))
def test_every_output_option_checks_its_directory_first(tmp_path, monkeypatch, option, where):
    """A missing, non-directory or unwritable parent is refused before any work, naming it (exit 2)."""
    lines = command_lines(tmp_path)
    parent = tmp_path / "nodir"
    if where == "a file":
        parent.write_text("")
    elif where == "read-only":
        parent.mkdir()
        parent.chmod(0o555)
        if os.access(parent, os.W_OK):  # root writes anywhere: the check is asked instead
            real = os.access
            monkeypatch.setattr(os, "access", lambda p, mode, **kw: str(p) != str(parent) and real(p, mode, **kw))
    from dlcalc import study

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the output was checked")

    for name in ("plan_encode", "plan_compare", "plan_networks", "bounds_row", "describe_instance", "plan_training"):
        monkeypatch.setattr(study, name, no_work)
    import dlcalc.cli.coding as coding_cli

    monkeypatch.setattr(coding_cli, "_files", no_work)
    result = CliRunner().invoke(cli, OUTPUT_OPTIONS[option](lines, str(parent / "x")))
    check(result)
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert str(parent) in result.stderr, result.stderr
    assert {"missing": "does not exist", "a file": "is not a directory", "read-only": "is not writable"}[where] in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and "training needs" not in result.stderr


@pytest.mark.parametrize("option", ["compare --plot", "bounds --plot"])
def test_plot_to_stdout_is_refused_up_front(tmp_path, monkeypatch, option):
    from dlcalc import study

    monkeypatch.setattr(study, "compare_rows", lambda *a, **k: pytest.fail("the sweep ran"))
    monkeypatch.setattr(study, "bounds_row", lambda *a, **k: pytest.fail("the sweep ran"))
    args = list(OUTPUT_OPTIONS[option](command_lines(tmp_path), "x"))
    args[-1] = "-"
    result = CliRunner().invoke(cli, args)
    check(result)
    assert result.exit_code == 2 and "--plot -: this output needs a file name" in result.stderr, result.stderr


#: The environments in which stdout and stderr cannot take ε, ≤ or box-drawing characters.
NON_UTF8 = {
    "LC_ALL=C": {"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},
    "PYTHONIOENCODING=ascii": {"PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"},
}


COMMANDS = ["build", "info", "quantize", "encode", "decode", "verify", "compare", "bounds", "network", "train"]


@pytest.mark.parametrize("command", [*COMMANDS, "completion"])
def test_every_command_under_a_non_utf8_locale(tmp_path, command):
    """Tables and notes in ASCII (a real process: the locale decides the streams' encoding)."""
    args = command_lines(tmp_path)[command]
    env = {k: v for k, v in ENV.items() if k not in ("LC_ALL", "LANG", "LC_CTYPE", "PYTHONIOENCODING", "PYTHONUTF8")}
    env.update(
        NON_UTF8["LC_ALL=C" if COMMANDS.index(command) % 2 == 0 else "PYTHONIOENCODING=ascii"]
        if command in COMMANDS
        else NON_UTF8["LC_ALL=C"]
    )
    env = {k: v for k, v in env.items() if v != ""}
    proc = subprocess.run([sys.executable, "-m", "dlcalc", *args], capture_output=True, env=env, timeout=TIME_CAP)
    check_process(proc)
    assert proc.returncode == 0, (args, proc.stderr)
    for stream in (proc.stdout, proc.stderr):
        assert stream.isascii(), (args, [c for c in stream.decode(errors="replace") if not c.isascii()])
    if command in ("info", "compare", "bounds"):
        assert b"+--" in proc.stdout  # rich's ASCII box


@pytest.mark.parametrize("command", [*COMMANDS, "completion"])
def test_help_and_messages_of_every_command_in_ascii(command):
    """Help and one-line errors on streams that take only ASCII: ε as eps, ≤ as <=, no traceback."""
    runner = CliRunner(charset="ascii")
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and result.exception is None, result.stderr
    assert result.stdout_bytes.isascii() and "Usage:" in result.stdout
    bad = (
        [command, "--eps", "0"] if command in ("quantize", "encode", "network", "bounds", "train") else [command, "--x"]
    )
    result = runner.invoke(cli, bad)
    check(result)
    assert result.exit_code == 2 and result.stderr_bytes.isascii(), result.stderr


def test_ascii_stand_ins_keep_a_table_aligned():
    from dlcalc.cli._ascii import to_ascii

    assert to_ascii("ε ≤ 2^-3 ÷ 2 … — β") == "eps <= 2^-3 / 2 ... - beta"
    result = CliRunner(charset="ascii").invoke(cli, ["compare", "--depth", "3", "--eps", "0.5,0.25", "--no-baselines"])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("|", "+"))]
    assert lines and len({len(line) for line in lines}) == 1, result.stdout  # every row as wide as the box


HUGE_FAMILY = ["--family", "walsh-all", "--depth", "30", "--head", "sawtooth:0-49"]


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize(
    "command",
    [["info"], ["build"], ["quantize", "--eps", "2^-4"], ["encode", "--eps", "2^-4"], ["network", "--eps", "1"]],
    ids=lambda c: c[0],
)
def test_a_family_of_2_to_the_30_heads_is_counted_never_listed(command, fmt):
    """Every command on 2^30 Walsh heads and a run of sawtooth heads, table and JSON: done or refused in one
    line, under the memory and time caps (a listing of the heads, even their specs, would not fit)."""
    proc = capped([*command, *HUGE_FAMILY, "--format", fmt])
    check_process(proc)
    assert proc.returncode in (0, 2), proc.stderr
