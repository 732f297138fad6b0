"""The instance a command works on, and its budget: each gathered by one decorator into one value.

:func:`instance_options` turns ``[INSTANCE] --depth --seed --head --family --beta``
into one :class:`InstanceSpec` passed as ``spec``; :func:`budget_options` turns
``--max-cells --max-bits --max-memory`` into one :class:`~dlcalc.Budget` passed as
``budget`` (THEORY §2-§3, §8).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

import click

from .. import DEFAULT_MAX_BITS, DEFAULT_MAX_CELLS, DEFAULT_MAX_MEMORY, Budget, DlcalcError, Instance
from .._errors import FormatError
from .._headset import FAMILY_NAMES, Family, HeadSet
from .._heads import parse_head_run
from .._instance import MAX_INSTANCE_BYTES
from ._common import InputError
from ._files import read_input
from ._output import format_head, format_number
from ._params import NumberType

DEFAULT_INSTANCE = {"family": "walsh-all", "beta": 1.0, "depth": 10, "seed": 0}


class ByteSizeType(click.ParamType):
    """A byte count: ``4GiB``, ``512MiB``, ``1e9`` or a plain integer."""

    name = "bytes"
    _UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
              "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().replace(" ", "")
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(number):]
        try:
            amount = float(number) * self._UNITS[unit]
        except (ValueError, KeyError):
            self.fail(f"{value!r} is not a size such as 4GiB, 512MiB or 1e9", param, ctx)
        if not 1 <= amount < 2**63:
            self.fail(f"{value!r} must be at least one byte", param, ctx)
        return int(amount)


class CountType(click.ParamType):
    """A positive count: ``67108864``, ``2^26`` or ``1e9``."""

    name = "count"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip()
        try:
            if "^" in text:
                base, _, exp = text.partition("^")
                amount = int(base) ** int(exp)
            elif text.isdigit():
                amount = int(text)
            else:
                amount = float(text)
                if not amount.is_integer():
                    raise ValueError
                amount = int(amount)
        except (ValueError, OverflowError):
            self.fail(f"{value!r} is not a count such as 67108864, 2^26 or 1e9", param, ctx)
        if not 1 <= amount < 2**63:
            self.fail(f"{value!r} must be between 1 and 2^63 - 1", param, ctx)
        return amount


def budget_options(f: Callable) -> Callable:
    """``--max-cells``, ``--max-bits`` and ``--max-memory``, passed on as one ``budget`` (``docs/cost.md``)."""

    @functools.wraps(f)
    def wrapper(*args, max_cells, max_bits, max_memory, **kwargs):
        return f(*args, budget=Budget(max_cells, max_bits, max_memory), **kwargs)

    opts = [
        click.option("--max-cells", type=CountType(), default=DEFAULT_MAX_CELLS, show_default="2^34",
                     help="Refuse up front a command that would materialize more cells than this, in total."),
        click.option("--max-bits", type=CountType(), default=DEFAULT_MAX_BITS, show_default="2^32",
                     help="Refuse up front a command that would encode or decode more payload bits than this, in total."),
        click.option("--max-memory", type=ByteSizeType(), default=DEFAULT_MAX_MEMORY, show_default="4GiB",
                     help="Refuse up front a command that would hold more bytes than this at once (e.g. 8GiB)."),
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
                raise InputError("give either an INSTANCE file or inline options (--depth/--seed/--head/--family/--beta), not both")
            data = read_input(self.path, MAX_INSTANCE_BYTES, "instance")
            try:
                parsed = json.loads(data)
            except (ValueError, RecursionError):
                raise FormatError(f"instance {self.path}: not valid JSON") from None
            if isinstance(parsed, dict) and isinstance(parsed.get("instance"), dict) and "dlcalc" not in parsed:
                parsed = parsed["instance"]  # a command's JSON output carries its instance
            try:
                return Instance.from_dict(parsed, max_cells=max_cells)
            except DlcalcError as exc:
                raise type(exc)(f"instance {self.path}: {exc}") from None
        depth = DEFAULT_INSTANCE["depth"] if self.depth is None else self.depth
        return Instance.build(depth, self.head_set(depth),
                              seed=DEFAULT_INSTANCE["seed"] if self.seed is None else self.seed, max_cells=max_cells)

    def head_set(self, depth: int) -> HeadSet:
        """The heads of the inline options (the family first), or the default family."""
        if self.beta is not None and self.family is None:
            raise InputError("--beta needs --family")
        runs = [parse_head_run(spec) for spec in self.heads]
        if self.family is not None:
            family = Family(self.family, 1.0 if self.beta is None else self.beta, depth)
        elif not runs:
            family = Family(DEFAULT_INSTANCE["family"], DEFAULT_INSTANCE["beta"], depth)
        else:
            family = None
        return HeadSet(family, runs)


def instance_options(f: Callable) -> Callable:
    """``[INSTANCE]`` or inline ``--depth/--seed/--head/--family/--beta``, passed on as one ``spec`` (THEORY §2-§3)."""

    @functools.wraps(f)
    def wrapper(*args, instance, depth, seed, heads, family, beta, **kwargs):
        return f(*args, spec=InstanceSpec(instance, depth, seed, tuple(heads), family, beta), **kwargs)

    opts = [
        click.argument("instance", required=False, metavar="[INSTANCE]"),
        click.option("--depth", "-d", type=click.IntRange(min=0), default=None, help="Depth D of the shared feature [default: 10]."),
        click.option("--seed", "-s", type=click.IntRange(min=0), default=None, help="Seed of the flip bits [default: 0]."),
        click.option(
            "--head", "heads", multiple=True, metavar="SPEC",
            help="Head spec, repeatable: walsh:5, walsh:1-63, sawtooth:0-4@0.25.",
        ),
        click.option("--family", type=click.Choice(FAMILY_NAMES), default=None, help="Family shortcut: all Walsh or sawtooth heads up to the depth."),
        click.option("--beta", type=NumberType(), default=None, help="Decay of the family's amplitudes [default: 1]."),
    ]
    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper


def instance_summary(inst: Instance) -> str:
    """``depth 10, seed 0, walsh-all β=1, sawtooth:0-2@2^-1: 1026 heads``."""
    heads = inst.heads
    parts = [f"{heads.family.name} β={format_number(heads.family.beta)}"] if heads.family else []
    parts += [format_head(run.spec) for run in heads.runs[:4]] + ([f"… {len(heads.runs) - 4} more runs"] if len(heads.runs) > 4 else [])
    seed = inst.seed if inst.seed is not None else "explicit flips"
    return f"depth {inst.depth}, seed {seed}, {', '.join(parts)}: {format_number(len(heads))} heads"
