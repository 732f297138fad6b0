"""Bit-level universal codes for the network format (``docs/format.md``, "Network files").

Prefix codes, so every field is self-delimiting:

- ``γ(n)`` for ``n >= 1``, Elias gamma: ``L - 1`` zeros, then the ``L`` bits of ``n``
  (``L`` its bit length, most significant first); ``γ0(n) = γ(n + 1)`` for ``n >= 0``;
  ``sγ(v) = γ0(zigzag(v))`` for signed ``v`` (0, -1, 1, -2, … -> 0, 1, 2, 3, …).
- ``δ(n)`` for ``n >= 1``, Elias delta: ``γ(L)``, then the ``L - 1`` bits of ``n`` below its
  leading one.
- ``Rice_k(n)`` for ``n >= 0``: ``n >> k`` zeros, a one, then the ``k`` low bits of ``n``.

A *block* of ``m`` codes of one kind (``m`` known to the reader) is written in two parts:
the ``m`` unary parts first (each run of zeros and its closing one), then the ``m``
binary parts in the same order.  That is the same number of bits as the codes one after
the other, and it lets both sides work on whole arrays.

The reader refuses (:class:`FormatError`) a count larger than the bits left (every code
takes at least one bit), a code whose value would not fit 63 bits, and data that ends
inside a code — before it allocates anything sized by the count.
"""

from __future__ import annotations

import numpy as np

from .._errors import FormatError

__all__ = ["BitWriter", "BitReader", "zigzag", "unzigzag", "rice_parameter", "sgamma_bits"]

#: Largest value a code may carry (values are non-negative int64).
MAX_CODE_BITS = 63


def zigzag(values):
    """Signed to unsigned: 0, -1, 1, -2, … -> 0, 1, 2, 3, … (int64 arrays or Python ints).

    >>> zigzag(np.array([0, -1, 1, -2])).tolist(), zigzag(-3)
    ([0, 1, 2, 3], 5)
    """
    if isinstance(values, (int, np.integer)):
        v = int(values)
        return 2 * v if v >= 0 else -2 * v - 1
    v = np.asarray(values, dtype=np.int64)
    return (v << 1) ^ (v >> 63)


def unzigzag(values):
    """Inverse of :func:`zigzag`."""
    if isinstance(values, (int, np.integer)):
        u = int(values)
        return u >> 1 if u % 2 == 0 else -((u + 1) >> 1)
    u = np.asarray(values, dtype=np.int64)
    return (u >> 1) ^ -(u & 1)


def _bit_lengths(values: np.ndarray) -> np.ndarray:
    """Bit length of each non-negative int64 (0 for 0)."""
    v = np.asarray(values, dtype=np.int64)
    lengths = np.frexp(v.astype(np.float64))[1].astype(np.int64)
    # float rounding can carry into the next power of two: correct it exactly
    over = (lengths > 0) & ((np.int64(1) << np.maximum(lengths - 1, 0)) > v)
    return lengths - over


def sgamma_bits(values) -> int:
    """Bits of the block ``sγ(values)``.

    >>> sgamma_bits(np.array([0, 1, -1, 5]))  # 1 + 3 + 3 + 7
    14
    """
    return int(np.sum(2 * _bit_lengths(zigzag(np.asarray(values, dtype=np.int64)) + 1) - 1))


def rice_parameter(values: np.ndarray) -> int:
    """The ``k`` that makes the block ``Rice_k(values)`` shortest."""
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0:
        return 0
    best, best_cost = 0, None
    for k in range(int(_bit_lengths(np.array([v.max()]))[0]) + 1):
        cost = int(np.sum(v >> k)) + v.size * (k + 1)
        if best_cost is None or cost < best_cost:
            best, best_cost = k, cost
    return best


_BIT_OF = {"0": 0, "1": 1}
_UNARY = [[0] * z + [1] for z in range(MAX_CODE_BITS + 1)]
_GAMMA: list[list[int]] = [[]] + [
    [0] * (n.bit_length() - 1) + [_BIT_OF[c] for c in format(n, "b")] for n in range(1, 1 << 10)
]


