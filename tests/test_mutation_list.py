"""The list of equivalent mutants in docs/testing.md cannot outlive the code it speaks of.

``benchmarks/mutation.py`` takes the listed mutants out of the score's denominator; each entry
must name a function of dlcalc (in mutmut's spelling) and a line of that function, and say why
the change cannot be observed.
"""

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mutation_script():
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "benchmarks" / "mutation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def module_file(module: str) -> Path:
    """``quantize._bounds`` -> ``<root>/dlcalc/quantize/_bounds.py``."""
    return ROOT.joinpath("dlcalc", *module.split(".")).with_suffix(".py")


def function_lines(module: str, mangled: str) -> list[str]:
    """The stripped source lines of ``x_name`` or ``xǁClassǁmethod`` in the module ``dlcalc.<module>``."""
    text = module_file(module).read_text()
    tree = ast.parse(text)
    source = text.splitlines()
    path = mangled[2:].split("ǁ") if mangled.startswith("xǁ") else [mangled[2:]]
    nodes = tree.body
    for name in path:
        node = next((n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name), None)
        if node is None:
            return []
        nodes = node.body
    return [line.strip() for line in source[node.lineno - 1 : node.end_lineno]]


def test_every_equivalent_entry_names_a_line_of_a_function():
    entries = mutation_script().load_equivalents()
    assert len(entries) >= 20
    for e in entries:
        package, *modules, mangled = e["function"].split(".")
        module = ".".join(modules)
        assert package == "dlcalc" and module_file(module).exists(), e["function"]
        lines = function_lines(module, mangled)
        assert lines, f"no function {mangled} in dlcalc.{module}"
        assert e["before"] in lines, f"{e['function']}: no line `{e['before']}`"
        assert e["after"] != e["before"] and len(e["reason"].split()) >= 5, e


def test_the_list_is_read_from_its_block_only():
    script = mutation_script()
    text = (
        "# t\n\n### Equivalent mutants\n\nprose `a` -> `b`\n\n```text\n# a comment\n"
        "dlcalc.core._span.x_f: `a = 1` -> `a = 2` | the value is never read again\n```\n"
    )
    assert script.load_equivalents(text) == [
        {
            "function": "dlcalc.core._span.x_f",
            "before": "a = 1",
            "after": "a = 2",
            "reason": "the value is never read again",
        }
    ]
    with pytest.raises(SystemExit, match=r"^testing\.md:9: expected 'function: `before` -> `after` \| reason'$"):
        script.load_equivalents(text.replace("dlcalc.core._span.x_f: `a = 1`", "dlcalc.core._span.x_f `a = 1`"))
