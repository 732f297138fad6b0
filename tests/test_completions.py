"""The checked-in completion scripts are what click generates now."""

import pathlib

import pytest
from click.testing import CliRunner

from dlcalc.cli import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
FILES = {"bash": "dlcalc.bash", "zsh": "_dlcalc", "fish": "dlcalc.fish"}


@pytest.mark.parametrize("shell", sorted(FILES))
def test_completion_files_are_current(shell):
    generated = CliRunner().invoke(cli, [], env={"_DLCALC_COMPLETE": f"{shell}_source"}, prog_name="dlcalc")
    assert generated.exit_code == 0
    checked_in = (ROOT / "completions" / FILES[shell]).read_text()
    assert generated.stdout == checked_in, (
        f"completions/{FILES[shell]} is stale: run `dlcalc completion {shell} > completions/{FILES[shell]}`"
    )
    via_command = CliRunner().invoke(cli, ["completion", shell])
    assert via_command.stdout == checked_in


def test_completion_offers_commands_and_options():
    result = CliRunner().invoke(
        cli,
        [],
        env={"_DLCALC_COMPLETE": "bash_complete", "COMP_WORDS": "dlcalc en", "COMP_CWORD": "1"},
        prog_name="dlcalc",
    )
    assert "encode" in result.stdout
    result = CliRunner().invoke(
        cli,
        [],
        env={"_DLCALC_COMPLETE": "bash_complete", "COMP_WORDS": "dlcalc encode --co", "COMP_CWORD": "2"},
        prog_name="dlcalc",
    )
    assert "--coder" in result.stdout


def test_every_command_help_has_an_example():
    for name in cli.commands:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "dlcalc " + name in result.stdout.split("Options:")[0], name


def test_version():
    from dlcalc import __version__

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout
