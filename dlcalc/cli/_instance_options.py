"""The instance a command works on, and its budget: each gathered by one decorator into one value.

:func:`instance_options` turns ``[INSTANCE] --depth --seed --head --family --beta``
into one :class:`InstanceSpec` passed as ``spec``; :func:`budget_options` turns
``--max-cells --max-bits --max-memory`` into one :class:`~dlcalc.Budget` passed as
``budget`` (THEORY §2-§3, §8).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import click

from .. import DEFAULT_MAX_BITS, DEFAULT_MAX_CELLS, DEFAULT_MAX_MEMORY, Budget, DlcalcError, FormatError, Instance
from ..core import (
    FAMILY_NAMES,
    MAX_INSTANCE_BYTES,
    MAX_SEED,
    Family,
    HeadSet,
    check_depth_budget,
    parse_head_run,
    strict_json_loads,
    weigh_runs,
)
from ._common import InputError
from ._complete import complete_paths
from ._inputs import read_input
from ._params import ByteSizeType, CountType, IntType, NumberType
from ._style import format_eps, format_head, format_number
from ._tables import Column

#: The built-in default instance: walsh-all, β = 1, depth 10, seed 0.
DEFAULT_FAMILY, DEFAULT_BETA, DEFAULT_DEPTH, DEFAULT_SEED = "walsh-all", 1.0, 10, 0


#: The columns of an instance's head groups (``info``; ``build`` shows the first four).
HEAD_COLUMNS = [
    Column("head", "heads", "left", render=format_head),
    Column("count", "count", priority=2),
    Column("family", "family", "left", priority=3),
    Column("amplitude", "amplitude", render=format_eps, priority=2),
    Column(
        "levels",
        "levels read",
        "left",
        priority=1,
        note="{header}: the feature levels (1 … depth) the row's heads depend on",
    ),
    Column(
        "exact_level",
        "exact on level",
        priority=1,
        note="{header} L: on every dyadic cell of width 2^-L each head of the row is constant (Walsh) "
        "or affine (sawtooth), so a table at level L holds it exactly",
    ),
]

#: Under a list of head groups: what a row is.
GROUPS_NOTE = (
    "one row per group: the Walsh heads of one top level (walsh:4-7 are the heads whose highest level is 3, "
    "so walsh:1-7 is three rows, levels 1, 2 and 3), or a run of sawtooth heads"
)


def budget_options(f: Callable) -> Callable:
    """``--max-cells``, ``--max-bits`` and ``--max-memory``, passed on as one ``budget`` (``docs/cost.md``)."""

    @functools.wraps(f)
    def wrapper(*args, max_cells, max_bits, max_memory, **kwargs):
        return f(*args, budget=Budget(max_cells, max_bits, max_memory), **kwargs)

    opts = [
        click.option(
            "--max-cells",
            type=CountType(),
            default=DEFAULT_MAX_CELLS,
            show_default="2^34",
            help="Refuse up front a command that would materialize more cells than this, in total.",
        ),
        click.option(
            "--max-bits",
            type=CountType(),
            default=DEFAULT_MAX_BITS,
            show_default="2^32",
            help="Refuse up front a command that would encode or decode more payload bits than this, in total.",
        ),
        click.option(
            "--max-memory",
            type=ByteSizeType(),
            default=DEFAULT_MAX_MEMORY,
            show_default="4GiB",
            help="Refuse up front a command that would hold more bytes than this at once (e.g. 8GiB).",
        ),
    ]
    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


@dataclass(frozen=True)
class InstanceSpec:
    """Where a command's instance comes from: a file (``-`` for stdin), inline options, or the default."""

    path: str | None = None
    depth: int | None = None
    seed: int | None = None
    heads: tuple[str, ...] = ()
    family: str | None = None
    beta: float | None = None

    def load(self, budget: Budget | None = None) -> Instance:
        """The instance (its flip bits are drawn later, on first use)."""
        max_cells = (budget or Budget()).max_cells
        if self.path is not None:
            if self.heads or self.family or self.depth is not None or self.seed is not None or self.beta is not None:
                raise InputError(
                    "give either an INSTANCE file or inline options (--depth/--seed/--head/--family/--beta), not both"
                )
            data = read_input(self.path, MAX_INSTANCE_BYTES, "instance", starts_with=b"{")
            name = "stdin" if self.path == "-" else self.path
            # every run is a JSON object: the braces bound the runs before the parser builds one object for each
            runs = max(data.count(b"{") - 1, 0)
            weigh_runs(runs, max_cells, f"loading instance {name}", "its runs, read and merged", 2)
            try:
                parsed = strict_json_loads(data, f"instance {name}")
            except DlcalcError as exc:
                raise FormatError(str(exc)) from None
            if isinstance(parsed, dict) and isinstance(parsed.get("instance"), dict) and "dlcalc" not in parsed:
                parsed = parsed["instance"]  # a command's JSON output carries its instance
            try:
                return Instance.from_dict(parsed, max_cells=max_cells)
            except DlcalcError as exc:
                raise type(exc)(f"instance {name}: {exc}") from None
        depth = DEFAULT_DEPTH if self.depth is None else self.depth
        check_depth_budget(depth, max_cells)  # before a family is made for that depth
        return Instance.build(
            depth,
            self.head_set(depth),
            seed=DEFAULT_SEED if self.seed is None else self.seed,
            max_cells=max_cells,
        )

    def head_set(self, depth: int) -> HeadSet:
        """The heads of the inline options (the family first), or the default family."""
        if self.beta is not None and self.family is None:
            raise InputError("--beta needs --family")
        runs = [parse_head_run(spec) for spec in self.heads]
        if self.family is not None:
            family = Family(self.family, 1.0 if self.beta is None else self.beta, depth)
        elif not runs:
            family = Family(DEFAULT_FAMILY, DEFAULT_BETA, depth)
        else:
            family = None
        return HeadSet(family, runs)


