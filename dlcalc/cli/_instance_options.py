"""The instance a command works on: a file, inline options, or the built-in default (THEORY §2-§3)."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from .. import DEFAULT_MAX_CELLS, DlcalcError, Instance, family_heads, parse_heads
from .._errors import FormatError
from .._instance import FAMILY_NAMES, MAX_INSTANCE_BYTES
from ._common import InputError
from ._files import read_input
from ._output import format_number
from ._params import NumberType

DEFAULT_INSTANCE = {"family": "walsh-all", "beta": 1.0, "depth": 10, "seed": 0}

def max_cells_option(f: Callable) -> Callable:
    return click.option(
        "--max-cells",
        type=click.IntRange(min=1),
        default=DEFAULT_MAX_CELLS,
        show_default=True,
        help="Refuse up front any work that would materialize more cells or flip bits than this.",
    )(f)


def instance_options(f: Callable) -> Callable:
    """``[INSTANCE]`` or inline ``--depth/--seed/--head/--family/--beta`` (THEORY §2-§3)."""
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
        max_cells_option,
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def heads_from_options(heads: tuple[str, ...], family: str | None, beta: float | None, depth: int | None):
    """Heads and family record from inline options; None if none were given."""
    if not heads and family is None:
        if beta is not None:
            raise InputError("--beta needs --family")
        return None, None
    out = []
    fam = None
    if family is not None:
        b = 1.0 if beta is None else beta
        out += family_heads(family, b, DEFAULT_INSTANCE["depth"] if depth is None else depth)
        fam = {"name": family, "beta": b}
    elif beta is not None:
        raise InputError("--beta needs --family")
    for spec in heads:
        out += parse_heads(spec)
    return out, fam


def load_instance(instance, depth, seed, heads, family, beta, max_cells) -> Instance:
    """The instance a command works on: a file (``-`` for stdin), inline options, or the default."""
    if instance is not None:
        if heads or family or depth is not None or seed is not None or beta is not None:
            raise InputError("give either an INSTANCE file or inline options (--depth/--seed/--head/--family/--beta), not both")
        data = read_input(instance, MAX_INSTANCE_BYTES, "instance")
        try:
            parsed = json.loads(data)
        except (ValueError, RecursionError):
            raise FormatError(f"instance {instance}: not valid JSON") from None
        if isinstance(parsed, dict) and isinstance(parsed.get("instance"), dict) and "dlcalc" not in parsed:
            parsed = parsed["instance"]  # a command's JSON output carries its instance
        try:
            return Instance.from_dict(parsed, max_cells=max_cells)
        except DlcalcError as exc:
            raise type(exc)(f"instance {instance}: {exc}") from None
    head_list, fam = heads_from_options(heads, family, beta, depth)
    if head_list is None:
        d = DEFAULT_INSTANCE["depth"] if depth is None else depth
        head_list = family_heads(DEFAULT_INSTANCE["family"], DEFAULT_INSTANCE["beta"], d)
        fam = {"name": DEFAULT_INSTANCE["family"], "beta": DEFAULT_INSTANCE["beta"]}
    return Instance.build(
        DEFAULT_INSTANCE["depth"] if depth is None else depth,
        head_list,
        seed=DEFAULT_INSTANCE["seed"] if seed is None else seed,
        family=fam,
        max_cells=max_cells,
    )


def instance_summary(inst: Instance) -> str:
    fam = inst.family
    what = f"{fam['name']} β={format_number(fam['beta'])}, " if fam else ""
    return f"depth {inst.depth}, seed {inst.seed if inst.seed is not None else 'explicit flips'}, {what}{len(inst.heads)} heads"
