"""The reference evaluator's own reading of the class and of the definitions (THEORY §2-§4).

Precisions, groups and cells from the amplitudes and ε in exact arithmetic; the image of the
feature by the digit form; Walsh parities by ``bitwise_count``; sawtooth digits.  Nothing here
is shared with the coders (``docs/testing.md``) but the exact rule for a family amplitude
``2^(-βj)`` (:func:`dlcalc.core._exponent.pow2_precision`), the definition of what its
precision is, which the coders and this evaluator must decide alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..core._exponent import pow2_precision
from ..core._headset import HeadSet

__all__ = [
    "ReferenceHead",
    "reference_heads",
    "reference_cells",
    "ReferenceGroup",
    "reference_groups",
    "feature_image",
    "reference_point_values",
]


# ----------------------------------------------------------------------------- the class


@dataclass(frozen=True)
class ReferenceHead:
    """How the format stores one head at accuracy ε, derived here from THEORY §4 and §8.

    Attributes
    ----------
    kind : str
        ``"zero"`` (``ε >= a``), ``"walsh"`` (parity bit on level ``top(n)``),
        ``"code"`` (sawtooth code ``Q`` on level ``k + p``) or ``"sweep"``
        (sawtooth state ``2v + o``, ``v`` for ``k = 0``, on level ``max(D, k)``).
    precision : int or None
        ``p``: the smallest ``p >= 1`` with ``a 2^-p <= ε`` (sawtooth heads only).
    level : int or None
        Level of the table cells; None for a zero head.
    """

    family: str
    index: int
    amplitude: Fraction
    kind: str
    precision: int | None
    level: int | None

    @property
    def sawtooth_precision(self) -> int:
        """``p`` of a sawtooth head, for callers that have checked :attr:`kind`."""
        if self.precision is None:
            raise TypeError(f"a {self.kind} head has no precision")
        return self.precision

    @property
    def table_level(self) -> int:
        """``level`` of a head that is not zero, for callers that have checked :attr:`kind`."""
        if self.level is None:
            raise TypeError(f"a {self.kind} head has no table level")
        return self.level


def _precision(amplitude: Fraction, eps: Fraction) -> int:
    """Smallest ``p >= 1`` with ``a 2^-p <= ε``: the smallest ``p`` with ``2^p >= ceil(a/ε)``."""
    ratio = amplitude / eps
    need = -((-ratio.numerator) // ratio.denominator)  # ceil(a/ε) >= 2
    return (need - 1).bit_length()


def _zero_or_precision(amplitude: float, exponent: Fraction | None, eps: Fraction) -> int | None:
    """``p``, or None when ``ε >= a``: of the float amplitude, or of ``2^(-e)`` for a family head's exponent ``e``."""
    if exponent is not None:
        return pow2_precision(exponent, eps)
    a = Fraction(amplitude)
    return None if eps >= a else _precision(a, eps)


def reference_heads(heads, depth: int, eps: float) -> list[ReferenceHead]:
    """Kind, precision and table level of every head (THEORY §4, §8), from the class alone."""
    eps_exact = Fraction(eps)
    quantized: dict[tuple, tuple[Fraction, int | None]] = {}  # (amplitude, exponent) -> (a, p; None when zero)
    out = []
    for head in heads:
        key = (head.amplitude, head.exponent)
        if key not in quantized:
            quantized[key] = (Fraction(head.amplitude), _zero_or_precision(head.amplitude, head.exponent, eps_exact))
        a, p = quantized[key]
        k = head.index
        if p is None:
            out.append(ReferenceHead(head.family, k, a, "zero", None, None))
        elif head.family == "walsh":
            out.append(ReferenceHead(head.family, k, a, "walsh", None, k.bit_length()))
        elif k + p <= max(depth, k):
            out.append(ReferenceHead(head.family, k, a, "code", p, k + p))
        else:
            out.append(ReferenceHead(head.family, k, a, "sweep", p, max(depth, k)))
    return out


def reference_cells(ref_heads: list[ReferenceHead]) -> int:
    """Cells the reference materializes: one image per distinct level plus one array per head."""
    levels = [h.table_level for h in ref_heads if h.kind != "zero"]
    return sum(1 << lv for lv in set(levels)) + sum(1 << lv for lv in levels)


