"""Task heads: Walsh and sawtooth readouts with amplitudes (THEORY §3).

Head ``t`` is a family, an index and an amplitude ``a_t > 0``; its output
coordinate is ``f_t = a_t · g_t ∘ h_σ``.

- ``walsh:n`` (``n >= 1``, Paley order): ``g(y) = (-1)^(Σ_{i∈A(n)} b_i(y))``.
- ``sawtooth:k`` (``k >= 0``): ``g(y) = 1 - 2 S_k(y)``, ``S_0(y) = y``,
  ``S_k = T∘S_{k-1}`` with the tent map ``T(y) = 1 - |2y - 1|``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .._errors import BudgetError, SpecError
from ._numbers import parse_integer, parse_number, positive_float, short_text
from ._span import cell_parity, levels_of

__all__ = [
    "Head",
    "HeadRun",
    "parse_heads",
    "parse_head_run",
    "parse_number",
    "check_index_limit",
    "FAMILIES",
    "MAX_HEADS",
    "MAX_WALSH_TOP",
    "MAX_SAWTOOTH_INDEX",
]

FAMILIES = ("walsh", "sawtooth")
#: Most heads one specification or instance may hold.
MAX_HEADS = 1 << 20
#: ``walsh:n`` read from a specification or a file reads the levels ``A(n)``: ``n < 2^MAX_WALSH_TOP``
#: (at most 1,234 digits).
MAX_WALSH_TOP = 4096
#: ``sawtooth:k`` read from a specification or a file starts at level ``k``: ``k <= MAX_SAWTOOTH_INDEX``.
MAX_SAWTOOTH_INDEX = 1 << 16

_SPEC = re.compile(
    r"^\s*(?P<family>[A-Za-z_-]+)\s*:\s*(?P<lo>-?[0-9]+)(?:\s*-\s*(?P<hi>-?[0-9]+))?\s*(?:@\s*(?P<amp>\S+))?\s*$",
    re.ASCII,
)


@dataclass(frozen=True, order=True)
class Head:
    """One task head ``f_t = a · g ∘ h`` (THEORY §3).

    Examples
    --------
    >>> Head("walsh", 5).levels()
    [1, 3]
    >>> Head.parse("sawtooth:2@0.5")
    Head(family='sawtooth', index=2, amplitude=0.5)

    A family head (:class:`~dlcalc.Family`) whose amplitude ``2^(-e)`` is irrational also
    carries its ``exponent`` ``e``, a Fraction: its float ``amplitude`` is ``2^(-e)`` correctly
    rounded and gives its values, while whether it is zero and its precision are decided on
    ``2^(-e)`` exactly (:mod:`dlcalc.core._exponent`).  Such a head is not equal to a head
    given by the same float amplitude, which denotes that float exactly.
    """

    family: str
    index: int
    amplitude: float = 1.0
    exponent: Fraction | None = field(default=None, compare=False, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Head):
            return NotImplemented
        return (self.family, self.index, self.amplitude, self.exponent) == (
            other.family,
            other.index,
            other.amplitude,
            other.exponent,
        )

    def __hash__(self) -> int:
        return hash((self.family, self.index, self.amplitude, self.exponent))

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise SpecError(f"unknown head family {short_text(self.family)} (choose from {', '.join(FAMILIES)})")
        if isinstance(self.index, bool) or not isinstance(self.index, int):
            raise SpecError(f"head index must be an integer, got {short_text(self.index)}")
        name = f"{self.family}:{short_text(self.index)}"
        if self.family == "walsh" and self.index < 1:
            raise SpecError(f"{name}: Walsh heads start at walsh:1 (walsh:0 is the constant)")
        if self.family == "sawtooth" and self.index < 0:
            raise SpecError(f"{name}: sawtooth heads start at sawtooth:0")
        amplitude = positive_float(self.amplitude, f"{name}: amplitude", SpecError)
        object.__setattr__(self, "amplitude", amplitude)
        if self.exponent is not None:
            object.__setattr__(self, "exponent", Fraction(self.exponent))

    @classmethod
    def parse(cls, text: str) -> Head:
        """Parse one head ``family:index[@amplitude]``; ranges go through :func:`parse_heads`."""
        heads = parse_heads(text)
        if len(heads) != 1:
            raise SpecError(f"{short_text(text)} names {len(heads)} heads, expected one")
        return heads[0]

    @property
    def name(self) -> str:
        """``family:index`` without the amplitude."""
        return f"{self.family}:{self.index}"

    @property
    def spec(self) -> str:
        """The full specification, ``family:index@amplitude`` (amplitude omitted when 1)."""
        return self.name if self.amplitude == 1.0 else f"{self.name}@{self.amplitude!r}"

    def levels(self, depth: int | None = None) -> list[int]:
        """Digit levels of ``y = h(x)`` the head reads that carry freedom (``<= depth``).

        ``walsh:n`` reads ``A(n)``; ``sawtooth:k`` reads levels ``k, k+1, ...``
        (``1, 2, ...`` for ``k = 0``), of which only those ``<= depth`` depend on σ.
        """
        if self.family == "walsh":
            levels = levels_of(self.index)
            return levels if depth is None else [lv for lv in levels if lv <= depth]
        if depth is None:
            raise ValueError("a sawtooth head reads infinitely many levels; give a depth")
        return list(range(max(self.index, 1), depth + 1))

    def exact_level(self, depth: int) -> int:
        """The cell level ``r_t`` on which ``f_t`` is constant (Walsh) or affine (sawtooth), THEORY §8."""
        if self.family == "walsh":
            return self.index.bit_length()
        return max(depth, self.index)

    def g(self, y) -> np.ndarray:
        """Evaluate the readout ``g`` directly (no feature), exact for dyadic ``y``.

        The sawtooth is the iterated tent map itself, not its digit form.
        """
        y = np.asarray(y, dtype=np.float64)
        if self.family == "walsh":
            parity = np.zeros(y.shape, dtype=np.int64)
            for lv in levels_of(self.index):
                parity ^= np.floor(y * 2.0**lv).astype(np.int64) & 1
            return 1.0 - 2.0 * parity
        s = y.copy()
        for _ in range(self.index):
            s = 1.0 - np.abs(2.0 * s - 1.0)
        return 1.0 - 2.0 * s

    def inner(self, other: Head) -> Fraction:
        """Exact ``<a_s g_s, a_t g_t>`` on ``[0,1)`` (THEORY §3), as a Fraction.

        ``h_σ`` preserves measure, so this is also ``<f_s, f_t>``.  Walsh–Walsh pairs
        use the orthonormality of the Walsh system; every other pair is integrated
        exactly with Simpson's rule on the cells where both are affine.
        """
        amp = Fraction(self.amplitude) * Fraction(other.amplitude)
        if self.family == "walsh" and other.family == "walsh":
            return amp if self.index == other.index else Fraction(0)
        level = max(self._piece_level(), other._piece_level())
        if level > 26:
            raise BudgetError(f"<{self.name}, {other.name}> needs 2^{level} cells (limit 2^26)")
        n = 1 << level
        # endpoint and midpoint values on a grid of 2n half-cells, scaled to integers
        left = self._scaled_values(level)
        right = other._scaled_values(level)
        # each *_values returns (value at left end, at midpoint, right limit) × 2^(level+1)
        total = int(np.sum(left[0] * right[0] + 4 * left[1] * right[1] + left[2] * right[2], dtype=object))
        scale = (1 << (level + 1)) ** 2
        return amp * Fraction(total, 6 * n * scale)

    def _piece_level(self) -> int:
        return self.index.bit_length() if self.family == "walsh" else self.index

    def _scaled_values(self, level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``g`` at the left end, midpoint and right limit of each level cell, times ``2^(level+1)``."""
        n = 1 << level
        cells = np.arange(n, dtype=np.int64)
        one = 1 << (level + 1)
        if self.family == "walsh":
            v = one * (1 - 2 * cell_parity(cells, self.index, level).astype(np.int64))
            return v, v, v
        k = self.index
        # S_k on a level cell (level >= k) is affine: endpoints w/N and (w±1)/N, N = 2^(level-k)
        if k == 0:
            s_left2 = 2 * cells  # 2^(level+1) * S at left = 2 * cell
            s_right2 = 2 * (cells + 1)
        else:
            yk = (cells >> (level - k)) & 1
            u = cells & ((1 << (level - k)) - 1)
            scale = 1 << (k + 1)  # S = u / 2^(level-k) -> times 2^(level+1) = u * 2^(k+1)
            s_left2 = np.where(yk == 0, u * scale, one - u * scale)
            s_right2 = np.where(yk == 0, (u + 1) * scale, one - (u + 1) * scale)
        g_left = one - 2 * s_left2
        g_right = one - 2 * s_right2
        return g_left, (g_left + g_right) // 2, g_right


