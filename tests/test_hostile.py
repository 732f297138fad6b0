"""Hostile input gets an answer or a one-line refusal: the examples, one test each, and the output-file rules.

Exit codes: 0 an answer, 2 a one-line refusal, 3 a failed verification (README).
Subprocess tests run the real interpreter under a memory cap and a time cap.
"""

import errno
import json
import os
import resource
import signal
import stat
import struct
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from dlcalc import Instance, encode, parse_heads
from dlcalc.cli import cli
from dlcalc.coding._container import MAGIC

from .dlc_edits import reseal, with_header

#: Address-space cap of every subprocess (the tool needs about 300 MiB for these inputs).
MEMORY_CAP = 1 << 30
#: Time cap of every subprocess, generous for a loaded 2-core machine.
TIME_CAP = 60
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def check_clean(result, codes=(0, 2, 3)):
    """Exit code in ``codes``, no traceback, and exactly one line on stderr for a refusal."""
    assert result.exit_code in codes, (result.exit_code, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    return result


def refused(*args, match=None, input=None):
    result = check_clean(invoke(*args, input=input), codes=(2,))
    if match:
        assert match in result.stderr, result.stderr
    return result


def answered(*args, input=None):
    return check_clean(invoke(*args, input=input), codes=(0,))


def limits():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(args, **kwargs) -> subprocess.CompletedProcess:
    """The real command in a child under the memory and time caps."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("env", ENV)
    return subprocess.run(
        [sys.executable, "-m", "dlcalc", *map(str, args)], preexec_fn=limits, timeout=TIME_CAP, **kwargs
    )


def assert_clean_process(proc, codes=(0, 2, 3)):
    err = proc.stderr.decode() if isinstance(proc.stderr, bytes) else proc.stderr
    assert proc.returncode in codes, (proc.returncode, err)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    if proc.returncode == 2:
        assert err.count("\n") == 1, err


DLC = encode(Instance.build(4, parse_heads("walsh:1-5") + parse_heads("sawtooth:0-1@0.5"), seed=1), 0.25, "joint")
INSTANCE = Instance.build(3, parse_heads("walsh:1-3") + parse_heads("sawtooth:1@0.5"), seed=2).to_dict()


# ----------------------------------------------------------------------------- huge integers where a float is expected


def test_dlc_header_eps_of_310_digits():
    raw = b'{"depth":4,"eps":1' + b"0" * 309 + b',"heads":["walsh:1"]}'
    refused("decode", "-", input=with_header(DLC, raw), match="overflows")


@pytest.mark.parametrize("field", ["amplitude", "beta"])
def test_instance_numbers_of_310_digits(field):
    doc = json.dumps({**INSTANCE, "family": {"name": "walsh-all", "beta": 1.0}})
    doc = (
        doc.replace('"amplitude": 1.0', '"amplitude": 1' + "0" * 309, 1)
        if field == "amplitude"
        else doc.replace('"beta": 1.0', '"beta": 1' + "0" * 309)
    )
    refused("info", "-", input=doc, match="overflows")


def test_head_index_of_5000_digits():
    refused("build", "--head", "walsh:" + "9" * 5000, match="5000 digits")
    refused("bounds", "--head", "sawtooth:" + "9" * 5000, match="5000 digits")


# ----------------------------------------------------------------------------- exact values converted for output


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_walsh_all_half_beta_at_1e_minus_300(fmt):
    result = answered("bounds", "--family", "walsh-all", "--beta", "0.5", "--eps", "1e-300", "--format", fmt)
    if fmt == "json":
        row = json.loads(result.stdout)["rows"][0]
        m = 1994  # ceil(log2(1e300) / 0.5)
        assert row["joint_upper_bits"] == 2**m - 1 and row["separate_upper_bits"] == (4**m - 1) // 3
        assert row["gain"] == round(Fraction((4**m - 1) // 3, 2**m - 1))  # beyond a double: the nearest integer


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_sawtooth_15000_beyond_the_int_to_str_limit(fmt):
    result = answered("bounds", "--head", "sawtooth:15000", "--eps", "0.5", "--format", fmt)
    if fmt == "json":  # one head at p = 1: 2^15000 (2^1 - 1) bits, lower bound 0 (p - 1 = 0)
        row = json.loads(result.stdout)["rows"][0]
        assert row["joint_upper_bits"] == {"log2_bits": 15000.0} and row["joint_lower_bits"] == 0
    if fmt == "csv":
        assert "2^15000.0" in result.stdout
    if fmt == "table":
        assert "2^15000" in result.stdout


def test_readme_sweep_with_a_plot(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "rates.png"
    for beta in ("1", "0.5"):
        answered(
            "bounds",
            "--family",
            "walsh-all",
            "--beta",
            beta,
            "--eps-sweep",
            "1e-1:1e-300:200",
            "--plot",
            plot,
            "--force",
        )
        assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_gram_entries_beyond_floats(fmt):
    result = answered("info", "--depth", "3", "--head", "walsh:1@1e200", "--head", "sawtooth:0@1e200", "--format", fmt)
    if fmt == "json":
        out = json.loads(result.stdout)  # <w1, w1> = a^2 ≈ 1e400; <s0, w1> = a^2 / 2: nearest integers
        a = Fraction(1e200)
        assert out["gram"][0][0] == round(a * a) and out["max_offdiag_gram"] == round(a * a / 2)


def test_verify_error_beyond_floats_exits_3(tmp_path):
    a, b, dlc = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "a.dlc"
    answered("build", "--depth", "3", "--seed", "1", "--head", "walsh:1-3@1e308", "-o", a)
    answered("build", "--depth", "3", "--seed", "2", "--head", "walsh:1-3@1e308", "-o", b)
    answered("encode", a, "--eps", "0.5", "--coder", "joint", "-o", dlc)
    for fmt in ("table", "json", "csv"):
        result = check_clean(invoke("verify", b, dlc, "--format", fmt), codes=(3,))
        assert result.stderr.count("\n") == 1 and "max error 2.001e308" in result.stderr  # 2a = 2e308, rounded up
    out = json.loads(invoke("verify", b, dlc, "--format", "json").stdout)
    assert out["verified"] is False and out["max_error"] == 2 * round(Fraction(1e308))  # 2a, exactly


def test_a_stream_of_failing_files_is_reported_in_a_short_line(tmp_path):
    """3000 files of another instance made a message of 3000 failures, one 150 KB line."""
    a, b, dlc = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "a.dlc"
    answered("build", "--depth", "3", "--seed", "1", "--head", "walsh:1-3", "-o", a)
    answered("build", "--depth", "3", "--seed", "2", "--head", "walsh:1-3", "-o", b)
    answered("encode", a, "--eps", "0.5", "--coder", "joint", "-o", dlc)
    dlc.write_bytes(dlc.read_bytes() * 200)
    result = check_clean(invoke("verify", b, dlc, "--format", "csv"), codes=(3,))
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 200, result.stderr
    assert result.stderr.count("joint: max error ") == 3 and "… and 197 more)" in result.stderr


@pytest.mark.parametrize("eps", ["5e-324", "2^-1074"])
def test_smallest_eps(eps):
    out = json.loads(answered("bounds", "--eps", eps, "--format", "json").stdout)
    assert out["rows"][0]["joint_upper_bits"] == 2**1074 - 1  # M = 1074 levels at β = 1


# ----------------------------------------------------------------------------- loops without a bound


@pytest.mark.parametrize("family", ["walsh-all", "sawtooth-all"])
def test_tiny_beta_answers(family):
    proc = run_capped(["bounds", "--family", family, "--beta", "1e-300", "--eps", "0.25", "--format", "json"])
    assert_clean_process(proc, codes=(0,))
    row = json.loads(proc.stdout)["rows"][0]
    assert row["joint_upper_bits"]["log2_bits"] == pytest.approx(2e300, rel=1e-15)


# ------------------------------------------------------------------------- whole inputs read before the cheap checks


def test_decode_dev_zero_is_named_and_refused_at_once():
    proc = run_capped(["decode", "/dev/zero"])
    assert_clean_process(proc, codes=(2,))
    assert b"/dev/zero" in proc.stderr and b"stdin" not in proc.stderr and b"bad magic" in proc.stderr


def test_instance_from_dev_zero_is_refused_at_once():
    proc = run_capped(["info", "/dev/zero"])
    assert_clean_process(proc, codes=(2,))
    assert b"/dev/zero" in proc.stderr


@pytest.mark.parametrize("prefix", [b"", MAGIC, DLC[:16]])
def test_a_gigabyte_pipe_is_not_read(prefix):
    """1 GiB offered on stdin (after a plausible prefix): refused after the first bytes, under the memory cap."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcalc", "decode", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limits,
        env=ENV,
    )
    sent = []

    def feed():
        chunk = bytes(1 << 20)
        try:
            proc.stdin.write(prefix)
            for _ in range(1024):
                proc.stdin.write(chunk)
                sent.append(len(chunk))
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed)
    writer.start()
    _, err = proc.communicate(timeout=TIME_CAP)
    writer.join()
    assert proc.returncode == 2 and err.count(b"\n") == 1 and b"stdin" in err, err
    assert len(sent) < 1024  # the reader left long before the end


