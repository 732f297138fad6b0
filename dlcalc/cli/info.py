"""``dlcalc info``: depth, heads, orthogonality and the levels each head reads (THEORY §3)."""

from __future__ import annotations

import click

from .. import orthogonality
from ._instance_options import instance_options, instance_summary, load_instance
from ._output import Column, emit, format_eps, format_head, format_number, format_option, Report

HEAD_COLUMNS = [
    Column("head", "head", "left", render=format_head),
    Column("family", "family", "left", priority=3),
    Column("index", "index", priority=3),
    Column("amplitude", "amplitude", render=format_eps, priority=2),
    Column("levels", "levels read (≤ D)", "left", priority=1),
    Column("exact_level", "exact on level", priority=1),
]
#: Largest instance whose full Gram matrix is printed in JSON.
GRAM_LIMIT = 64


def head_rows(inst) -> list[dict]:
    rows = []
    for h in inst.heads:
        levels = h.levels(inst.depth)
        rows.append(
            {
                "head": h.spec,
                "family": h.family,
                "index": h.index,
                "amplitude": h.amplitude,
                "levels": levels,
                "exact_level": h.exact_level(inst.depth),
            }
        )
    return rows


@click.command()
@instance_options
@format_option
def info(instance, depth, seed, heads, family, beta, max_cells, fmt):
    """Describe an instance: heads, orthogonality (exact Gram matrix), levels read.

    \b
    Examples:
      dlcalc info inst.json
      dlcalc info --depth 4 --head sawtooth:0 --head walsh:1 --format json
    """
    inst = load_instance(instance, depth, seed, heads, family, beta, max_cells)
    orthogonal, max_off, gram = orthogonality(inst.heads)
    payload = {
        "instance": inst.to_dict(),
        "orthogonal": orthogonal,
        "max_offdiag_gram": max_off,
        "heads": head_rows(inst),
        "gram": None,
    }
    if len(inst.heads) <= GRAM_LIMIT:
        n = len(inst.heads)
        matrix = [[0.0] * n for _ in range(n)]
        for (s, t), v in gram.items():
            matrix[s][t] = matrix[t][s] = float(v)
        payload["gram"] = matrix
    worst = max(((abs(v), s, t) for (s, t), v in gram.items() if s != t and v), default=None)
    notes = [f"orthogonal: {'yes' if orthogonal else 'no'}" + ("" if orthogonal else f" (largest off-diagonal Gram entry {format_number(max_off)}, between {format_head(inst.heads[worst[1]].spec)} and {format_head(inst.heads[worst[2]].spec)})")]
    emit(Report(payload, HEAD_COLUMNS, payload["heads"], title=f"instance: {instance_summary(inst)}", notes=notes), fmt)


COMMANDS = [info]
