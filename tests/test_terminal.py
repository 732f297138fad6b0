"""What a person sees in a real terminal: the README tour at 80, 120 and 200 columns, Ctrl-C,
and the README's completion steps in a fresh home with a real bash."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from .terminal import (
    ROOT,
    dlcalc_argv,
    dlcalc_env,
    read_until,
    reap,
    render,
    run_in_terminal,
    run_sequences,
    spawn,
    tables,
)

WIDTHS = (80, 120, 200)
CLI_SOURCE = "".join(p.read_text() for p in (ROOT / "dlcalc" / "cli").glob("*.py"))


def tour_commands() -> list[list[str]]:
    """The commands of the README's tour, in order, without the leading ``dlcalc``."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## A short tour\n\n```sh\n(.*?)```", readme, re.S).group(1)
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert all(c[0] == "dlcalc" for c in commands)
    return [c[1:] for c in commands]


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """Every tour command's screen at each width; the widths run side by side, each in its own directory."""
    pytest.importorskip("matplotlib")  # the tour draws a plot
    commands = tour_commands()
    screens = run_sequences({w: (w, tmp_path_factory.mktemp(f"tour{w}"), commands) for w in WIDTHS})
    assert all(len(screens[w]) == len(commands) for w in WIDTHS)
    return commands, screens


@pytest.mark.parametrize("width", WIDTHS)
def test_tour_fits_the_terminal(tour, width):
    commands, screens = tour
    for args, screen in zip(commands, screens[width], strict=False):
        what = f"dlcalc {' '.join(args)} at {width} columns"
        assert screen.exit_code == 0, (what, screen.text)
        assert screen.overflow == [], f"{what}: lines wider than the terminal: {screen.overflow}"
        found = tables(screen)
        assert found, what
        for table in found:
            for row in table.rows:
                # a wrapped row would continue on a line whose cells are partly blank
                assert len(row) == len(table.headers) and all(row), f"{what}: a wrapped row {row}"
            for header in table.headers:
                # headers break between words only: read back, each is a header the source defines
                assert f'"{header}"' in CLI_SOURCE, f"{what}: header {header!r} was split"
        for line in screen.lines:
            assert line == line.rstrip(), f"{what}: trailing spaces in {line!r}"


def test_wider_terminals_show_more_columns_never_fewer(tour):
    commands, screens = tour
    counts = {w: [[len(t.headers) for t in tables(s)] for s in screens[w]] for w in WIDTHS}
    for narrow, wide in zip(WIDTHS, WIDTHS[1:], strict=False):
        for args, a, b in zip(commands, counts[narrow], counts[wide], strict=False):
            assert all(x <= y for x, y in zip(a, b, strict=False)), (args, narrow, a, wide, b)
    total = {w: sum(sum(c) for c in counts[w]) for w in WIDTHS}
    assert total[80] < total[120] <= total[200]
    # the bits and the gain stay at 80 columns
    for args, screen in zip(commands, screens[80], strict=False):
        if args[0] == "compare":
            headers = tables(screen)[0].headers
            assert {"ε", "joint payload bits", "gain"} <= set(headers), headers
            assert any("separate" in h or "sep." in h for h in headers if "payload" in h), headers


def test_ctrl_c_exits_130_with_the_bar_cleared_and_one_line(tmp_path):
    # a sweep long enough to be interrupted once its progress bar is drawn
    args = ["compare", "--depth", "13", "--eps-sweep", "2^-1:2^-13", "--no-baselines"]
    screen = run_in_terminal(args, 80, cwd=tmp_path, interrupt_when=lambda out: "━".encode() in out, timeout=60)
    assert "━".encode() in screen.raw, "the progress bar never appeared"
    assert screen.exit_code == 130
    shown = [line for line in screen.lines if line.strip()]
    assert shown == ["interrupted"] or shown == ["^Cinterrupted"], shown
    assert "Traceback" not in screen.raw.decode("utf-8", "replace")


def _readme_bash_steps() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Shell completion", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_steps_work_in_a_fresh_home(tmp_path):
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
    for step in _readme_bash_steps():  # as a person pastes them, from the repository root
        subprocess.run(["bash", "--norc", "--noprofile", "-c", step], cwd=ROOT, env=env, check=True)

    # a new interactive shell: it reads ~/.bashrc from the fresh home as any new shell would
    pid, fd = spawn(["bash", "-i"], 120, cwd=tmp_path, env=env)
    try:

        def say(command: str, marker: str, timeout: float = 20) -> str:
            os.write(fd, f"{command}; echo {marker[:3]}''{marker[3:]}\n".encode())
            out = read_until(fd, lambda o: marker.encode() in o, timeout)
            return out.decode("utf-8", "replace")

        assert "complete -o nosort -F _dlcalc_completion dlcalc" in say("complete -p dlcalc", "END-OF-COMPLETE")
        # as typed: TAB completes the command name through readline
        os.write(fd, b"dlcalc enco\t")

        def completed(out: bytes) -> bool:
            lines = render(out, 120).lines
            return bool(lines) and lines[-1].endswith("dlcalc encode ")

        assert completed(read_until(fd, completed, 20))
        os.write(fd, b"\x15")  # clear the line
        # and the completion function itself, as bash calls it
        reply = say(
            "COMPREPLY=(); COMP_WORDS=(dlcalc enc); COMP_CWORD=1; "
            '_dlcalc_completion dlcalc; echo "reply=${COMPREPLY[*]}"',
            "END-OF-FUNC",
        )
        assert "reply=encode" in reply
        reply = say(
            "COMPREPLY=(); COMP_WORDS=(dlcalc compare --fam); COMP_CWORD=2; "
            '_dlcalc_completion dlcalc; echo "reply=${COMPREPLY[*]}"',
            "END-OF-OPT",
        )
        assert "reply=--family" in reply
        os.write(fd, b"exit\n")
    finally:
        reap(pid, timeout=10)
        os.close(fd)


def test_completion_steps_make_their_directories():
    # a fresh home has none of the directories: every copy in the README's steps creates its own first
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Shell completion", 1)[1].split("\n## ", 1)[0]
    code = "".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    copies = [line for line in code.splitlines() if re.search(r"\bcp ", line)]
    assert len(copies) == 3  # bash, zsh, fish
    for line in copies:
        m = re.match(r"mkdir -p (\S+) && cp \S+ (\S+)", line)
        assert m and m.group(2).startswith(m.group(1) + "/"), line


def test_a_head_index_of_a_thousand_digits_is_shortened_on_screen_and_kept_in_json():
    """A Walsh index of 1,201 digits once filled 18 KB of an 80-column screen, in the title, the table,
    the Gram matrix and the notes; a person sees its ends and its length, JSON keeps every digit."""
    index = str(10**1200)
    args = ["info", "--depth", "2", "--head", f"walsh:{index}", "--head", "walsh:1"]
    screen = run_in_terminal(args, 80)
    assert screen.exit_code == 0 and not screen.overflow
    assert index not in screen.text.replace("\n", "") and "walsh:10000000…0000 (1201 digits)" in screen.text
    assert len(screen.text) < 3000
    out = subprocess.run(dlcalc_argv(*args, "--format", "json"), capture_output=True, env=dlcalc_env(), check=True)
    assert index in out.stdout.decode()
