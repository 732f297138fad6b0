"""Numbers and tables for people: one number style, errors never shown below their value,
tables that fit their width without splitting a cell."""

import io
import itertools
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlcalc.cli._style import format_bounds, format_eps, format_error, format_number
from dlcalc.cli._tables import Column, Report, _table, layout, wrap_phrases

from .terminal import render, tables

positive = st.one_of(
    st.fractions(min_value=Fraction(1, 10**30), max_value=Fraction(10**30)).filter(lambda x: x > 0),
    st.builds(lambda m, e: Fraction(m, 2**e), st.integers(1, 2**20), st.integers(0, 80)),  # dyadic, like sup errors
    st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False).map(Fraction),
)


def _oracle(x: Fraction, rounding) -> Fraction:
    """``x`` correctly rounded to 4 significant digits by the decimal module (an independent rounding)."""
    q = Context(prec=4, rounding=rounding).divide(Decimal(x.numerator), Decimal(x.denominator))
    return Fraction(q)


def _read(text: str) -> Fraction:
    """The number a person reads: ``2^-9`` or a decimal."""
    return Fraction(2) ** int(text[2:]) if text.startswith("2^") else Fraction(text)


def _names_the_float(text: str, x: Fraction) -> bool:
    """``x`` is a float64 and ``text`` its short decimal, which reads back to it (as repr shows it)."""
    return Fraction(float(x)) == x and float(text) == x and len(text.split("e")[0].replace(".", "").strip("0")) <= 4


@given(positive)
def test_errors_are_never_shown_below_their_value(x):
    text = format_error(x)
    shown = _read(text)
    if shown < x:  # only a float64 by its own short decimal
        assert _names_the_float(text, x)
        return
    assert shown == x or shown <= _oracle(x, ROUND_CEILING)  # exact, or the next 4-digit value up


@pytest.mark.parametrize("amplitude", [0.01, 0.3, 0.1, 0.07499, 1e-300, 0.7 * 90 / 90])
def test_an_error_equal_to_a_decimal_amplitude_reads_as_that_amplitude(amplitude):
    # a zero head errs by its amplitude exactly: 0.01 once read 0.01001 beside an amplitude of 0.01
    assert format_error(Fraction(amplitude)) == repr(amplitude).replace("e-", "e-")
    assert format_error(amplitude, 0.5) == format_number(amplitude)


@pytest.mark.parametrize("k", [1, 9, 14, 16, 60, 1074])
def test_an_error_that_is_a_power_of_two_is_shown_exactly(k):
    # 0.001953125 = 2^-9 once read as 0.001954 beside "verified: yes" at ε = 2^-9
    assert format_error(2.0**-k) == f"2^-{k}"
    assert format_error(Fraction(1, 2**k), Fraction(1, 2**k)) == f"2^-{k}"


@given(positive, positive)
def test_a_verified_error_is_never_shown_above_eps(x, eps):
    x, eps = min(x, eps), max(x, eps)
    if x == eps:  # ε itself reads as ε
        assert format_error(x, eps) == format_eps(eps)
        return
    text = format_error(x, eps)
    shown = _read(text)
    assert shown >= x or _names_the_float(text, x)  # still rounded up, or the float's own name
    assert shown <= _read(format_eps(eps)) or shown <= eps  # never above ε as ε is shown


@pytest.mark.parametrize("eps", [0.01, 0.075, 0.1, 1 / 3, 2.0**-9, 0.3 * 2**-5])
def test_errors_just_below_eps_read_as_within_it(eps):
    assert format_error(eps, eps) == format_eps(eps)
    for x in (eps * (1 - 2**-52), eps * 0.99999, eps * 0.9999999):
        shown = _read(format_error(x, eps))
        assert x <= shown <= max(eps, _read(format_eps(eps))), (x, eps, format_error(x, eps))


@given(positive)
def test_lower_bounds_are_never_shown_above_their_value(x):
    shown = Fraction(format_number(x, "down"))
    assert shown <= x
    assert shown == x or shown >= _oracle(x, ROUND_FLOOR)


