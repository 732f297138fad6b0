"""The network file: a bit-level, self-delimiting serialization of Heaviside networks (THEORY §7).

The layout is documented in ``docs/format.md`` ("Network files"); this module is its
reference implementation.  A file holds one or more *blocks* side by side (their
outputs concatenated); a block is a stack of :class:`Layer` objects: a step layer
``H(x - g 2^-E)``, Heaviside layers, and one linear output layer.  The body is
written with the prefix codes of :mod:`dlcalc.networks._bits`:

- the step layer is not written at all: its breakpoints are the union of the
  positions its reader layer names, each reader row as gaps on its own dyadic grid;
- a *toggle row* (weights ``±2`` alternating, bias ``∓1``: a unit that flips at each
  input, as a digit of the trunk flips at each of its breakpoints) is one bit, its
  weights and bias implied;
- every other layer is a list of *runs*: a first row coded against the row before
  it, and a constant step that makes each further row of the run from the previous;
- weights are small integers on one per-layer scale ``2^-e``; output scales come
  from a per-layer palette;
- a block is followed by one bit (another block follows or not), so a file of
  several blocks is exactly as long as the blocks' own files together.

The reader is a hostile-input surface: every count is checked against the bits
left or against the size budget before anything sized by it is allocated, and
every defect is a one-line :class:`FormatError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._bits import BitReader, BitWriter

__all__ = ["Layer", "make_layer", "toggle_row"]

NETWORK_MAGIC = b"\x89DHN\r\n\x1a\n"
NETWORK_VERSION = 2
#: Largest network file the reader accepts.
MAX_NETWORK_BYTES = 64 << 20
#: Largest layer exponent (weights are ``value · 2^-e``) and grid exponent.
MAX_EXPONENT = 62
#: Largest number of hidden layers in a block.
MAX_HIDDEN_LAYERS = 64
#: A row's ``Σ|w| + |b|`` stays below this, so integer pre-activations never overflow.
MAX_ROW_SUM = 1 << 62
#: Output scales are normal float64 numbers of magnitude in ``[2^-1022, 2^960)``:
#: a scale times any pre-activation is finite.
MIN_SCALE_EXP, MAX_SCALE_EXP = -1022, 960
_FRAMING = len(NETWORK_MAGIC) + 2 + 4


@dataclass
class Layer:
    """One layer: ``n_out`` units over ``n_in`` inputs, sparse integer weights on scale ``2^-exponent``.

    ``rows``, ``cols`` (sorted by row, then column), ``values`` and ``biases`` are int64
    arrays; a linear (output) layer multiplies output ``u`` by ``scales[u]``.
    """

    n_in: int
    n_out: int
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    biases: np.ndarray
    exponent: int
    linear: bool = False
    scales: np.ndarray | None = None

    @property
    def output_scales(self) -> np.ndarray:
        """``scales`` of a linear layer, for callers that have checked :attr:`linear`."""
        if self.scales is None:
            raise TypeError("a Heaviside layer has no output scales")
        return self.scales

    @property
    def nonzeros(self) -> int:
        return int(self.values.size)

    def row_starts(self) -> np.ndarray:
        """``starts[u] : starts[u + 1]`` are the weights of unit ``u``."""
        return np.searchsorted(self.rows, np.arange(self.n_out + 1))


def make_layer(n_in, n_out, rows, cols, values, biases, exponent, linear=False, scales=None) -> Layer:
    """A :class:`Layer` from unsorted triplets; zero weights are dropped."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64)
    keep = values != 0
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, rows))
    return Layer(
        int(n_in),
        int(n_out),
        rows[order],
        cols[order],
        values[order],
        np.asarray(biases, dtype=np.int64).reshape(-1),
        int(exponent),
        bool(linear),
        None if scales is None else np.asarray(scales, dtype=np.float64).reshape(-1),
    )


def toggle_row(count: int, s: int) -> tuple[np.ndarray, int]:
    """Weights and bias of a toggle row: ``H(±(1 - 2u_1 + 2u_2 - …))`` starts at ``s`` and flips at each input.

    >>> toggle_row(3, 0)[0].tolist(), toggle_row(3, 0)[1], toggle_row(2, 1)[0].tolist(), toggle_row(2, 1)[1]
    ([2, -2, 2], -1, [-2, 2], 1)
    """
    sign = 1 if s == 0 else -1
    values = sign * 2 * np.where(np.arange(count) % 2 == 0, 1, -1).astype(np.int64)
    return values, -sign


def _toggle_state(values: np.ndarray, bias: int) -> int | None:
    """``s`` when the row is a toggle row, else None."""
    if bias not in (-1, 1):
        return None
    s = 0 if bias == -1 else 1
    first = 2 if s == 0 else -2
    if values.size and not (np.all(values[0::2] == first) and np.all(values[1::2] == -first)):
        return None
    return s


# ----------------------------------------------------------------------------- floats


def _split_scale(x: float) -> tuple[int, int]:
    """``x = m · 2^k`` with ``m`` odd."""
    m, e = math.frexp(x)
    m, k = int(m * (1 << 53)), e - 53
    while m % 2 == 0:
        m //= 2
        k += 1
    return m, k


def _write_scale(w: BitWriter, x: float) -> None:
    m, k = _split_scale(x)
    w.bit(m < 0)
    w.delta((abs(m) + 1) // 2)
    w.sgamma(k)


def _read_scale(r: BitReader) -> float:
    negative = r.bit()
    m = 2 * r.delta() - 1
    k = r.sgamma()
    if m >= 1 << 53:
        r.fail("has an output scale that is not a float64 value")
    top = k + m.bit_length()  # |scale| is in [2^(top-1), 2^top)
    if top - 1 < MIN_SCALE_EXP or top > MAX_SCALE_EXP:
        r.fail(f"has an output scale 2^{top - 1}, outside [2^{MIN_SCALE_EXP}, 2^{MAX_SCALE_EXP})")
    value = math.ldexp(float(m), k)
    return -value if negative else value
