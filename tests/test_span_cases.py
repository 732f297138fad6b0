"""The level-span algebra (THEORY §1, §5) against brute force over GF(2), case by case.

Every expected value here comes from enumerating spans element by element or from
a closed form written out in the test, never from the functions under test.
"""

import itertools

import numpy as np
import pytest

from dlcalc.core._span import (
    cell_mask,
    cell_parity,
    interval_star_cost,
    level_cost,
    level_vector,
    levels_of,
    mask_to_depth,
    reduce_basis,
    top,
)

from . import oracles
from .oracles import span_cost as brute_cost
from .oracles import span_of


def star_vectors(stars):
    """The listed requirement set of sawtooth stars (THEORY §4)."""
    return [v for k, p in stars for v in oracles.star_vectors(k, p)]


def test_level_vector_by_hand():
    assert level_vector([]) == 0
    assert level_vector([1]) == 1
    assert level_vector([3, 1]) == 0b101
    assert level_vector([4]) == 8
    assert level_vector([2, 2]) == 0  # a repeated level adds twice over GF(2)
    assert level_vector([1, 2, 1]) == 0b10
    with pytest.raises(ValueError, match="levels start at 1, got 0"):
        level_vector([0])
    with pytest.raises(ValueError, match="got -2"):
        level_vector([2, -2])


def test_levels_of_by_hand():
    assert levels_of(0) == []
    assert levels_of(1) == [1]
    assert levels_of(0b1011) == [1, 2, 4]
    assert levels_of(1 << 40) == [41]
    for v in range(1, 256):
        assert levels_of(v) == [i + 1 for i in range(8) if v >> i & 1]


def test_top_and_mask():
    assert top(0) == 0 and top(1) == 1 and top(0b100101) == 6
    assert mask_to_depth(0b1111, None) == 0b1111
    assert mask_to_depth(0b1111, 0) == 0
    assert mask_to_depth(0b1011, 2) == 0b11
    assert mask_to_depth(0b1011, 3) == 0b11
    assert mask_to_depth(0b1011, 4) == 0b1011


def test_cell_mask_places_level_l_at_bit_L_minus_l():
    for vector in range(64):
        for level in range(0, 8):
            want = sum(1 << (level - lv) for lv in range(1, 7) if vector >> (lv - 1) & 1 and lv <= level)
            assert cell_mask(vector, level) == want, (vector, level)


def test_cell_parity_reads_the_digits_of_each_cell():
    for level in range(0, 6):
        cells = np.arange(1 << level, dtype=np.int64)
        for vector in range(1, 64):
            got = cell_parity(cells, vector, level)
            assert got.dtype == np.uint8
            # digit l of cell c of level L: floor(2^l x) mod 2 with x = c 2^-L
            want = [
                sum((c >> (level - lv)) & 1 for lv in levels_of(vector) if lv <= level) % 2 for c in range(1 << level)
            ]
            assert got.tolist() == want


def canonical_basis(vectors, depth=None):
    """Brute force: for each top of the span, the one span element with that top and no other pivot bit."""
    masked = [v if depth is None else v & ((1 << depth) - 1) for v in vectors]
    span = span_of(masked)
    tops = sorted({s.bit_length() for s in span if s})
    pivots = sum(1 << (t - 1) for t in tops)
    out = {}
    for t in tops:
        (b,) = [s for s in span if s.bit_length() == t and not s & pivots & ~(1 << (t - 1))]
        out[t] = b
    return out


def test_reduce_basis_is_the_canonical_reduced_form():
    """Every small set of vectors over 4 levels, and some over 6 (with and without masking)."""
    for vectors in itertools.combinations(range(1, 16), 3):
        basis = reduce_basis(vectors)
        assert basis == canonical_basis(vectors)
        assert list(basis) == sorted(basis)
    rng = np.random.default_rng(0)
    for _ in range(300):
        vectors = [int(v) for v in rng.integers(0, 64, size=int(rng.integers(1, 6)))]
        for depth in (None, 0, 2, 3, 5):
            assert reduce_basis(vectors, depth) == canonical_basis(vectors, depth), (vectors, depth)


