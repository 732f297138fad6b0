"""``dlcalc completion SHELL``: print the shell completion script click generates."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


def print_completion_script(shell: str) -> None:
    """Print exactly what ``_DLCALC_COMPLETE={shell}_source dlcalc`` prints (click's own mechanism)."""
    from click.shell_completion import shell_complete

    from . import cli

    shell_complete(cli, {}, "dlcalc", "_DLCALC_COMPLETE", f"{shell}_source")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for SHELL (the files in completions/ are the same).

    \b
    Examples:
      mkdir -p ~/.local/share/dlcalc
      dlcalc completion bash > ~/.local/share/dlcalc/dlcalc.bash
      echo 'source ~/.local/share/dlcalc/dlcalc.bash' >> ~/.bashrc
      mkdir -p ~/.zfunc && dlcalc completion zsh > ~/.zfunc/_dlcalc
      mkdir -p ~/.config/fish/completions
      dlcalc completion fish > ~/.config/fish/completions/dlcalc.fish
    """
    print_completion_script(shell)


COMMANDS = [completion]
