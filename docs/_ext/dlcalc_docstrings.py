"""A griffe extension for the API reference (mkdocs.yml): dlcalc's docstrings follow the numpy style
with reST inline markup, which mkdocstrings renders as Markdown. Before rendering, it rewrites

- cross-references ``:func:`name```, ``:class:`~dlcalc.core.Budget``` (and ``meth``, ``attr``, ``data``,
  ``mod``) into links to the public name the reference shows (``dlcalc.core.Budget`` rather than
  ``dlcalc.core._budget.Budget``), or into plain code when the target is not shown (a private module);
- ``:math:`x``` into code;
- doctest blocks (``>>>`` and their output) outside an ``Examples`` section into ``pycon`` code blocks;
- in a package's docstring, the table of contents (a heading line, then the names indented under it)
  into a list.

It also leaves out of the reference the special members of classes that have no docstring of their
own (``__eq__``, ``__repr__``, ``__slots__``...): with ``filters: public`` they would be listed.

The docstrings themselves stay as they are: ``help()`` and the doctests read them unchanged.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

PUBLIC_PACKAGES = ("core", "quantize", "coding", "verify", "cost", "networks", "training", "study")
ROLE = re.compile(r":(func|class|meth|attr|data|mod|obj|exc|math):`([^`]+)`")
SECTION_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


class DlcalcDocstrings(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "dlcalc":
            return
        self.root = pkg
        self.public = _public_paths(pkg)
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = self._rewrite(obj.docstring.value, obj)
            if obj.is_class:
                for name, member in obj.members.items():
                    if name.startswith("__") and name.endswith("__") and not member.is_alias and not member.docstring:
                        member.public = False

    def _rewrite(self, text: str, obj: griffe.Object) -> str:
        text = _fence_doctests(text)
        if obj.is_module and obj.is_init_module:
            text = _contents_list(text)

        def link(match: re.Match[str]) -> str:
            role, target = match.groups()
            if role == "math":
                return f"`{target}`"
            shown = target.lstrip("~.").rsplit(".", 1)[-1] if target.startswith("~") else target
            path = self._public_path(target.lstrip("~"), obj)
            return f"[`{shown}`][{path}]" if path else f"`{shown}`"

        return ROLE.sub(link, text)

    def _public_path(self, target: str, obj: griffe.Object) -> str | None:
        """The identifier under which the reference shows ``target`` (as written in ``obj``'s docstring)."""
        found = self._find(target, obj)
        if found is None:
            return None
        if found.is_alias:
            try:
                found = found.final_target
            except griffe.AliasResolutionError:
                return None
        if found.path in self.public:
            return self.public[found.path]
        parent = found.parent
        if found.is_module or parent is None or found.name.startswith("_") or parent.path not in self.public:
            return None
        if found.docstring is None:  # members without a docstring are not shown
            return None
        return f"{self.public[parent.path]}.{found.name}"

    def _find(self, target: str, obj: griffe.Object) -> griffe.Object | griffe.Alias | None:
        if target.startswith("."):  # relative to the docstring's module
            module = obj if obj.is_module else obj.module
            target = module.path + target if module.is_init_module else module.parent.path + target
        first, _, rest = target.partition(".")
        scopes = [obj] + ([obj.parent] if obj.parent is not None else [])
        for scope in scopes:  # a member of the object itself, or of its class or module
            if not scope.is_alias and first in scope.members:
                return _descend(scope.members[first], rest)
        if target.startswith("dlcalc"):
            return _descend(self.root, target.partition(".")[2])
        try:
            path = obj.resolve(first)
        except (griffe.NameResolutionError, AttributeError):
            return None
        if not path.startswith("dlcalc"):
            return None
        return _descend(self.root, ".".join(p for p in (path.partition(".")[2], rest) if p))


def _descend(obj: Any, dotted: str) -> Any:
    for name in filter(None, dotted.split(".")):
        try:
            if obj.is_alias:
                obj = obj.final_target
            obj = obj.members[name]
        except (KeyError, griffe.AliasResolutionError):
            return None
    return obj


def _public_paths(pkg: griffe.Module) -> dict[str, str]:
    """Canonical path -> the public path shown: a subpackage's export first, then the top level's."""
    public: dict[str, str] = {}
    packages = [pkg.members[name] for name in PUBLIC_PACKAGES if name in pkg.members] + [pkg]
    for package in packages:
        public.setdefault(package.path, package.path)
        for name in package.exports or ():
            member = package.members.get(name)
            if member is None:
                continue
            try:
                target = member.final_target if member.is_alias else member
            except griffe.AliasResolutionError:
                continue
            public.setdefault(target.path, f"{package.path}.{name}")
    return public


def _walk(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def _fence_doctests(text: str) -> str:
    """Wrap each doctest block (a ``>>>`` line to the next blank line) in a ``pycon`` code fence,
    except in an ``Examples`` section, which the numpy parser already renders as code."""
    lines = text.split("\n")
    out: list[str] = []
    in_examples = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and SECTION_UNDERLINE.match(lines[i + 1]) and line.strip():
            in_examples = line.strip() == "Examples"
        if line.lstrip().startswith(">>>") and not in_examples:
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _contents_list(text: str) -> str:
    """A heading line with indented lines under it becomes one item: ``- **heading**: the lines``."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() and not line[0].isspace() and i + 1 < len(lines) and lines[i + 1].startswith("    "):
            body = []
            i += 1
            while i < len(lines) and lines[i].startswith("    ") and lines[i].strip():
                body.append(lines[i].strip())
                i += 1
            out.append(f"- **{line.strip()}**: {' '.join(body)}")
            continue
        out.append(line)
        i += 1
    return "\n".join(out)