def test_reduce_basis_by_hand():
    assert reduce_basis([]) == {}
    assert reduce_basis([0, 0]) == {}
    assert reduce_basis([0b110, 0b011]) == {2: 0b011, 3: 0b101}  # 0b110 loses its pivot-2 bit
    assert reduce_basis([0b111, 0b110, 0b100]) == {1: 1, 2: 2, 3: 4}
    assert reduce_basis([0b1010, 0b0011, 0b0110], depth=3) == {1: 1, 2: 2, 3: 4}  # masked: 010, 011, 110
    assert reduce_basis([0b1110, 0b0011], depth=3) == {2: 0b011, 3: 0b101}  # masked: 110, 011
    assert reduce_basis([0b1000], depth=3) == {}


def test_level_cost_by_hand():
    assert level_cost([]) == 0
    assert level_cost([0b101]) == 4
    assert level_cost([0b101, 0b100]) == 4 + 1
    assert level_cost([0b101], depth=2) == 1
    assert level_cost([0b101], depth=0) == 0
    assert level_cost([0b11, 0b10, 0b01]) == 1 + 2


# ----------------------------------------------------------------------------- interval stars


@pytest.mark.parametrize(
    "stars,depth,cost",
    [
        # touching stars: [0,1] and [1,3] share vertex 1 -> one component {0..3}; masked to depth 2
        ([(0, 1), (1, 2)], 2, 3),
        # [(0,1),(2,2)] at depth 3: {1}, {2,3}, {2,4} -> {2}: levels 1, 2, 3 all pivots
        ([(0, 1), (2, 2)], 3, 7),
        ([(0, 1), (2, 2)], None, 1 + 4 * 3),
        ([(0, 3)], None, 7),
        ([(2, 3)], None, 4 * 7),
        ([(2, 3)], 4, 2 + 4 + 8),  # {2,3}, {2,4}, {2,5}->{2}: levels 2, 3, 4
        ([(2, 3)], 1, 0),  # centre above the depth: nothing left
        ([(2, 3)], 2, 2),  # only {2} survives the mask
        ([(1, 1), (3, 1)], None, 2 + 8),  # disjoint intervals [1,2] and [3,4]
        ([(1, 2), (3, 1)], None, 2 + 4 + 8),  # [1,3] and [3,4] touch at 3
        ([(0, 0), (1, 0)], None, 0),
        ([], None, 0),
        ([(5, 2)], 5, 16),  # clipped at its centre: {5} alone
        ([(1, 3), (2, 5)], 4, 1 + 2 + 4 + 8),  # clipped stars join vertex 0
    ],
)
def test_interval_star_cost_by_hand(stars, depth, cost):
    assert brute_cost(star_vectors(stars), depth) == cost  # the hand value is the brute-force one
    assert interval_star_cost(stars, depth) == cost


ALL_STARS = [(k, p) for k in range(5) for p in range(5)]


def test_interval_star_cost_every_pair_of_stars():
    """All pairs of stars with k, p < 5 at every depth 0..6 and unbounded, against the listed span."""
    for pair in itertools.combinations_with_replacement(ALL_STARS, 2):
        vectors = star_vectors(pair)
        for depth in (None, 0, 1, 2, 3, 4, 5, 6):
            assert interval_star_cost(list(pair), depth) == brute_cost(vectors, depth), (pair, depth)


def test_interval_star_cost_triples_and_quads():
    rng = np.random.default_rng(1)
    for n in (3, 4, 5):
        for _ in range(150):
            stars = [ALL_STARS[i] for i in rng.integers(0, len(ALL_STARS), size=n)] + [
                (int(rng.integers(5, 8)), int(rng.integers(0, 3)))
            ]
            depth = [None, 2, 3, 4, 6, 8][int(rng.integers(0, 6))]
            assert interval_star_cost(stars, depth) == brute_cost(star_vectors(stars), depth), (stars, depth)


def test_interval_star_cost_at_large_precision_is_the_closed_form():
    p = 3000
    assert interval_star_cost([(0, p)]) == 2**p - 1
    assert interval_star_cost([(7, p)]) == 2**7 * (2**p - 1)
    # two stars [3, 3+p] and [0, 2]: disjoint components, 2^(3+p) - 2^3 + 2^2 - 1
    assert interval_star_cost([(3, p), (0, 2)]) == 2 ** (3 + p) - 2**3 + 2**2 - 1
