"""``dlcalc info``: depth, heads, orthogonality and the levels each head reads (THEORY §3)."""

from __future__ import annotations

import click

from .. import gram_matrix, orthogonality
from ..core import HeadGroup
from ._instance_options import budget_options, instance_options, instance_summary
from ._output import emit, format_option, progress
from ._style import format_eps, format_head, format_number
from ._tables import Column, Report

HEAD_COLUMNS = [
    Column("head", "heads", "left", render=format_head),
    Column("count", "count", priority=2),
    Column("family", "family", "left", priority=3),
    Column("amplitude", "amplitude", render=format_eps, priority=2),
    Column("levels", "levels read (≤ D)", "left", priority=1),
    Column("exact_level", "exact on level", priority=1),
]
#: Largest instance whose full Gram matrix is printed in JSON.
GRAM_LIMIT = 64


def _levels_read(g: HeadGroup, depth: int) -> list[int]:
    """The digit levels ``<= D`` read by some head of the group: ``∪ A(n)``, or ``k, k+1, ...`` (THEORY §3)."""
    if g.family == "sawtooth":
        return list(range(max(g.first, 1), depth + 1))
    # a bit below 2^j, j with 2^j <= last - first, takes both values in the range; higher bits at most once
    span = g.last - g.first
    bits = {j for j in range(span.bit_length()) if 1 << j <= span}
    bits |= {j for j in range(g.last.bit_length()) if (g.first >> j) & 1 or (g.last >> j) & 1}
    return sorted(j + 1 for j in bits if j + 1 <= depth)


def group_rows(inst) -> list[dict]:
    """One row per group of heads: a family level, or a run of explicit heads (of one top level for Walsh)."""
    rows = []
    for g in inst.heads.groups():
        exact = g.top if g.family == "walsh" else max(inst.depth, g.last)
        rows.append(
            {
                "head": g.spec,
                "count": g.count,
                "family": g.family,
                "index": g.first,
                "last": g.last,
                "amplitude": g.amplitude,
                "levels": _levels_read(g, inst.depth),
                "exact_level": exact,
            }
        )
    return rows


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
        orthogonal, max_off, worst = orthogonality(inst.heads)
        advance()
        payload = {
            "instance": inst.to_dict(),
            "orthogonal": orthogonal,
            "max_offdiag_gram": max_off,
            "heads": group_rows(inst),
            "gram": None,
        }
        if len(inst.heads) <= GRAM_LIMIT:
            n = len(inst.heads)
            matrix = [[0.0] * n for _ in range(n)]
            for (s, t), v in gram_matrix(inst.heads).items():
                matrix[s][t] = matrix[t][s] = v  # exact; a plain number on output
            payload["gram"] = matrix
        advance()
    note = f"orthogonal: {'yes' if orthogonal else 'no'}"
    if worst is not None:
        note += (
            f" (largest off-diagonal Gram entry {format_number(max_off)}, between {format_head(inst.heads[worst[0]].spec)} "
            f"and {format_head(inst.heads[worst[1]].spec)})"
        )
    emit(
        Report(payload, HEAD_COLUMNS, payload["heads"], title=f"instance: {instance_summary(inst)}", notes=[note]), fmt
    )


COMMANDS = [info]
