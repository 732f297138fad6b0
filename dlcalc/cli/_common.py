"""Exit codes, the exceptions that carry them, and constants shared by every command.

Conventions (README, "Output and exit codes"): results go to stdout, messages
and progress to stderr; ``--format table|json|ndjson|csv`` on every command;
JSON with ``schema_version`` and sorted keys; exit 0 ok, 1 failure, 2 bad input
or usage, 3 verification failed, 130 interrupted (Ctrl-C).

The rest of the plumbing lives in modules named for what they do:
:mod:`._params` (parameter types), :mod:`._output` (tables and machine formats),
:mod:`._files` (reading inputs, writing outputs atomically) and
:mod:`._instance_options` (the instance a command works on).
"""

from __future__ import annotations

import click

SCHEMA_VERSION = 3
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_VERIFY = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
FORMATS = ("table", "json", "ndjson", "csv")


class InputError(click.ClickException):
    """Bad input detected by the tool: one line on stderr, exit code 2."""

    exit_code = EXIT_USAGE


class VerificationFailed(click.ClickException):
    """A decoded function misses its accuracy target: exit code 3."""

    exit_code = EXIT_VERIFY


def listed(items: list[str], limit: int = 3, sep: str = ", ") -> str:
    """The first ``limit`` items, then how many more: a message stays short however long its input
    (a stream of 3000 files that all fail, a sweep of 10^4 values of ε)."""
    shown = sep.join(items[:limit])
    return shown if len(items) <= limit else f"{shown}{sep}… and {len(items) - limit} more"
