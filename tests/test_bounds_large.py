"""Family bounds at any β and ε (THEORY §5): exact where small, log2 beyond, bounded work always.

Oracles: the requirement sets listed vector by vector and reduced over GF(2)
(:func:`reduce_basis`), per-head exact integer sums, and the closed forms of
THEORY §5 written out here.
"""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc import Head, RequirementSet, reduce_basis
from dlcalc.core._numbers import Log2Bits, Log2Value, bits_log2
from dlcalc.core._span import interval_star_cost
from dlcalc.quantize import _bounds
from dlcalc.quantize._bounds import family_bounds, sawtooth_all_heads, walsh_all_levels

from .oracles import family_count, family_precision


def listed_cost(req: RequirementSet, depth) -> int:
    """The level cost from the listed, masked vectors: the definition of THEORY §5."""
    return sum(1 << (t - 1) for t in reduce_basis(req.masked_vectors(depth)))


def sawtooth_oracle(beta, eps, depth):
    """(joint lower, joint upper, separate lower, separate upper) of the listed sawtooth-all heads, with their
    precisions decided exactly on ``2^(-βk)`` (:func:`oracles.family_precision`)."""
    stars = []
    k = 0
    while (depth is None or k <= depth) and (p := family_precision(beta, k, eps)) is not None:
        stars.append((k, p))
        k += 1
    up = [RequirementSet(stars=frozenset({(k, p)})) for k, p in stars]
    low = [RequirementSet(stars=frozenset({(k, p - 1)})) for k, p in stars]
    return (
        listed_cost(RequirementSet.union_all(low), depth),
        listed_cost(RequirementSet.union_all(up), depth),
        sum(listed_cost(q, depth) for q in low),
        sum(listed_cost(q, depth) for q in up),
    )


def as_tuple(b):
    return (b.joint_lower_bits, b.joint_upper_bits, b.separate_lower_bits, b.separate_upper_bits)


@pytest.mark.parametrize("beta", [0.3, 0.7, 1.0, 1.3, 3.0])
@pytest.mark.parametrize("depth", [None, 0, 3, 9])
def test_sawtooth_all_equals_the_listed_heads(beta, depth):
    for eps in [0.9, 0.3, 2**-5, 0.011, 1e-4]:
        assert as_tuple(family_bounds("sawtooth-all", beta, eps, depth)) == sawtooth_oracle(beta, eps, depth)


@pytest.mark.parametrize("beta", [0.05, 0.3, 0.7])
@pytest.mark.parametrize("depth", [None, 12, 40])
def test_run_sums_and_log_forms_match_exact_sums(beta, depth, monkeypatch):
    """Force the paths taken for huge families (one-interval joint costs, float sums of runs) on small ones."""
    eps = 2.0**-30
    exact = sawtooth_oracle(beta, eps, depth)
    monkeypatch.setattr(_bounds, "EXACT_HEADS", 4)
    monkeypatch.setattr(_bounds, "EXACT_BITS_LIMIT", 16)
    got = as_tuple(family_bounds("sawtooth-all", beta, eps, depth))
    for g, want in zip(got, exact, strict=False):
        if want < 1 << 16:
            assert g == want
        else:
            assert isinstance(g, Log2Bits) and g.log2 == pytest.approx(math.log2(want), rel=1e-12)


def test_many_heads_against_a_per_head_sum():
    """10,000 heads (β = 0.01, ε = 2^-100): the run sums, exactly, against per-head integers."""
    beta, eps = 0.01, 2.0**-100
    stars = [(k, family_precision(beta, k, eps)) for k in range(sawtooth_all_heads(beta, eps))]
    assert len(stars) == 10_000
    separate = sum(((1 << p) - 1) << k for k, p in stars)  # THEORY §5: 2^k (2^p - 1) per head
    b = family_bounds("sawtooth-all", beta, eps)
    assert b.separate_upper_bits == separate and b.joint_upper_bits == interval_star_cost(stars)


