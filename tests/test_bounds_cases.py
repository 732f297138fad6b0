"""Formula bounds, rate fits and theory exponents (THEORY §5) against closed forms and brute-force spans."""

import math
from fractions import Fraction

import pytest

from dlcalc import Head, parse_heads
from dlcalc.quantize._bounds import (
    FormulaBounds,
    family_bounds,
    fit_slope,
    heads_bounds,
    sawtooth_all_heads,
    theory_exponents,
    walsh_all_levels,
)

from .helpers import precision
from .oracles import span_cost, star_vectors


def brute_levels(beta, eps, depth=None):
    """``M``: the largest top ``t`` with ``2^(-β(t-1)) > ε`` (amplitudes as the family computes them)."""
    t = 0
    while Fraction(2.0 ** (-beta * t)) > Fraction(eps) and (depth is None or t < depth):
        t += 1
    return t


BETAS = [1.0, 2.0, 0.5, 1.5, 0.7, 3.0]
EPSS = [2.0**-e for e in range(0, 13)] + [0.1, 0.3, 0.26, 0.24, 1e-3, 0.999, 1.0, 1.5]


def test_walsh_all_levels_against_the_amplitudes():
    for beta in BETAS:
        for eps in EPSS:
            for depth in (None, 0, 1, 3, 7):
                assert walsh_all_levels(beta, eps, depth) == brute_levels(beta, eps, depth), (beta, eps, depth)
    assert walsh_all_levels(1.0, 1e-300) == 997  # 2^-996 > 1e-300 > 2^-997


