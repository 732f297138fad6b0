"""A command's plan: the instance, its classes quantized once, the cost weighed once (``docs/cost.md``).

Like a query planner, every experiment turns its inputs into one validated :class:`Plan`
before any work: ε becomes part of a :class:`~dlcalc.quantize.QuantizedClass` (checked once,
by the class), the cost of the whole run is weighed once against the budget, and everything
below takes the plan and trusts it: the workers neither quantize again nor weigh again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..core import Budget, Instance
from ..cost import Cost, Step, feature_step
from ..quantize import QuantizedClass

__all__ = ["Plan", "weigh"]


@dataclass(frozen=True)
class Plan:
    """The instance, its class at each ε of the run (in order), the budget and the weighed cost."""

    instance: Instance
    classes: tuple[QuantizedClass, ...]
    budget: Budget
    cost: Cost

    @property
    def qclass(self) -> QuantizedClass:
        """The class of a one-ε run."""
        if len(self.classes) != 1:
            raise ValueError(f"this plan covers {len(self.classes)} values of ε, not one")
        return self.classes[0]

    @property
    def eps(self) -> float:
        return self.qclass.eps

    @property
    def eps_list(self) -> list[float]:
        return [qc.eps for qc in self.classes]

    def at(self, qclass: QuantizedClass) -> Plan:
        """The plan narrowed to one of its classes (already weighed with the others)."""
        if qclass not in self.classes:
            raise ValueError("the class is not one of this plan's")
        return Plan(self.instance, (qclass,), self.budget, self.cost)


def weigh(
    instance: Instance,
    eps: float | Sequence[float],
    budget: Budget,
    phase: Callable[[QuantizedClass], Iterable[Step]],
    what: str,
    advice: Callable[[Step], str | None] | None = None,
    sweep: Callable[[Sequence[QuantizedClass]], Iterable[Step]] | None = None,
) -> Plan:
    """Quantize the instance at each ε once, weigh ``phase(class)`` for every ε (plus the feature, and
    ``sweep(classes)``: work over the whole run) once, and return the plan; a
    :class:`~dlcalc.BudgetError` names the size when it does not fit."""
    eps_list = [eps] if isinstance(eps, (int, float)) else list(eps)
    classes = tuple(QuantizedClass(instance.depth, instance.heads, e) for e in eps_list)
    base = [feature_step(instance.depth), *(sweep(classes) if sweep is not None else [])]
    cost = Cost(base, [list(phase(qc)) for qc in classes])
    cost.check(budget, what, advice)
    return Plan(instance, classes, budget, cost)
