"""Project metadata: license, citation, changelog, package metadata and ``dlcalc --version``."""

import pathlib
import tomllib

from click.testing import CliRunner

import dlcalc
from dlcalc.cli import cli
from dlcalc.cli._common import SCHEMA_VERSION
from dlcalc.coding._container import FORMAT_VERSION
from dlcalc.networks._format import NETWORK_VERSION

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_version_names_the_format_versions():
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(cli, [flag])
        assert result.exit_code == 0
        assert result.stdout == (
            f"dlcalc {dlcalc.__version__} (.dlc format {FORMAT_VERSION}, network format {NETWORK_VERSION}, "
            f"JSON schema {SCHEMA_VERSION})\n"
        )


def test_pyproject_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert project["authors"] == [{"name": "the dlcalc authors"}]
    assert project["urls"]["Paper"] == "https://arxiv.org/abs/2606.16028"
    assert "Topic :: Scientific/Engineering :: Mathematics" in project["classifiers"]
    assert "Operating System :: OS Independent" in project["classifiers"]
    assert "orthogonal task heads" not in project["description"]
    summary = " ".join(dlcalc.__doc__.split())
    assert (
        "task heads (orthogonal within a family)" in project["description"]
        and "task heads (orthogonal within a family)" in summary
    )


def test_license_citation_and_changelog():
    assert "Copyright (c) 2026 the dlcalc authors" in (ROOT / "LICENSE").read_text()
    citation = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in citation and f"version: {dlcalc.__version__}" in citation
    assert citation.count("arXiv:2606.16028") == 2 and "preferred-citation:" in citation and "references:" in citation
    for name in ("Dittrich", "Potocki", "Grohs"):
        assert f"family-names: {name}" in citation
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{dlcalc.__version__}]" in changelog


def test_the_readme_tour_outputs_are_ignored_at_the_top_level_only():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for name in ("/rates.png", "/inst.json", "/inst.*.dlc", "/table.csv", "/nets.json"):
        assert name in ignored


def test_words_that_were_wrong():
    theory = (ROOT / "docs" / "theory.md").read_text()
    assert "halves the approximation exponent" not in theory
    assert "doubles the optimal approximation exponent (`γ*_joint = β = 2 γ*_sep`)" in " ".join(theory.split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    head = readme[: readme.index("## A short tour")]
    assert "only the paper's abstract is public" in head
    assert "payloads equal it by construction" in head
    assert "about two minutes" not in readme
