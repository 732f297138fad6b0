"""Exceptions raised by the dlcalc library.

The command line maps them to exit codes (README, "Exit codes"): every
:class:`DlcalcError` is a problem with the input and exits with code 2,
:class:`VerificationError` is reserved for a decoded function that misses its
accuracy target.
"""

__all__ = ["DlcalcError", "FormatError", "BudgetError", "SpecError"]


class DlcalcError(ValueError):
    """Base class: a one-line, user-facing description of bad input."""


class SpecError(DlcalcError):
    """A head, family, depth or accuracy specification is invalid."""


class FormatError(DlcalcError):
    """An instance or ``.dlc`` file is malformed, truncated or of another version."""


class BudgetError(DlcalcError):
    """The requested work would materialize more than the configured budget (THEORY §8)."""
