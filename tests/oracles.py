"""Independent oracles for the quantized heads, written from THEORY §2-§4 alone.

Nothing here calls dlcalc's feature, table or error code: the image of a cell
comes from the digit form of §2 evaluated cell by cell, the sawtooth from the
tent map iterated on exact integers, and sup errors from the end points of the
interval that ``S_k ∘ h`` sweeps on each cell.
"""

import math
from fractions import Fraction

import numpy as np


def image_cells(flips, depth: int, level: int) -> np.ndarray:
    """``h(I_{L,c})`` for every cell ``c``: ``b_i(h(x)) = b_i(x) XOR s_{i-1, k_{i-1}(x)}`` (``i <= D``)."""
    flips = np.asarray(flips, dtype=np.int64)
    cells = np.arange(1 << level, dtype=np.int64)
    image = cells.copy()
    for i in range(1, min(level, depth) + 1):
        ancestor = cells >> (level - i + 1)  # k_{i-1}(x): the level-(i-1) node above the cell
        image ^= flips[(1 << (i - 1)) - 1 + ancestor] << (level - i)
    return image


def sawtooth_scaled(y: np.ndarray, scale_bits: int, k: int) -> np.ndarray:
    """``2^N S_k(y)`` for ``y = Y 2^-N`` given as integers ``Y``: the tent map ``T(y) = 1 - |2y - 1|``, k times."""
    one = 1 << scale_bits
    s = np.asarray(y, dtype=np.int64)
    for _ in range(k):
        s = one - np.abs(2 * s - one)
    return s


def sawtooth_position(flips, depth: int, k: int, level: int) -> np.ndarray:
    """``floor(2^(L-k) S_k(h(x)))`` on every level-``L`` cell (``L >= k``): the cell's place on the tooth."""
    image = image_cells(flips, depth, level)
    s = sawtooth_scaled(2 * image + 1, level + 1, k)  # the midpoint of the image cell
    return s >> (k + 1)


def walsh_parity(flips, depth: int, n: int) -> np.ndarray:
    """``(1 - g(h(x)))/2`` of ``walsh:n`` on cells of level ``top(n)``."""
    level = n.bit_length()
    image = image_cells(flips, depth, level)
    parity = np.zeros(1 << level, dtype=np.int64)
    for lv in range(1, level + 1):
        if n >> (lv - 1) & 1:
            parity ^= (image >> (level - lv)) & 1
    return parity


def quantized_codes(flips, depth: int, k: int, p: int, level: int) -> np.ndarray:
    """Code ``Q = floor(2^p S_k(h(x)))`` of the approximant on every level-``F`` cell, ``F >= k + p``."""
    return sawtooth_position(flips, depth, k, level) >> (level - k - p)


def codes_from_table(k: int, p: int, table_level: int, values, fine: int) -> np.ndarray:
    """The codes ``Q'`` a (decoded) sawtooth table states on every level-``fine`` cell (``fine >= k + p``).

    A code table (level ``k + p``) holds ``Q`` itself.  A sweeping table (level
    ``L < k + p``) holds the first ``L - k`` digits ``v`` of ``S_k(h(x))`` and the
    digit ``o = y_k``; ``h`` is a translation there and ``S_k`` rises when ``y_k = 0``
    and falls when ``y_k = 1``, so the ``j``-th quantization cell of the table cell
    has ``Q' = v 2^m + j`` or ``v 2^m + 2^m - 1 - j`` with ``m = k + p - L``.
    """
    values = np.asarray(values, dtype=np.int64)
    if table_level == k + p:
        q = values
    else:
        m = k + p - table_level
        v, o = (values, np.zeros_like(values)) if k == 0 else (values >> 1, values & 1)
        j = np.arange(1 << m, dtype=np.int64)
        q = ((v[:, None] << m) + np.where(o[:, None] == 0, j[None, :], (1 << m) - 1 - j[None, :])).ravel()
    return np.repeat(q, 1 << (fine - k - p))


