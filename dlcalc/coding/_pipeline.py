"""Encode, decode and verify instances with the joint and separate coders (THEORY §5-§6).

- joint coder: one payload for ``∪_t 𝒜_t``;
- separate coder: one payload per head for ``𝒜_t``; head ``t`` is decoded from
  its own section alone.

Data flows forward once: the class is quantized into a
:class:`~dlcalc.quantize._quantize.QuantizedClass`, which the encoder, the reader of the
bytes it wrote, the decoder and the verifier share (a reader given the encoder's
class checks that the header names the same class instead of quantizing again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .._errors import DlcalcError
from ..core._budget import DEFAULT_MAX_BITS, DEFAULT_MAX_CELLS, Budget
from ..core._instance import Instance
from ..cost._coding import coder_steps, feature_step, verify_step
from ..cost._cost import Cost
from ..quantize._groups import Bounds, QuantizedClass
from ..quantize._quantize import HeadQuantization, RequirementSet
from ..quantize._tableset import TableSet
from ..reference._reference import GroupVerdict, ReferenceTruth, reference_truth
from ._container import Container, read_container, write_container
from ._sections import decode_joint, decode_separate, joint_section, separate_sections

__all__ = [
    "CODER_NAMES",
    "Bounds",
    "coder_bounds",
    "encode",
    "decode",
    "decode_container",
    "verify",
    "run_coder",
    "Decoded",
    "CoderResult",
    "Verification",
    "instance_reference",
    "encode_class",
    "reference_of",
    "run_class",
    "class_mismatch",
    "DEFAULT_MAX_BITS",
]

CODER_NAMES = ("joint", "separate")


def coder_bounds(quants: list[HeadQuantization], depth: int | None, coder: str) -> Bounds:
    """``c(𝒜(q)) <= L <= c(𝒜(p))`` for the joint set or summed over heads (separate), THEORY §5."""
    if coder == "joint":
        upper = RequirementSet.union_all(q.requirement for q in quants).level_cost(depth)
        lower = RequirementSet.union_all(q.lower_requirement for q in quants).level_cost(depth)
        return Bounds(lower, upper)
    ups = tuple(q.requirement.level_cost(depth) for q in quants)
    lows = tuple(q.lower_requirement.level_cost(depth) for q in quants)
    return Bounds(sum(lows), sum(ups), ups, lows)


def _check_coder(coder: str) -> None:
    if coder not in CODER_NAMES:
        raise ValueError(f"coder must be one of {CODER_NAMES}")


def quantize_instance(instance: Instance, eps: float) -> QuantizedClass:
    """The instance's class quantized at ε (``O(groups)``)."""
    return QuantizedClass(instance.depth, instance.heads, eps)


def encode(
    instance: Instance,
    eps: float,
    coder: str,
    max_bits: int | None = None,
    budget: Budget | None = None,
) -> bytes:
    """Encode an instance at accuracy ε into ``.dlc`` bytes (THEORY §6): quantized and weighed once."""
    _check_coder(coder)
    budget = Budget.of(budget, max_bits=max_bits)
    qclass = quantize_instance(instance, eps)
    Cost([feature_step(instance.depth)], [coder_steps(qclass, coder, decode=False)]).check(
        budget, f"the {coder} encoder"
    )
    return encode_class(instance, qclass, coder)


def encode_class(instance: Instance, qclass: QuantizedClass, coder: str) -> bytes:
    """The ``.dlc`` bytes of the instance's class ``qclass`` (its quantization at the file's ε).

    A worker of a weighed plan: it neither quantizes nor weighs again (:func:`encode` does both).
    """
    if coder == "joint":
        sections = joint_section(qclass, instance.feature)
    else:
        sections = separate_sections(qclass, instance.feature)
    return write_container(coder, qclass, sections)


@dataclass
class Decoded:
    """What a ``.dlc`` file alone determines: its class and the quantized heads' tables."""

    container: Container
    tables: TableSet

    @property
    def coder(self) -> str:
        return self.container.coder

    @property
    def qclass(self) -> QuantizedClass:
        return self.container.qclass

    @property
    def quants(self) -> list[HeadQuantization]:
        """Every head's quantization, listed (``O(heads)``)."""
        return self.qclass.quants()


def decode(
    data: bytes, max_cells: int | None = None, budget: Budget | None = None, known: QuantizedClass | None = None
) -> Decoded:
    """Decode ``.dlc`` bytes into the quantized heads' tables, using the file alone.

    The separate decoder rebuilds head ``t`` from section ``t`` only.  ``known``:
    see :func:`~dlcalc.coding._container.read_container`.
    """
    return decode_container(read_container(data, budget=Budget.of(budget, max_cells=max_cells), known=known))


def decode_container(box: Container) -> Decoded:
    """The quantized heads' tables of a checked container (:func:`~dlcalc.coding.iter_containers`, or
    :func:`read_container`): a worker that trusts the reader's weighing."""
    if box.coder == "joint":
        tables = decode_joint(box.qclass, box.data)
    else:
        tables = decode_separate(box.qclass, box.data, box.section_bits)
    return Decoded(box, tables)


