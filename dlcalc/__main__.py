"""``python -m dlcalc``: the same command line as ``dlcalc``."""

from .cli import cli

cli(prog_name="dlcalc")
