"""The coders on an instance or a file, as records: quantize, encode, decode, verify (THEORY §4-§6).

The work behind ``dlcalc quantize``, ``encode``, ``decode`` and ``verify`` and the coder
columns of ``compare``.  Records list heads in groups (a family level, or a run of explicit
heads), so their size follows the groups, not the nominal number of heads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..coding import (
    CODER_NAMES,
    CoderResult,
    Container,
    Decoded,
    Verification,
    class_mismatch,
    iter_containers,
    reference_of,
    run_class,
    verify,
)
from ..core import Budget, Instance
from ..cost import Cost, class_step, decode_steps, export_step, feature_step, pipeline_phase, verify_step
from ..quantize import GroupQuantization, QuantizedClass, gain_ratio
from ._plan import Plan, weigh

__all__ = [
    "CODER_NAMES",
    "EncodeRun",
    "check_record",
    "coder_record",
    "decode_record",
    "encode_run",
    "read_files",
    "group_record",
    "plan_encode",
    "quantize_records",
    "run_pipeline",
    "verify_decoded",
    "verify_record",
]


def group_record(q: GroupQuantization, depth: int) -> dict[str, Any]:
    """What every command says about a group of heads: spec, count, quantization, levels, bits alone."""
    table_level, approximant_level = q.table_levels(depth)
    return {
        "head": q.group.spec,
        "count": q.count,
        "precision": q.precision,
        "zero": q.zero,
        "levels": q.levels_paid(depth),
        "payload_bits": q.separate_bits(depth),
        "lower_bound_bits": q.separate_bits(depth, lower=True),
        "table_level": table_level,
        "approximant_level": approximant_level,
    }


def quantize_records(instance: Instance, eps: float, budget: Budget | None = None) -> list[dict[str, Any]]:
    """``dlcalc quantize``: every group's quantization, requirement set and exact quantization error; the
    class quantized once and its groups weighed (nothing sized by the class is materialized)."""
    qclass = QuantizedClass(instance.depth, instance.heads, eps)
    Cost([class_step(instance.heads, "the heads")]).check(budget or Budget(), f"quantizing at ε = {eps:g}")
    depth = qclass.depth
    return [
        dict(group_record(q, depth), requirement_set=q.requirement_levels(depth), error=q.quantization_error)
        for q in qclass.groups
    ]


def check_record(q: GroupQuantization, verdict, coder: str, depth: int) -> dict[str, Any]:
    """A group's line in a coder record: its quantization, its bits, and how the reference judged it."""
    rec = group_record(q, depth)
    return {
        "head": rec["head"],
        "count": rec["count"],
        "precision": rec["precision"],
        "zero": rec["zero"],
        "payload_bits": rec["payload_bits"] if coder == "separate" else None,
        "levels": rec["levels"],
        "error": verdict.max_error,
        "table_equal": bool(verdict.equal.all()),
        "unequal": int((~verdict.equal).sum()),
    }


def coder_record(result: CoderResult) -> dict[str, Any]:
    """The JSON record of one coder run (``docs/json.md``, "encode")."""
    v = result.verification
    depth = result.qclass.depth
    return {
        "coder": result.coder,
        "eps": result.eps,
        "payload_bits": result.payload_bits,
        "file_bits": result.file_bits,
        "lower_bound_bits": result.bounds.lower_bound_bits,
        "upper_bound_bits": result.bounds.upper_bound_bits,
        "max_error": v.max_error,
        "verified": v.verified,
        "zero_heads": result.qclass.zero_heads,
        "heads": [
            check_record(q, verdict, result.coder, depth)
            for q, verdict in zip(result.qclass.groups, v.verdicts, strict=True)
        ],
    }


def plan_encode(
    instance: Instance, eps: float, coders: Sequence[str], budget: Budget, label: str | None = None
) -> Plan:
    """The instance quantized at ε and the coders' whole pipeline (shared reference included) weighed, once."""
    return weigh(instance, eps, budget, lambda qc: pipeline_phase(qc, coders), label or f"encode at ε = {eps:g}")


def run_pipeline(
    plan: Plan, coders: Sequence[str], qclass: QuantizedClass | None = None, advance: Callable[[], None] = lambda: None
) -> dict[str, CoderResult]:
    """The reference once, then each coder on the plan's class (or ``qclass``, one of its classes): encode,
    decode from the bytes, verify; one ``advance`` for the reference and one per coder."""
    qclass = qclass or plan.qclass
    reference = reference_of(plan.instance, qclass)
    advance()
    results = {}
    for c in coders:
        results[c] = run_class(plan.instance, qclass, c, reference, plan.budget)
        advance()
    return results


