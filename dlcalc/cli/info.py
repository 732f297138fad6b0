"""``dlcalc info``: depth, heads, orthogonality and the levels each head reads (THEORY §3)."""

from __future__ import annotations

import click

from .. import study
from ._instance_options import HEAD_COLUMNS, budget_options, instance_options, instance_summary
from ._output import emit, format_option, progress
from ._style import format_head, format_number
from ._tables import Report


@click.command()
@instance_options
@budget_options
@format_option
def info(spec, budget, fmt):
    """Describe an instance: heads, orthogonality (exact Gram matrix), levels read.

    Heads are listed in groups (a family level, or a run of explicit heads); the
    Gram matrix is decided in closed form, so families of any size are instant.

    \b
    Examples:
      dlcalc info inst.json
      dlcalc info --depth 4 --head sawtooth:0 --head walsh:1 --format json
    """
    inst = spec.load(budget)
    with progress(2, "info") as advance:
        payload, worst = study.describe_instance(inst, advance)
    note = f"orthogonal: {'yes' if payload['orthogonal'] else 'no'}"
    if worst is not None:
        note += (
            f" (largest off-diagonal Gram entry {format_number(payload['max_offdiag_gram'])}, between "
            f"{format_head(inst.heads[worst[0]].spec)} and {format_head(inst.heads[worst[1]].spec)})"
        )
    notes = [note] + ([depth_note] if (depth_note := study.beyond_depth_note(inst)) else [])
    emit(Report(payload, HEAD_COLUMNS, payload["heads"], title=f"instance: {instance_summary(inst)}", notes=notes), fmt)


COMMANDS = [info]
