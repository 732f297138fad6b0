"""Numbers from people and files: one strict grammar, overflow and underflow named, huge values in log form."""

import json
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc import FormatError, Head, SpecError, parse_heads
from dlcalc.core._numbers import (
    EXACT_BITS_LIMIT,
    Log2Bits,
    Log2Value,
    as_bits,
    finite_float,
    parse_integer,
    parse_number,
    ratio,
    strict_json_loads,
)


@pytest.mark.parametrize(
    "text,value",
    [
        ("0.25", 0.25),
        ("1e-300", 1e-300),
        ("2^-10", 2.0**-10),
        ("2 ^ 10", 1024.0),
        ("-2^2", -4.0),
        (".5", 0.5),
        ("5e-324", 5e-324),
        ("2^-1074", 5e-324),
        ("0.5^1074", 5e-324),
        ("10^-3", 0.001),
        ("2^1023", 2.0**1023),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        (" 3 ", 3.0),
        ("0^0", 1.0),
        ("3^-2", 1 / 9),
    ],
)
def test_numbers_that_parse(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text,message",
    [
        ("1_0", "not a number"),
        ("١٢", "not a number"),
        ("１２", "not a number"),
        ("0x10", "not a number"),
        ("", "not a number"),
        ("1e", "not a number"),
        ("2^", "not a number"),
        ("2^1.5", "not a number"),
        ("(-2)^3", "not a number"),
        ("inf", "not finite"),
        ("-Infinity", "not finite"),
        ("nan", "not finite"),
        ("1e400", "overflows"),
        ("1" + "0" * 309, "overflows"),
        ("2^1024", "overflows"),
        ("2^99999999999999", "overflows"),
        ("1e-400", "underflows"),
        ("2^-1075", "underflows"),
        ("0.5^1075", "underflows"),
        ("2^-99999999999999", "underflows"),
        ("0^-1", "negative power"),
    ],
)
def test_numbers_refused_by_name(text, message):
    with pytest.raises(SpecError, match=message) as info:
        parse_number(text, "eps")
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


@given(st.floats(min_value=5e-324, allow_infinity=False, allow_nan=False))
def test_every_positive_float_written_by_repr_parses_back(x):
    assert parse_number(repr(x)) == x


@given(st.integers(-1074, 1023))
def test_powers_of_two_are_exact(e):
    assert parse_number(f"2^{e}") == math.ldexp(1.0, e)


def test_integers_ascii_and_bounded():
    assert parse_integer("0042", "depth", lo=0) == 42
    for text in ("1_0", "١٢", "1.0", "1e3", "", "0x1"):
        with pytest.raises(SpecError, match="not an integer"):
            parse_integer(text, "depth")
    with pytest.raises(SpecError, match="5000 digits"):
        parse_integer("9" * 5000, "depth")
    with pytest.raises(SpecError, match=">= 0"):
        parse_integer("-1", "depth", lo=0)


def test_head_specs_refuse_the_same_classes():
    assert parse_heads("walsh:3@2^-2")[0] == Head("walsh", 3, 0.25)
    for spec, message in [
        ("walsh:١٢", "cannot parse"),
        ("walsh:1_0", "cannot parse"),
        ("walsh:" + "9" * 5000, "5000 digits"),
        ("walsh:1@1e-400", "underflows"),
        ("walsh:1@" + "9" * 400, "overflows"),
        ("sawtooth:1@nan", "not finite"),
        ("walsh:" + str(1 << 4096), "below 2\\^4096"),
        ("sawtooth:65537", "sawtooth:65536"),
    ]:
        with pytest.raises(SpecError, match=message) as info:
            parse_heads(spec)
        assert len(str(info.value)) < 300


def test_json_values_of_any_magnitude():
    assert finite_float(3, "beta") == 3.0
    with pytest.raises(FormatError, match="overflows"):
        finite_float(10**309, "eps")
    with pytest.raises(FormatError, match="must be a number"):
        finite_float(True, "eps")
    with pytest.raises(SpecError, match="overflows"):  # the OverflowError of math.isfinite(int) is gone
        Head("walsh", 1, 10**310)


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"a": 1, "a": 2}', "duplicate key 'a'"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity"),
        ('{"a": 1e-400}', "underflows"),
        ('{"a": ' + "1" * 1400 + "}", "1400 digits"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_strict_json(text, message):
    with pytest.raises(FormatError, match=message):
        strict_json_loads(text, "header")


def test_strict_json_reads_an_overflowing_float_as_infinity():
    """For the reader of the field to refuse as not finite (``header eps overflows: numbers are at most 1.8e308``)."""
    assert strict_json_loads('{"a": 1e400}', "header") == {"a": math.inf}


def test_counts_beyond_the_exact_limit_are_carried_by_their_log2():
    assert as_bits((1 << EXACT_BITS_LIMIT) - 1) == (1 << EXACT_BITS_LIMIT) - 1
    assert as_bits(1 << EXACT_BITS_LIMIT) == Log2Bits(float(EXACT_BITS_LIMIT))
    assert ratio(85, 15) == 85 / 15 and ratio(3, 0) is None and ratio(0, 5) == 0.0
    assert ratio(1 << 3000, 3) == round(Fraction(1 << 3000, 3))  # beyond a float: the nearest integer
    huge = ratio(Log2Bits(4e300), Log2Bits(2e300))  # beyond the exact limit too: its log2
    assert huge == Log2Value(2e300)
    assert ratio(Log2Bits(5000.0), Log2Bits(4999.0)) == 2.0


def test_json_and_csv_forms_of_large_numbers():
    from dlcalc.cli._output import _csv_value, dumps
    from dlcalc.cli._style import format_cell

    limit = EXACT_BITS_LIMIT
    doc = json.loads(
        dumps(
            {
                "a": Log2Bits(15000.0),
                "b": 1 << 15000,
                "c": Fraction(10**400, 3),
                "d": -Fraction(10**400),
                "e": Fraction(1, 4),
                "f": Log2Value(15000.5),
                "g": (1 << limit) - 1,
                "h": -Fraction(1 << 15000, 3),
            }
        )
    )
    assert doc["a"] == {"log2_bits": 15000.0} and doc["b"] == {"log2_bits": 15000.0}
    assert doc["c"] == round(Fraction(10**400, 3)) and doc["d"] == -(10**400)  # beyond a double: the nearest integer
    assert doc["e"] == 0.25 and doc["f"] == {"log2": 15000.5} and doc["g"] == (1 << limit) - 1  # still exact
    assert doc["h"]["sign"] == -1 and doc["h"]["log2"] == pytest.approx(15000 - math.log2(3))
    assert _csv_value(Log2Bits(15000.0)) == "2^15000.0" and _csv_value(-Fraction(1 << 15000)) == "-2^15000.0"
    assert format_cell(Log2Bits(15000.0)) == "2^15000" and format_cell(Log2Value(15000.5)) == "2^15000.5"
    assert (
        format_cell(1 << 5000) == "1.412e1505" and format_cell(Fraction(10**400, 3)) == "3.333e399"
    )  # exact, any size
