"""The README's set-up commands are exactly what CI runs."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_commands_are_in_ci():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(first_block) == 2 and first_block[0].startswith("pip install") and "pytest" in first_block[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in first_block:
        assert command in ci
