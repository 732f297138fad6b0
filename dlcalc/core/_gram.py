"""The Gram matrix ``<f_s, f_t>`` in closed form (THEORY §3).

``h_σ`` preserves measure, so ``<f_s, f_t> = a_s a_t <g_s, g_t>``, and every
readout pair has a closed form:

- Walsh–Walsh: ``<w_m, w_n> = δ_mn`` (orthonormal system);
- sawtooth–sawtooth: ``<g_j, g_k> = δ_jk / 3``.  For ``j < k``, ``T^j`` is affine
  onto ``[0, 1)`` on each level-``j`` cell, which turns the pair into
  ``<g_0, g_(k-j)>``; ``g_0`` is odd about ``1/2`` and ``g_m`` (``m >= 1``) even;
- sawtooth–Walsh: from ``b_(k+i) XOR b_k = (1 - r_k r_(k+i))/2`` with the
  Rademacher functions ``r_l = (-1)^(b_l)``,
  ``S_k = 1/2 - Σ_i 2^(-i-1) r_k r_(k+i)`` (``1/2 - Σ_i 2^(-i-1) r_i`` for ``k = 0``),
  so ``<g_k, w_n> = 2^-i`` when ``A(n) = {k, k+i}`` (``{i}`` for ``k = 0``), else 0.

:func:`orthogonality` decides orthogonality and finds the largest off-diagonal
entry from these forms in ``O(G log G)`` for ``G`` head groups (a family is one
group per level): repeated heads are found as overlapping index ranges, and a
sawtooth head meets only the ``top`` Walsh candidates ``{k, k+i}``.  Nothing is
integrated and no pair of heads is enumerated.
"""

from __future__ import annotations

import bisect
import heapq
from fractions import Fraction

from ._heads import Head
from ._headset import HeadGroup, HeadSet

__all__ = ["inner", "gram_matrix", "orthogonality"]


def inner(s: Head, t: Head) -> Fraction:
    """``<f_s, f_t>`` of two heads in closed form (module docstring).

    >>> inner(Head("sawtooth", 0), Head("walsh", 1)), inner(Head("sawtooth", 2), Head("walsh", 0b1010))
    (Fraction(1, 2), Fraction(1, 4))
    """
    amp = Fraction(s.amplitude) * Fraction(t.amplitude)
    if s.family == t.family:
        if s.index != t.index:
            return Fraction(0)
        return amp if s.family == "walsh" else amp / 3
    saw, walsh = (s, t) if s.family == "sawtooth" else (t, s)
    i = _sawtooth_walsh_gap(saw.index, walsh.index)
    return amp / (1 << i) if i else Fraction(0)


def _sawtooth_walsh_gap(k: int, n: int) -> int:
    """``i >= 1`` with ``A(n) = {k, k+i}`` (``{i}`` for ``k = 0``), else 0."""
    if k == 0:
        return n.bit_length() if n & (n - 1) == 0 else 0
    low = 1 << (k - 1)
    rest = n ^ low
    if not n & low or rest == 0 or rest & (rest - 1) or rest < low:
        return 0
    return rest.bit_length() - k


def gram_matrix(heads) -> dict[tuple[int, int], Fraction]:
    """The exact Gram matrix, sparse: ``{(s, t): value}`` for ``s <= t``; entries not listed are 0.

    Lists every nonzero pair, so its size is that of the answer: use
    :func:`orthogonality` to decide orthogonality of large head sets.

    >>> g = gram_matrix([Head("sawtooth", 0), Head("walsh", 1)])
    >>> g[(0, 0)], g[(0, 1)], g[(1, 1)]
    (Fraction(1, 3), Fraction(1, 2), Fraction(1, 1))
    """
    heads = list(heads)
    gram: dict[tuple[int, int], Fraction] = {}
    by_key: dict[tuple[str, int], list[int]] = {}
    for t, h in enumerate(heads):
        gram[(t, t)] = inner(h, h)
        by_key.setdefault((h.family, h.index), []).append(t)
    for same in by_key.values():  # repeated heads are not orthogonal
        for i, s in enumerate(same):
            for t in same[i + 1 :]:
                gram[(s, t)] = inner(heads[s], heads[t])
    walsh = {index: ts for (family, index), ts in by_key.items() if family == "walsh"}
    for (family, k), saws in by_key.items():
        if family != "sawtooth":
            continue
        for n in _walsh_partners(k, max(walsh, default=0)):
            for w in walsh.get(n, ()):
                for s in saws:
                    gram[(min(s, w), max(s, w))] = inner(heads[s], heads[w])
    return gram


