"""``dlcalc info``: depth, heads, orthogonality and the levels each head reads (docs/theory.md §3)."""

from __future__ import annotations

import click

from .. import study
from ._instance_options import GROUPS_NOTE, HEAD_COLUMNS, budget_options, instance_options, instance_summary
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
        payload, worst = study.describe_instance(inst, budget, advance)
    note = f"orthogonal: {'yes' if payload['orthogonal'] else 'no'}"
    if worst is not None:
        note += (
            f" (largest off-diagonal Gram entry {format_number(payload['max_offdiag_gram'])}, between "
            f"{format_head(inst.heads[worst[0]].spec)} and {format_head(inst.heads[worst[1]].spec)})"
        )
    notes = [note, *_gram_notes(payload["gram"], inst.heads), GROUPS_NOTE]
    if depth_note := study.beyond_depth_note(inst):
        notes.append(depth_note)
    emit(Report(payload, HEAD_COLUMNS, payload["heads"], title=f"instance: {instance_summary(inst)}", notes=notes), fmt)


#: Heads up to which the table's notes show the Gram matrix (JSON holds it up to study.GRAM_LIMIT).
GRAM_SHOWN = 8


def _gram_notes(gram, heads) -> list[str]:
    """The Gram matrix under the table, one line per head, for a few heads; else where to find it.

    The heads are listed only when the matrix is there (at most ``study.GRAM_LIMIT`` of them): a
    family of 2^30 heads is counted, never listed."""
    n = len(heads)
    if gram is not None and n <= GRAM_SHOWN:
        specs = [h.spec for h in heads]
        lines = [
            "Gram matrix ⟨f_s, f_t⟩ on [0, 1) (exact arithmetic), heads in order "
            f"({', '.join(map(format_head, specs))}):"
        ]
        lines += [
            f"  {format_head(spec)}: {', '.join(format_number(v) for v in row)}"
            for spec, row in zip(specs, gram, strict=True)
        ]
        return lines
    if gram is not None:
        return [f"Gram matrix: {n} heads, more than {GRAM_SHOWN} to show here; --format json lists it"]
    return [f"Gram matrix: decided in closed form, not listed for more than {study.GRAM_LIMIT} heads"]


COMMANDS = [info]