@dataclass(frozen=True)
class HeadRun:
    """Heads ``family:first..last`` with one amplitude, kept as a range (never listed head by head).

    Examples
    --------
    >>> run = HeadRun("walsh", 4, 7, 0.25)
    >>> run.spec, run.count, [h.spec for h in run.heads()][:2]
    ('walsh:4-7@0.25', 4, ['walsh:4@0.25', 'walsh:5@0.25'])
    """

    family: str
    first: int
    last: int
    amplitude: float = 1.0

    def __post_init__(self) -> None:
        Head(self.family, self.first, self.amplitude)  # validates family, first and amplitude
        if isinstance(self.last, bool) or not isinstance(self.last, int) or self.last < self.first:
            raise SpecError(f"empty head range {short_text(self.first)}-{short_text(self.last)}")

        object.__setattr__(self, "amplitude", float(self.amplitude))

    @property
    def count(self) -> int:
        return self.last - self.first + 1

    @property
    def spec(self) -> str:
        """``family:first-last@amplitude`` (``family:index`` for one head; amplitude omitted when 1)."""
        name = f"{self.family}:{self.first}" if self.first == self.last else f"{self.family}:{self.first}-{self.last}"
        return name if self.amplitude == 1.0 else f"{name}@{self.amplitude!r}"

    def head(self, i: int) -> Head:
        """The ``i``-th head of the run."""
        return Head(self.family, self.first + i, self.amplitude)

    def heads(self) -> list[Head]:
        return [Head(self.family, i, self.amplitude) for i in range(self.first, self.last + 1)]