def _walsh_partners(k: int, largest: int):
    """The Walsh indices ``n <= largest`` with ``<g_k, w_n> != 0``, by increasing ``i``."""
    top = largest.bit_length()
    for i in range(1, top - max(k, 0) + 1):
        yield (1 << (i - 1)) if k == 0 else (1 << (k - 1)) | (1 << (k + i - 1))


class _Intervals:
    """Index ranges of one head family with amplitudes: the largest amplitude covering a point."""

    def __init__(self, groups: list[HeadGroup]) -> None:
        self.groups = sorted(groups, key=lambda g: g.first)
        points = sorted({g.first for g in groups} | {g.last + 1 for g in groups})
        self.points = points
        self.best: list[HeadGroup | None] = []
        active: list[tuple[float, int, int]] = []
        gi = 0
        for p in points:
            while gi < len(self.groups) and self.groups[gi].first <= p:
                g = self.groups[gi]
                heapq.heappush(active, (-g.amplitude, gi, g.last))
                gi += 1
            while active and active[0][2] < p:
                heapq.heappop(active)
            self.best.append(self.groups[active[0][1]] if active else None)

    def at(self, n: int) -> HeadGroup | None:
        i = bisect.bisect_right(self.points, n) - 1
        return self.best[i] if i >= 0 else None

    def largest_overlap(self) -> tuple[Fraction, HeadGroup, HeadGroup, int] | None:
        """The overlapping pair of ranges with the largest amplitude product (exact: a float product
        overflows or underflows, and ties), and an index they share."""
        best = None
        active: list[tuple[float, int, int]] = []
        for gi, g in enumerate(self.groups):
            while active and active[0][2] < g.first:  # lazily drop ranges that ended
                heapq.heappop(active)
            if active:
                other = self.groups[active[0][1]]
                value = Fraction(g.amplitude) * Fraction(other.amplitude)
                if best is None or value > best[0]:
                    best = (value, other, g, g.first)
            heapq.heappush(active, (-g.amplitude, gi, g.last))
        return best


def orthogonality(heads) -> tuple[bool, Fraction, tuple[int, int] | None]:
    """``(orthogonal, largest |off-diagonal| entry, the pair (s, t) holding it)``, in closed form and exactly.

    >>> orthogonality([Head("sawtooth", 0), Head("walsh", 1), Head("walsh", 2)])
    (False, Fraction(1, 2), (0, 1))
    """
    groups = HeadSet.of(heads).groups()
    candidates: list[tuple[Fraction, int, int]] = []
    for family, scale in (("walsh", Fraction(1)), ("sawtooth", Fraction(1, 3))):
        found = _Intervals([g for g in groups if g.family == family]).largest_overlap()
        if found:
            _, g1, g2, n = found
            candidates.append(
                (
                    Fraction(g1.amplitude) * Fraction(g2.amplitude) * scale,
                    g1.position + n - g1.first,
                    g2.position + n - g2.first,
                )
            )
    walsh = _Intervals([g for g in groups if g.family == "walsh"])
    largest = max((g.last for g in groups if g.family == "walsh"), default=0)
    saws = _Intervals([g for g in groups if g.family == "sawtooth"])
    for k in range(0, largest.bit_length()):
        saw = saws.at(k)
        if saw is None:
            continue
        for i, n in enumerate(_walsh_partners(k, largest), start=1):
            w = walsh.at(n)
            if w is not None:
                value = Fraction(saw.amplitude) * Fraction(w.amplitude) / (1 << i)
                s, t = saw.position + k - saw.first, w.position + n - w.first
                candidates.append((value, min(s, t), max(s, t)))
    if not candidates:
        return True, Fraction(0), None
    value, s, t = max(candidates, key=lambda c: (c[0], -c[1], -c[2]))
    return False, value, (s, t)