def test_walsh_all_in_log_form():
    # β = 1e-300, ε = 1/4: the heads of top t survive while β(t-1) < 2, M = 2e300 levels
    b = family_bounds("walsh-all", 1e-300, 0.25)
    assert b.joint_upper_bits == b.joint_lower_bits == Log2Bits(2e300)
    assert b.separate_upper_bits.log2 == pytest.approx(4e300, rel=1e-15)
    assert b.gain == Log2Value(b.separate_upper_bits.log2 - 2e300)
    # β = 0.5, ε = 1e-300: M = ceil(2 log2(1e300)) = 1994; separate (4^M - 1)/3 has 3987 bits: exact
    b = family_bounds("walsh-all", 0.5, 1e-300)
    assert b.joint_upper_bits == 2**1994 - 1 and b.separate_upper_bits == (4**1994 - 1) // 3
    assert b.gain == round(Fraction((4**1994 - 1) // 3, 2**1994 - 1))  # beyond a double: the nearest integer
    # ε = 5e-324 (1/ε overflows a float): M = 1074 at β = 1
    assert walsh_all_levels(1.0, 5e-324) == 1074
    assert family_bounds("walsh-all", 1.0, 5e-324).joint_upper_bits == 2**1074 - 1


def test_sawtooth_all_at_tiny_beta():
    # β = 1e-300, ε = 1/4: p_k = 2 while 2^-βk > 1/2 (k < 1e300), then 1 up to k < 2e300
    b = family_bounds("sawtooth-all", 1e-300, 0.25)
    assert b.joint_upper_bits.log2 == pytest.approx(2e300, rel=1e-15)
    assert b.joint_lower_bits.log2 == pytest.approx(1e300, rel=1e-15)
    assert b.separate_upper_bits.log2 == pytest.approx(2e300, rel=1e-15)
    assert b.gain == pytest.approx(1.0)
    capped = family_bounds("sawtooth-all", 1e-300, 0.25, depth=100)  # 101 heads, masked at level 100
    assert capped.joint_upper_bits == 2**100 - 1


def test_work_is_bounded_by_the_precisions_not_the_heads(monkeypatch):
    """Exact counts: one per precision run (at most about 1,075 at ε = 5e-324), none per head."""
    calls = []
    real_count, real_precision = _bounds.count_above, _bounds.pow2_precision
    monkeypatch.setattr(_bounds, "count_above", lambda x, beta: calls.append(x) or real_count(x, beta))
    monkeypatch.setattr(_bounds, "pow2_precision", lambda e, eps: calls.append(e) or real_precision(e, eps))
    for name in ("walsh-all", "sawtooth-all"):
        for beta in (1e-300, 1e-3, 0.25):
            family_bounds(name, beta, 5e-324)
    assert len(calls) < 4 * 1076


def test_beta_too_small_to_count_is_refused():
    from dlcalc import SpecError

    with pytest.raises(SpecError, match="2\\^1020 heads"):
        family_bounds("walsh-all", 5e-324, 0.25)
    assert family_bounds("walsh-all", 5e-324, 0.25, depth=10).joint_upper_bits == 2**10 - 1


vectors = st.frozensets(st.integers(1, 2**9 - 1), max_size=4)
stars = st.frozensets(st.tuples(st.integers(0, 8), st.integers(0, 6)), max_size=4)


@given(vectors, stars, st.sampled_from([None, 0, 1, 2, 3, 5, 7, 10]))
def test_mixed_level_cost_without_listing(vecs, strs, depth):
    req = RequirementSet(vecs, strs)
    assert req.level_cost(depth) == listed_cost(req, depth)


def test_bounds_of_huge_heads_mixed_with_walsh_stay_cheap():
    """sawtooth stars of precision ~2000 next to a Walsh head: listed, they would be 10^8 vectors."""
    heads = [Head("sawtooth", k, 1e300) for k in range(0, 60_000, 1_000)] + [Head("walsh", 7)]
    b = _bounds.heads_bounds(heads, 5e-324)
    assert isinstance(b.joint_upper_bits, Log2Bits) and isinstance(b.separate_upper_bits, Log2Bits)
    assert bits_log2(b.joint_upper_bits) <= bits_log2(b.separate_upper_bits)


@pytest.mark.parametrize(
    "beta,eps", [(0.1, 2.0**-200), (0.3, 2.0**-150), (0.01, 2.0**-100), (0.7, 2.0**-300), (0.1, 1e-300)]
)
def test_run_ends_against_listed_stars(beta, eps):
    """Run ends where βk meets log2(1/ε) - q + 1, decided exactly: per-head sums and listed stars."""
    assert sawtooth_all_heads(beta, eps) == family_count(beta, eps)
    stars = [(k, family_precision(beta, k, eps)) for k in range(sawtooth_all_heads(beta, eps))]
    separate = [sum(((1 << (p - d)) - 1) << k for k, p in stars if p > d) for d in (1, 0)]  # 2^k (2^p - 1) per head
    b = family_bounds("sawtooth-all", beta, eps)
    assert as_tuple(b) == (interval_star_cost([(k, p - 1) for k, p in stars]), interval_star_cost(stars), *separate)


def test_sawtooth_all_run_ends_in_float_form():
    # β = 1e-300, ε = 2^-10: p_k >= q while βk < 10 - q + 1, so the joint lower bound, the interval
    # [0, #{p_k >= 2}], has 9e300 levels; every head has p_k >= 1 up to k < 1e301
    b = family_bounds("sawtooth-all", 1e-300, 2.0**-10)
    assert b.joint_lower_bits.log2 == pytest.approx(9e300, rel=1e-12)
    assert b.joint_upper_bits.log2 == pytest.approx(1e301, rel=1e-12)


def test_the_largest_countable_family():
    # 2^(-βj) underflows to 0 once βj >= 1076: β = 1076.5·2^-1020 leaves fewer than 2^1020 candidate heads,
    # β = 1076·2^-1020 exactly 2^1020 + 1, which is refused without a depth
    from dlcalc import SpecError

    beta = math.ldexp(1076.5, -1020)
    exact = Fraction(repr(beta))  # β is the decimal of its shortest repr (THEORY §5)
    m = walsh_all_levels(beta, 0.25)
    assert exact * (m - 1) < 2 <= exact * m  # the largest surviving top: 2^(-β(m-1)) > 1/4 >= 2^(-βm)
    assert m == pytest.approx(2 / beta, rel=1e-12)
    n = sawtooth_all_heads(beta, 0.25)
    assert n == m  # the last surviving sawtooth:k is k = n - 1
    big = math.ldexp(1076.0, -1020)
    with pytest.raises(SpecError, match="more than 2\\^1020 heads") as info:
        walsh_all_levels(big, 0.25)
    assert str(info.value) == (
        f"walsh-all with beta {big!r}: more than 2^1020 heads survive at this eps; "
        "their bounds are beyond what dlcalc represents (raise --beta or give --depth)"
    )
    assert walsh_all_levels(big, 0.25, depth=12) == 12


def test_walsh_all_at_the_exact_bits_limit():
    # β = 1/16, ε = 2^-875: top t survives while (t-1)/16 < 875, so M = 14000 = EXACT_BITS_LIMIT: 2^M - 1 is still exact
    assert walsh_all_levels(1 / 16, 2.0**-875) == 14000
    b = family_bounds("walsh-all", 1 / 16, 2.0**-875)
    assert b.joint_upper_bits == b.joint_lower_bits == 2**14000 - 1
    assert b.separate_upper_bits == Log2Bits(28000 - math.log2(3))  # (4^M - 1)/3 has 27999 bits


def test_sawtooth_all_lower_bounds_at_the_exact_bits_limit():
    # β = 1/14000, ε = 1/4: p_k = 2 while βk < 1 (k < 14000), then 1 while βk < 2 (28000 heads): the lower
    # bounds, at p_k - 1, keep the stars (k, 1) of k < 14000, the chain {1}, {1,2}, ..., {13999,14000}
    beta, eps = 1 / 14000, 0.25
    stars = [(k, family_precision(beta, k, eps)) for k in range(sawtooth_all_heads(beta, eps))]
    assert len(stars) == 28000 and [p for _, p in stars].count(2) == 14000
    separate_lower = sum(((1 << (p - 1)) - 1) << k for k, p in stars)  # 2^k (2^(p-1) - 1) per head
    assert separate_lower == 2**14000 - 1
    b = family_bounds("sawtooth-all", beta, eps)
    assert b.separate_lower_bits == 2**14000 - 1 and b.joint_lower_bits == 2**14000 - 1
    assert b.joint_upper_bits == Log2Bits(28000.0)  # one interval [0, 28000]


def test_sawtooth_all_with_few_heads_above_precision_one():
    # β = 1e-4, ε = 1/2: the heads k < 10^4 all have p = 1: nothing is left at p - 1
    beta = 1e-4
    stars = [(k, family_precision(beta, k, 0.5)) for k in range(sawtooth_all_heads(beta, 0.5))]
    assert len(stars) == 10_000 and {p for _, p in stars} == {1}
    b = family_bounds("sawtooth-all", beta, 0.5)
    assert (b.joint_lower_bits, b.separate_lower_bits) == (0, 0)
    assert b.joint_upper_bits == b.separate_upper_bits == 2**10_000 - 1  # {1}, {1,2}, ..., {9999,10000}
    # ε = 0.49998: only sawtooth:0 has p = 2 (2^-β < 2ε = 0.99996), so the lower bounds are its star (0, 1): 1 bit
    eps = 0.49998
    stars = [(k, family_precision(beta, k, eps)) for k in range(sawtooth_all_heads(beta, eps))]
    assert len(stars) > 4096 and [p for _, p in stars].count(2) == 1 and stars[0] == (0, 2)
    b = family_bounds("sawtooth-all", beta, eps)
    assert (b.joint_lower_bits, b.separate_lower_bits) == (1, 1)
    assert b.joint_lower_bits == interval_star_cost([(k, p - 1) for k, p in stars])


def test_sawtooth_all_at_beta_too_small_for_any_amplitude_to_fall():
    # β = 5e-324: 2^(-βk) rounds to 1 for every k, so with depth 10 all 11 heads have p = 2 at ε = 1/4
    b = family_bounds("sawtooth-all", 5e-324, 0.25, depth=10)
    assert b.joint_upper_bits == b.joint_lower_bits == 2**10 - 1
    # separate (THEORY §5): 2^p - 1 for k = 0, 2^k (2^p - 1) while k + p <= 10, 2^10 - 2^(k-1) beyond
    assert b.separate_upper_bits == 3 + sum(3 << k for k in range(1, 9)) + (2**10 - 2**8) + (2**10 - 2**9)
    assert b.separate_lower_bits == 1 + sum(1 << k for k in range(1, 10)) + (2**10 - 2**9)


def test_log_forms_begin_at_the_exact_bits_limit(monkeypatch):
    """A sum below ``2^EXACT_BITS_LIMIT`` stays an exact int, one at or above it is carried as log2 (limit lowered to
    16)."""
    monkeypatch.setattr(_bounds, "EXACT_BITS_LIMIT", 16)
    # β = 20: only sawtooth:0 survives at these ε; alone, its star (0, p) costs 2^p - 1 with p = log2(1/ε)
    assert family_bounds("sawtooth-all", 20.0, 2.0**-16).separate_upper_bits == 2**16 - 1
    b = family_bounds("sawtooth-all", 20.0, 2.0**-17)
    assert isinstance(b.separate_upper_bits, Log2Bits) and b.separate_upper_bits.log2 == pytest.approx(
        math.log2(2**17 - 1)
    )
    assert b.separate_lower_bits == 2**16 - 1