def instance_options(f: Callable) -> Callable:
    """``[INSTANCE]`` or inline ``--depth/--seed/--head/--family/--beta``, passed on as one ``spec`` (THEORY §2-§3)."""

    @functools.wraps(f)
    def wrapper(*args, instance, depth, seed, heads, family, beta, **kwargs):
        return f(*args, spec=InstanceSpec(instance, depth, seed, tuple(heads), family, beta), **kwargs)

    opts = [
        click.argument("instance", required=False, metavar="[INSTANCE]", shell_complete=complete_paths(".json")),
        click.option(
            "--depth", "-d", type=IntType(min=0), default=None, help="Depth D of the shared feature [default: 10]."
        ),
        click.option(
            "--seed",
            "-s",
            type=IntType(min=0, max=MAX_SEED),
            default=None,
            help="Seed of the flip bits, below 2^128 [default: 0].",
        ),
        click.option(
            "--head",
            "heads",
            multiple=True,
            metavar="SPEC",
            help="Head spec, repeatable: walsh:5, walsh:1-63, sawtooth:0-4@0.25.",
        ),
        click.option(
            "--family",
            type=click.Choice(FAMILY_NAMES),
            default=None,
            help="Family shortcut: all Walsh or sawtooth heads up to the depth.",
        ),
        click.option("--beta", type=NumberType(), default=None, help="Decay of the family's amplitudes [default: 1]."),
    ]
    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


def instance_summary(inst: Instance) -> str:
    """``depth 10, seed 0, walsh-all β=1, sawtooth:0-2@2^-1: 1026 heads``."""
    heads = inst.heads
    parts = [f"{heads.family.name} β={format_number(heads.family.beta)}"] if heads.family else []
    parts += [format_head(run.spec) for run in heads.runs[:4]] + (
        [f"… {len(heads.runs) - 4} more run{'s' if len(heads.runs) > 5 else ''}"] if len(heads.runs) > 4 else []
    )
    seed = inst.seed if inst.seed is not None else "explicit flips"
    count = "1 head" if len(heads) == 1 else f"{format_number(len(heads))} heads"
    return f"depth {inst.depth}, seed {seed}, {', '.join(parts)}: {count}"
