"""Joint versus separate over a sweep of ε, and the formula bounds, as records (THEORY §5-§8).

The work behind ``dlcalc compare`` (every row encoded, decoded, verified; bounds, gain,
baselines, and optionally the networks and trained networks) and ``dlcalc bounds`` (formulas
only, no instance).  :func:`plan_compare` weighs the whole sweep once; :func:`compare_rows`
yields the rows as they are done; :func:`compare_fit` fits the rates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._errors import BudgetError
from ..coding import CODER_NAMES
from ..core import Budget, HeadSet, Instance
from ..cost import Cost, Step, group_work, network_steps, pipeline_phase, sweep_step
from ..quantize import (
    FormulaBounds,
    QuantizedClass,
    family_bounds,
    fit_slope,
    gain_ratio,
    heads_bounds,
    precision_for,
    theory_exponents,
    true_tables,
)
from ._baselines import baseline_sizes
from ._coding import coder_record, run_pipeline
from ._networks import network_records
from ._plan import Plan, weigh
from ._trained import trained_progress_steps, trained_row, trained_steps

__all__ = [
    "NETWORK_KEYS",
    "RECORD_KEYS",
    "bounds_row",
    "check_bounds",
    "compare_fit",
    "compare_row",
    "compare_rows",
    "depth_capped",
    "fit_rates",
    "plan_compare",
    "progress_steps",
]

RECORD_KEYS = ("payload_bits", "file_bits", "lower_bound_bits", "upper_bound_bits", "max_error", "verified")
NETWORK_KEYS = ("neurons", "nonzero_weights", "network_bits", "max_error", "verified", "construction")


def plan_compare(
    instance: Instance,
    eps_list: Sequence[float],
    budget: Budget,
    baselines: bool = True,
    networks: bool = False,
    trained: bool = False,
    label: str | None = None,
) -> Plan:
    """The instance quantized at every ε of the sweep and the whole sweep weighed, once."""
    compiled: set = set()  # training programs weighed at an earlier ε: compiled once for the sweep

    def phase(qc: QuantizedClass) -> list:
        steps = pipeline_phase(qc, CODER_NAMES, truth=networks, baselines=baselines)
        steps += network_steps(qc, CODER_NAMES) if networks else []
        return steps + (trained_steps(qc, compiled) if trained else [])

    n = len(eps_list)

    def advice(worst: Step) -> str | None:  # what would make the sweep fit, by its largest step
        if worst.name == "baselines":
            return "leave the compressors out with --no-baselines"
        if worst.name.startswith("training") or worst.name in ("compilation", "rounding and certification"):
            return "train at fewer values of ε, as --eps-sweep 2^-1:2^-2 does" if n > 1 else "train a smaller class"
        if "network" in worst.name:
            return "leave the networks out, or give fewer values of ε" if n > 1 else "leave the networks out"
        return "give fewer or larger values of ε (--eps, --eps-sweep)" if n > 1 else None

    what = label or f"compare over {n} value{'s' if n > 1 else ''} of ε"
    rows = sweep_step(n, 0, baselines)  # the rows alone, a lower bound before any class is quantized
    if rows.cells > budget.max_cells:
        Cost([rows]).check(budget, what, advice)
    return weigh(
        instance,
        eps_list,
        budget,
        phase,
        what,
        advice,
        sweep=lambda classes: [sweep_step(len(classes), sum(len(qc.groups) for qc in classes), baselines)],
    )


def progress_steps(trained: bool = False) -> int:
    """Progress steps of one row: the reference, each coder, and the trained networks' ladders."""
    return 1 + len(CODER_NAMES) + (trained_progress_steps() if trained else 0)