@given(st.integers(min_value=0, max_value=10**40), st.integers(min_value=0, max_value=10**40))
def test_bounds_are_one_number_or_an_outward_range(a, b):
    lower, upper = min(a, b), max(a, b)
    text = format_bounds((lower, upper))
    if lower == upper:
        assert "–" not in text and (text == str(lower) or lower >= 10**12)
    else:
        lo, hi = text.split("–")
        assert Fraction(lo) <= lower and Fraction(hi) >= upper


def test_one_style_for_large_and_small_numbers():
    assert format_number(999_999_999_999) == "999999999999"  # 12 digits in full
    assert format_number(96_076_792_050_570_581) == "9.608e16"
    assert format_number(174762.6666) == "1.748e5" and format_number(9.885e-5) == "9.885e-5"
    assert format_number(0.015625) == "0.015625" and format_error(2.0**-10) == "2^-10"
    assert format_error(3 * 2.0**-12) == "0.0007325"  # 0.000732421875, rounded up
    for x in (3, 10**13, 2**997 - 1, 1 / 3, 1e-300, 123456.5, 5 / 3):
        assert "+" not in format_number(x) and "e0" not in format_number(x) and "≈" not in format_number(x)


def test_eps_is_a_power_of_two_wherever_it_is_one():
    for k in range(1, 1075):
        assert format_eps(2.0**-k) == f"2^-{k}"
        assert format_eps(Fraction(1, 2**k)) == f"2^-{k}"
    for x in (0.1, 0.3, 3 * 2.0**-7, 1e-300):
        assert "^" not in format_eps(x)
    assert format_eps(1.0) == "1" and format_eps(2.0) == "2"


words = st.text(alphabet="abcdefghij", min_size=1, max_size=9)
phrases = st.lists(words, min_size=1, max_size=6).map(" ".join)


@given(st.lists(phrases, min_size=1, max_size=8), st.sampled_from([", ", "; ", ": "]), st.integers(10, 120))
def test_text_wraps_between_phrases(parts, sep, width):
    text = sep.join(parts)
    lines = wrap_phrases(text, width)
    assert " ".join(lines) == text  # nothing lost, nothing added, no trailing spaces
    assert all(len(line) <= width for line in lines)
    for line, following in itertools.pairwise(lines):
        if len(line) + 1 + len(following.split()[0]) <= width:
            # broken early only after a phrase, and only where that leaves the line two thirds full
            assert line[-1] in ",;:" and 3 * len(line) >= 2 * width, lines


def test_a_footer_never_leaves_a_stub_line():
    # `compare --depth 8 --networks` at 80 columns once printed a line holding only "its file bits,"
    text = (
        "not shown at this width: joint net, its content bits, content ÷ joint payload, its file bits, "
        "file ÷ joint .dlc file (a wider terminal or --format csv shows them)"
    )
    lines = wrap_phrases(text, 80)
    assert " ".join(lines) == text and all(len(line) <= 80 for line in lines)
    assert all(len(line) >= 40 for line in lines[:-1]), lines


column_specs = st.lists(
    st.tuples(
        st.lists(words, min_size=1, max_size=3).map(" ".join),  # header
        st.one_of(st.none(), words),  # short header
        st.integers(0, 5),  # priority
        st.sampled_from(["left", "right"]),
    ),
    min_size=1,
    max_size=9,
)
cell_text = st.text(alphabet="0123456789.e-–^", min_size=1, max_size=14)