class BitWriter:
    """Collects bits; scalars in a Python list, blocks as numpy arrays of 0/1."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._small: list[int] = []
        self._flushed = 0

    def _flush(self) -> None:
        if self._small:
            self._chunks.append(np.array(self._small, dtype=np.uint8))
            self._flushed += len(self._small)
            self._small = []

    @property
    def nbits(self) -> int:
        return self._flushed + len(self._small)

    def bit(self, b) -> None:
        self._small.append(1 if b else 0)

    def uint(self, value: int, width: int) -> None:
        if width > 0:
            self._small.extend(_BIT_OF[c] for c in format(value & ((1 << width) - 1), f"0{width}b"))

    def gamma(self, n: int) -> None:
        n = int(n)
        if 0 < n < len(_GAMMA):
            self._small.extend(_GAMMA[n])
            return
        if n < 1 or n.bit_length() > MAX_CODE_BITS:
            raise ValueError(f"γ codes 1 <= n < 2^{MAX_CODE_BITS}, got {n}")
        length = n.bit_length()
        self._small.extend([0] * (length - 1))
        self.uint(n, length)

    def gamma0(self, n: int) -> None:
        self.gamma(int(n) + 1)

    def sgamma(self, v: int) -> None:
        self.gamma0(zigzag(int(v)))

    def delta(self, n: int) -> None:
        """Elias delta, ``n >= 1``: ``γ(L)`` of the bit length ``L``, then the ``L - 1`` low bits."""
        n = int(n)
        if n < 1 or n.bit_length() > MAX_CODE_BITS:
            raise ValueError(f"δ codes 1 <= n < 2^{MAX_CODE_BITS}, got {n}")
        self.gamma(n.bit_length())
        self.uint(n, n.bit_length() - 1)

    def _block(self, unary: np.ndarray, binary: np.ndarray) -> None:
        self._flush()
        for part in (unary, binary):
            if part.size:
                self._chunks.append(part)
                self._flushed += part.size

    def gamma_block(self, values) -> None:
        """A block of ``γ(n)``, every ``n >= 1``."""
        v = np.asarray(values, dtype=np.int64).ravel()
        if v.size == 0:
            return
        if v.min() < 1 or v.max() >= (1 << MAX_CODE_BITS) - 1:
            raise ValueError("γ codes 1 <= n < 2^63")
        if v.size <= 64:  # small blocks: plain Python is faster than numpy's per-call overhead
            numbers = v.tolist()
            if len(numbers) == 1:
                self.gamma(numbers[0])
                return
            for n in numbers:
                self._small.extend(_UNARY[n.bit_length() - 1])
            for n in numbers:
                self.uint(n, n.bit_length() - 1)
            return
        lengths = _bit_lengths(v)
        unary = np.zeros(int(lengths.sum()), dtype=np.uint8)
        unary[np.cumsum(lengths) - 1] = 1
        width = lengths - 1
        binary = np.zeros(int(width.sum()), dtype=np.uint8)
        starts = np.cumsum(width) - width
        for j in range(int(width.max())):
            sel = width > j
            binary[starts[sel] + j] = (v[sel] >> (width[sel] - 1 - j)) & 1
        self._block(unary, binary)

    def gamma0_block(self, values) -> None:
        self.gamma_block(np.asarray(values, dtype=np.int64) + 1)

    def sgamma_block(self, values) -> None:
        self.gamma0_block(zigzag(np.asarray(values, dtype=np.int64)))

    def rice_block(self, values, k: int) -> None:
        """A block of ``Rice_k(n)``, every ``n >= 0``."""
        v = np.asarray(values, dtype=np.int64).ravel()
        if v.size == 0:
            return
        q = v >> k
        unary = np.zeros(int(q.sum()) + v.size, dtype=np.uint8)
        unary[np.cumsum(q + 1) - 1] = 1
        binary = ((v[:, None] >> np.arange(k - 1, -1, -1, dtype=np.int64)[None, :]) & 1).astype(np.uint8).ravel()
        self._block(unary, binary)

    def bits(self) -> np.ndarray:
        """All bits so far as one array of 0/1."""
        self._flush()
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.uint8)


class BitReader:
    """Reads the codes of :class:`BitWriter` from ``data``; every defect is a one-line FormatError."""

    def __init__(self, data: bytes, what: str = "network file") -> None:
        self.bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
        self.pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        return self.bits.size - self.pos

    def fail(self, message: str):
        raise FormatError(f"{self.what}: {message}")

    def bit(self) -> int:
        if self.pos >= self.bits.size:
            self.fail("ends inside a field")
        self.pos += 1
        return int(self.bits[self.pos - 1])

    def uint(self, width: int) -> int:
        if width > self.remaining:
            self.fail("ends inside a field")
        value = 0
        for b in self.bits[self.pos : self.pos + width].tolist():
            value = (value << 1) | b
        self.pos += width
        return value

    def gamma(self) -> int:
        window = self.bits[self.pos : self.pos + MAX_CODE_BITS]
        zeros = int(np.argmax(window)) if window.size else 0
        if window.size == 0 or window[zeros] == 0:
            self.fail(
                "ends inside a code" if window.size < MAX_CODE_BITS else f"has a code of more than {MAX_CODE_BITS} bits"
            )
        self.pos += zeros
        return self.uint(zeros + 1)

    def gamma0(self) -> int:
        return self.gamma() - 1

    def delta(self) -> int:
        length = self.gamma()
        if length > MAX_CODE_BITS:
            self.fail(f"has a code of more than {MAX_CODE_BITS} bits")
        return (1 << (length - 1)) | self.uint(length - 1)

    def sgamma(self) -> int:
        return unzigzag(self.gamma0())

    def count(self, n: int, what: str) -> int:
        """Check a count read from the file against the bits left (each code takes at least one)."""
        if n > self.remaining:
            self.fail(f"claims {n} {what}, more than the {self.remaining} bits left")
        return n

    def _unary(self, n: int) -> np.ndarray:
        """The next ``n`` unary parts: the number of zeros before each of the next ``n`` ones."""
        self.count(n, "codes")
        width = max(64, 2 * n)
        while True:
            ones = np.flatnonzero(self.bits[self.pos : self.pos + width])
            if ones.size >= n or self.pos + width >= self.bits.size:
                break
            width *= 2
        if ones.size < n:
            self.fail("ends inside a code")
        ones = ones[:n]
        zeros = np.diff(ones, prepend=-1) - 1
        self.pos += int(ones[-1]) + 1
        return zeros.astype(np.int64)

    def _fields(self, widths: np.ndarray) -> np.ndarray:
        """Consecutive big-endian fields of the given widths (each at most 63 bits)."""
        total = int(widths.sum())
        if total > self.remaining:
            self.fail("ends inside a code")
        values = np.zeros(widths.size, dtype=np.int64)
        starts = self.pos + np.cumsum(widths) - widths
        for j in range(int(widths.max(initial=0))):
            sel = widths > j
            values[sel] = (values[sel] << 1) | self.bits[starts[sel] + j]
        self.pos += total
        return values

    def gamma_block(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        zeros = self._unary(n)
        if zeros.max() >= MAX_CODE_BITS:
            self.fail(f"has a code of more than {MAX_CODE_BITS} bits")
        return (np.int64(1) << zeros) | self._fields(zeros)

    def gamma0_block(self, n: int) -> np.ndarray:
        return self.gamma_block(n) - 1

    def sgamma_block(self, n: int) -> np.ndarray:
        return unzigzag(self.gamma0_block(n))

    def rice_block(self, n: int, k: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if k >= MAX_CODE_BITS:
            self.fail(f"has a Rice parameter {k} of more than {MAX_CODE_BITS - 1} bits")
        quotients = self._unary(n)
        if quotients.max() >= (1 << (MAX_CODE_BITS - k)):
            self.fail(f"has a code of more than {MAX_CODE_BITS} bits")
        return (quotients << k) | self._fields(np.full(n, k, dtype=np.int64))
