"""The reference evaluator that decides verification (THEORY §2-§4, §8).

``verify`` must not trust the code it checks.  This module evaluates the
definitions of THEORY §2-§4 directly and judges a decoded table against them.
It shares with the coders only

- the raw flip bits ``Feature.flips`` (level order, THEORY §2),
- the class: depth, heads with amplitudes, and ε,
- the decoded tables under test, read through the format of the
  ``dlcalc.quantize._quantize`` module docstring;

and none of their code: not the image of the feature, the head tables, the
cell parities, the sawtooth state, the precision, the expansion of a table into
values or the closed-form sup error.  Every one of those is computed here again,
plainly, from the definitions.

Evaluation
----------
- **Feature** (THEORY §2).  On the cells ``c`` of a level ``r`` the image index
  is built digit by digit: ``b_i(h(x)) = b_i(x) XOR s_{i-1, k_{i-1}(x)}``, one
  vectorized pass per digit ``i <= min(r, D)``.
- **Walsh heads** (THEORY §3).  ``f = a (-1)^parity``, the parity of the image
  digits in ``A(n)`` on cells of level ``top(n)``; every Walsh head of a level is
  evaluated in one array operation.
- **Sawtooth heads** (THEORY §3-§4).  From the image digits ``y_l``:
  ``z_i = y_{k+i} XOR y_k`` (``y_i`` for ``k = 0``), the true code
  ``Q = Σ_{i<=p} z_i 2^(p-i)`` and ``f̂ = a(1 - 2(Σ_{i<=p} 2^-i z_i + 2^-(p+1)))``;
  ``S_k`` at the left end of an image cell (its digits, then zeros) and the left
  limit at its right end (its digits, then ones).
- **Zero heads** (``ε >= a``): ``f̂ = 0`` and the error is ``a`` exactly, since
  ``|g ∘ h|`` attains 1 (Walsh is ±1 everywhere; ``S_k(0) = 0``).

Exact sup error
---------------
On a cell ``c`` of level ``r >= k`` (``r >= top(n)`` for Walsh), ``h`` maps
``c`` onto the image cell ``h(c)`` of level ``r`` and ``g`` is affine (constant)
on ``h(c)``; ``f = a g ∘ h`` therefore takes on ``c`` exactly the values of an
affine function on a half-open interval.  Against a constant ``f̂`` the sup over
the cell is the larger of ``|f - f̂|`` at the left value and at the left limit at
the right end.  Everything is scaled to integers (by ``2^p / a``) and the result
is an exact :class:`~fractions.Fraction`.

A *sweeping* cell (``L = max(D, k) < k + p``) carries ``2^m`` quantization
sub-cells ``j`` (``m = k + p - L``).  ``h`` is a translation on it (``L >= D``),
so sub-cell ``j`` maps to sub-cell ``j`` of ``h(c)``, and both the true code
``Q(j) = v 2^m + (j XOR y_k (2^m - 1))`` and the decoded one (the same form in
the decoded ``v, o``) are affine in ``j``; so are the two endpoint values of
``S_k``.  Their differences are affine in ``j``, and the largest absolute value
over ``0 <= j < 2^m`` is at ``j = 0`` or ``j = 2^m - 1``: only those two
sub-cells are evaluated, so the work is that of the coders' table, never
``2^(k+p)`` cells.  The same two points decide whether the decoded staircase
equals the true one (two points fix an affine function).

A table the format cannot read as this head's table (wrong level, shape or
value range, or values for a zero head) defines no function; it counts as
unequal, with an infinite error.

Work follows the groups of the class
--------------------------------------
The heads come in groups (a family level, a run of explicit heads, THEORY §8):
a group of zero heads is judged in closed form, whatever its size; the Walsh
heads of a group (one top level) are evaluated together, one block of rows at
a time, and kept bit-packed (``numpy.packbits`` rows), the layout in which the
coders' decoded tables (``dlcalc.quantize._tableset``) are compared with them.

Examples
--------
>>> from dlcalc import Feature, Head
>>> feature = Feature(2, [1, 0, 1])
>>> feature_image(feature.flips, 2, 2).tolist()
[2, 3, 1, 0]
>>> truth = reference_truth(2, feature.flips, [Head("sawtooth", 0)], 0.25)
>>> truth.groups[0].precision, truth.groups[0].head(0).kind
(2, 'code')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._errors import BudgetError
from ..core._budget import BLOCK_LEVEL
from ..core._headset import HeadSet
from ._evaluate import (
    ReferenceGroup,
    ReferenceHead,
    _digit_masks,
    _group_cells,
    _max_abs,
    _oriented,
    _packed_parity,
    feature_image,
    reference_groups,
)

__all__ = ["GroupVerdict", "ReferenceTruth", "reference_truth"]

#: Cells of one Walsh block evaluated at once (bounds the temporaries).
_BLOCK_CELLS = 1 << BLOCK_LEVEL
_ZERO = Fraction(0)


# ----------------------------------------------------------------------------- truth and check


@dataclass
class GroupVerdict:
    """One group judged: per head whether the decoded table is the true ``f̂_t``, and the exact sup errors.

    ``errors`` lists each head's error when they differ (sawtooth heads); otherwise every head's
    error is ``2a`` if its table is wrong and ``0`` else (Walsh), or ``a`` (zero heads), and
    ``max_error`` says the largest; ``inf`` when a table cannot be read as this group's.
    """

    group: ReferenceGroup
    equal: np.ndarray
    errors: list[Fraction | float] | None
    max_error: Fraction | float

    def head_errors(self) -> list[Fraction | float]:
        if self.errors is not None:
            return list(self.errors)
        if self.group.kind == "walsh" and self.max_error != math.inf:
            return [_ZERO if e else 2 * self.group.amplitude for e in self.equal.tolist()]
        return [self.max_error] * self.group.count


@dataclass
class ReferenceTruth:
    """The true quantized heads of one instance at one ε, evaluated from the flip bits, group by group.

    Build it with :func:`reference_truth`; :meth:`check` judges decoded tables (one per head),
    :meth:`check_groups` the group blocks of a decoded ``TableSet``.
    """

    depth: int
    flips: np.ndarray = field(repr=False)
    eps: float
    heads: HeadSet
    groups: list[ReferenceGroup]
    #: per Walsh group (its index in ``groups``): the true parity rows, packed
    walsh: dict[int, np.ndarray] = field(repr=False, default_factory=dict)
    #: per sawtooth head position: (true z code of the cell, y_k)
    sawtooth: dict[int, tuple[np.ndarray, np.ndarray]] = field(repr=False, default_factory=dict)

    def matches(self, depth: int, flips: np.ndarray, heads, eps: float) -> bool:
        """This truth was evaluated for exactly this class and these flip bits."""
        return (
            self.depth == depth
            and self.eps == eps
            and self.heads == HeadSet.of(heads)
            and np.array_equal(self.flips, flips)
        )

    def check(self, tables) -> tuple[list[bool], list[Fraction | float]]:
        """``(equal, errors)`` per head: does the decoded table equal the true ``f̂_t``, and the exact
        ``sup_x |f_t(x) - f̂_t(x)|`` of the function it encodes (``inf`` for an unreadable table).

        ``tables`` holds one table per head (``O(heads)``); a decoded ``TableSet`` is judged
        group by group (:meth:`check_groups`) and the verdicts listed head by head.
        """
        if hasattr(tables, "blocks"):
            verdicts = self.check_groups(tables)
            return (
                [bool(e) for v in verdicts for e in v.equal.tolist()],
                [e for v in verdicts for e in v.head_errors()],
            )
        if len(tables) != len(self.heads):
            raise ValueError(f"{len(tables)} tables for {len(self.heads)} heads")
        equal: list[bool] = []
        errors: list[Fraction | float] = []
        for gi, group in enumerate(self.groups):
            for i in range(group.count):
                t = group.position + i
                ok, err = self._check_head(gi, group, i, tables[t])
                equal.append(ok)
                errors.append(err)
        return equal, errors

    def _check_head(self, gi: int, group: ReferenceGroup, i: int, table) -> tuple[bool, Fraction | float]:
        ref = group.head(i)
        if ref.kind == "zero":
            return (True, ref.amplitude) if table.values is None else (False, math.inf)
        if ref.kind == "walsh":
            if not _shaped(ref, table) or not np.issubdtype(table.values.dtype, np.integer):
                return False, math.inf
            bits = table.values
            if not ((bits >= 0) & (bits <= 1)).all():  # a parity bit per cell
                return False, math.inf
            parity = np.unpackbits(self.walsh[gi][i])[: bits.size]
            wrong = bool((bits != parity).any())  # f - f̂ = 2a (bit - parity) ∈ {0, ±2a}
            return not wrong, (2 * ref.amplitude if wrong else _ZERO)
        if not _readable(ref, table):
            return False, math.inf
        return self._check_sawtooth(group.position + i, ref, table.values)

    def _check_sawtooth(self, t: int, ref: ReferenceHead, values: np.ndarray) -> tuple[bool, Fraction]:
        z, yk = self.sawtooth[t]
        worst, same = 0, True
        for start in range(0, z.size, _BLOCK_CELLS):  # bounded temporaries
            block = slice(start, start + _BLOCK_CELLS)
            w, ok = _sawtooth_block(ref, values[block].astype(np.int64), z[block], yk[block])
            worst, same = max(worst, w), same and ok
        return same, ref.amplitude * Fraction(2 * worst + 1, 1 << ref.sawtooth_precision)

    def check_groups(self, tables) -> list[GroupVerdict]:
        """Judge the blocks of a decoded ``TableSet`` (``dlcalc.quantize._tableset``): packed Walsh rows compared
        packed, a block at a time; zero groups in closed form; sawtooth heads one by one."""
        if len(tables.blocks) != len(self.groups):
            raise ValueError(f"{len(tables.blocks)} table blocks for {len(self.groups)} head groups")
        return [
            self._check_block(gi, group, block)
            for gi, (group, block) in enumerate(zip(self.groups, tables.blocks, strict=True))
        ]

    def _check_block(self, gi: int, group: ReferenceGroup, block) -> GroupVerdict:
        n = group.count
        unreadable = GroupVerdict(group, np.zeros(n, dtype=bool), None, math.inf)
        if group.kind == "zero":
            if block.rows is None and block.tables is None:  # f̂ = 0: errs by a, |g ∘ h| attains 1
                return GroupVerdict(group, np.ones(n, dtype=bool), None, group.amplitude)
            return unreadable
        if group.kind == "walsh":
            rows, truth = block.rows, self.walsh[gi]
            if not isinstance(rows, np.ndarray) or rows.dtype != np.uint8 or rows.shape != truth.shape:
                return unreadable
            if n and (rows[:, -1] & _pad_mask(group.first.bit_length())).any():
                return unreadable  # padding bits set: not a parity table of 2^top cells
            step = max(1, (_BLOCK_CELLS >> 3) // max(truth.shape[1], 1))
            equal = (
                np.concatenate([(rows[i : i + step] == truth[i : i + step]).all(axis=1) for i in range(0, n, step)])
                if n
                else np.ones(0, dtype=bool)
            )
            return GroupVerdict(group, equal, None, _ZERO if equal.all() else 2 * group.amplitude)
        tables = block.tables
        if tables is None or len(tables) != n:
            return unreadable
        verdicts = [self._check_head(gi, group, i, table) for i, table in enumerate(tables)]
        errors = [e for _, e in verdicts]
        return GroupVerdict(group, np.array([ok for ok, _ in verdicts], dtype=bool), errors, max(errors, default=_ZERO))


def _pad_mask(level: int) -> int:
    """Padding bits of the last byte of a packed row of ``2^level`` cells."""
    used = (1 << level) % 8
    return 0 if used == 0 else (1 << (8 - used)) - 1


def _sawtooth_block(ref: ReferenceHead, values: np.ndarray, z: np.ndarray, yk: np.ndarray) -> tuple[int, bool]:
    """``(max |Q̂ - Q|, Q̂ = Q everywhere)`` over a block of table cells (both quantization ends of a sweeping cell).

    On a quantization cell with true code ``Q``, ``2^p S_k`` runs from ``Q + y_k`` (left
    end) to ``Q + 1 - y_k`` (left limit at the right end): the ends are ``Q`` and ``Q + 1``.
    Against ``2^p f̂ / a = 2^p - 2Q̂ - 1`` the scaled differences at the two ends are
    ``2(Q̂ - Q) + 1`` and ``2(Q̂ - Q) - 1``; the caller takes ``2 max |Q̂ - Q| + 1``.
    """
    if ref.kind == "code":
        diff = values - z
        return int(np.abs(diff).max()), not diff.any()
    m = ref.index + ref.sawtooth_precision - ref.table_level
    if ref.index == 0:
        v, o = values, np.zeros_like(values)
    else:
        v, o = values >> 1, values & 1
    # Q(j) = (v + c) 2^m - c with c = o XOR [j = 2^m - 1], for j in {0, 2^m - 1}
    worst, same = 0, True
    for last in (0, 1):
        c_hat, c_true = o ^ last, yk ^ last
        hi = v + c_hat - z - c_true
        lo = c_true - c_hat  # Q̂(j) - Q(j) = hi 2^m + lo, and |lo| <= 1 < 2^m
        worst = max(worst, _max_abs(hi, lo, m))
        same = same and not hi.any() and not lo.any()
    return worst, same


def _shaped(ref: ReferenceHead, table) -> bool:
    """The table has the level and shape the format prescribes for this head."""
    values = table.values
    if values is None or ref.level is None:  # a zero head has no table level: no table matches it
        return False
    return table.level == ref.level and values.shape == (1 << ref.level,)


def _readable(ref: ReferenceHead, table) -> bool:
    """Shaped, and integer values in the format's range: a code of ``p`` digits or a state ``2v + o``."""
    if not _shaped(ref, table) or not np.issubdtype(table.values.dtype, np.integer):
        return False
    bound = (
        1 << ref.sawtooth_precision
        if ref.kind == "code"
        else 1 << (ref.table_level - ref.index + (1 if ref.index else 0))
    )
    return int(table.values.min()) >= 0 and int(table.values.max()) < bound


