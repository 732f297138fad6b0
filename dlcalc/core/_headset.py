"""Head sets kept compact: a family stays a family, explicit heads stay ranges (THEORY §3, §5, §8).

A :class:`HeadSet` is the ordered list of heads of a class: first the heads of
an optional family (``walsh-all`` or ``sawtooth-all`` at a depth), then explicit
runs ``family:first-last@amplitude``.  It behaves as a sequence of
:class:`~dlcalc.Head` (``len``, indexing, iteration), but nothing here lists the
heads one by one unless iterated: ``walsh-all`` at depth 30 is three numbers.

Work is organized by :meth:`HeadSet.groups`: runs of heads that share a family,
an amplitude and (for Walsh heads) a top level.  Every head of a group is
quantized alike (THEORY §4), so a group whose amplitude is at most ε costs
O(1) however many heads it holds, and the Walsh heads of one level are
processed together.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .._errors import SpecError
from ._exponent import beta_fraction, pow2_float
from ._heads import MAX_HEADS, Head, HeadRun
from ._numbers import positive_float, short_text

__all__ = ["FAMILY_NAMES", "Family", "HeadGroup", "HeadSet", "digit_levels"]

FAMILY_NAMES = ("walsh-all", "sawtooth-all")


def _check_beta(beta) -> float:
    return positive_float(beta, "--beta", SpecError)  # a 310-digit integer is named as overflowing


@dataclass(frozen=True)
class Family:
    """A family head set at a depth (THEORY §5), never listed head by head.

    - ``walsh-all``: ``walsh:n`` for ``1 <= n < 2^D``, ``a_n = 2^(-β(top(n)-1))``;
    - ``sawtooth-all``: ``sawtooth:k`` for ``0 <= k <= D``, ``a_k = 2^(-βk)``.

    β is held as a float and means the rational of its shortest decimal (:attr:`exact_beta`,
    :func:`~dlcalc.core._exponent.beta_fraction`); the exponents ``βj`` are exact rationals,
    the float amplitudes are ``2^(-βj)`` correctly rounded, and a head whose exponent is not
    an integer carries it, so that every comparison with ε is exact (THEORY §5).

    >>> fam = Family("walsh-all", 1.0, 20)
    >>> fam.count, fam.head(2)
    (1048575, Head(family='walsh', index=3, amplitude=0.5))
    >>> Family("walsh-all", 0.7, 100).level_exponent(91), Family("walsh-all", 0.7, 100).level_amplitude(91) == 2.0**-63
    (Fraction(63, 1), True)
    """

    name: str
    beta: float
    depth: int
    exact_beta: Fraction = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name not in FAMILY_NAMES:
            raise SpecError(f"unknown family {self.name!r} (choose from {', '.join(FAMILY_NAMES)})")
        object.__setattr__(self, "beta", _check_beta(self.beta))
        object.__setattr__(self, "exact_beta", beta_fraction(self.beta))
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 0:
            raise SpecError(f"depth must be a non-negative integer, got {self.depth!r}")
        if self.depth > 0 and self._deepest_amplitude() == 0:
            raise SpecError(
                f"{self.name} with beta {self.beta!r} at depth {self.depth}: the amplitudes of the deepest "
                "level underflow to 0 (lower --beta or the depth)"
            )

    def _deepest_amplitude(self) -> float:
        return self.level_amplitude(self.depth)

    @property
    def count(self) -> int:
        return (1 << self.depth) - 1 if self.name == "walsh-all" else self.depth + 1

    def count_exceeds(self, n: int) -> bool:
        """``count > n``, decided without building ``2^D`` for a huge depth."""
        if self.name == "walsh-all" and self.depth > n.bit_length() + 1:
            return True
        return self.count > n

    @property
    def count_text(self) -> str:
        """The number of heads for a message: ``2^D - 1`` written so for a large depth."""
        return f"2^{self.depth} - 1" if self.name == "walsh-all" and self.depth > 64 else str(self.count)

    def level_exponent(self, level: int) -> Fraction:
        """The exact ``e`` of the amplitude ``2^(-e)`` of a level: ``β(top(n)-1)`` (walsh-all) or ``βk``
        (sawtooth-all)."""
        return self.exact_beta * (level - 1 if self.name == "walsh-all" else level)

    def level_amplitude(self, level: int) -> float:
        """Amplitude of the heads of a level: ``top(n) = level`` (walsh-all) or ``k = level`` (sawtooth-all),
        ``2^(-e)`` correctly rounded."""
        return _level_values(self.exact_beta, level - 1 if self.name == "walsh-all" else level)[0]

    def _level_head_exponent(self, level: int) -> Fraction | None:
        """The exponent a head of the level carries: None when it is an integer (the float is then exact)."""
        return _level_values(self.exact_beta, level - 1 if self.name == "walsh-all" else level)[1]

    def head(self, i: int) -> Head:
        """The ``i``-th head (0-based) of the family."""
        if self.name == "walsh-all":
            n = i + 1
            return Head("walsh", n, self.level_amplitude(n.bit_length()), self._level_head_exponent(n.bit_length()))
        return Head("sawtooth", i, self.level_amplitude(i), self._level_head_exponent(i))

    def groups(self, position: int = 0) -> list[HeadGroup]:
        """One group per level: ``walsh:2^(t-1)..2^t-1`` for ``t = 1..D``, or ``sawtooth:k`` for ``k = 0..D``."""
        if self.name == "walsh-all":
            return [
                HeadGroup(
                    "walsh",
                    1 << (t - 1),
                    (1 << t) - 1,
                    self.level_amplitude(t),
                    position + (1 << (t - 1)) - 1,
                    self._level_head_exponent(t),
                )
                for t in range(1, self.depth + 1)
            ]
        return [
            HeadGroup("sawtooth", k, k, self.level_amplitude(k), position + k, self._level_head_exponent(k))
            for k in range(self.depth + 1)
        ]

    def as_dict(self) -> dict:
        """``{"name", "beta"}``: the family as stored in instance files and ``.dlc`` headers (the depth is the
        class's)."""
        return {"name": self.name, "beta": self.beta}


@dataclass(frozen=True)
class HeadGroup:
    """Heads ``family:first..last`` sharing one amplitude, at head positions ``position, position + 1, ...``.

    Walsh groups never straddle a top level: all their heads have ``top(n) = first.bit_length()``.
    """

    family: str
    first: int
    last: int
    amplitude: float
    position: int
    #: ``e`` with amplitude ``2^(-e)`` for a family level whose exponent is not an integer (:class:`Head`)
    exponent: Fraction | None = None

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def top(self) -> int:
        """``top(n)`` of every head of a Walsh group."""
        return self.first.bit_length()

    @property
    def spec(self) -> str:
        return HeadRun(self.family, self.first, self.last, self.amplitude).spec

    def head(self, i: int = 0) -> Head:
        return Head(self.family, self.first + i, self.amplitude, self.exponent)

    def heads(self) -> Iterator[Head]:
        for index in range(self.first, self.last + 1):
            yield Head(self.family, index, self.amplitude, self.exponent)

    def positions(self) -> range:
        return range(self.position, self.position + self.count)

    def digit_levels(self, precision: int | None = None, depth: int | None = None) -> list[int]:
        """The digit levels ``l`` of ``y = h(x)`` read by some head of the group: see :func:`digit_levels`."""
        return digit_levels(self.family, self.first, self.last, precision, depth)


def digit_levels(
    family: str, first: int, last: int, precision: int | None = None, depth: int | None = None
) -> list[int]:
    """The digits ``y_l`` of ``h(x)`` that some head ``family:first..last`` reads (THEORY §3-§4), in ``O(log)``.

    - ``walsh:n`` reads ``A(n)``; over a run, a bit below ``2^j`` with ``2^j <= last - first``
      takes both values, higher bits at most once;
    - ``sawtooth:k`` at precision ``p`` reads ``y_k`` (``k >= 1``) and ``y_{k+1}, ..., y_{k+p}``
      (the digits ``z_i``, THEORY §4), so a run reads ``max(first, 1) .. last + p``; the exact
      head (``precision`` None) reads every level from ``max(first, 1)`` on, so ``depth`` is then needed.

    With ``depth``, only the levels ``<= depth`` (the others carry no freedom).

    Examples
    --------
    >>> digit_levels("walsh", 5, 5), digit_levels("walsh", 4, 7), digit_levels("sawtooth", 0, 2, precision=3)
    ([1, 3], [1, 2, 3], [1, 2, 3, 4, 5])
    >>> digit_levels("sawtooth", 2, 2, depth=4)
    [2, 3, 4]
    """
    if family == "walsh":
        span = last - first
        bits = {j for j in range(span.bit_length()) if 1 << j <= span}
        bits |= {j for j in range(last.bit_length()) if (first >> j) & 1 or (last >> j) & 1}
        levels = sorted(j + 1 for j in bits)
        return levels if depth is None else [lv for lv in levels if lv <= depth]
    if precision is None:
        if depth is None:
            raise ValueError("an exact sawtooth head reads every level from its own on: give a depth")
        end = depth
    else:
        end = last + precision if depth is None else min(last + precision, depth)
    return list(range(max(first, 1), end + 1))


@functools.lru_cache(maxsize=1 << 12)
def _level_values(beta: Fraction, j: int) -> tuple[float, Fraction | None]:
    """``2^(-βj)`` correctly rounded, and ``βj`` when it is not an integer (else None)."""
    e = beta * j
    return pow2_float(e), (None if e.denominator == 1 else e)


def _same_float_head(a: Head, b: Head) -> bool:
    return (a.family, a.index, a.amplitude) == (b.family, b.index, b.amplitude)


def _merge_runs(runs) -> tuple[HeadRun, ...]:
    """Adjacent runs of one family and amplitude joined, in one pass: a merged run is built once, at its end."""
    out: list[HeadRun] = []
    pending: list = []  # [first run, last index] of the run being extended

    def close() -> None:
        run, last = pending
        out.append(run if run.last == last else HeadRun(run.family, run.first, last, run.amplitude))

    for run in runs:
        if pending:
            prev = pending[0]
            if prev.family == run.family and prev.amplitude == run.amplitude and pending[1] + 1 == run.first:
                pending[1] = run.last
                continue
            close()
        pending = [run, run.last]
    if pending:
        close()
    return tuple(out)


class HeadSet(Sequence[Head]):
    """The heads of a class: an optional :class:`Family`, then explicit runs (module docstring).

    Examples
    --------
    >>> hs = HeadSet(Family("walsh-all", 1.0, 3), [HeadRun("sawtooth", 0, 2, 0.5)])
    >>> len(hs), hs[6].spec, hs[7].spec
    (10, 'walsh:7@0.25', 'sawtooth:0@0.5')
    >>> [g.spec for g in hs.groups()]
    ['walsh:1', 'walsh:2-3@0.5', 'walsh:4-7@0.25', 'sawtooth:0-2@0.5']
    """

    __slots__ = ("family", "runs", "_starts", "_count", "_groups")

    def __init__(self, family: Family | None = None, runs=()) -> None:
        self.family = family
        self.runs = _merge_runs(runs)
        explicit = sum(run.count for run in self.runs)
        if explicit > MAX_HEADS:
            raise SpecError(f"{short_text(explicit)} heads; at most {MAX_HEADS} are allowed besides a family")
        starts, at = [], family.count if family else 0
        for run in self.runs:
            starts.append(at)
            at += run.count
        self._starts = starts
        self._count = at
        self._groups: tuple[HeadGroup, ...] | None = None

    @classmethod
    def of(cls, heads) -> HeadSet:
        """A head set from a HeadSet (returned as is) or any iterable of heads (merged into runs).

        Runs are explicit heads, as files store them: each amplitude is the float it is, so a
        family head's exact exponent is not kept (give the :class:`Family`, or ``family=`` to
        :meth:`~dlcalc.Instance.build`, to keep ``2^(-βj)`` exact)."""
        if isinstance(heads, HeadSet):
            return heads
        runs: list[HeadRun] = []
        first, last = None, 0  # the run being extended: a Head and the last index
        for h in heads:
            if first is not None and (h.family, h.amplitude) == (first.family, first.amplitude) and h.index == last + 1:
                last = h.index
                continue
            if first is not None:
                runs.append(HeadRun(first.family, first.index, last, first.amplitude))
            first, last = h, h.index
        if first is not None:
            runs.append(HeadRun(first.family, first.index, last, first.amplitude))
        return cls(None, runs)

    @classmethod
    def compacted(cls, family: Family, heads) -> HeadSet:
        """``heads`` with the family's heads, when they start the list, kept as the family; else ``heads`` as they
        are."""
        heads = cls.of(heads)
        if heads.family is None and family.count <= len(heads):
            # the listed heads name the family by their float amplitudes (version 1 instance files)
            if all(_same_float_head(heads[i], h) for i, h in enumerate(cls(family))):
                return cls(family, cls.of(heads[family.count :]).runs)
        return heads

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError("head index out of range")
        fam = self.family.count if self.family else 0
        if i < fam:
            return self.family.head(i)
        r = bisect.bisect_right(self._starts, i) - 1
        return self.runs[r].head(i - self._starts[r])

    def __iter__(self) -> Iterator[Head]:
        if self.family:
            for i in range(self.family.count):
                yield self.family.head(i)
        for run in self.runs:
            yield from run.heads()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeadSet):
            return self.family == other.family and self.runs == other.runs
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.family, self.runs))

    def __repr__(self) -> str:
        return f"HeadSet({self.describe()})"

    def describe(self) -> str:
        """``walsh-all β=1 (depth 10), sawtooth:0-2@0.5``: the set in a line."""
        parts = [f"{self.family.name} β={self.family.beta:g} (depth {self.family.depth})"] if self.family else []
        runs = [run.spec for run in self.runs[:8]]
        if len(self.runs) > 8:
            runs.append(f"… {len(self.runs) - 8} more")
        return ", ".join(parts + runs)

    def groups(self) -> list[HeadGroup]:
        """Groups in head order: the family's levels, then each run (Walsh runs split at top levels).

        Built once per head set (every step that walks the groups asks again); a fresh list each call.
        """
        if self._groups is None:
            self._groups = tuple(self._build_groups())
        return list(self._groups)

    def _build_groups(self) -> list[HeadGroup]:
        out = self.family.groups() if self.family else []
        for run, start in zip(self.runs, self._starts, strict=True):
            if run.family == "sawtooth":
                out.append(HeadGroup("sawtooth", run.first, run.last, run.amplitude, start))
                continue
            first = run.first
            while first <= run.last:
                last = min(run.last, (1 << first.bit_length()) - 1)
                out.append(HeadGroup("walsh", first, last, run.amplitude, start + first - run.first))
                first = last + 1
        return out

    def run_specs(self) -> list[str]:
        """The explicit runs as head specs (the family is not included)."""
        return [run.spec for run in self.runs]