@dataclass(frozen=True)
class ReferenceGroup:
    """A group of heads ``family:first..last`` sharing one amplitude, at head positions ``position, ...``.

    ``kind`` is ``"zero"``, ``"walsh"`` or ``"sawtooth"``; the heads of a group share the
    precision (THEORY §4); each sawtooth head has its own table kind and level (:meth:`head`).
    """

    family: str
    first: int
    last: int
    amplitude: Fraction
    position: int
    kind: str
    precision: int | None
    depth: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    def head(self, i: int) -> ReferenceHead:
        """The ``i``-th head of the group, as the format stores it."""
        k, p, a = self.first + i, self.precision, self.amplitude
        if self.kind == "zero":
            return ReferenceHead(self.family, k, a, "zero", None, None)
        if self.kind == "walsh":
            return ReferenceHead(self.family, k, a, "walsh", None, k.bit_length())
        assert p is not None  # a sawtooth group has a precision
        if k + p <= max(self.depth, k):
            return ReferenceHead(self.family, k, a, "code", p, k + p)
        return ReferenceHead(self.family, k, a, "sweep", p, max(self.depth, k))

    def levels(self) -> list[int]:
        """Table levels of the group's heads (one for a Walsh group; none for zero heads)."""
        if self.kind == "zero":
            return []
        if self.kind == "walsh":
            return [self.first.bit_length()]
        return [self.head(i).table_level for i in range(self.count)]

    def cells(self) -> int:
        """Cells of the group's tables."""
        if self.kind == "walsh":
            return self.count << self.first.bit_length()
        return sum(1 << lv for lv in self.levels())


def reference_groups(heads, depth: int, eps: float) -> list[ReferenceGroup]:
    """Kind and precision of every group of heads (THEORY §4, §8), from the class alone."""
    eps_exact = Fraction(eps)
    out = []
    for g in HeadSet.of(heads).groups():
        a = Fraction(g.amplitude)
        p = _zero_or_precision(g.amplitude, g.exponent, eps_exact)
        if p is None:
            kind = "zero"
        else:
            kind, p = g.family, (None if g.family == "walsh" else p)
        out.append(ReferenceGroup(g.family, g.first, g.last, a, g.position, kind, p, depth))
    return out


def _group_cells(groups: list[ReferenceGroup]) -> int:
    """Cells the reference materializes: one image per distinct level plus the tables (zero heads: none)."""
    levels = {lv for g in groups for lv in g.levels()}
    return sum(1 << lv for lv in levels) + sum(g.cells() for g in groups if g.kind != "zero")


# ----------------------------------------------------------------------------- evaluation


def _flips_of_level(flips: np.ndarray, depth: int, j: int) -> np.ndarray:
    """``s_{j, ·}`` read straight from the level-order flip bits (all 0 for ``j >= D``)."""
    if j >= depth:
        return np.zeros(1 << j, dtype=np.uint8)
    return flips[(1 << j) - 1 : (1 << (j + 1)) - 1]


def feature_image(flips: np.ndarray, depth: int, level: int) -> np.ndarray:
    """Image index ``floor(2^r h(x))`` of every level-``r`` cell, by the digit form (THEORY §2).

    Digit ``i`` of a level-``r`` index is bit ``r - i``; its level-``(i-1)``
    ancestor is the index shifted right by ``r - i + 1``, i.e. the row of a
    ``2^(i-1) × 2^(r-i+1)`` view.  Each pass XORs ``s_{i-1, ancestor}`` into digit ``i``.
    int32 up to level 30, int64 beyond.
    """
    dtype: type[np.signedinteger] = np.int32 if level <= 30 else np.int64
    image = np.arange(1 << level, dtype=dtype)
    for i in range(1, min(level, depth) + 1):
        s = _flips_of_level(flips, depth, i - 1).astype(dtype)
        rows = image.reshape(1 << (i - 1), 1 << (level - i + 1))
        rows ^= (s << (level - i))[:, None]
    return image


