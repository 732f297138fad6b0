"""An instance described: its heads in groups, the levels they read, orthogonality (THEORY §2-§3).

The work behind ``dlcalc info`` and the listing of ``dlcalc build``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import Instance, gram_matrix, orthogonality

__all__ = ["GRAM_LIMIT", "describe_instance", "head_rows"]

#: Largest instance whose full Gram matrix is listed.
GRAM_LIMIT = 64


def head_rows(instance: Instance) -> list[dict[str, Any]]:
    """One row per group of heads (a family level, or a run of explicit heads of one top level for Walsh):
    its spec, count, amplitude, the digit levels ``<= D`` it reads and the level it is exact on."""
    rows = []
    for g in instance.heads.groups():
        exact = g.top if g.family == "walsh" else max(instance.depth, g.last)
        rows.append(
            {
                "head": g.spec,
                "count": g.count,
                "family": g.family,
                "index": g.first,
                "last": g.last,
                "amplitude": g.amplitude,
                "levels": g.digit_levels(depth=instance.depth),
                "exact_level": exact,
            }
        )
    return rows


def describe_instance(
    instance: Instance, advance: Callable[[], None] = lambda: None
) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """``dlcalc info``: the record (the instance, its head groups, whether the heads are orthogonal by
    the exact Gram matrix in closed form, the largest off-diagonal entry, and the whole matrix for at
    most :data:`GRAM_LIMIT` heads) and the positions of the two heads of that largest entry."""
    orthogonal, max_off, worst = orthogonality(instance.heads)
    advance()
    gram: list[list[Any]] | None = None
    if len(instance.heads) <= GRAM_LIMIT:
        n = len(instance.heads)
        matrix: list[list[Any]] = [[0.0] * n for _ in range(n)]
        for (s, t), v in gram_matrix(instance.heads).items():
            matrix[s][t] = matrix[t][s] = v  # exact; a plain number on output
        gram = matrix
    record = {
        "instance": instance.to_dict(),
        "orthogonal": orthogonal,
        "max_offdiag_gram": max_off,
        "heads": head_rows(instance),
        "gram": gram,
    }
    advance()
    return record, worst