def sawtooth_sup_error(flips, depth: int, amplitude: float, k: int, p: int, table_level: int, values) -> Fraction:
    """Exact ``sup_x |a(1 - 2 S_k(h(x))) - a(1 - (2Q'+1)/2^p)|`` for the codes a table states.

    On each cell of level ``F = max(D, k + p, L)`` the image is one cell, on which
    ``S_k`` sweeps the closed interval ``[w, w+1] 2^-(F-k)``: the sup is at an end.
    """
    fine = max(depth, k + p, table_level)
    w = sawtooth_position(flips, depth, k, fine)  # S_k in [w, w+1] 2^-(F-k)
    q = codes_from_table(k, p, table_level, values, fine)
    target = (2 * q + 1) << (fine - k - p)  # (2Q'+1)/2^p at scale 2^(F-k), times 2
    worst = int(max(np.max(np.abs(2 * w - target)), np.max(np.abs(2 * (w + 1) - target))))
    return Fraction(amplitude) * Fraction(worst, 1 << (fine - k))


# ----------------------------------------------------------------------------- level vectors (THEORY §4-§5)


def span_of(vectors) -> set[int]:
    """Every element of the GF(2) span, listed."""
    span = {0}
    for v in vectors:
        span |= {s ^ v for s in span}
    return span


def span_cost(vectors, depth=None) -> int:
    """``Σ 2^(t-1)`` over the tops of the nonzero elements of the span of the masked vectors (THEORY §5)."""
    mask = -1 if depth is None else (1 << depth) - 1
    return sum(1 << (t - 1) for t in {s.bit_length() for s in span_of(v & mask for v in vectors) if s})


def star_vectors(k: int, p: int) -> list[int]:
    """The requirement set of ``sawtooth:k`` at precision ``p``: ``{k, k+i}`` (``{i}`` for ``k = 0``), ``i <= p``."""
    return [1 << (i - 1) if k == 0 else (1 << (k - 1)) | (1 << (k + i - 1)) for i in range(1, p + 1)]


# ----------------------------------------------------------------------------- exact family amplitudes


def _family_parts(beta: float, eps: float):
    """β = P/Q, the decimal of ``repr(β)`` (THEORY §5), and ε = n/d."""
    b, e = Fraction(repr(float(beta))), Fraction(eps)
    return b.numerator, b.denominator, e.numerator, e.denominator


_POWERS: dict = {}


def family_at_most(beta: float, j: int, p: int, eps: float) -> bool:
    """``2^(-βj) 2^-p <= ε`` decided on integers: for ε = 2^-m it is ``Pj + pQ >= mQ``; otherwise
    ``2^(-(Pj + pQ)/Q) <= n/d`` raised to the power Q is ``d^Q <= n^Q 2^(Pj + pQ)``."""
    P, Q, n, d = _family_parts(beta, eps)
    if n == 1 and d & (d - 1) == 0:
        m = d.bit_length() - 1
        return P * j + p * Q >= m * Q
    key = (n, d, Q)
    if key not in _POWERS:
        _POWERS[key] = (n**Q, d**Q)
    nq, dq = _POWERS[key]
    return dq <= nq << (P * j + p * Q)


def family_precision(beta: float, j: int, eps: float) -> int | None:
    """``p = ceil(log2(a/ε))`` of the family amplitude ``a = 2^(-βj)``, exactly; None when ``a <= ε``."""
    if family_at_most(beta, j, 0, eps):
        return None
    # start a little below the float estimate when the step below the start is known to fail (only a shortcut)
    start = max(1, math.floor(-beta * j - math.log2(eps)) - 2)
    p = start if start > 1 and not family_at_most(beta, j, start - 1, eps) else 1
    while not family_at_most(beta, j, p, eps):
        p += 1
    return p


def family_count(beta: float, eps: float, limit: int | None = None) -> int:
    """How many ``j = 0, 1, ...`` (at most ``limit``) have ``2^(-βj) > ε``: the first ``j`` with ``a_j <= ε``."""
    hi = 1
    while not family_at_most(beta, hi, 0, eps) and (limit is None or hi < limit):
        hi *= 2
    lo = 0  # a_0 = 1: at most ε only when ε >= 1
    if family_at_most(beta, 0, 0, eps):
        return 0
    while hi - lo > 1:  # a_lo > ε; a_hi <= ε (or hi reached the limit)
        mid = (lo + hi) // 2
        if family_at_most(beta, mid, 0, eps):
            hi = mid
        else:
            lo = mid
    count = hi if family_at_most(beta, hi, 0, eps) else hi + 1
    return count if limit is None else min(count, limit)
