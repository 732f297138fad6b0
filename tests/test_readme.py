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


def test_readme_library_example_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "63 1365"
    assert printed[1] == "True 0.015625"
    assert (tmp_path / "inst.dlc").read_bytes().startswith(b"\x89DLC")


def test_readme_study_example_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[1]
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "[1, 3, 7, 15, 31, 63]"
    assert printed[1] == "1.17 2.07"
