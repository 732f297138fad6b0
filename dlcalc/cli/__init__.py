"""The ``dlcalc`` command line: the only place that parses arguments and renders output."""

from __future__ import annotations

import errno
import os
import sys

import click

from .. import DlcalcError, __version__
from ._common import EXIT_INTERRUPTED, InputError

__all__ = ["cli", "main"]


class DlcalcGroup(click.Group):
    """A click group that turns library errors into one-line messages with exit code 2,
    Ctrl-C into one line and exit code 130 (as shells expect; a progress bar clears itself
    on the way out), and ends quietly when the reader of a pipe goes away."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except DlcalcError as exc:
            raise InputError(str(exc)) from None
        except MemoryError:
            raise click.ClickException("out of memory (lower --max-cells or --max-bits)") from None
        except BrokenPipeError:
            _quiet_pipe()
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_pipe()
            raise click.ClickException(str(exc)) from None


def _quiet_pipe() -> None:
    # stdout's reader has gone: point stdout at devnull so the final flush stays silent
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


@click.group(cls=DlcalcGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="dlcalc")
def cli() -> None:
    """Description lengths of joint versus separate coding of task heads that share
    one Rademacher–Haar feature (arXiv:2606.16028).

    \b
    Start here:
      dlcalc compare                          # the default instance, ε = 2^-1 … 2^-10
      dlcalc bounds --family walsh-all --eps-sweep 2^-1:2^-40
      dlcalc build -d 6 --head walsh:1-7 --head sawtooth:0-2 -o inst.json
      dlcalc encode inst.json --eps 2^-6 --coder both
    \b
    Exit codes: 0 ok, 1 failure, 2 bad input or usage, 3 verification failed, 130 interrupted.
    """


def _register() -> None:
    from . import build, coding, compare, completion, info, network, train

    for module in (build, info, coding, compare, network, train, completion):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:  # pragma: no cover - console entry point wrapper
    cli(prog_name="dlcalc")


if __name__ == "__main__":  # pragma: no cover
    main()
