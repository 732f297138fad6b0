"""``dlcalc build``: write an instance file (docs/theory.md §2-§3)."""

from __future__ import annotations

import click

from .. import study
from ._complete import complete_paths
from ._files import check_output, force_option, max_output_option, shown, write_output
from ._instance_options import GROUPS_NOTE, HEAD_COLUMNS, budget_options, instance_options, instance_summary
from ._output import emit, format_option
from ._tables import Report


@click.command()
@instance_options
@budget_options
@click.option(
    "-o",
    "--output",
    default=None,
    metavar="FILE",
    shell_complete=complete_paths(".json"),
    help="Write the instance JSON here ('-' for stdout).",
)
@force_option
@max_output_option
@format_option
def build(spec, budget, output, force, max_output, fmt):
    """Build a function instance: a shared feature (depth, seed) and task heads.

    A family stays a family in the file (its name and β), explicit heads stay ranges.

    \b
    Examples:
      dlcalc build --depth 6 --seed 1 --head walsh:1-7 \\
          --head sawtooth:0-2@0.5 -o inst.json
      dlcalc build --family walsh-all --beta 1 --depth 10 -o - | dlcalc info -
    """
    if output is not None:
        check_output(output, force, "-o")
    inst = spec.load(budget)
    if output is not None:
        write_output(output, inst.dumps().encode(), force, max_output)
        if output == "-":
            return
    report = Report(
        payload={"instance": inst.to_dict(), "output": output},
        columns=HEAD_COLUMNS[:4],
        rows=study.head_rows(inst),
        title=f"instance: {instance_summary(inst)}" + (f" → {shown(output)}" if output else ""),
        notes=[GROUPS_NOTE],
    )
    emit(report, fmt)


COMMANDS = [build]
