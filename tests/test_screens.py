"""What a person reads at 80 columns in a real pseudo-terminal: trust columns before decoration,
ratios only beside what they divide, no progress bar left on screen, legends for terse headers."""

import pytest

from .terminal import run_in_terminal, tables

TRUST = {"max error", "verified"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from click.testing import CliRunner

    from dlcalc.cli import cli

    d = tmp_path_factory.mktemp("screens")
    r = CliRunner().invoke(
        cli, ["build", "-o", str(d / "inst.json"), "--depth", "8", "--head", "walsh:1-63", "--head", "sawtooth:0-3"]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        cli, ["encode", str(d / "inst.json"), "--eps", "2^-6", "-o", str(d / "inst.dlc"), "--coder", "both"]
    )
    assert r.exit_code == 0, r.output
    return d


def screen_of(args, cwd, width=80):
    screen = run_in_terminal(args, width, cwd=cwd)
    assert screen.exit_code == 0, screen.text
    assert screen.overflow == [], screen.overflow
    return screen


def test_network_keeps_verified_and_max_error_before_construction(files):
    screen = screen_of(["network", "inst.json", "--eps", "2^-6"], files)
    headers = set(tables(screen)[0].headers)
    assert {"verified", "max error"} <= headers, headers
    assert "construction" not in headers  # decoration goes first
    assert "construction" in screen_of(["network", "inst.json", "--eps", "2^-6"], files, 200).text


def test_compare_keeps_max_error_and_no_ratio_without_its_numbers(files):
    screen = screen_of(["compare", "--depth", "8", "--networks"], files)
    headers = tables(screen)[0].headers
    assert "max error" in headers and ("verified" in headers or "ok" in headers), headers
    shown = " ".join(headers)
    if "÷ payload" in shown or "content ÷ joint payload" in shown:
        assert "its content bits" in shown or "content bits" in shown, headers
    if "÷ file" in shown or "file ÷ joint .dlc file" in shown:
        assert "its file bits" in shown, headers
    if "best" in headers or "best compressor" in headers:
        assert "content bits" in shown or "its content bits" in shown, headers
    # the footer of what is not shown breaks after phrases, never leaving a stub line
    footer = screen.text.split("not shown at this width:", 1)[1].split("(a wider terminal", 1)[0]
    lines = [line for line in ("not shown at this width:" + footer).splitlines() if line.strip()]
    assert all(len(line) >= 40 for line in lines[:-1]), lines
    assert "its file bits," not in [line.strip() for line in screen.lines]


def test_encode_keeps_trust_columns(files):
    headers = set(tables(screen_of(["encode", "inst.json", "--eps", "2^-6"], files))[0].headers)
    assert TRUST <= headers, headers


def test_verified_errors_read_within_eps(files):
    screen = screen_of(["compare", "--depth", "16", "--eps-sweep", "2^-14:2^-16", "--no-baselines"], files, 200)
    table = tables(screen)[0]
    col = table.headers.index("max error")
    assert [row[col] for row in table.rows][:2] == ["2^-14", "2^-15"] and "6.104e-5" not in screen.text
    screen = screen_of(["compare"], files, 200)
    table = tables(screen)[0]
    row = next(r for r in table.rows if r[0] == "2^-9")
    assert row[table.headers.index("max error")] == "2^-9" and "0.001954" not in screen.text


def test_decode_to_a_file_leaves_no_progress_bar(files):
    screen = run_in_terminal(["decode", "inst.joint.dlc", "-o", "table.csv", "--force"], 80, cwd=files)
    assert screen.exit_code == 0, screen.text
    assert not any(line.startswith("decode ") or "0/2" in line or "2/2" in line for line in screen.lines), screen.text
    assert "━".encode() in screen.raw  # the bar was drawn, then erased
    assert any(line.startswith("wrote table.csv") for line in screen.lines), screen.text
    wrote = next(i for i, line in enumerate(screen.lines) if line.startswith("wrote table.csv"))
    assert not any(line.strip() for line in screen.lines[:wrote]), screen.lines[:wrote]


def test_info_explains_its_headers_and_shows_a_small_gram_matrix(files):
    screen = screen_of(["info", "--depth", "3", "--head", "walsh:1-3", "--head", "sawtooth:0"], files)
    text = " ".join(screen.lines)
    assert "levels read:" in text and "exact on level L:" in text
    assert "≤ D" not in text
    assert "Gram matrix ⟨f_s, f_t⟩" in text
    assert "sawtooth:0: 0.5, 0.25, 0, 0.3333" in screen.lines  # a row of the exact matrix, one line per head
    many = " ".join(screen_of(["info", "inst.json"], files).lines)  # 67 heads: where to find it
    assert "--format json lists it" in many or "not listed" in many


def test_build_says_a_walsh_range_is_listed_by_level(files):
    screen = screen_of(["build", "--depth", "6", "--head", "walsh:1-7"], files)
    assert len(tables(screen)[0].rows) == 3
    assert "walsh:1-7 is three rows, levels 1, 2 and 3" in " ".join(screen.lines)


def test_quantize_explains_p_and_shows_requirement_sets(files):
    screen = screen_of(
        ["quantize", "--depth", "6", "--head", "walsh:1", "--head", "sawtooth:0-1", "--eps", "2^-4"], files, 120
    )
    table = tables(screen)[0]
    assert "requirement set" in table.headers and table.rows[0][table.headers.index("requirement set")] == "{1}"
    text = " ".join(screen.lines)
    assert (
        "precision p: the bits of a sawtooth head's value" in text or "p: the bits of a sawtooth head's value" in text
    )
    assert "cell level L:" in text


def test_titles_point_to_docs_not_to_a_missing_file(files):
    screen = screen_of(["bounds"], files)
    assert "THEORY" not in screen.text and "docs/theory.md §5" in " ".join(screen.lines)


def test_help_examples_fit_80_columns():
    from click.testing import CliRunner
    from rich.cells import cell_len

    from dlcalc.cli import cli

    for name in cli.commands:
        out = CliRunner().invoke(cli, [name, "--help"], terminal_width=80, env={"COLUMNS": "80"}).stdout
        examples = out.split("Options:")[0]
        for line in examples.splitlines():
            assert cell_len(line) <= 80, (name, line)


def test_trained_columns_give_way_to_trust_columns_at_80():
    # `compare --trained` at 80 columns once dropped max error and verified but kept the trained bits
    from dlcalc.cli._tables import layout
    from dlcalc.cli.compare import COMPARE_COLUMNS, trained_columns

    columns = COMPARE_COLUMNS + trained_columns(False)
    cells = [["2^-3", "7", "7", "21", "21", "3", "2^-3", "yes", "255", "591", "301", "640"]]  # file and stream bits
    _, headers, _ = layout(columns, cells, 80)
    assert "max error" in headers and ("verified" in headers or "ok" in headers), headers