def test_sparse_file_with_the_magic(tmp_path):
    path = tmp_path / "sparse.dlc"
    with open(path, "wb") as fh:
        fh.write(DLC[:12] + struct.pack(">I", 30))  # a plausible start
        fh.truncate(3 << 29)  # 1.5 GiB, sparse
    proc = run_capped(["decode", path])
    assert_clean_process(proc, codes=(2,))
    assert str(path).encode() in proc.stderr


def test_instance_size_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as fh:
        fh.write(b"{")
        fh.truncate(100 << 20)
    refused("info", path, match="larger than the limit")


# ----------------------------------------------------------------------------- header strictness


@pytest.mark.parametrize(
    "raw,match",
    [
        (b'{"depth":4,"eps":0.25,"heads":["walsh:1"],"comment":"x"}', "unknown key"),
        (b'{"depth":4,"eps":0.25,"eps":0.5,"heads":["walsh:1"]}', "duplicate key"),
        (b'{"depth":4.0,"eps":0.25,"heads":["walsh:1"]}', "depth"),
        (b'{"depth":4,"eps":NaN,"heads":["walsh:1"]}', "NaN"),
        (b'{"depth":4,"eps":1e-400,"heads":["walsh:1"]}', "underflows"),
        (b'{"depth":4,"eps":0.25,"heads":["walsh:\xd9\xa1"]}', "cannot parse"),
        (b'{"depth":4,"eps":0.25,"heads":["walsh:1_0"]}', "cannot parse"),
    ],
)
def test_dlc_header_strictness(raw, match):
    refused("decode", "-", input=with_header(DLC, raw), match=match)