@dataclass
class Verification:
    """Decoded tables judged against the instance (THEORY §3-§4), group by group.

    The verdicts come from the reference evaluator (:mod:`dlcalc.reference._reference`), which
    evaluates the definitions from the flip bits and shares no code with the
    coders' table builders.
    """

    verdicts: list[GroupVerdict]
    eps: float

    @property
    def max_error(self) -> Fraction | float:
        """The largest exact sup error (``inf`` when a table cannot be read as its head's)."""
        return max((v.max_error for v in self.verdicts), default=Fraction(0))

    @property
    def verified(self) -> bool:
        """Every table equals the true quantized one and the sup error is <= ε (exactly)."""
        return all(bool(v.equal.all()) for v in self.verdicts) and self.max_error <= Fraction(self.eps)

    @property
    def tables_equal(self) -> list[bool]:
        """Per head, listed (``O(heads)``)."""
        return [bool(e) for v in self.verdicts for e in v.equal.tolist()]

    @property
    def errors(self) -> list[Fraction | float]:
        """Per head, listed (``O(heads)``)."""
        return [e for v in self.verdicts for e in v.head_errors()]


def instance_reference(
    instance: Instance,
    eps: float,
    max_cells: int | None = None,
    budget: Budget | None = None,
) -> ReferenceTruth:
    """The reference truth of an instance at ε, to share between the coders' verifications (weighed first)."""
    budget = Budget.of(budget, max_cells=max_cells)
    qclass = quantize_instance(instance, eps)
    Cost([feature_step(instance.depth)], [[verify_step(qclass)]]).check(budget, "verification")
    return reference_of(instance, qclass)


def reference_of(instance: Instance, qclass: QuantizedClass) -> ReferenceTruth:
    """The reference truth of the instance at the class's ε: a worker of a weighed plan (nothing weighed here)."""
    return reference_truth(instance.depth, instance.feature.flips, instance.heads, qclass.eps)


def verify(
    instance: Instance,
    decoded: Decoded,
    reference: ReferenceTruth | None = None,
    max_cells: int | None = None,
    budget: Budget | None = None,
) -> Verification:
    """Judge decoded tables against the instance's definition: equality and exact sup errors.

    ``reference`` (from :func:`instance_reference` at the file's ε) saves
    evaluating the instance again; it is built here otherwise, within the budget.
    """
    box = decoded.container
    mismatch = class_mismatch(instance, box)
    if mismatch is not None:
        raise mismatch
    if reference is None:
        budget = Budget.of(budget, max_cells=max_cells)
        Cost([feature_step(instance.depth)], [[verify_step(box.qclass)]]).check(budget, "verification")
        reference = reference_of(instance, box.qclass)
    elif not reference.matches(instance.depth, instance.feature.flips, instance.heads, box.eps):
        raise ValueError("the reference truth belongs to another instance or ε")
    return Verification(reference.check_groups(decoded.tables), box.eps)


def _heads(n: int) -> str:
    return "1 head" if n == 1 else f"{n} heads"


def class_mismatch(instance: Instance, box: Container) -> DlcalcError | None:
    """The error to raise when a ``.dlc`` file's class is not the instance's (None when it is)."""
    if box.depth == instance.depth and box.heads == instance.heads:
        return None
    return DlcalcError(
        f"the .dlc file encodes depth {box.depth} with {_heads(len(box.heads))} ({box.heads.describe()}); "
        f"the instance has depth {instance.depth} with {_heads(len(instance.heads))} ({instance.heads.describe()})"
    )


@dataclass
class CoderResult:
    """One coder run: the file, its bit counts, the bounds and the verification (an ``encode`` record)."""

    coder: str
    eps: float
    data: bytes
    payload_bits: int
    bounds: Bounds
    qclass: QuantizedClass
    verification: Verification
    decoded: Decoded = field(repr=False)

    @property
    def file_bits(self) -> int:
        return 8 * len(self.data)

    @property
    def quants(self) -> list[HeadQuantization]:
        """Every head's quantization, listed (``O(heads)``)."""
        return self.qclass.quants()

    @property
    def head_payload_bits(self) -> list[int] | None:
        """Separate coder: each head's section length, listed (``O(heads)``); None for joint."""
        if self.coder != "separate":
            return None
        return [int(b) for q in self.qclass.groups for b in q.head_bits(self.qclass.depth)]


def run_coder(
    instance: Instance,
    eps: float,
    coder: str,
    max_bits: int | None = None,
    max_cells: int | None = None,
    reference: ReferenceTruth | None = None,
    budget: Budget | None = None,
) -> CoderResult:
    """Encode, decode from the bytes alone, and verify (the ``dlcalc encode`` pipeline for one coder).

    The class is quantized once and the whole run weighed once (verification too, unless
    ``reference``, from :func:`instance_reference` at the same ε, is given); :func:`run_class`
    is the worker a plan that runs several coders on one class calls.
    """
    _check_coder(coder)
    budget = Budget.of(budget, max_cells=max_cells, max_bits=max_bits)
    qclass = quantize_instance(instance, eps)
    steps = coder_steps(qclass, coder) + ([] if reference is not None else [verify_step(qclass)])
    Cost([feature_step(instance.depth)], [steps]).check(budget, f"the {coder} coder")
    return run_class(instance, qclass, coder, reference or reference_of(instance, qclass), budget)


def run_class(
    instance: Instance, qclass: QuantizedClass, coder: str, reference: ReferenceTruth, budget: Budget
) -> CoderResult:
    """Encode the class, read the bytes back and decode them, and verify against ``reference``.

    A worker of a weighed plan: the class is the plan's and nothing is weighed again, except the
    file read back, which its reader weighs like any file (it recognizes the class and does not
    quantize it again).
    """
    data = encode_class(instance, qclass, coder)
    decoded = decode(data, budget=budget, known=qclass)
    verification = verify(instance, decoded, reference, budget=budget)
    return CoderResult(
        coder, qclass.eps, data, decoded.container.payload_bits, qclass.bounds(coder), qclass, verification, decoded
    )


__all__ += ["quantize_instance", "DEFAULT_MAX_CELLS"]