def parse_head_run(text: str) -> HeadRun:
    """Parse ``walsh:5``, ``walsh:1-63`` (inclusive), ``sawtooth:0-4@0.25``, ``walsh:3@2^-2`` into one run.

    >>> parse_head_run("walsh:1-63@0.5").spec
    'walsh:1-63@0.5'
    """
    m = _SPEC.match(text)
    if not m:
        raise SpecError(
            f"cannot parse head {short_text(text)}: expected family:index[-last][@amplitude], e.g. walsh:1-63@0.5"
        )
    family = m["family"].lower()
    if family not in FAMILIES:
        raise SpecError(
            f"unknown head family {short_text(m['family'])} in {short_text(text)} (choose from {', '.join(FAMILIES)})"
        )
    lo = parse_integer(m["lo"], f"head index in {short_text(text)}")
    hi = parse_integer(m["hi"], f"head index in {short_text(text)}") if m["hi"] is not None else lo
    if hi < lo:
        raise SpecError(f"empty head range {short_text(lo)}-{short_text(hi)} in {short_text(text)}")
    if hi - lo + 1 > MAX_HEADS:
        raise SpecError(f"{short_text(text)} names {short_text(hi - lo + 1)} heads; at most {MAX_HEADS} are allowed")
    check_index_limit(family, hi)
    amplitude = parse_number(m["amp"], "amplitude") if m["amp"] is not None else 1.0
    return HeadRun(family, lo, hi, amplitude)


def check_index_limit(family: str, last: int) -> None:
    """The largest index a specification or a file may name: ``walsh:n`` with ``n < 2^MAX_WALSH_TOP``
    (1,234 digits at most, so every index prints), ``sawtooth:k`` with ``k <= MAX_SAWTOOTH_INDEX``.

    Read input only: the library itself takes heads of any index (budgets refuse their work).
    """
    if family == "walsh" and last.bit_length() > MAX_WALSH_TOP:
        raise SpecError(
            f"walsh:{short_text(last)}: Walsh indices must be below 2^{MAX_WALSH_TOP} (levels up to {MAX_WALSH_TOP})"
        )
    if family == "sawtooth" and last > MAX_SAWTOOTH_INDEX:
        raise SpecError(f"sawtooth:{short_text(last)}: sawtooth heads run up to sawtooth:{MAX_SAWTOOTH_INDEX}")


def parse_heads(text: str) -> list[Head]:
    """Parse a head specification into its heads (see :func:`parse_head_run`).

    >>> [h.spec for h in parse_heads("sawtooth:1-3@0.5")]
    ['sawtooth:1@0.5', 'sawtooth:2@0.5', 'sawtooth:3@0.5']
    """
    return parse_head_run(text).heads()