def _digit_mask(index: int, level: int) -> int:
    """Bits of a level-``r`` cell index holding the digits ``l ∈ A(n)``: digit ``l`` (bit ``l-1`` of ``n``)
    is bit ``r - l`` of the index, so the mask is ``n`` bit-reversed in ``r`` bits (``r >= top(n)``)."""
    return int(format(index, f"0{level}b")[::-1], 2)


def _walsh_parity(image: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``parity(image & mask)`` for every mask (rows) and cell (columns), as uint8."""
    return (np.bitwise_count(image[None, :] & masks[:, None]) & 1).astype(np.uint8)


def _digit_masks(first: int, last: int, level: int) -> np.ndarray:
    """:func:`_digit_mask` of every ``n`` in ``first .. last`` at once (digit ``l`` of ``n`` to bit ``level - l``)."""
    n = np.arange(first, last + 1, dtype=np.int64)
    masks = np.zeros_like(n)
    for lv in range(1, level + 1):
        masks |= ((n >> (lv - 1)) & 1) << (level - lv)
    return masks


def _packed_parity(image: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """:func:`_walsh_parity`, a row per mask, packed eight cells to a byte (cell 0 the high bit)."""
    return np.packbits(_walsh_parity(image, masks), axis=1)


def _oriented(image: np.ndarray, k: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``(Σ_{i<=w} z_i 2^(w-i), y_k)`` on cells of level ``k + w``: ``z_i = y_{k+i} XOR y_k`` (``y_i``, ``y_0 = 0`` for
    ``k = 0``)."""
    low = (1 << width) - 1
    yk = (image >> width) & 1 if k >= 1 else np.zeros_like(image)
    return (image & low) ^ (yk * low), yk


def _max_abs(hi: np.ndarray, lo: np.ndarray, shift: int) -> int:
    """``max |hi 2^shift + lo|`` over all cells as an exact int (``hi``, ``lo`` small int64 arrays).

    With ``|lo| < 2^(b-1) <= 2^(shift-1)``, ``|hi 2^shift + lo|`` is ordered as the pair
    ``(|hi|, sign(hi) lo)``, and so is ``|hi 2^b + lo|``: the cell that maximizes the small
    int64 key maximizes the value, which is then formed in Python integers.
    """
    b = (2 * int(np.abs(lo).max()) + 1).bit_length()
    if shift <= b:
        return int(np.abs(hi * (1 << shift) + lo).max())
    cell = int(np.abs(hi * (1 << b) + lo).argmax())
    return abs(int(hi[cell]) * (1 << shift) + int(lo[cell]))


def reference_point_values(
    flips: np.ndarray, depth: int, head, eps: float, level: int
) -> tuple[np.ndarray, np.ndarray]:
    """``f_t`` and the true quantized ``f̂_t`` at the left ends ``c 2^-r`` of all level-``r`` cells.

    Float arrays (exact while ``r <= 52``), computed by the same digit evaluation
    as the sup errors; ``r`` must be at least ``top(n)`` (Walsh) or ``k + p``
    (sawtooth).  For testing the reference against direct evaluation.
    """
    (ref,) = reference_heads([head], depth, eps)
    a = float(ref.amplitude)
    image = feature_image(flips, depth, level)
    if ref.family == "walsh":
        if level < ref.index.bit_length():
            raise ValueError("level below top(n)")
        f = a * (1.0 - 2.0 * _walsh_parity(image, np.array([_digit_mask(ref.index, level)], dtype=image.dtype))[0])
        return f, (np.zeros_like(f) if ref.kind == "zero" else f.copy())
    k = ref.index
    p = ref.precision or 0
    if level < k + p:
        raise ValueError("level below k + p")
    width = level - k
    z, yk = _oriented(image, k, width)
    f = a * (1.0 - 2.0 * (z + yk) / 2.0**width)  # digits of y, then zeros
    if ref.kind == "zero":
        return f, np.zeros_like(f)
    code = z >> (width - p)  # the first p digits z_1 .. z_p
    return f, a * (1.0 - 2.0 * (code / 2.0**p + 2.0 ** -(p + 1)))
