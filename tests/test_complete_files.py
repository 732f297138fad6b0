"""Bash completes file names, filtered by the extension each argument takes: checked with a real
bash in a fresh home, set up by the README's steps, as a person would type."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from dlcalc.cli import cli

from .terminal import ROOT, dlcalc_env, read_until, reap, render, spawn


def offered(words: str, cwd) -> list[str]:
    """What click answers bash for ``words`` (the last word being completed)."""
    parts = shlex.split(words) + ([""] if words.endswith(" ") else [])
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(
            cli,
            [],
            env={"_DLCALC_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(parts) - 1)},
            prog_name="dlcalc",
        )
    finally:
        os.chdir(old)
    return result.stdout.split()


@pytest.fixture()
def workdir(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    for name in ("inst.json", "inst.joint.dlc", "index.txt", "rates.png", "table.csv"):
        (d / name).write_text("x")
    (d / "inputs").mkdir()
    return d


def test_click_offers_paths_by_extension(workdir):
    assert offered("dlcalc info in", workdir) == ["plain,inputs/", "plain,inst.json"]
    assert offered("dlcalc decode in", workdir) == ["plain,inputs/", "plain,inst.joint.dlc"]
    assert offered("dlcalc verify inst.json in", workdir) == ["plain,inputs/", "plain,inst.joint.dlc"]
    assert "plain,rates.png" in offered("dlcalc compare --plot r", workdir)
    assert "plain,table.csv" in offered("dlcalc decode inst.joint.dlc -o t", workdir)
    # nothing with the extension: the shell's own file-name completion takes over
    assert offered("dlcalc info zz", workdir) == ["file,zz"]


def _readme_bash_steps() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Shell completion", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_file_names_in_a_fresh_home(tmp_path, workdir):
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "dlcalc"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m dlcalc "$@"\n')
    launcher.chmod(0o755)
    env = dlcalc_env()
    env.update(HOME=str(home), PATH=f"{bin_dir}{os.pathsep}{env['PATH']}")
    env.pop("BASH_ENV", None)
    for step in _readme_bash_steps():
        subprocess.run(["bash", "--norc", "--noprofile", "-c", step], cwd=ROOT, env=env, check=True)

    pid, fd = spawn(["bash", "-i"], 120, cwd=workdir, env=env)
    try:

        def typed(keys: bytes, expect: str) -> None:
            os.write(fd, keys)

            def done(out: bytes) -> bool:
                lines = render(out, 120).lines
                return bool(lines) and lines[-1].endswith(expect)

            assert done(read_until(fd, done, 20)), expect
            os.write(fd, b"\x15")  # clear the line

        typed(b"dlcalc info ins\t", "dlcalc info inst.json ")
        typed(b"dlcalc decode ins\t", "dlcalc decode inst.joint.dlc ")
        typed(b"dlcalc decode inst.joint.dlc -o ta\t", "-o table.csv ")
        typed(b"dlcalc compare --plot ra\t", "--plot rates.png ")
        typed(b"dlcalc info ind\t", "dlcalc info index.txt ")  # no .json: any file, as bash would
        os.write(fd, b"exit\n")
    finally:
        reap(pid, timeout=10)
        os.close(fd)