def compare_row(
    plan: Plan,
    qclass: QuantizedClass,
    baselines: bool = True,
    networks: bool = False,
    trained: bool = False,
    advance: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """One ε of the plan: both coders encoded, decoded and verified, the gain, the baselines, the networks."""
    results = run_pipeline(plan, CODER_NAMES, qclass, advance)
    row: dict[str, Any] = {"eps": qclass.eps}
    for c, r in results.items():
        rec = coder_record(r)
        row[c] = {k: rec[k] for k in RECORD_KEYS}
    row["gain"] = gain_ratio(row["separate"]["payload_bits"], row["joint"]["payload_bits"])
    truth = true_tables(qclass, plan.instance.feature) if networks or baselines else None
    if networks:
        run = network_records(plan, CODER_NAMES, qclass, tables=truth)
        row["networks"] = {a: {k: run.records[a][k] for k in NETWORK_KEYS} for a in CODER_NAMES}
    if baselines:
        assert truth is not None
        sizes = baseline_sizes(truth)
        row["baselines"] = sizes
        best = min(sizes, key=lambda n: (sizes[n]["joint_bits"], sizes[n]["joint_content_bits"]))
        jb, jf = row["joint"]["payload_bits"], row["joint"]["file_bits"]
        content = sizes[best]["joint_content_bits"]
        row["best_baseline"] = {  # like with like: file against file, content against payload
            "name": best,
            "joint_bits": sizes[best]["joint_bits"],
            "joint_content_bits": content,
            "ratio_to_joint_file": sizes[best]["joint_bits"] / jf if jf else None,
            "ratio_to_joint_payload": content / jb if jb else None,
        }
    row["verified"] = row["joint"]["verified"] and row["separate"]["verified"]
    if networks:
        row["verified"] = row["verified"] and all(n["verified"] for n in row["networks"].values())
    if trained:  # a network that misses ε is a finding, not a failed verification
        row["trained"] = trained_row(plan.at(qclass), advance)
    return row


def compare_rows(
    plan: Plan,
    baselines: bool = True,
    networks: bool = False,
    trained: bool = False,
    advance: Callable[[], None] = lambda: None,
) -> Iterator[dict[str, Any]]:
    """``dlcalc compare`` from Python: the rows of the plan's sweep, one ε at a time, as they are done."""
    for qc in plan.classes:
        yield compare_row(plan, qc, baselines, networks, trained, advance)


def depth_capped(family: dict | None, heads, eps: float, depth: int | None) -> bool:
    """Whether the depth caps the bits at ε (THEORY §4, §8): with one more level the family would
    have heads it lacks, or a sawtooth head's digits run past the depth (``k + p > D``).

    Group by group: the last head of a sawtooth run has the largest ``k``."""
    if depth is None:
        return False
    if family and family_bounds(family["name"], family["beta"], eps, depth + 1) != family_bounds(
        family["name"], family["beta"], eps, depth
    ):
        return True
    groups = HeadSet.of(heads).groups() if heads is not None else []
    return any(
        g.family == "sawtooth" and (p := precision_for(g.amplitude, eps, g.exponent)) is not None and g.last + p > depth
        for g in groups
    )


def fit_rates(eps, joint_bits, sep_bits, family: dict | None, capped: Sequence[bool]) -> dict[str, Any]:
    """Log-log slopes over the rows whose bits the depth does not cap (``capped``: one flag per row)."""
    free = [i for i, c in enumerate(capped) if not c]

    def pick(values):
        return [values[i] for i in free]

    sj, ss = fit_slope(pick(eps), pick(joint_bits)), fit_slope(pick(eps), pick(sep_bits))
    return {
        "joint_slope": sj,
        "separate_slope": ss,
        "joint_exponent": 1 / sj if sj else None,
        "separate_exponent": 1 / ss if ss else None,
        "theory": theory_exponents(family),
        "depth_capped_eps": [e for e, c in zip(eps, capped, strict=True) if c],
    }


def compare_fit(plan: Plan, rows: Sequence[dict]) -> dict[str, Any]:
    """The rate fit of a compare sweep: payload bits against 1/ε, depth-capped rows left out."""
    inst = plan.instance
    eps_list = plan.eps_list
    capped = [depth_capped(inst.family, inst.heads, e, inst.depth) for e in eps_list]
    return fit_rates(
        eps_list,
        [r["joint"]["payload_bits"] for r in rows],
        [r["separate"]["payload_bits"] for r in rows],
        inst.family,
        capped,
    )


def bounds_row(eps: float, family: dict | None, heads: HeadSet | None, depth: int | None) -> FormulaBounds:
    """``dlcalc bounds`` at one ε: the formula bounds of a family, or of explicit heads, no instance."""
    if family is not None:
        return family_bounds(family["name"], family["beta"], eps, depth)
    assert heads is not None
    return heads_bounds(heads, eps, depth)


def check_bounds(eps_count: int, heads: HeadSet | None, budget: Budget, what: str) -> None:
    """Weigh ``dlcalc bounds`` before its first row: one formula evaluation per head group and ε (a
    family is one group per level, counted as one), one cell each and, beyond the first
    :data:`~dlcalc.cost.FREE_GROUPS`, the Python work of a group's step
    (:data:`~dlcalc.cost.GROUP_CELLS`), against ``budget``."""
    groups = len(HeadSet.of(heads).groups()) if heads is not None else 1
    try:
        evaluations = eps_count * max(groups, 1)
        Cost([], [[Step("formula bounds", cells=evaluations + group_work(evaluations))]]).check(budget, what)
    except BudgetError as exc:  # the usual advice to use `dlcalc bounds` does not apply here
        raise BudgetError(str(exc).replace(", or use `dlcalc bounds` for the formula values", "")) from None