def test_reserved_byte_is_named():
    refused("decode", "-", input=reseal(DLC[:11] + b"\x05" + DLC[12:-4]), match="reserved byte")
    refused("decode", "-", input=reseal(DLC[:10] + b"\x07" + DLC[11:-4]), match="unknown coder id 7")


@pytest.mark.parametrize(
    "patch,match",
    [
        (lambda d: {**d, "comment": "x"}, "unknown key"),
        (lambda d: {**d, "schema_version": 1.0}, "schema_version"),
        (lambda d: {**d, "heads": [{**d["heads"][0], "colour": "red"}]}, "unknown key"),
        (lambda d: {**d, "heads": [{**d["heads"][0], "head": "walsh:2"}]}, "does not match"),
        (lambda d: {**d, "seed": 1, "flips": "7f"}, "both a seed and flips"),
        (lambda d: {**d, "seed": 2**128}, "2^128"),
    ],
)
def test_instance_strictness(patch, match):
    refused("info", "-", input=json.dumps(patch(INSTANCE)), match=match)


def test_duplicate_instance_key():
    text = json.dumps(INSTANCE)[:-1] + ', "depth": 5}'
    refused("info", "-", input=text, match="duplicate key 'depth'")


@pytest.mark.parametrize(
    "args",
    [
        ["bounds", "--eps", "١٢"],
        ["bounds", "--eps", "1_0"],
        ["build", "--head", "walsh:١٢"],
        ["build", "--head", "walsh:1_0"],
        ["build", "--depth", "١"],
        ["build", "--seed", "1_0"],
        ["bounds", "--eps-sweep", "0.5:0.1:1_0"],
    ],
)
def test_digits_only_ascii(args):
    refused(*args)


@pytest.mark.parametrize("value", ["2^-1075", "1e-400"])
def test_underflow_is_named(value):
    refused("bounds", "--eps", value, match="underflows")
    refused("build", "--head", f"walsh:1@{value}", match="underflows")


# ----------------------------------------------------------------------------- output files


