"""The ``dlcalc`` command line: the only place that parses arguments and renders output."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys

import click

from .. import DlcalcError, __version__
from ..coding import FORMAT_VERSION
from ..networks import NETWORK_VERSION
from ._ascii import guard_encoding
from ._common import EXIT_INTERRUPTED, SCHEMA_VERSION, InputError

__all__ = ["cli", "main"]


class DlcalcGroup(click.Group):
    """A click group that turns library errors into one-line messages with exit code 2,
    Ctrl-C into one line and exit code 130 (as shells expect; a progress bar clears itself
    on the way out), ends quietly when the reader of a pipe goes away, and reports a stream
    it cannot write (``--help >/dev/full``, a closed stdout) in one line instead of a traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        _guard_std_streams()
        guard_encoding()  # ASCII stand-ins where stdout or stderr cannot take ε, ≤, …
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        except click.exceptions.NoArgsIsHelpError as exc:  # plain `dlcalc`: the help, as --help gives it
            click.echo(exc.format_message())
            code = 0
        except click.ClickException as exc:
            _echo_err(_one_line(exc))
            code = exc.exit_code
        except click.exceptions.Abort:
            _echo_err("Aborted!")
            code = 1
        except SystemExit as exc:  # a closed pipe (below), or sys.exit() inside click
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except OSError as exc:  # click writing help or an error message
            code = 0 if exc.errno == errno.EPIPE else _stream_error(exc)
        sys.exit(_flush_stdout(code))

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # --help and --version print here
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_pipe()
            raise

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except DlcalcError as exc:
            raise InputError(str(exc)) from None
        except MemoryError:
            raise click.ClickException(_out_of_memory(ctx)) from None
        except BrokenPipeError:
            _quiet_pipe()
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_pipe()
            raise click.ClickException(str(exc)) from None


def _out_of_memory(ctx: click.Context) -> str:
    """ "out of memory", naming the budget options the command that ran has."""
    get_command = getattr(ctx.command, "get_command", None)
    command = get_command(ctx, ctx.invoked_subcommand) if get_command and ctx.invoked_subcommand else None
    names = {name for param in (command.params if command else []) for name in param.opts}
    options = [o for o in ("--max-cells", "--max-bits", "--max-memory") if o in names]
    return "out of memory" + (f" (lower {' or '.join(options)})" if options else "")


class _ClosedStream:
    """Stands in for a standard stream that was closed when dlcalc started: writing to it fails."""

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, data) -> int:
        raise OSError(errno.EBADF, f"{self.name} is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _guard_std_streams() -> None:
    """Closed standard streams: keep descriptors 0-2 taken (files opened later never land there),
    and let writes to a closed stdout fail with a one-line error; a closed stdin is reported by the reader."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: fd itself
    if sys.stdout is None:
        sys.stdout = _ClosedStream("stdout")
    if sys.stderr is None:  # messages are lost, never sent to stdout instead
        sys.stderr = open(os.devnull, "w")


def _one_line(exc: click.ClickException) -> str:
    """The error as one line: ``Error: ...``, a usage error with a pointer to the command's help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return f"Error: {message}"


def _echo_err(message: str) -> None:  # stderr itself may be unwritable: the message is then lost
    with contextlib.suppress(OSError, ValueError, AttributeError):
        click.echo(message, err=True)


def _stream_error(exc: OSError) -> int:
    """A standard stream could not be written: one line on stderr (if it works), exit code 1."""
    _echo_err(f"Error: cannot write the output: {exc.strerror or exc}")
    _silence_stdout()
    return 1


def _flush_stdout(code: int) -> int:
    """Flush stdout before exit, so that a full disk or a closed pipe is reported (or ignored) here,
    not as a traceback while the interpreter shuts down."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            _silence_stdout()
        else:
            return _stream_error(exc) if code == 0 else code
    return code


def _silence_stdout() -> None:
    """Point stdout at devnull so that the final flush at exit stays silent."""
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _quiet_pipe() -> None:
    # stdout's reader has gone: the command ends quietly with exit code 0
    _silence_stdout()
    sys.exit(0)


@click.group(cls=DlcalcGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__,
    "--version",
    "-V",
    prog_name="dlcalc",
    message=f"%(prog)s %(version)s (.dlc format {FORMAT_VERSION}, network format {NETWORK_VERSION}, "
    f"JSON schema {SCHEMA_VERSION})",
)
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
