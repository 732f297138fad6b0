"""``dlcalc completion SHELL``: print the shell completion script click generates."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    from click.shell_completion import get_completion_class

    from . import cli

    cls = get_completion_class(shell)
    return cls(cli, {}, "dlcalc", "_DLCALC_COMPLETE").source()


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for SHELL (the files in completions/ are the same).

    \b
    Examples:
      dlcalc completion bash > ~/.local/share/bash-completion/completions/dlcalc
      dlcalc completion zsh > "${fpath[1]}/_dlcalc"
      dlcalc completion fish > ~/.config/fish/completions/dlcalc.fish
    """
    click.echo(completion_script(shell))


COMMANDS = [completion]
