"""Exceptions raised by the dlcalc library.

The command line maps them to exit codes (README, "Exit codes"): every
:class:`DlcalcError` is a problem with the input and exits with code 2; a
:class:`CheckError` (the tool's own check of what it wrote failed) exits with
code 1.  A decoded function that misses its accuracy target is not an exception:
it is a result (``verified`` false), which the command line turns into exit code 3.
"""

__all__ = ["DlcalcError", "FormatError", "BudgetError", "SpecError", "CheckError"]


class DlcalcError(ValueError):
    """Base class: a one-line, user-facing description of bad input."""


class SpecError(DlcalcError):
    """A head, family, depth or accuracy specification is invalid."""


class FormatError(DlcalcError):
    """An instance or ``.dlc`` file is malformed, truncated or of another version."""


class BudgetError(DlcalcError):
    """The requested work would materialize more than the configured budget (THEORY §8)."""


class CheckError(Exception):
    """A check the tool runs on its own output failed (an exported model disagrees with the exact
    evaluation, a stream does not decode back): not bad input, so not a :class:`DlcalcError`."""
