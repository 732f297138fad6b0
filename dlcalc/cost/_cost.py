"""The cost model's arithmetic: steps, phases and the check against a budget (THEORY §8; ``docs/cost.md``).

A :class:`Step` is what one piece of work materializes (cells, payload bits, bytes held at
once); a :class:`Cost` is the steps of a command, phase by phase, checked against a
:class:`~dlcalc.core.Budget` before any of it runs.  The steps of the coding pipeline are in
:mod:`dlcalc.cost._coding`, those of the networks in :mod:`dlcalc.cost._networks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import BudgetError
from ..core._budget import Budget, pow2, readable, readable_bytes

__all__ = ["Step", "Cost"]


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

    def check(self, budget: Budget, what: str) -> None:
        """Refuse (:class:`BudgetError`, one line) a command over any budget, naming its largest step."""
        for figure, limit, option, unit in (
            ("cells", budget.max_cells, "--max-cells", "cells"),
            ("payload_bits", budget.max_bits, "--max-bits", "payload bits"),
        ):
            total = getattr(self, figure)
            if total > limit:
                worst = max(self.steps(), key=lambda s: getattr(s, figure))
                raise BudgetError(
                    f"{what} needs {readable(total)} {unit} ({worst.name}: {readable(getattr(worst, figure))}), "
                    f"over the budget of {readable(limit)} "
                    f"(raise {option}, or use `dlcalc bounds` for the formula values)"
                )
        memory = self.memory_bytes
        if memory > budget.max_memory:
            worst = max(self.steps(), key=lambda s: s.held_bytes + s.transient_bytes)
            raise BudgetError(
                f"{what} needs about {readable_bytes(memory)} of memory ({worst.name}: "
                f"{readable_bytes(worst.held_bytes + worst.transient_bytes)}), over the budget of "
                f"{readable_bytes(budget.max_memory)} "
                "(raise --max-memory, or use `dlcalc bounds` for the formula values)"
            )


def _packed(level: int) -> int:
    """Bytes of one packed row of ``2^level`` bits."""
    return pow2(max(level - 3, 0))


def _uint_bytes(bits: int) -> int:
    for size in (1, 2, 4, 8):
        if bits <= 8 * size:
            return size
    return 8
