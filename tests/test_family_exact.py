"""Family amplitudes are exact (THEORY §5, last bullet; docs/theory.md "Exact family exponents").

β is the rational its decimal denotes, ``a_j = 2^(-βj)``, and every decision comparing an
amplitude with ε is exact.  Oracles: for ε = 2^-m the count ``M(ε) = ceil(m/β)`` and the
precisions ``ceil(m - βj)`` in integer arithmetic written out here, and
:func:`oracles.family_precision` (integer powers) otherwise — none of them calls dlcalc.
"""

import json
import math
from fractions import Fraction

import pytest
from click.testing import CliRunner

from dlcalc import Family, HeadSet, Instance, QuantizedClass, run_coder
from dlcalc.cli import cli
from dlcalc.core._exponent import beta_fraction, count_above, pow2_compare, pow2_float, pow2_precision
from dlcalc.quantize._bounds import family_bounds, sawtooth_all_heads, walsh_all_levels
from dlcalc.reference._evaluate import reference_groups

from .oracles import family_count, family_precision


def bounds_json(*args):
    result = CliRunner().invoke(cli, ["bounds", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def test_bounds_at_beta_07_and_eps_2_to_the_minus_63():
    # 0.7 * 90 = 62.99999999999999 in floats; exactly, 2^(-0.7*90) = 2^-63 = ε: top 91 is zero and M = 90
    (row,) = bounds_json("--family", "walsh-all", "--beta", "0.7", "--eps", "2^-63")
    assert row["joint_upper_bits"] == row["joint_lower_bits"] == 2**90 - 1
    assert row["separate_upper_bits"] == (4**90 - 1) // 3


@pytest.mark.parametrize("beta,num,den", [(0.7, 10, 7), (0.35, 20, 7)])
def test_walsh_all_levels_at_every_power_of_two(beta, num, den):
    """M(2^-m) = ceil(m/β) = ceil(m·num/den) for m = 1..996; 2.0**(-β(t-1)) got 30 of them wrong at β = 0.7."""
    float_wrong = 0
    for m in range(1, 997):
        expected = ceil_div(m * num, den)
        assert walsh_all_levels(beta, 2.0**-m) == expected, m
        float_count = 0
        while 2.0 ** (-beta * float_count) > 2.0**-m:
            float_count += 1
        float_wrong += float_count != expected
    assert float_wrong > 0  # the float formula is not the contract (30 at β = 0.7)
    b = family_bounds("walsh-all", beta, 2.0**-300)
    assert b.joint_upper_bits == 2 ** ceil_div(300 * num, den) - 1


@pytest.mark.parametrize("beta,num,den", [(0.7, 10, 7), (0.35, 20, 7)])
def test_sawtooth_all_heads_at_every_power_of_two(beta, num, den):
    for m in range(1, 997):
        assert sawtooth_all_heads(beta, 2.0**-m) == ceil_div(m * num, den), m
        assert sawtooth_all_heads(beta, 2.0**-m, depth=50) == min(51, ceil_div(m * num, den))


@pytest.mark.parametrize("beta,num,den", [(0.7, 10, 7), (0.35, 20, 7)])
def test_sawtooth_all_bounds_against_exact_precisions(beta, num, den):
    """p_k = ceil(m - βk) = ceil((m·num - k·den)/num); separate = Σ 2^k (2^p - 1) (2^p - 1 for k = 0)."""
    from dlcalc.core._span import interval_star_cost

    for m in list(range(1, 64)) + [126, 300, 996]:
        count = ceil_div(m * num, den)
        stars = [(k, ceil_div(m * num - k * den, num)) for k in range(count)]
        assert all(p >= 1 for _, p in stars)
        separate = [sum(((1 << (p - d)) - 1) << k for k, p in stars if p > d) for d in (1, 0)]
        b = family_bounds("sawtooth-all", beta, 2.0**-m)
        assert (b.separate_lower_bits, b.separate_upper_bits) == tuple(separate), m
        if count <= 4096:
            assert b.joint_upper_bits == interval_star_cost(stars), m
            assert b.joint_lower_bits == interval_star_cost([(k, p - 1) for k, p in stars]), m


def test_subnormal_eps_counts_every_level():
    # ε = 5e-324 = 2^-1074: top t survives while 0.1 (t - 1) < 1074, so M = 10740 (floats gave 10735)
    assert walsh_all_levels(0.1, 5e-324) == 10740
    (row,) = bounds_json("--family", "walsh-all", "--beta", "0.1", "--eps", "5e-324")
    assert row["joint_upper_bits"] == 2**10740 - 1
    assert sawtooth_all_heads(0.1, 5e-324) == 10740


@pytest.mark.parametrize("beta", [0.7, 0.35, 0.3, 1.1, 0.123, 2.5])
@pytest.mark.parametrize("eps", [0.1, 1e-3, 0.3789291416275995, 2.0**-9, 1e-300, 5e-324])
def test_precisions_and_counts_against_integer_powers(beta, eps):
    for j in range(0, 40):
        e = beta_fraction(beta) * j
        assert pow2_precision(e, Fraction(eps)) == family_precision(beta, j, eps), j
    assert count_above(Fraction(eps), beta_fraction(beta)) == family_count(beta, eps)


def test_beta_is_the_decimal_written():
    assert beta_fraction(0.7) == Fraction(7, 10) and beta_fraction(1e-300) == Fraction(1, 10**300)
    assert beta_fraction(float("0.123456789012345")) == Fraction(123456789012345, 10**15)  # 15 digits survive
    fam = Family("walsh-all", 0.7, 100)
    assert fam.level_exponent(91) == 63 and fam.level_amplitude(91) == 2.0**-63
    assert fam.head(2**90).exponent is None  # an integer exponent: the float is exact


def test_amplitudes_are_correctly_rounded():
    for e in [Fraction(7, 5), Fraction(21, 10), Fraction(1, 2), Fraction(10739, 10), Fraction(10745, 10)]:
        a = pow2_float(e)
        up, down = math.nextafter(a, math.inf), math.nextafter(a, 0.0)
        assert pow2_compare(e, (Fraction(a) + Fraction(up)) / 2) < 0
        assert a == 0.0 or pow2_compare(e, (Fraction(a) + Fraction(down)) / 2) > 0
    assert pow2_float(Fraction(1075)) == 0.0 and pow2_float(Fraction(10745, 10)) == 5e-324


def test_the_quantizer_and_the_verifier_decide_alike():
    # 2^-0.6 = 0.65975395538644712...: its float 0.6597539553864471 lies below, so at that ε the heads of
    # top 3 of walsh-all(0.3) are not zero (a float comparison called them zero)
    eps = 0.6597539553864471
    heads = HeadSet(Family("walsh-all", 0.3, 3))
    qc = QuantizedClass(3, heads, eps)
    assert [g.zero for g in qc.groups] == [False, False, False]
    assert [r.kind for r in reference_groups(heads, 3, eps)] == ["walsh", "walsh", "walsh"]
    inst = Instance.build(depth=3, heads=heads, seed=4)
    joint = run_coder(inst, eps, "joint")
    assert joint.payload_bits == 7 and joint.verification.verified
    # sawtooth-all(0.3): 2^-0.6 2^-1 > ε/2 exactly, so sawtooth:2 needs p = 2 at ε/2
    saw = HeadSet(Family("sawtooth-all", 0.3, 4))
    assert QuantizedClass(4, saw, eps / 2).groups[2].precision == 2
    assert reference_groups(saw, 4, eps / 2)[2].precision == 2
    for coder in ("joint", "separate"):
        assert run_coder(Instance.build(depth=4, heads=saw, seed=1), eps / 2, coder).verification.verified


@pytest.mark.parametrize("name,depth", [("walsh-all", 11), ("sawtooth-all", 10)])
def test_an_amplitude_equal_to_eps_is_zero_and_verified(name, depth):
    # β = 0.7, j = 10: a = 2^-7 = ε exactly: the last level is zero, everything verifies
    inst = Instance.build(depth=depth, heads=HeadSet(Family(name, 0.7, depth)), seed=3)
    for coder in ("joint", "separate"):
        result = run_coder(inst, 2.0**-7, coder)
        assert result.verification.verified and result.verification.max_error <= 2.0**-7
        assert result.qclass.groups[-1].zero