def target_kinds(tmp_path):
    """Paths of every kind an output may meet, and a way to see that each is untouched."""
    kinds = {}
    regular = tmp_path / "regular"
    regular.write_text("keep")
    kinds["dangling symlink"] = tmp_path / "dangling"
    os.symlink(tmp_path / "nowhere", kinds["dangling symlink"])
    kinds["live symlink"] = tmp_path / "live"
    os.symlink(regular, kinds["live symlink"])
    kinds["symlink to a device"] = tmp_path / "null"
    os.symlink("/dev/null", kinds["symlink to a device"])
    kinds["fifo"] = tmp_path / "fifo"
    os.mkfifo(kinds["fifo"])
    kinds["directory"] = tmp_path / "dir"
    kinds["directory"].mkdir()
    try:
        kinds["device node"] = tmp_path / "device"
        os.mknod(kinds["device node"], 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        del kinds["device node"]
    return regular, kinds


def state(path: Path):
    st = os.lstat(path)
    return stat.S_IFMT(st.st_mode), os.readlink(path) if stat.S_ISLNK(st.st_mode) else None


WRITERS = [
    lambda out: ["build", "--depth", "3", "--head", "walsh:1", "-o", out],
    lambda out: ["encode", "--depth", "3", "--head", "walsh:1", "--eps", "0.5", "--coder", "joint", "-o", out],
    lambda out: ["bounds", "--eps", "0.5", "--plot", f"{out}.png"],
]


@pytest.mark.parametrize("writer", range(len(WRITERS)))
def test_no_link_followed_no_special_file_replaced(tmp_path, writer):
    regular, kinds = target_kinds(tmp_path)
    for name, path in kinds.items():
        if writer == 2:  # --plot needs a .png name: make one of the same kind
            os.rename(path, f"{path}.png")
        for force in ([], ["--force"]):
            before = state(Path(f"{path}.png") if writer == 2 else path)
            result = check_clean(invoke(*WRITERS[writer](path), *force))
            target = Path(f"{path}.png") if writer == 2 else path
            replaced_link = force and name in ("dangling symlink", "live symlink")
            if replaced_link:  # --force replaces the link itself by a regular file, never writes through it
                assert result.exit_code == 0 and stat.S_ISREG(os.lstat(target).st_mode), name
            else:
                assert result.exit_code == 2 and state(target) == before, (name, force, result.stderr)
        assert regular.read_text() == "keep"
    assert not list(tmp_path.glob(".dlcalc-*"))


def test_dev_null_as_output_is_refused_untouched():
    before = os.stat("/dev/null")
    refused("bounds", "--eps", "0.5", "--plot", "/dev/null", "--force")
    refused("build", "--head", "walsh:1", "-o", "/dev/null", "--force", match="character device")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_coder_both_checks_both_targets_first(tmp_path):
    (tmp_path / "x.separate.dlc").write_text("keep")
    refused(
        "encode",
        "--depth",
        "3",
        "--head",
        "walsh:1",
        "--eps",
        "0.5",
        "-o",
        tmp_path / "x.dlc",
        match="x.separate.dlc exists",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.separate.dlc"]


@pytest.mark.parametrize("force", [False, True])
def test_coder_both_writes_both_or_neither(tmp_path, monkeypatch, force):
    """A full disk while the second file is written leaves neither file (and, with --force, the old ones)."""
    if force:
        for c in ("joint", "separate"):
            (tmp_path / f"x.{c}.dlc").write_text("old")
    real_fsync, calls = os.fsync, []

    def full_disk(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    result = invoke(
        "encode",
        "--depth",
        "3",
        "--head",
        "walsh:1",
        "--eps",
        "0.5",
        "-o",
        tmp_path / "x.dlc",
        *(["--force"] if force else []),
    )
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and "No space left" in result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == (["x.joint.dlc", "x.separate.dlc"] if force else [])
    assert all(p.read_text() == "old" for p in tmp_path.iterdir())


def test_coder_both_rolls_back_a_failed_rename(tmp_path, monkeypatch):
    """The second file cannot be put in place: the first, already in place, is removed again."""
    real_link = os.link

    def failing(src, dst, **kwargs):
        if str(dst).endswith("separate.dlc"):
            raise OSError(errno.EIO, "Input/output error")
        return real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "link", failing)
    result = invoke("encode", "--depth", "3", "--head", "walsh:1", "--eps", "0.5", "-o", tmp_path / "x.dlc")
    assert result.exit_code == 1 and list(tmp_path.iterdir()) == []


def test_coder_both_on_a_real_full_disk(tmp_path):
    """A file system that fills up while the second file is written: a tiny tmpfs, when it can be
    mounted here (skipped otherwise)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:  # the joint file (36 kB) fits, the separate one (about 800 kB) does not
        proc = run_capped(["encode", "--depth", "12", "--head", "walsh:1-4095", "--eps", "0.5", "-o", mnt / "x.dlc"])
        assert_clean_process(proc, codes=(1,))
        assert b"x.separate.dlc" in proc.stderr and b"No space left" in proc.stderr
        assert list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


SLOW_FSYNC = """
import os, sys, time
real, marker, calls = os.fsync, sys.argv.pop(1), []
def slow(fd):
    calls.append(fd)
    if len(calls) == int(os.environ["DLCALC_TEST_WHICH"]):
        open(marker, "w").close()
        time.sleep(60)
    real(fd)
os.fsync = slow
from dlcalc.cli import main
main()
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("which", [1, 2])
def test_no_temporary_file_survives_a_signal(tmp_path, signum, which):
    """A signal while the first or the second file of `encode --coder both` is being written leaves nothing."""
    out = tmp_path / "out"
    out.mkdir()
    marker = tmp_path / "writing"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_FSYNC,
            str(marker),
            "encode",
            "--depth",
            "4",
            "--head",
            "walsh:1-15",
            "--eps",
            "0.5",
            "-o",
            str(out / "x.dlc"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: (limits(), signal.signal(signum, signal.SIG_DFL)),
        env={**ENV, "DLCALC_TEST_WHICH": str(which)},
    )  # a background shell may have SIGINT ignored
    deadline = time.monotonic() + TIME_CAP
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, (
            proc.stderr.read() if proc.poll() is not None else "timeout"
        )
        time.sleep(0.01)
    assert list(out.glob(".dlcalc-*.tmp"))  # caught in the middle of the write
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=TIME_CAP)
    assert proc.returncode == (130 if signum == signal.SIGINT else -signum), (proc.returncode, err)  # Ctrl-C: exit 130
    assert b"Traceback" not in err
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        [command, *args, "--format", fmt]
        for fmt in ("table", "json", "ndjson", "csv")
        for command, *args in (
            ["compare", "--depth", "4", "--eps", "0.3,0.1"],
            ["bounds", "--eps-sweep", "2^-1:2^-300"],
        )
    ]
    + [["--help"], ["compare", "--help"], ["--version"]],
)
def test_closed_pipe_ends_quietly_in_every_format(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        stdout=write_end,
        stderr=subprocess.PIPE,
        preexec_fn=limits,
        env=ENV,
        timeout=TIME_CAP,
    )
    os.close(write_end)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def test_head_c_10_in_a_shell_pipeline():
    for fmt in ("table", "json", "csv"):
        proc = subprocess.run(
            f"{sys.executable} -m dlcalc compare --depth 6 --format {fmt} | head -c 10 >/dev/null; "
            "exit ${PIPESTATUS[0]}",
            shell=True,
            executable="/bin/bash",
            capture_output=True,
            env=ENV,
            timeout=TIME_CAP,
        )
        assert proc.returncode == 0 and proc.stderr == b"", (fmt, proc.stderr)


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["bounds", "--format", "json"], ["bounds"], ["compare", "--help"]]
)
def test_full_stdout_is_one_line(args):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "dlcalc", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            preexec_fn=limits,
            env=ENV,
            timeout=TIME_CAP,
        )
    assert proc.returncode == 1 and proc.stderr.count(b"\n") == 1 and b"No space left" in proc.stderr, proc.stderr