def test_walsh_all_closed_forms():
    for beta in BETAS:
        for eps in EPSS:
            for depth in (None, 2, 5):
                m = brute_levels(beta, eps, depth)
                b = family_bounds("walsh-all", beta, eps, depth)
                assert (b.joint_lower_bits, b.joint_upper_bits) == (2**m - 1, 2**m - 1)
                assert (b.separate_lower_bits, b.separate_upper_bits) == ((4**m - 1) // 3,) * 2
                assert b.eps == eps
    # by hand: β = 1, ε = 2^-4 -> M = 4: joint 15, separate 1 + 2·2 + 4·4 + 8·8 = 85
    b = family_bounds("walsh-all", 1.0, 2.0**-4)
    assert (b.joint_upper_bits, b.separate_upper_bits, b.gain) == (15, 85, 85 / 15)


def sawtooth_all_brute(beta, eps, depth):
    stars = []
    k = 0
    while depth is None or k <= depth:
        p = precision(2.0 ** (-beta * k), eps)
        if p is None:
            break
        stars.append((k, p))
        k += 1
    up = [v for k, p in stars for v in star_vectors(k, p)]
    low = [v for k, p in stars for v in star_vectors(k, p - 1)]
    sep_up = sum(span_cost(star_vectors(k, p), depth) for k, p in stars)
    sep_low = sum(span_cost(star_vectors(k, p - 1), depth) for k, p in stars)
    return span_cost(low, depth), span_cost(up, depth), sep_low, sep_up


@pytest.mark.parametrize("beta", [1.0, 2.0, 0.5, 1.5, 3.0])
def test_sawtooth_all_against_listed_spans(beta):
    for eps in [2.0**-e for e in range(0, 8)] + [0.3, 0.1, 0.7]:
        for depth in (None, 0, 1, 2, 3, 5, 8):
            b = family_bounds("sawtooth-all", beta, eps, depth)
            got = (b.joint_lower_bits, b.joint_upper_bits, b.separate_lower_bits, b.separate_upper_bits)
            assert got == sawtooth_all_brute(beta, eps, depth), (beta, eps, depth)


def test_sawtooth_all_by_hand():
    # β = 1, ε = 2^-3: sawtooth:0 p = 3, sawtooth:1 (a = 1/2) p = 2, sawtooth:2 (a = 1/4) p = 1
    # joint: {1},{2},{3} ∪ {1,2},{1,3} ∪ {2,3}: levels 1..3 -> 7; separate: 7 + 2·3 + 4·1 = 17
    b = family_bounds("sawtooth-all", 1.0, 2.0**-3)
    assert (b.joint_upper_bits, b.separate_upper_bits) == (7, 17)
    # lower (p - 1): {1},{2} ∪ {1,2} ∪ nothing -> 3; separate 3 + 2·1 + 0 = 5
    assert (b.joint_lower_bits, b.separate_lower_bits) == (3, 5)
    with pytest.raises(ValueError, match="^unknown family 'haar'$"):
        family_bounds("haar", 1.0, 0.1)


def test_heads_bounds_without_a_depth():
    heads = parse_heads("walsh:1-7") + parse_heads("sawtooth:0-2")
    b = heads_bounds(heads, 2.0**-4)
    # walsh:1-7 spans levels 1..3; sawtooth:2 with p = 4 reaches {2, 6}: levels 1..6 all pivots
    assert b.joint_upper_bits == 63
    listed = list(range(1, 8)) + star_vectors(0, 4) + star_vectors(1, 4) + star_vectors(2, 4)
    assert b.joint_upper_bits == span_cost(listed)
    assert b.joint_lower_bits == span_cost(
        list(range(1, 8)) + star_vectors(0, 3) + star_vectors(1, 3) + star_vectors(2, 3)
    )
    # separate: 1 + 2 + 2 + 4·4 for walsh:1-7, then 2^4 - 1, 2·15, 4·15
    assert b.separate_upper_bits == 1 + 2 * 2 + 4 * 4 + 15 + 30 + 60
    assert b.separate_lower_bits == 1 + 2 * 2 + 4 * 4 + 7 + 14 + 28


def test_heads_bounds_with_a_depth():
    heads = [Head("walsh", 9), Head("sawtooth", 1, 0.5), Head("sawtooth", 3)]
    for depth in (1, 2, 3, 4, 6):
        for eps in (0.3, 2.0**-2, 2.0**-5):
            ps = [None, precision(0.5, eps), precision(1.0, eps)]
            up = [9] + star_vectors(1, ps[1] or 0) + star_vectors(3, ps[2] or 0)
            low = [9] + star_vectors(1, (ps[1] or 1) - 1) + star_vectors(3, (ps[2] or 1) - 1)
            b = heads_bounds(heads, eps, depth)
            assert (b.joint_upper_bits, b.joint_lower_bits) == (span_cost(up, depth), span_cost(low, depth))


def test_formula_bounds_record():
    b = FormulaBounds(0.25, 3, 7, 10, 21)
    assert b.gain == 3.0
    assert b.as_dict() == {
        "eps": 0.25,
        "joint_lower_bits": 3,
        "joint_upper_bits": 7,
        "separate_lower_bits": 10,
        "separate_upper_bits": 21,
        "gain": 3.0,
    }
    assert FormulaBounds(2.0, 0, 0, 0, 0).gain is None
    assert FormulaBounds(2.0, 0, 0, 0, 0).as_dict()["gain"] is None


def test_fit_slope():
    eps = [2.0**-i for i in range(1, 8)]
    assert fit_slope(eps, [2**i for i in range(1, 8)]) == pytest.approx(1.0, abs=1e-12)
    assert fit_slope(eps, [8 * 4**i for i in range(1, 8)]) == pytest.approx(2.0, abs=1e-12)
    assert fit_slope(eps, [2 ** (i // 2) if i > 2 else 0 for i in range(1, 8)]) == pytest.approx(
        _least_squares([3, 4, 5, 6, 7], [1, 2, 2, 3, 3]), abs=1e-12
    )
    assert fit_slope([0.5, 0.25], [2, 8]) == 2.0  # two points are enough for a line
    assert fit_slope([0.5, 0.25, 0.125], [1, 4, 8]) == pytest.approx(_least_squares([1, 2, 3], [0, 2, 3]), abs=1e-12)
    assert fit_slope([0.5], [4]) is None
    assert fit_slope([0.5, 0.25], [0, 4]) is None  # one point with bits > 0
    assert fit_slope([0.5, 0.5], [2, 4]) is None  # no spread in ε
    assert fit_slope([], []) is None


def _least_squares(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sum((x - mx) ** 2 for x in xs)


def test_theory_exponents():
    assert theory_exponents(None) is None and theory_exponents({}) is None
    assert theory_exponents({"name": "walsh-all", "beta": 2}) == {
        "gamma_joint": 2.0,
        "gamma_separate": 1.0,
        "slope_joint": 0.5,
        "slope_separate": 1.0,
    }
    assert theory_exponents({"name": "walsh-all", "beta": 0.5}) == {
        "gamma_joint": 0.5,
        "gamma_separate": 0.25,
        "slope_joint": 2.0,
        "slope_separate": 4.0,
    }
    assert theory_exponents({"name": "sawtooth-all", "beta": 1}) == {
        "gamma_joint": 1.0,
        "gamma_separate": 1.0,
        "slope_joint": 1.0,
        "slope_separate": 1.0,
    }
    assert theory_exponents({"name": "sawtooth-all", "beta": 2.5}) == {
        "gamma_joint": 1.0,
        "gamma_separate": 1.0,
        "slope_joint": 1.0,
        "slope_separate": 1.0,
    }
    assert theory_exponents({"name": "sawtooth-all", "beta": 0.5}) == {
        "gamma_joint": 0.5,
        "gamma_separate": 0.5,
        "slope_joint": 2.0,
        "slope_separate": 2.0,
    }
    assert theory_exponents({"name": "haar", "beta": 1}) is None


def test_sawtooth_all_large_precision_is_instant():
    # ε = 2^-1000: heads k = 0..999 at β = 1, each with p = 1000 - k; one interval [0, 1000]
    b = family_bounds("sawtooth-all", 1.0, math.ldexp(1.0, -1000))
    assert b.joint_upper_bits == 2**1000 - 1
    assert b.separate_upper_bits == sum(((1 << (1000 - k)) - 1) << k if k else (1 << 1000) - 1 for k in range(1000))


def brute_sawtooth_heads(beta, eps, depth=None):
    """How many ``k = 0, 1, ...`` (``k <= depth``) have ``2^(-βk) > ε``, counted one by one."""
    k = 0
    while Fraction(2.0 ** (-beta * k)) > Fraction(eps) and (depth is None or k <= depth):
        k += 1
    return k


def test_sawtooth_all_heads_against_a_count():
    for beta in BETAS:
        for eps in EPSS:
            for depth in (None, 0, 1, 3, 7):
                assert sawtooth_all_heads(beta, eps, depth) == brute_sawtooth_heads(beta, eps, depth), (
                    beta,
                    eps,
                    depth,
                )


def test_sawtooth_all_heads_messages():
    from dlcalc import SpecError

    with pytest.raises(SpecError, match="^beta must") as info:
        sawtooth_all_heads(-1.0, 0.5)
    assert str(info.value) == "beta must be a finite number > 0, got -1.0"
    with pytest.raises(SpecError, match="^sawtooth-all with beta") as info:
        sawtooth_all_heads(1e-308, 0.5)
    assert str(info.value) == (
        "sawtooth-all with beta 1e-308: more than 2^1020 heads survive at this eps; "
        "their bounds are beyond what dlcalc represents (raise --beta or give --depth)"
    )
    assert sawtooth_all_heads(1e-308, 0.5, depth=5) == 6


def test_sawtooth_all_without_surviving_heads_keeps_eps():
    assert family_bounds("sawtooth-all", 1.0, 2.0) == FormulaBounds(2.0, 0, 0, 0, 0)
    assert family_bounds("sawtooth-all", 1.0, 1.0, depth=4).eps == 1.0


def test_beta_messages_of_each_entry_point():
    from dlcalc import SpecError

    for call in (
        lambda: walsh_all_levels(-1.0, 0.5),
        lambda: family_bounds("walsh-all", -1.0, 0.5),
        lambda: family_bounds("sawtooth-all", -1.0, 0.5),
        lambda: family_bounds("haar", -1.0, 0.5),
    ):
        with pytest.raises(SpecError, match="^beta must") as info:
            call()
        assert type(info.value) is SpecError
        assert str(info.value) == "beta must be a finite number > 0, got -1.0"


def test_eps_at_or_above_the_top_amplitude_keeps_no_head_at_any_beta():
    # every amplitude 2^(-βj) is at most 1: ε >= 1 keeps nothing, even where β is too small to count heads
    for eps in (1.0, 1.5):
        assert walsh_all_levels(5e-324, eps) == 0 and sawtooth_all_heads(5e-324, eps) == 0
        assert family_bounds("sawtooth-all", 5e-324, eps) == FormulaBounds(eps, 0, 0, 0, 0)
        assert family_bounds("walsh-all", 5e-324, eps) == FormulaBounds(eps, 0, 0, 0, 0)
