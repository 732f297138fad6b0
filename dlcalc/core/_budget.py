"""Budgets and the figures they bound, in exact integer arithmetic (THEORY §8).

Three budgets bound a command (``docs/cost.md``):

- ``max_cells``: table cells, evaluation points and exported values it materializes,
  totalled over the whole command;
- ``max_bits``: payload bits it encodes or decodes, totalled over the whole command;
- ``max_memory``: bytes it holds at once (an upper estimate of its peak).

Figures are exact Python integers computed from bit lengths: a term ``count · 2^level``
is formed only while ``level`` is below :data:`SATURATION_LEVEL`; beyond, it saturates
at ``2^SATURATION_LEVEL``, above every budget, so a hostile depth or head index never
makes the model itself build a huge integer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BLOCK_LEVEL",
    "Budget",
    "DEFAULT_MAX_CELLS",
    "DEFAULT_MAX_BITS",
    "DEFAULT_MAX_MEMORY",
    "SATURATION_LEVEL",
    "GROUP_CELLS",
    "FREE_GROUPS",
    "group_work",
    "weigh_runs",
    "pow2",
    "scaled",
    "readable",
    "readable_bytes",
]

#: Default budget on cells a command materializes, in total: 2^34.
DEFAULT_MAX_CELLS = 1 << 34
#: Default budget on payload bits a command encodes or decodes, in total: 2^32.
DEFAULT_MAX_BITS = 1 << 32
#: Default budget on the bytes a command holds at once: 4 GiB.
DEFAULT_MAX_MEMORY = 4 << 30
#: Level of the blocks of cells the reference evaluator works in (``2^22`` cells at a time), so that
#: its temporaries are bounded; the cost model counts the same blocks.
BLOCK_LEVEL = 22
#: Exponent at which figures saturate (far above any budget).
SATURATION_LEVEL = 4096
_SATURATED = 1 << SATURATION_LEVEL


def pow2(level: int) -> int:
    """``2^level`` exactly, or the saturated figure for ``level >= SATURATION_LEVEL`` (never built)."""
    return 1 << level if level < SATURATION_LEVEL else _SATURATED


def scaled(count: int, level: int) -> int:
    """``count · 2^level``, saturating like :func:`pow2` (decided on bit lengths)."""
    if count <= 0:
        return 0
    if count.bit_length() + level > SATURATION_LEVEL:
        return _SATURATED
    return count << level


#: Cell equivalents of the Python work one group of heads (a family level, a run of explicit
#: heads) takes in one step that walks the groups: parsing its run, quantizing it, building or
#: checking its table block, writing its record.  Measured at 30-300 µs a group and step, as long
#: as 2^14 cells of numpy work take (4-6 ns a cell on the benchmark machine, ``docs/cost.md``).
GROUP_CELLS = 1 << 14
#: Groups a step walks before their work is counted: the first ones cost less than the
#: interpreter's own start-up, which the model does not count either.
FREE_GROUPS = 1024


def group_work(groups: int) -> int:
    """Cell equivalents of one step's work over ``groups`` groups (:data:`GROUP_CELLS` each beyond the free ones)."""
    return max(groups - FREE_GROUPS, 0) * GROUP_CELLS


def weigh_runs(runs: int, max_cells: int, what: str, name: str, steps: int) -> None:
    """Refuse (:class:`~dlcalc.BudgetError`, the budget's one line) a list of ``runs`` runs of heads whose
    per-group work alone is over ``max_cells``, before any run is built: each run is at least one group,
    walked ``steps`` times."""
    need = steps * group_work(runs)
    if need > max_cells:
        from .._errors import BudgetError

        raise BudgetError(
            f"{what} needs {readable(need)} cells ({name}: {runs} runs), over the budget of "
            f"{readable(max_cells)} (raise --max-cells, or use `dlcalc bounds` for the formula values)"
        )


def readable(amount: int) -> str:
    """A figure people can read: ``2^40``, ``≈1.2e9``, or the number itself below a million.

    >>> readable(1 << 40), readable(1_234_567_890), readable(4095), readable(1 << 5000)
    ('2^40', '≈1.2e9', '4095', 'more than 2^4096')
    """
    if amount >= _SATURATED:
        return f"more than 2^{SATURATION_LEVEL}"
    if amount > 0 and amount & (amount - 1) == 0 and amount >= 1024:
        return f"2^{amount.bit_length() - 1}"
    if amount < 1_000_000:
        return str(amount)
    digits = str(amount)
    mantissa = round(int(digits[:3]) / 100, 1)
    exponent = len(digits) - 1
    if mantissa >= 10:
        mantissa, exponent = 1.0, exponent + 1
    return f"≈{mantissa:g}e{exponent}"


def readable_bytes(amount: int) -> str:
    """Bytes in binary units: ``4.0 GiB``, ``512 MiB``.

    >>> readable_bytes(4 << 30), readable_bytes(3 << 19), readable_bytes(100)
    ('4 GiB', '1.5 MiB', '100 bytes')
    """
    if amount >= _SATURATED:
        return f"more than 2^{SATURATION_LEVEL} bytes"
    for unit, shift in (("EiB", 60), ("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if amount >= 1 << shift:
            value = amount / (1 << shift)
            if value >= 1 << 20:
                return f"{readable(amount)} bytes"
            return f"{value:.3g} {unit}"
    return f"{amount} bytes"


@dataclass(frozen=True)
class Budget:
    """What a command may materialize (module docstring); ``dlcalc.cost._cost.Cost.check`` refuses what exceeds it."""

    max_cells: int = DEFAULT_MAX_CELLS
    max_bits: int = DEFAULT_MAX_BITS
    max_memory: int = DEFAULT_MAX_MEMORY

    @classmethod
    def of(cls, budget: Budget | None = None, max_cells: int | None = None, max_bits: int | None = None) -> Budget:
        """A budget, with ``max_cells``/``max_bits`` overriding the given (or default) one."""
        base = budget or cls()
        return cls(
            base.max_cells if max_cells is None else max_cells,
            base.max_bits if max_bits is None else max_bits,
            base.max_memory,
        )