@pytest.mark.parametrize("args", [["decode", "-"], ["info", "-"], ["verify", "-", "-"]])
def test_closed_stdin_is_one_line(args):
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", *args],
        stdin=None,
        capture_output=True,
        env=ENV,
        timeout=TIME_CAP,
        preexec_fn=lambda: (limits(), os.close(0)),
    )
    assert_clean_process(proc, codes=(2,))
    assert b"stdin is closed" in proc.stderr


def test_closed_stdout_and_stderr():
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", "bounds"],
        stderr=subprocess.PIPE,
        env=ENV,
        timeout=TIME_CAP,
        preexec_fn=lambda: (limits(), os.close(1)),
    )
    assert proc.returncode == 1 and proc.stderr.count(b"\n") == 1 and b"stdout is closed" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", "bounds", "--eps", "x"],
        stdout=subprocess.PIPE,
        env=ENV,
        timeout=TIME_CAP,
        preexec_fn=lambda: (limits(), os.close(2)),
    )
    assert proc.returncode == 2 and proc.stdout == b""  # the message is lost, never sent to stdout


# ----------------------------------------------------------------------------- an unwritable HOME

#: Variables that would give matplotlib or onnxruntime a place to write other than HOME.
_ELSEWHERE = ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "ORT_DISABLE_TELEMETRY")


def homeless(tmp_path: Path, home: str = "/dev/null") -> tuple[dict, Path]:
    """The environment of a command whose HOME cannot be written, and its own empty $TMPDIR."""
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    env = {k: v for k, v in ENV.items() if k not in _ELSEWHERE}
    return {**env, "HOME": home, "TMPDIR": str(tmp)}, tmp


def test_plots_with_an_unwritable_home_say_nothing_and_leave_nothing(tmp_path):
    """matplotlib would warn that it cannot make ~/.config/matplotlib, and make /tmp/matplotlib-*."""
    pytest.importorskip("matplotlib")
    env, tmp = homeless(tmp_path)
    for args in (["compare", "--depth", "3", "--eps", "2^-3"], ["bounds", "--eps", "2^-3"]):
        plot = tmp_path / f"{args[0]}.png"
        proc = run_capped([*args, "--plot", plot], env=env)
        assert proc.returncode == 0 and proc.stderr == f"wrote {plot}\n".encode(), proc.stderr
        assert plot.read_bytes()[:4] == b"\x89PNG" and list(tmp.iterdir()) == []


def test_a_writable_mplconfigdir_is_used_as_given(tmp_path):
    pytest.importorskip("matplotlib")
    env, tmp = homeless(tmp_path)
    config = tmp_path / "mpl"
    proc = run_capped(["bounds", "--eps", "2^-3", "--plot", tmp_path / "b.svg"], env={**env, "MPLCONFIGDIR": config})
    assert proc.returncode == 0 and proc.stderr == f"wrote {tmp_path / 'b.svg'}\n".encode(), proc.stderr
    assert list(config.glob("fontlist-*.json")) and list(tmp.iterdir()) == []  # its font cache is kept there


@pytest.mark.parametrize("home", ["/dev/null", "writable"])
def test_onnx_export_says_nothing_and_writes_nothing_under_home(tmp_path, home):
    """onnxruntime would persist a telemetry ID under ~/.cache, and warn in colour where it cannot."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    if home == "writable":
        (tmp_path / "home").mkdir()
        home = str(tmp_path / "home")
    env, tmp = homeless(tmp_path, home)
    out = tmp_path / "n.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", "network", "--depth", "3", "--eps", "2^-3", "--export", out],
        capture_output=True,
        env=env,
        timeout=TIME_CAP,
    )  # no address-space cap: onnxruntime reserves more than the others need
    assert proc.returncode == 0 and proc.stderr == f"wrote {out}\n".encode(), proc.stderr
    assert out.read_bytes() and list(tmp.iterdir()) == []
    if home != "/dev/null":
        assert list(Path(home).iterdir()) == []


PAUSED_AT = """
import importlib, os, sys, time
marker, when, target = sys.argv.pop(1), sys.argv.pop(1), sys.argv.pop(1)
module_name, _, name = target.rpartition(".")
module = importlib.import_module(module_name)
real = getattr(module, name)
def pause():
    open(marker, "w").close()
    time.sleep(60)
def paused(*args, **kwargs):
    if when == "before":
        pause()
    result = real(*args, **kwargs)
    pause()
    return result