class EncodeRun:
    """``dlcalc encode``: the coder runs (their files in ``results[c].data``) and the payload the JSON prints."""

    def __init__(self, plan: Plan, results: dict[str, CoderResult]) -> None:
        self.plan = plan
        self.results = results
        self.records = {c: coder_record(r) for c, r in results.items()}
        self.gain = (
            gain_ratio(self.records["separate"]["payload_bits"], self.records["joint"]["payload_bits"])
            if set(results) == set(CODER_NAMES)
            else None
        )

    @property
    def payload(self) -> dict[str, Any]:
        inst = self.plan.instance
        if len(self.records) == len(CODER_NAMES):
            return {"instance": inst.to_dict(), "eps": self.plan.eps, "gain": self.gain, **self.records}
        (record,) = self.records.values()
        return {"instance": inst.to_dict(), **record}

    @property
    def failed(self) -> list[str]:
        return [c for c, r in self.results.items() if not r.verification.verified]


def encode_run(plan: Plan, coders: Sequence[str], advance: Callable[[], None] = lambda: None) -> EncodeRun:
    """``dlcalc encode`` from Python: every coder run on the plan's class, and their records."""
    return EncodeRun(plan, run_pipeline(plan, coders, advance=advance))


def read_files(
    read: Callable[[int], bytes],
    budget: Budget,
    export: bool = False,
    instance: Instance | None = None,
    what: str = "decoding this .dlc file",
    stream_limit: int | None = None,
) -> Iterator[Container]:
    """The files of a ``.dlc`` stream, checked, one at a time (``dlcalc decode`` and ``verify``);
    :func:`~dlcalc.coding.decode_container` decodes each.

    Each file is read once: its header parsed, its class quantized and its checksum computed once,
    and its whole cost weighed once where it is read: decoding, plus exporting its tables
    (``export``) or verifying it against ``instance`` (the feature and the reference evaluation),
    before its sections are read.  Each file is dropped before the next is read.
    """

    def weigh(coder: str, qclass: QuantizedClass) -> Cost:
        steps = decode_steps(qclass, coder, payload=True)
        steps += [export_step(qclass)] if export else []
        steps += [verify_step(qclass)] if instance is not None else []
        return Cost([feature_step(instance.depth)] if instance is not None else [], [steps])

    yield from iter_containers(read, budget, stream_limit=stream_limit, weigh=weigh, what=what)


def decode_record(decoded: Decoded, file_bytes: int, output: str | None = None) -> dict[str, Any]:
    """``dlcalc decode``: what a ``.dlc`` file alone says (coder, class, bits), group by group."""
    box = decoded.container
    rows = []
    for q in box.qclass.groups:
        rec = group_record(q, box.depth)
        keys = ("head", "count", "precision", "zero", "table_level", "approximant_level", "levels")
        rows.append(
            {k: rec[k] for k in keys} | {"payload_bits": rec["payload_bits"] if box.coder == "separate" else None}
        )
    return {
        "coder": box.coder,
        "depth": box.depth,
        "eps": box.eps,
        "payload_bits": box.payload_bits,
        "file_bits": 8 * file_bytes,
        "zero_heads": box.qclass.zero_heads,
        "heads": rows,
        "output": output,
        "format_version": box.version,
    }


def verify_decoded(instance: Instance, decoded: Decoded) -> Verification:
    """A decoded file judged against its instance by the reference evaluator; the caller weighed the
    verification with the file (``dlcalc.cost.verify_step`` of the file's class)."""
    mismatch = class_mismatch(instance, decoded.container)
    if mismatch is not None:
        raise mismatch
    return verify(instance, decoded, reference_of(instance, decoded.qclass))


def verify_record(decoded: Decoded, verification: Verification) -> dict[str, Any]:
    """``dlcalc verify``: a decoded file judged against its instance, group by group."""
    box = decoded.container
    rows = [
        {
            "head": q.group.spec,
            "count": q.count,
            "table_equal": bool(c.equal.all()),
            "unequal": int((~c.equal).sum()),
            "error": c.max_error,
            "within_eps": c.max_error <= box.eps,
        }
        for q, c in zip(box.qclass.groups, verification.verdicts, strict=True)
    ]
    return {
        "coder": box.coder,
        "eps": box.eps,
        "payload_bits": box.payload_bits,
        "max_error": verification.max_error,
        "verified": verification.verified,
        "heads": rows,
    }
