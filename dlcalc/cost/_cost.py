"""The cost model's arithmetic: steps, phases and the check against a budget (THEORY §8; ``docs/cost.md``).

A :class:`Step` is what one piece of work materializes (cells, payload bits, bytes held at
once); a :class:`Cost` is the steps of a command, phase by phase, checked against a
:class:`~dlcalc.core.Budget` before any of it runs.  The steps of the coding pipeline are in
:mod:`dlcalc.cost._coding`, those of the networks in :mod:`dlcalc.cost._networks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .._errors import BudgetError
from ..core._budget import FREE_GROUPS, GROUP_CELLS, Budget, group_work, pow2, readable, readable_bytes, weigh_runs

__all__ = ["Step", "Cost", "GROUP_CELLS", "FREE_GROUPS", "group_work", "group_step", "weigh_runs"]


@dataclass(frozen=True)
class Step:
    """One step's figures: cells and payload bits it materializes, bytes it holds, bytes it needs meanwhile."""

    name: str
    cells: int = 0
    payload_bits: int = 0
    held_bytes: int = 0
    transient_bytes: int = 0


@dataclass
class Cost:
    """The figures of a whole command: steps kept throughout (``base``) and phases run one after another."""

    base: list[Step] = field(default_factory=list)
    phases: list[list[Step]] = field(default_factory=list)

    def steps(self):
        yield from self.base
        for phase in self.phases:
            yield from phase

    @property
    def cells(self) -> int:
        return sum(s.cells for s in self.steps())

    @property
    def payload_bits(self) -> int:
        return sum(s.payload_bits for s in self.steps())

    @property
    def memory_bytes(self) -> int:
        def held(steps) -> int:
            return sum(s.held_bytes for s in steps) + max((s.transient_bytes for s in steps), default=0)

        return held(self.base) + max((held(p) for p in self.phases), default=0)

    def check(self, budget: Budget, what: str, advice: Callable[[Step], str | None] | None = None) -> None:
        """Refuse (:class:`BudgetError`, one line) a command over any budget, naming its largest step.

        ``advice(step)``, given the largest step, may name a smaller request that would fit (a shorter
        sweep, an option that leaves that step out); it comes before the budget option in the message.
        """
        for figure, limit, option, unit in (
            ("cells", budget.max_cells, "--max-cells", "cells"),
            ("payload_bits", budget.max_bits, "--max-bits", "payload bits"),
        ):
            total = getattr(self, figure)
            if total > limit:
                worst = max(self.steps(), key=lambda s: getattr(s, figure))
                raise BudgetError(
                    f"{what} needs {readable(total)} {unit} ({worst.name}: {readable(getattr(worst, figure))}), "
                    f"over the budget of {readable(limit)} ({_advice(advice, worst)}raise {option}, "
                    "or use `dlcalc bounds` for the formula values)"
                )
        memory = self.memory_bytes
        if memory > budget.max_memory:
            worst = max(self.steps(), key=lambda s: s.held_bytes + s.transient_bytes)
            raise BudgetError(
                f"{what} needs about {readable_bytes(memory)} of memory ({worst.name}: "
                f"{readable_bytes(worst.held_bytes + worst.transient_bytes)}), over the budget of "
                f"{readable_bytes(budget.max_memory)} ({_advice(advice, worst)}raise --max-memory, "
                "or use `dlcalc bounds` for the formula values)"
            )


def _advice(advice: Callable[[Step], str | None] | None, worst: Step) -> str:
    """The advice for the largest step, as the start of the parenthesis of a refusal ("" when none)."""
    text = advice(worst) if advice is not None else None
    return f"{text}, or " if text else ""


#: Bytes the Python objects of one group hold, by what holds them (measured with tracemalloc and
#: peak RSS on classes of 10^5 one-head runs, ``docs/cost.md``): the class (the run, its group and
#: quantization, the header or instance entry it was read from, its output record), a set of
#: table blocks, the reference evaluator's group.
CLASS_GROUP_BYTES = 2048
TABLES_GROUP_BYTES = 512
REFERENCE_GROUP_BYTES = 768
#: Bytes of one group's output record (``info``, ``decode``: a row per group), rendered and held
#: until the report is written.
RECORD_GROUP_BYTES = 1024


def group_step(name: str, groups: int, bytes_per_group: int = CLASS_GROUP_BYTES, steps: int = 1) -> Step:
    """``steps`` walks over ``groups`` groups, holding ``bytes_per_group`` each: work no table counts."""
    return Step(name, cells=steps * group_work(groups), held_bytes=groups * bytes_per_group)


def _packed(level: int) -> int:
    """Bytes of one packed row of ``2^level`` bits."""
    return pow2(max(level - 3, 0))


def _uint_bytes(bits: int) -> int:
    for size in (1, 2, 4, 8):
        if bits <= 8 * size:
            return size
    return 8
