"""Heads and the Gram matrix against independent oracles (THEORY §3)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.linalg import hadamard

from dlcalc import Head, SpecError, gram_matrix, orthogonality, parse_heads


def bit_reverse(n: int, width: int) -> int:
    return int(format(n, f"0{width}b")[::-1], 2)


@pytest.mark.parametrize("width", [1, 3, 6])
def test_walsh_heads_are_hadamard_rows_in_paley_order(width):
    H = hadamard(1 << width)
    x = np.arange(1 << width) / (1 << width)
    for n in range(1, 1 << width):
        assert np.array_equal(Head("walsh", n).g(x), H[bit_reverse(n, width)])


def tent(y):
    return 1 - abs(2 * y - 1)


@pytest.mark.parametrize("k", [0, 1, 2, 5])
def test_sawtooth_is_the_iterated_tent_map(k):
    for y in np.linspace(0, 1, 257, endpoint=False):
        s = float(y)
        for _ in range(k):
            s = tent(s)
        assert Head("sawtooth", k).g(np.array([y]))[0] == pytest.approx(1 - 2 * s)


def simpson_oracle(g1, g2, level: int) -> float:
    """Composite Simpson on a level grid of the directly evaluated readouts (both affine per cell)."""
    n = 1 << level
    left = np.arange(n) / n
    mid = left + 0.5 / n
    right = left + (1 - 1e-12) / n  # right limits
    return float(np.sum(g1(left) * g2(left) + 4 * g1(mid) * g2(mid) + g1(right) * g2(right)) / (6 * n))


def test_gram_values_of_the_theory():
    assert Head("walsh", 7).inner(Head("walsh", 7)) == 1
    assert Head("sawtooth", 3).inner(Head("sawtooth", 3)) == Fraction(1, 3)
    assert Head("sawtooth", 0).inner(Head("walsh", 1)) == Fraction(1, 2)
    assert Head("sawtooth", 1).inner(Head("sawtooth", 4)) == 0
    assert Head("walsh", 2, 0.5).inner(Head("walsh", 2, 3.0)) == Fraction(3, 2)


@pytest.mark.parametrize("a", ["sawtooth:0", "sawtooth:2", "walsh:3", "walsh:6"])
@pytest.mark.parametrize("b", ["sawtooth:1", "sawtooth:3", "walsh:1", "walsh:5"])
def test_inner_products_match_simpson_on_direct_evaluation(a, b):
    ha, hb = Head.parse(a), Head.parse(b)
    assert float(ha.inner(hb)) == pytest.approx(simpson_oracle(ha.g, hb.g, 8), abs=1e-9)


def test_gram_matrix_and_orthogonality():
    heads = parse_heads("walsh:1-7") + parse_heads("sawtooth:0-3@0.5")
    gram = gram_matrix(heads)
    full = np.zeros((len(heads), len(heads)))
    for (s, t), v in gram.items():
        full[s, t] = full[t, s] = float(v)
    for s, hs in enumerate(heads):
        for t, ht in enumerate(heads):
            assert full[s, t] == pytest.approx(hs.amplitude * ht.amplitude * simpson_oracle(hs.g, ht.g, 8), abs=1e-9)
    ok, worst, _ = orthogonality(parse_heads("walsh:1-15"))
    assert ok and worst == 0
    ok, worst, _ = orthogonality(parse_heads("sawtooth:0-5"))
    assert ok
    ok, worst, _ = orthogonality([Head("sawtooth", 0), Head("walsh", 1)])
    assert not ok and worst == 0.5
    big = Head("walsh", 1, 1e300)  # exact products: as floats, 1e300·1e10 and 1e300·1e300 both overflow and tie
    assert orthogonality([big, Head("walsh", 1, 1e10), big])[1:] == (Fraction(1e300) ** 2, (0, 2))


def test_parse_heads():
    assert [h.spec for h in parse_heads("walsh:1-3@2^-2")] == ["walsh:1@0.25", "walsh:2@0.25", "walsh:3@0.25"]
    assert parse_heads("sawtooth:4")[0] == Head("sawtooth", 4, 1.0)


@pytest.mark.parametrize(
    "spec,message",
    [
        ("walsh:0", "Walsh heads start at walsh:1"),
        ("haar:3", "unknown head family 'haar'"),
        ("walsh:5@0", "amplitude must be a finite number > 0, got 0.0"),
        ("walsh:5@-1", "amplitude must be a finite number > 0, got -1.0"),
        ("walsh:5@nan", "amplitude 'nan' is not finite"),
        ("walsh:3-1", "empty head range 3-1"),
        ("walsh", "cannot parse head 'walsh'"),
        ("sawtooth:-1", "sawtooth heads start at sawtooth:0"),
        ("walsh:1-99999999", "names 99999999 heads; at most 1048576"),
        ("walsh:1@inf", "amplitude 'inf' is not finite"),
    ],
)
def test_bad_heads(spec, message):
    with pytest.raises(SpecError, match=message):
        parse_heads(spec)


@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_closed_form_inner_products_equal_exact_integration(k):
    """Sawtooth–Walsh and sawtooth–sawtooth closed forms against the exact piecewise integration."""
    from dlcalc.core._gram import inner

    saw = Head("sawtooth", k, 0.5)
    for n in range(1, 256):
        walsh = Head("walsh", n, 3.0)
        assert inner(saw, walsh) == saw.inner(walsh) == inner(walsh, saw)
    for j in range(0, 9):
        other = Head("sawtooth", j, 0.75)
        assert inner(saw, other) == saw.inner(other)


head_strategy = st.one_of(
    st.builds(Head, st.just("walsh"), st.integers(1, 40), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
    st.builds(Head, st.just("sawtooth"), st.integers(0, 6), st.sampled_from([1.0, 0.5, 0.3, 2.0])),
)


@given(st.lists(head_strategy, min_size=1, max_size=12))
def test_orthogonality_equals_pairwise_integration(heads):
    """The largest off-diagonal entry found in closed form equals the largest over all integrated pairs."""
    pairs = [(abs(heads[s].inner(heads[t])), s, t) for s in range(len(heads)) for t in range(s + 1, len(heads))]
    worst = max((v for v, _, _ in pairs), default=Fraction(0))
    ok, largest, pair = orthogonality(heads)
    assert ok == (worst == 0) and largest == worst  # exactly
    if pair is not None:
        s, t = pair
        assert abs(heads[s].inner(heads[t])) == worst
    gram = gram_matrix(heads)
    for v, s, t in pairs:
        assert gram.get((s, t), 0) == v or gram.get((s, t), 0) == -v


def test_orthogonality_of_large_families_is_instant():
    import time

    from dlcalc import Family, HeadRun, HeadSet

    start = time.perf_counter()
    ok, largest, pair = orthogonality(HeadSet(Family("walsh-all", 1.0, 40), [HeadRun("sawtooth", 0, 5)]))
    assert not ok and largest == 0.5 and pair == (0, (1 << 40) - 1)  # <sawtooth:0, walsh:1> = 1/2
    ok, largest, pair = orthogonality([Head("walsh", 1)] * 3000)
    assert not ok and largest == 1.0 and pair == (0, 1)
    ok, _, _ = orthogonality(HeadSet(Family("sawtooth-all", 2.0, 50)))
    assert ok
    assert time.perf_counter() - start < 5