setattr(module, name, paused)
from dlcalc.cli import main
main()
"""

#: Where a plotting command is caught: at its work (matplotlib imported by the check before it),
#: with the plot drawn (pyplot imported, its font cache built), and while the file is written.
PLOT_MOMENTS = {
    "work": ("before", "dlcalc.study.compare_rows"),
    "drawn": ("after", "dlcalc.study.plot_rates"),
    "writing": ("before", "os.fsync"),
}


def interrupted(tmp_path, signum, when, target, args, env):
    """Run a command, pause it at ``target``, send ``signum``: its exit code and stderr."""
    marker = tmp_path / "paused"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSED_AT, str(marker), when, target, *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL),  # a background shell may have SIGINT ignored
        env=env,
    )
    deadline = time.monotonic() + TIME_CAP
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, (
            proc.stderr.read() if proc.poll() is not None else "timeout"
        )
        time.sleep(0.01)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=TIME_CAP)
    assert proc.returncode == (130 if signum == signal.SIGINT else -signum), (proc.returncode, err)
    return err


@pytest.mark.parametrize(
    "moment, signum",
    [(moment, signal.SIGTERM) for moment in PLOT_MOMENTS] + [("work", signal.SIGINT), ("drawn", signal.SIGHUP)],
)
def test_a_signal_during_a_plot_leaves_no_temporary_directory(tmp_path, moment, signum):
    """With HOME unwritable, matplotlib's files go to a temporary directory: gone after SIGTERM,
    SIGHUP or Ctrl-C at any moment, and no plot file either."""
    pytest.importorskip("matplotlib")
    env, tmp = homeless(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    when, target = PLOT_MOMENTS[moment]
    args = ["compare", "--depth", "3", "--eps", "2^-3", "--no-baselines", "--plot", out / "p.png"]
    err = interrupted(tmp_path, signum, when, target, args, env)
    assert list(tmp.iterdir()) == [] and list(out.iterdir()) == []
    assert err == (b"interrupted\n" if signum == signal.SIGINT else b""), err


def test_a_signal_during_bounds_plot_leaves_no_temporary_directory(tmp_path):
    pytest.importorskip("matplotlib")
    env, tmp = homeless(tmp_path)
    args = ["bounds", "--eps-sweep", "2^-1:2^-4", "--plot", tmp_path / "b.pdf"]
    err = interrupted(tmp_path, signal.SIGTERM, "before", "dlcalc.study.bounds_row", args, env)
    assert list(tmp.iterdir()) == [] and not (tmp_path / "b.pdf").exists() and err == b"", err


def test_a_signal_during_the_onnx_check_leaves_nothing(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    env, tmp = homeless(tmp_path)
    args = ["network", "--depth", "3", "--eps", "2^-3", "--export", tmp_path / "n.onnx"]
    err = interrupted(tmp_path, signal.SIGTERM, "after", "dlcalc.networks.check_onnx", args, env)
    assert list(tmp.iterdir()) == [] and not (tmp_path / "n.onnx").exists() and err == b"", err


# ----------------------------------------------------------------------------- two writers of one file


ENCODE_JOINT = ["encode", "--depth", "3", "--head", "walsh:1-3", "--eps", "0.25", "--coder", "joint"]


@pytest.mark.parametrize("links", [True, False])
@pytest.mark.parametrize("force", [False, True])
def test_a_file_that_appears_before_the_commit_is_not_replaced(tmp_path, monkeypatch, force, links):
    """Another writer creates the target between the check and the commit: without --force this
    writer refuses and leaves the other's file; with it, the file is replaced. Also where hard
    links are not possible (the name is then claimed with O_EXCL)."""
    from dlcalc.cli import _files

    target = tmp_path / "c.dlc"
    monkeypatch.setattr(_files, "_before_commit", lambda paths: target.write_text("the other writer's"))
    if not links:

        def no_links(src, dst, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_links)
    result = invoke(*ENCODE_JOINT, "-o", target, *(["--force"] if force else []))
    if force:
        check_clean(result, codes=(0,))
        assert target.read_bytes().startswith(MAGIC)
    else:
        check_clean(result, codes=(2,))
        assert "appeared while it was being written" in result.stderr and "wrote" not in result.stderr
        assert target.read_text() == "the other writer's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.dlc"]


def test_coder_both_refuses_all_when_one_file_appears(tmp_path, monkeypatch):
    from dlcalc.cli import _files

    other = tmp_path / "x.separate.dlc"
    monkeypatch.setattr(_files, "_before_commit", lambda paths: other.write_text("the other writer's"))
    refused("encode", "--depth", "3", "--head", "walsh:1", "--eps", "0.5", "-o", tmp_path / "x.dlc", match="appeared")
    assert (
        sorted(p.name for p in tmp_path.iterdir()) == ["x.separate.dlc"] and other.read_text() == "the other writer's"
    )


RACING_WRITER = """
import os, sys, time
ready, go = sys.argv.pop(1), sys.argv.pop(1)
from dlcalc.cli import _files, main
def wait(paths):  # both writers have checked and written their file: now both put it in place
    open(ready, "w").close()
    deadline = time.monotonic() + 30
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.005)
_files._before_commit = wait
main()
"""


def test_two_processes_writing_one_file(tmp_path):
    """Two real writers of ``-o c.csv`` released at once: one writes, the other refuses (exit 2)."""
    dlc = tmp_path / "in.dlc"
    dlc.write_bytes(DLC)
    target, go = tmp_path / "c.csv", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                RACING_WRITER,
                str(tmp_path / f"ready{i}"),
                str(go),
                "decode",
                str(dlc),
                "-o",
                target,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ENV,
        )
        for i in range(2)
    ]
    deadline = time.monotonic() + TIME_CAP
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    go.touch()
    results = [(p.wait(timeout=TIME_CAP), p.stderr.read().decode()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    assert sum("wrote" in err for _, err in results) == 1
    assert sum("appeared while it was being written" in err for _, err in results) == 1
    assert target.read_text().startswith("head,level,cell,value\n")
    assert not list(tmp_path.glob(".dlcalc-*"))


# ----------------------------------------------------------------------------- every command into a closed pipe


def stdout_commands(tmp: Path) -> list[list[str]]:
    """Every command that writes to stdout, in each of its ways (a table, a machine format, an export)."""
    inst, dlc = tmp / "inst.json", tmp / "in.dlc"
    inst.write_text(Instance.build(4, parse_heads("walsh:1-5") + parse_heads("sawtooth:0-1@0.5"), seed=1).dumps())
    dlc.write_bytes(DLC)  # that instance's, joint coder
    small = ["--depth", "4", "--head", "walsh:1-15"]
    return [
        ["build", *small],
        ["build", *small, "-o", "-"],
        ["info", *small, "--format", "csv"],
        ["quantize", *small, "--eps", "2^-3"],
        ["encode", *small, "--eps", "2^-3"],
        ["encode", *small, "--eps", "2^-3", "-o", "-"],
        ["decode", str(dlc), "--format", "ndjson"],
        ["decode", str(dlc), "-o", "-"],
        ["verify", str(inst), str(dlc)],
        ["network", *small, "--eps", "2^-3", "--export", "-"],
        ["network", *small, "--eps", "2^-3", "--format", "json"],
        ["completion", "zsh"],
    ]


def test_every_command_into_a_closed_pipe(tmp_path):
    """The reader has gone before the first byte: every command ends quietly with exit code 0."""
    failures = []
    for args in stdout_commands(tmp_path):
        read_end, write_end = os.pipe()
        os.close(read_end)
        proc = subprocess.run(
            [sys.executable, "-m", "dlcalc", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            preexec_fn=limits,
            env=ENV,
            timeout=TIME_CAP,
        )
        os.close(write_end)
        if proc.returncode != 0 or proc.stderr:
            failures.append((args, proc.returncode, proc.stderr))
    assert not failures, failures


def test_decode_export_into_head_c1(tmp_path):
    """``decode big.dlc -o - | head -c1``: silent, exit 0 (the reader goes after its first byte)."""
    big = tmp_path / "big.dlc"
    big.write_bytes(encode(Instance.build(12, parse_heads("walsh:1-63"), seed=1), 2**-6, "joint"))
    proc = subprocess.run(
        f"{sys.executable} -m dlcalc decode {big} -o - | head -c1 >/dev/null; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        env=ENV,
        timeout=TIME_CAP,
    )
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr


def test_a_full_stdout_export_names_stdout(tmp_path):
    dlc = tmp_path / "in.dlc"
    dlc.write_bytes(DLC)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "dlcalc", "decode", dlc, "-o", "-"],
            stdout=full,
            stderr=subprocess.PIPE,
            env=ENV,
            timeout=TIME_CAP,
        )
    assert proc.returncode == 1 and proc.stderr == b"Error: cannot write stdout: No space left on device\n", proc.stderr


# ----------------------------------------------------------------------------- the bytes a command writes


@pytest.fixture(scope="module")
def sawtooth_dlc(tmp_path_factory):
    """The 96-byte file of ``encode --depth 1 --head sawtooth:0 --eps 2^-33``: 2^33 cells to export."""
    path = tmp_path_factory.mktemp("saw") / "saw.dlc"
    path.write_bytes(encode(Instance.build(1, parse_heads("sawtooth:0"), seed=0), 2**-33, "joint"))
    assert len(path.read_bytes()) < 200
    return path


@pytest.mark.parametrize("suffix", [".csv", ".npz", "-"])
def test_an_export_is_weighed_before_it_is_written(sawtooth_dlc, tmp_path, suffix):
    out = "-" if suffix == "-" else tmp_path / f"out{suffix}"
    start = time.monotonic()
    result = refused("decode", sawtooth_dlc, "-o", out, match="--max-output")
    assert time.monotonic() - start < 10 and "GiB" in result.stderr and "over the budget of 4 GiB" in result.stderr
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


def test_an_export_beyond_its_estimate_is_stopped(tmp_path):
    dlc = tmp_path / "in.dlc"
    dlc.write_bytes(DLC)
    whole = answered("decode", dlc, "-o", "-").stdout_bytes
    out = tmp_path / "out.csv"
    refused("decode", dlc, "-o", out, "--max-output", len(whole) - 1, match="stopped")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.dlc"]
    answered("decode", dlc, "-o", out, "--max-output", len(whole))
    assert out.read_bytes() == whole


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--depth", "3", "-o", "{out}.json"],
        [*ENCODE_JOINT, "-o", "{out}.dlc"],
        ["encode", "--depth", "3", "--eps", "0.25", "-o", "{out}.dlc"],
        ["network", "--depth", "3", "--eps", "0.25", "--export", "{out}.json"],
    ],
)
def test_a_file_over_max_output_is_not_written(tmp_path, args):
    args = [str(a).replace("{out}", str(tmp_path / "out")) for a in args]
    refused(*args, "--max-output", "16", match="over the budget of 16 bytes (raise --max-output)")
    assert list(tmp_path.iterdir()) == []


def test_every_writing_command_has_max_output():
    writers = []
    for name, command in cli.commands.items():
        opts = {o for p in command.params for o in p.opts}
        if opts & {"-o", "--plot", "--export"}:
            writers.append(name)
            assert "--max-output" in opts, name
    assert {"build", "encode", "decode", "compare", "bounds", "network", "train"} <= set(writers)


# ----------------------------------------------------------------------------- smaller


def test_bounds_has_the_budget_options_and_out_of_memory_names_them(monkeypatch):
    refused("bounds", "--eps-sweep", "2^-1:2^-5", "--max-cells", "3", match="--max-cells")
    from dlcalc import study

    def oom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(study, "bounds_row", oom)
    result = check_clean(invoke("bounds", "--eps", "0.5"), codes=(1,))
    assert result.stderr == "Error: out of memory (lower --max-cells or --max-bits or --max-memory)\n"
    monkeypatch.setattr(study, "describe_instance", oom)
    monkeypatch.setattr(study, "plan_encode", oom)
    for args in (["info", "--depth", "3"], [*ENCODE_JOINT]):
        assert "--max-cells" in check_clean(invoke(*args), codes=(1,)).stderr


@pytest.mark.parametrize(
    "option, value, match",
    [
        ("--train-seed", "9223372036854775808", "must be <= 9223372036854775807"),
        ("--train-seed", "-1", "must be >= 0"),
        ("--steps", "1_0", "ASCII digits only"),
        ("--steps", "١٠", "ASCII digits only"),
        ("--restarts", "0", "must be >= 1"),
        ("--max-width", "1e400", "not an integer"),
        ("--patience", "2^1000", "not an integer"),
        ("--deep-widths", "99999999999999999999", "must be <="),
    ],
)
def test_train_options_use_the_number_grammar(option, value, match):
    refused("train", "--depth", "1", "--eps", "0.5", option, value, match=match)


def test_encode_to_an_empty_name_is_refused_for_every_coder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for coder in ("joint", "separate", "both"):
        refused("encode", "--depth", "3", "--eps", "0.5", "--coder", coder, "-o", "", match="-o: an empty file name")
    refused("encode", "--depth", "3", "--eps", "0.5", "-o", f"{tmp_path}/", match="a file name is needed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stem", [".", "..", "sub", "sub/.", "..dlc"])
def test_encode_both_to_a_directory_is_refused(tmp_path, monkeypatch, stem):
    """`-o .` named the stem `.`: `..joint.dlc` and `..separate.dlc`, hidden files, were written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    refused("encode", "--depth", "3", "--eps", "0.5", "-o", stem, "--force", match="a file name is needed")
    assert [p.name for p in tmp_path.iterdir()] == ["sub"] and list((tmp_path / "sub").iterdir()) == []


