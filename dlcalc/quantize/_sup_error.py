"""Exact sup errors of quantized heads against their true tables (THEORY §4, §8).

The coders' own closed form, used by ``quantize`` and by the networks; the verdict of
verification comes from the independent evaluator of :mod:`dlcalc.reference`, and the tests
require the two to agree.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._quantize import (
    HeadQuantization,
)
from ._tables import (
    HeadTable,
)

__all__ = ["sup_error"]


def sup_error(q: HeadQuantization, table: HeadTable, truth: HeadTable) -> Fraction:
    """Exact ``sup_x |f_t(x) - f̂_t(x)|`` of a (decoded) table against the true head (THEORY §3-§4).

    ``truth`` is the head's table under the true feature.  On every table cell the
    true ``S_k ∘ h`` sweeps a known interval, so the sup is exact in closed form:

    - Walsh: ``2a`` on a wrong parity bit, else 0;
    - zero head: ``a`` (``g ∘ h`` attains 1: ``S_k`` takes the value 0);
    - sawtooth, code table (level ``k + p``): on each cell ``S_k ∘ h`` runs through
      ``[Q/2^p, (Q+1)/2^p)`` for the true code ``Q``, so the sup of
      ``a|(2Q'+1)/2^p - 2S|`` is ``a (2|Q' - Q| + 1) / 2^p``;
    - sawtooth, sweeping table (level ``L``): with ``m = k + p - L`` and ``Δv`` the
      decoded minus the true position, the staircase against the affine piece has sup
      ``a (|Δv| 2^(m+1) + (2^(m+1) - 1 if the orientation differs else 1)) / 2^p``.

    A right table gives ``a 2^-p``, the quantization error.  The tests check all
    cases against direct evaluation of ``a g(h(x))`` at sample points, and against
    the reference evaluator (:mod:`dlcalc.reference._reference`), which alone decides
    :func:`dlcalc.verify`: this closed form trusts ``truth``, built by the same
    table code as the coders.
    """
    head, a = q.head, Fraction(q.head.amplitude)
    if q.zero:
        return a
    assert truth.values is not None  # the true table of a nonzero head has values
    if table.level != truth.level or table.values is None or table.values.shape != truth.values.shape:
        raise ValueError("decoded table does not match the head's table shape")
    if head.family == "walsh":
        return 2 * a if not np.array_equal(truth.values, table.values) else Fraction(0)
    p = q.sawtooth_precision
    got, want = table.values.astype(np.int64), truth.values.astype(np.int64)
    return a * Fraction(_scaled_error(q, table.level, got, want), 1 << p)


def _scaled_error(q: HeadQuantization, level: int, got: np.ndarray, want: np.ndarray) -> int:
    """``2^p / a`` times the sup error of :func:`sup_error` (an exact integer)."""
    k, p = q.head.index, q.sawtooth_precision
    if level == k + p:  # code table
        return 2 * int(np.max(np.abs(got - want))) + 1
    m = k + p - level
    if k == 0:
        dv, flipped = got - want, np.zeros(got.shape, dtype=bool)
    else:
        dv, flipped = (got >> 1) - (want >> 1), (got & 1) != (want & 1)
    big = 1 << (m + 1)
    worst = 0
    for mask, extra in ((~flipped, 1), (flipped, big - 1)):
        if mask.any():
            worst = max(worst, int(np.max(np.abs(dv[mask]))) * big + extra)
    return worst
