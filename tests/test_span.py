"""The level-span algebra (THEORY §5) against brute force over GF(2)."""

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dlcalc import interval_star_cost, level_cost, level_vector, reduce_basis
from dlcalc.core._span import levels_of


def span_brute(vectors):
    span = {0}
    for v in vectors:
        span |= {s ^ v for s in span}
    return span


@given(st.lists(st.integers(0, 255), max_size=7), st.sampled_from([None, 3, 5, 8]))
def test_basis_spans_the_same_space_with_distinct_tops(vectors, depth):
    masked = [v & ((1 << depth) - 1) if depth is not None else v for v in vectors]
    basis = reduce_basis(vectors, depth)
    assert all(b.bit_length() == t for t, b in basis.items())
    assert span_brute(basis.values()) == span_brute(masked)
    # the level cost is fixed by the span: every nonzero element has a top among the pivots
    tops = {s.bit_length() for s in span_brute(masked) if s}
    assert set(basis) == tops
    assert level_cost(vectors, depth) == sum(1 << (t - 1) for t in tops)


stars = st.lists(st.tuples(st.integers(0, 9), st.integers(0, 7)), max_size=5)


@given(stars, st.sampled_from([None, 1, 2, 4, 6, 9]))
@example([(0, 1), (1, 2)], 2)  # touching stars, the second clipped: cost 3 (test_touching_interval_stars)
@example([(0, 1), (2, 2)], 3)  # a gap, then a clipped star: cost 7
@example([(0, 1), (1, 2)], None)
@example([(2, 2), (4, 1)], None)  # touching at a centre
@example([(1, 3), (2, 1), (6, 1)], 4)
def test_interval_stars_equal_listed_vectors(star_list, depth):
    vectors = [level_vector([i]) if k == 0 else level_vector([k, k + i]) for k, p in star_list for i in range(1, p + 1)]
    assert interval_star_cost(star_list, depth) == level_cost(vectors, depth)


@pytest.mark.parametrize(
    "star_list,depth,cost",
    [
        # {1} and {1,2},{1,3}; at depth 2 {1,3} masks to {1}: span {1},{2}, cost 1 + 2
        ([(0, 1), (1, 2)], 2, 3),
        # {1} and {2,3},{2,4}; at depth 3 {2,4} masks to {2}: span {1},{2},{3}, cost 1 + 2 + 4
        ([(0, 1), (2, 2)], 3, 7),
        # unmasked: {1},{1,2},{1,3} span levels 1..3: 7; {2,3},{2,4} alone: 4 + 8; with {1}: 1 + 4 + 8
        ([(0, 1), (1, 2)], None, 7),
        ([(2, 2)], None, 12),
        ([(0, 1), (2, 2)], None, 13),
        # touching at the centre: {2,3},{2,4} and {4,5}: levels 3, 4, 5 over the minimum 2: 4 + 8 + 16
        ([(2, 2), (4, 1)], None, 28),
        # a star above the depth is ignored; a clipped one keeps its centre: {3} at depth 3 costs 4
        ([(4, 2)], 3, 0),
        ([(3, 2)], 3, 4),
    ],
)
def test_touching_interval_stars(star_list, depth, cost):
    assert interval_star_cost(star_list, depth) == cost
    vectors = [level_vector([i]) if k == 0 else level_vector([k, k + i]) for k, p in star_list for i in range(1, p + 1)]
    assert level_cost(vectors, depth) == cost


def test_closed_forms_one_head():
    assert level_cost([5]) == 4  # walsh:5 -> 2^(top-1)
    for p in range(1, 8):
        assert interval_star_cost([(0, p)]) == 2**p - 1
        for k in range(1, 5):
            assert interval_star_cost([(k, p)]) == 2**k * (2**p - 1)


def test_walsh_all_closed_forms():
    for M in range(1, 8):
        vectors = list(range(1, 1 << M))
        assert level_cost(vectors) == 2**M - 1
        assert sum(level_cost([v]) for v in vectors) == (4**M - 1) // 3


def test_levels_of():
    for v in range(64):
        assert level_vector(levels_of(v)) == v
    assert list(itertools.islice(levels_of(0b1011), 3)) == [1, 2, 4]