def reference_truth(depth: int, flips: np.ndarray, heads, eps: float, max_cells: int | None = None) -> ReferenceTruth:
    """Evaluate the true quantized heads from the raw flip bits (THEORY §2-§4), group by group.

    Refuses up front (:class:`BudgetError`) when the images and tables would hold more
    than ``max_cells`` cells (THEORY §8); zero heads need none.
    """
    head_set = HeadSet.of(heads)
    groups = reference_groups(head_set, depth, eps)
    need = _group_cells(groups)
    if max_cells is not None and need > max_cells:
        raise BudgetError(
            f"verification needs {need} cells, over the budget of {max_cells} "
            "(raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )
    flips = np.asarray(flips, dtype=np.uint8)
    truth = ReferenceTruth(depth, flips, eps, head_set, groups)
    levels: dict[int, list[tuple[int, int]]] = {}  # level -> (group index, head in group)
    for gi, group in enumerate(groups):
        if group.kind == "walsh":
            levels.setdefault(group.first.bit_length(), []).append((gi, -1))
        elif group.kind == "sawtooth":
            for i in range(group.count):
                levels.setdefault(group.head(i).table_level, []).append((gi, i))
    for level in sorted(levels):
        image = feature_image(flips, depth, level)
        if level <= 32:
            image = image.astype(np.uint32)  # half the memory traffic of the parity pass
        for gi, i in levels[level]:
            group = groups[gi]
            if i < 0:
                step = max(1, _BLOCK_CELLS >> level)
                rows = np.empty((group.count, ((1 << level) + 7) // 8), dtype=np.uint8)
                for start in range(0, group.count, step):
                    last = min(group.last, group.first + start + step - 1)
                    masks = _digit_masks(group.first + start, last, level).astype(image.dtype)
                    rows[start : start + masks.size] = _packed_parity(image, masks)
                truth.walsh[gi] = rows
            else:
                ref = group.head(i)
                truth.sawtooth[group.position + i] = _oriented(image.astype(np.int64), ref.index, level - ref.index)
    return truth
