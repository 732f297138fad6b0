"""Entropy-coded step networks: a real bitstream and its exact length (``constriction``, optional).

Needs the ``train`` extra (``pip install -e '.[train]'``); ``constriction`` is
imported inside the functions only.

The stream describes the architecture and every weight of a :class:`StepNetwork`
with an asymmetric-numeral-systems coder (``constriction.stream.stack.AnsCoder``).
Every model the decoder needs is itself in the stream before it is used, so the
bit count includes the model's own parameters:

- integers of the architecture (layer count, widths, exponents, counts) in an
  Elias-gamma code, each bit under a uniform model;
- a first layer of increasing steps ``H(x - g 2^-e)`` as the gaps between its
  thresholds; any other first layer, and every later layer, as a matrix
  ``[weights | biases]``: its number of nonzeros, their positions under a
  Bernoulli model with that density, then their values;
- a list of values (gaps or nonzeros) as its alphabet (the first value and the
  gaps between the sorted distinct values), the count of each symbol, and the
  symbols under the categorical model of those counts;
- the output scales: one bit when all are 1, else a mantissa and an exponent each.

:func:`network_stream` encodes, decodes the words back and checks the result
equals the network; ``coded_bits`` is ``num_valid_bits()`` of the coder, the
exact length of the stream without the padding to 32-bit words.  An ANS stream
is not self-delimiting, so ``stream_bits`` adds the bits that tell a reader
where it ends: its length ``coded_bits`` in an Elias-gamma code
(:func:`length_prefix_bits`).  ``stream_bits`` is what the records report.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._certify import StepLayer, StepNetwork, is_step_layer

__all__ = ["NetworkStream", "decode_network", "encode_network", "length_prefix_bits", "network_stream"]

_CHUNK = 16  # bits per uniform symbol when writing the low bits of an integer


class _Writer:
    """Records (symbols, model) in stream order; :meth:`finish` pushes them onto the ANS stack in reverse."""

    def __init__(self) -> None:
        import constriction

        self.model = constriction.stream.model
        self.items: list[tuple[np.ndarray, object]] = []
        self._coder = constriction.stream.stack.AnsCoder

    def put(self, symbols, model) -> None:
        self.items.append((np.asarray(symbols, dtype=np.int32).reshape(-1), model))

    def finish(self):
        coder = self._coder()
        for symbols, model in reversed(self.items):
            if symbols.size:
                coder.encode_reverse(symbols, model)
        return coder


class _Reader:
    def __init__(self, words: np.ndarray) -> None:
        import constriction

        self.model = constriction.stream.model
        self.coder = constriction.stream.stack.AnsCoder(np.asarray(words, dtype=np.uint32))

    def get(self, count: int, model) -> np.ndarray:
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.coder.decode(model, int(count)), dtype=np.int64).reshape(-1)


class _Codec:
    """One walk over the fields for both directions: writing returns the given value, reading the decoded one."""

    def __init__(self, io) -> None:
        self.io = io
        self.writing = isinstance(io, _Writer)
        self.bit = io.model.Uniform(2)

    def _field(self, value, count: int, model):
        if self.writing:
            self.io.put(value, model)
            return np.asarray(value, dtype=np.int64).reshape(-1)
        return self.io.get(count, model)

    def uint(self, value: int | None = None) -> int:
        """Elias gamma of ``value + 1``: the bit length in unary, then the low bits in chunks."""
        n = None if value is None else int(value) + 1
        if self.writing:
            assert n is not None  # a writer is given the value
            if n < 1:
                raise ValueError("uint fields are >= 0")
            length = n.bit_length()
            self._field([0] * (length - 1) + [1], length, self.bit)
        else:
            length = 1
            while int(self.io.get(1, self.bit)[0]) == 0:
                length += 1
                if length > 4096:
                    raise ValueError("corrupt network stream (integer too long)")
            n = 1
        low_bits = length - 1
        done = 0
        while done < low_bits:
            width = min(_CHUNK, low_bits - done)
            shift = low_bits - done - width
            chunk = None if not self.writing else (n >> shift) & ((1 << width) - 1)
            got = self._field([chunk] if self.writing else None, 1, self.io.model.Uniform(1 << width))
            if not self.writing:
                n = (n << width) | int(got[0])
            done += width
        return n - 1

    def sint(self, value: int | None = None) -> int:
        z = None if value is None else (2 * value if value >= 0 else -2 * value - 1)
        z = self.uint(z)
        return z // 2 if z % 2 == 0 else -(z + 1) // 2

    def values(self, values: np.ndarray | None = None, count: int | None = None) -> np.ndarray:
        """A list of integers: alphabet and counts (the model), then the symbols under it."""
        if self.writing:
            values = np.asarray(values, dtype=np.int64)
            count = values.size
            alphabet, symbols, counts = np.unique(values, return_inverse=True, return_counts=True)
        assert count is not None  # a reader is given the count
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        d = self.uint(None if not self.writing else alphabet.size - 1) + 1
        first = self.sint(None if not self.writing else int(alphabet[0]))
        gaps = [
            self.uint(None if not self.writing else int(alphabet[i] - alphabet[i - 1]) - 1) + 1 for i in range(1, d)
        ]
        alphabet = np.cumsum([first] + gaps).astype(np.int64)
        sizes = [self.uint(None if not self.writing else int(counts[i]) - 1) + 1 for i in range(d - 1)]
        sizes.append(count - sum(sizes))
        if sizes[-1] < 1:
            raise ValueError("corrupt network stream (symbol counts exceed the list)")
        if d == 1:
            return np.full(count, alphabet[0], dtype=np.int64)
        model = self.io.model.Categorical(np.asarray(sizes, dtype=np.float64) / count, perfect=False)
        got = self._field(symbols if self.writing else None, count, model)
        return alphabet[got]

    def matrix(self, shape: tuple[int, int], matrix: np.ndarray | None = None) -> np.ndarray:
        """A sparse integer matrix: nonzero count, positions (Bernoulli at that density), values."""
        size = shape[0] * shape[1]
        flat = None if matrix is None else np.asarray(matrix, dtype=np.int64).reshape(-1)
        nnz = self.uint(None if flat is None else int(np.count_nonzero(flat)))
        if nnz > size:
            raise ValueError("corrupt network stream (more nonzeros than entries)")
        if 0 < nnz < size:
            model = self.io.model.Bernoulli(nnz / size, perfect=False)
            mask = self._field((flat != 0).astype(np.int32) if flat is not None else None, size, model).astype(bool)
            if int(mask.sum()) != nnz:
                raise ValueError("corrupt network stream (nonzero positions disagree with their count)")
        else:
            mask = np.full(size, nnz == size)
        out = np.zeros(size, dtype=np.int64)
        out[mask] = self.values(None if flat is None else flat[mask], nnz)
        return out.reshape(shape)

    def scales(self, n: int, scales: list[Fraction] | None = None) -> list[Fraction]:
        ones = self.uint(None if scales is None else int(all(s == 1 for s in scales)))
        if ones:
            return [Fraction(1)] * n
        out = []
        for i in range(n):
            s = None if scales is None else scales[i]
            exp = None if s is None else s.denominator.bit_length() - 1
            mant = self.sint(None if s is None else s.numerator)
            exp = self.sint(exp)
            out.append(Fraction(mant, 1 << exp) if exp >= 0 else Fraction(mant << -exp))
        return out

    def network(self, net: StepNetwork | None = None) -> StepNetwork:
        n_layers = self.uint(None if net is None else len(net.layers))
        n_in = 1
        layers = []
        for i in range(n_layers):
            src = None if net is None else net.layers[i]
            n_out = self.uint(None if src is None else src.n_out)
            exponent = self.sint(None if src is None else src.exponent)
            if i == 0:
                steps = None if src is None else is_step_layer(src)
                if self.uint(None if steps is None else int(steps)):
                    gaps = None if src is None else np.diff(-src.biases, prepend=0)
                    thresholds = np.cumsum(self.values(gaps, n_out))
                    layers.append(StepLayer(np.full((n_out, 1), 1 << exponent, dtype=np.int64), -thresholds, exponent))
                    n_in = n_out
                    continue
            both = self.matrix(
                (n_out, n_in + 1), None if src is None else np.hstack([src.weights, src.biases[:, None]])
            )
            layers.append(StepLayer(both[:, :n_in], both[:, n_in], exponent))
            n_in = n_out
        scales = self.scales(n_in, None if net is None else net.scales)
        return StepNetwork(layers, scales)


def length_prefix_bits(coded_bits: int) -> int:
    """Bits of the Elias-gamma code of ``coded_bits + 1``: what a stream of that length needs to be self-delimiting.

    >>> [length_prefix_bits(n) for n in (0, 1, 2, 100, 1000)]
    [1, 3, 3, 13, 19]
    """
    return 2 * (coded_bits + 1).bit_length() - 1


class NetworkStream:
    """An encoded network: the 32-bit words, the exact coded length ``coded_bits`` and, with the length
    prefix that makes it self-delimiting, ``stream_bits``."""

    def __init__(self, words: np.ndarray, coded_bits: int) -> None:
        self.words = words
        self.coded_bits = coded_bits

    @property
    def stream_bits(self) -> int:
        return self.coded_bits + length_prefix_bits(self.coded_bits)

    def to_bytes(self) -> bytes:
        return self.words.astype("<u4").tobytes()


def encode_network(net: StepNetwork) -> NetworkStream:
    """Entropy-code a step network (raises ImportError without ``constriction``)."""
    writer = _Writer()
    _Codec(writer).network(net)
    coder = writer.finish()
    return NetworkStream(np.asarray(coder.get_compressed(), dtype=np.uint32), int(coder.num_valid_bits()))


def decode_network(words: np.ndarray) -> StepNetwork:
    """Read a network back from the words of :func:`encode_network`."""
    reader = _Reader(words)
    net = _Codec(reader).network()
    if not reader.coder.is_empty():
        raise ValueError("network stream has trailing data")
    return net


def network_stream(net: StepNetwork) -> tuple[NetworkStream, bool]:
    """Encode, decode the words back, and report whether the decoded network equals ``net``."""
    stream = encode_network(net)
    return stream, decode_network(stream.words) == net
