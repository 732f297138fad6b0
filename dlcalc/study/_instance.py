"""An instance described: its heads in groups, the levels they read, orthogonality (THEORY §2-§3).

The work behind ``dlcalc info`` and the listing of ``dlcalc build``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import Budget, Instance, gram_matrix, orthogonality
from ..cost import Cost, class_step

__all__ = ["GRAM_LIMIT", "beyond_depth_note", "describe_instance", "head_rows"]

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
    instance: Instance, budget: Budget | None = None, advance: Callable[[], None] = lambda: None
) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """``dlcalc info``: the record (the instance, its head groups, whether the heads are orthogonal by
    the exact Gram matrix in closed form, the largest off-diagonal entry, and the whole matrix for at
    most :data:`GRAM_LIMIT` heads) and the positions of the two heads of that largest entry."""
    Cost([class_step(instance.heads, "the heads")]).check(budget or Budget(), "describing this instance")
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


def beyond_depth_note(instance: Instance) -> str | None:
    """What happens to heads that read digits above the depth, in one sentence (None when none do).

    Below level ``D`` the feature swaps subtrees; on the digits above it, it is the identity
    (THEORY §2, ``σ = +1`` for ``j >= D``): those digits of ``h(x)`` are the digits of ``x``, the
    same for every instance of the class, so they carry no freedom and cost no bits (the level
    vectors are masked to the depth, THEORY §4).
    """
    depth = instance.depth
    beyond = [
        g.spec
        for g in instance.heads.groups()
        if g.family == "walsh" and g.top > depth or g.family == "sawtooth" and g.last > depth
    ]
    if not beyond:
        return None
    shown = ", ".join(beyond[:3]) + (f" and {len(beyond) - 3} more groups" if len(beyond) > 3 else "")
    return (
        f"{shown} read digits above the depth {depth}; there the feature is the identity, so those digits "
        "are the same in every instance and cost nothing (a head pays only for its digits up to the depth)"
    )