def test_a_file_name_with_a_newline_stays_on_one_line(tmp_path):
    out = tmp_path / "a\nb.dlc"
    result = check_clean(invoke(*ENCODE_JOINT, "-o", out, "--format", "json"), codes=(0,))
    assert result.stderr == f"wrote {str(out)!r}\n" and out.exists()
    result = refused(*ENCODE_JOINT, "-o", out)
    assert result.stderr.count("\n") == 1 and repr(str(out)) in result.stderr


def test_every_message_for_people_is_one_line(capsys):
    from dlcalc.cli._files import announce

    announce("wrote a\nb\r.json")  # as `train --export` announces its file
    assert capsys.readouterr().err == "wrote a\\nb\\r.json\n"


def test_huge_walsh_indices_are_cut_in_messages():
    n = str(2**4000)
    for args in (["bounds", "--head", f"walsh:1-{n}"], ["build", "--head", f"walsh:{n}-5"]):
        result = refused(*args)
        assert len(result.stderr) < 300, result.stderr


def test_an_overflowing_json_amplitude_is_named():
    doc = json.dumps(INSTANCE).replace('"amplitude": 1.0', '"amplitude": 1e400', 1)
    refused("info", "-", input=doc, match="amplitude overflows: numbers are at most 1.8e308")


def test_a_tiny_columns_keeps_titles_readable():
    proc = subprocess.run(
        [sys.executable, "-m", "dlcalc", "bounds", "--eps", "0.5"],
        capture_output=True,
        env={**ENV, "COLUMNS": "1"},
        timeout=TIME_CAP,
    )
    assert proc.returncode == 0
    title = proc.stdout.decode().split("\n")[:2]
    assert title[0] == "formula bounds", title


def test_one_head_is_not_one_heads():
    result = answered("bounds", "--head", "walsh:1", "--eps", "0.5")
    assert "1 head," in result.stdout and "1 heads" not in result.stdout
    assert "1 head" in answered("info", "--depth", "2", "--head", "walsh:1").stdout