@given(column_specs, st.data(), st.integers(20, 220))
def test_tables_fit_their_width_and_never_split_a_cell(specs, data, width):
    columns = [
        Column(f"c{i}", header, justify, priority=p, short=short) for i, (header, short, p, justify) in enumerate(specs)
    ]
    n_rows = data.draw(st.integers(1, 5))
    rows = [{c.key: data.draw(cell_text) for c in columns} for _ in range(n_rows)]
    report = Report({}, columns, rows)
    table, needed, left_out, _ = _table(report, width)
    kept, headers, _ = layout(columns, [[r[c.key] for c in columns] for r in rows], width)
    buf = io.StringIO()
    from rich.console import Console

    Console(file=buf, width=max(width, needed), color_system=None, markup=False, highlight=False).print(table)
    screen = render(buf.getvalue().replace("\n", "\r\n").encode(), max(width, needed))
    assert screen.overflow == []
    (shown,) = tables(screen)
    essential = [i for i, c in enumerate(columns) if c.priority == 0]
    assert set(essential) <= set(kept)  # the columns of priority 0 always stay
    if needed > width:  # only when even they do not fit: then nothing else is shown
        assert all(columns[i].priority == 0 for i in kept) or len(kept) == 1
    else:
        assert max(len(line) for line in shown.lines) <= width
    assert shown.headers == headers  # headers read back whole: broken between words only
    assert len(shown.rows) == n_rows  # one line per row: nothing wrapped
    for row, line in zip(rows, shown.rows, strict=False):
        assert line == [row[columns[i].key] for i in kept]
    assert left_out == [c.header for i, c in enumerate(columns) if i not in kept]
    # a wider table never shows fewer columns
    wider, _, _ = layout(columns, [[r[c.key] for c in columns] for r in rows], width + data.draw(st.integers(1, 60)))
    assert set(kept) <= set(wider)


def test_narrow_tables_drop_by_priority_and_say_so():
    columns = [
        Column("a", "ε"),
        Column("b", "joint payload bits"),
        Column("c", "max error", priority=2),
        Column("d", "best compressor", "left", priority=1, short="best"),
    ]
    rows = [{"a": "2^-10", "b": "1023", "c": "0.0009766", "d": "lzma"}]
    kept, headers, _ = layout(columns, [["2^-10", "1023", "0.0009766", "lzma"]], 32)
    assert kept == [0, 1, 3] and headers == ["ε", "joint payload bits", "best"]
    _, _, left_out, _ = _table(Report({}, columns, rows), 32)
    assert left_out == ["max error"]
    assert layout(columns, [["2^-10", "1023", "0.0009766", "lzma"]], 200)[1] == [
        "ε",
        "joint payload bits",
        "max error",
        "best compressor",
    ]


def test_cells_are_intact_in_a_piped_table():
    # not a terminal: the table is laid out for 80 columns and nothing in it is abbreviated
    from click.testing import CliRunner

    from dlcalc.cli import cli

    out = CliRunner().invoke(cli, ["bounds", "--eps-sweep", "2^-1:2^-20"], env={"COLUMNS": None}).stdout
    (table,) = tables(render(out.replace("\n", "\r\n").encode(), 80))
    assert max(map(len, out.splitlines())) <= 80
    assert table.rows[-1][:3] == ["2^-20", "1048575", str((4**20 - 1) // 3)]  # 12 digits, in full
    assert not re.search(r"\s$", out.splitlines()[0])  # the title carries no trailing spaces


@pytest.mark.parametrize(
    "columns,width", [("80", 80), ("100", 100), ("160", 160), ("", 80), ("abc", 80), ("0", 80), ("-5", 80)]
)
def test_a_piped_table_takes_the_width_columns_names(columns, width):
    from click.testing import CliRunner

    from dlcalc.cli import cli

    out = (
        CliRunner()
        .invoke(
            cli,
            ["compare", "-d", "6", "--family", "walsh-all", "--head", "sawtooth:0-3", "--eps-sweep", "2^-1:2^-6"],
            env={"COLUMNS": columns},
        )
        .stdout
    )
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert max(len(line) for line in lines) > (width - 20 if width < 160 else 100)  # the table uses the room it has
    if columns in ("", "abc", "0", "-5"):  # a pipe with no COLUMNS is an 80-column terminal, as for rich and most tools
        assert max(len(line) for line in lines) <= 80
