"""Encode, decode and verify instances with the joint and separate coders (THEORY §5-§6).

- joint coder: one payload for ``∪_t 𝒜_t``;
- separate coder: one payload per head for ``𝒜_t``; head ``t`` is decoded from
  its own section alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ._coders import decode_flips, encode_payload
from ._container import Container, read_container, write_container
from ._errors import BudgetError
from ._span import cell_parity
from ._instance import DEFAULT_MAX_CELLS, Instance
from ._quantize import (
    HeadQuantization,
    HeadTable,
    RequirementSet,
    head_tables,
    quantize_heads,
    check_table_cells,
)
from ._reference import ReferenceTruth, reference_truth

__all__ = [
    "CODER_NAMES",
    "Bounds",
    "coder_bounds",
    "encode",
    "decode",
    "verify",
    "instance_reference",
    "run_coder",
    "Decoded",
    "CoderResult",
    "Verification",
]

CODER_NAMES = ("joint", "separate")
#: Default budget on payload bits a coder may materialize.
DEFAULT_MAX_BITS = 1 << 30


@dataclass(frozen=True)
class Bounds:
    """Lower and upper bounds on the minimax code length ``L(ε)`` (THEORY §5), exact integers."""

    lower_bound_bits: int
    upper_bound_bits: int
    head_upper_bits: tuple[int, ...] = ()
    head_lower_bits: tuple[int, ...] = ()


def coder_bounds(quants: list[HeadQuantization], depth: int | None, coder: str) -> Bounds:
    """``c(𝒜(q)) <= L <= c(𝒜(p))`` for the joint set or summed over heads (separate), THEORY §5."""
    if coder == "joint":
        upper = RequirementSet.union_all(q.requirement for q in quants).level_cost(depth)
        lower = RequirementSet.union_all(q.lower_requirement for q in quants).level_cost(depth)
        return Bounds(lower, upper)
    ups = tuple(q.requirement.level_cost(depth) for q in quants)
    lows = tuple(q.lower_requirement.level_cost(depth) for q in quants)
    return Bounds(sum(lows), sum(ups), ups, lows)


def _check_bits(bits: int, max_bits: int) -> None:
    if bits > max_bits:
        raise BudgetError(
            f"the payload needs {bits} bits, over the budget of {max_bits} "
            "(raise --max-bits, or use `dlcalc bounds` for the formula values)"
        )


def encode(instance: Instance, eps: float, coder: str, max_bits: int = DEFAULT_MAX_BITS) -> bytes:
    """Encode an instance at accuracy ε into ``.dlc`` bytes (THEORY §6)."""
    if coder not in CODER_NAMES:
        raise ValueError(f"coder must be one of {CODER_NAMES}")
    quants = quantize_heads(instance.heads, eps)
    depth = instance.depth
    if coder == "joint":
        basis = RequirementSet.union_all(q.requirement for q in quants).basis(depth)
        bases = [basis]
    else:
        cache: dict[RequirementSet, dict] = {}
        bases = [cache.setdefault(q.requirement, q.requirement.basis(depth)) for q in quants]
    _check_bits(sum(sum(1 << (t - 1) for t in b) for b in bases), max_bits)
    sections = [encode_payload(instance.feature, b) for b in bases]
    return write_container(coder, depth, eps, instance.heads, sections, instance.family)


@dataclass
class Decoded:
    """What a ``.dlc`` file alone determines: its class and the quantized heads' cell tables."""

    container: Container
    quants: list[HeadQuantization]
    tables: list[HeadTable]

    @property
    def coder(self) -> str:
        return self.container.coder


def decode(data: bytes, max_cells: int = DEFAULT_MAX_CELLS) -> Decoded:
    """Decode ``.dlc`` bytes into the quantized heads' tables, using the file alone.

    The separate decoder rebuilds head ``t`` from section ``t`` only.
    """
    box = read_container(data, max_cells=max_cells)
    quants = box.quants
    check_table_cells(quants, box.depth, max_cells)
    depth = box.depth
    if box.coder == "joint":
        basis = RequirementSet.union_all(q.requirement for q in quants).basis(depth)
        feature = decode_flips(depth, basis, box.sections[0])
        tables = head_tables(quants, feature)
    else:
        tables = []
        cells: dict[int, np.ndarray] = {}
        for q, section in zip(quants, box.sections):
            basis = q.requirement.basis(depth)
            if q.head.family == "walsh" and len(basis) == 1:
                tables.append(walsh_table_from_section(q, basis, section, cells))
                continue
            feature = decode_flips(depth, basis, section)
            tables.extend(head_tables([q], feature))
    return Decoded(box, quants, tables)


def walsh_table_from_section(q: HeadQuantization, basis: dict[int, int], section: np.ndarray, cells: dict) -> HeadTable:
    """A Walsh head's table straight from its one-vector section (separate decoder fast path).

    ``parity_A(y) = parity_A(x) XOR φ_b(level-(m-1) ancestor)`` with ``b`` the masked
    ``A(n)`` of top ``m`` (THEORY §4): the same table :func:`decode_flips` and
    :func:`head_table` give (tested), without building a feature per head.
    """
    (m,) = basis
    level = q.head.index.bit_length()
    if level not in cells:
        cells[level] = np.arange(1 << level, dtype=np.int64)
    parity = cell_parity(cells[level], q.head.index, level)
    parity ^= np.repeat(section, 1 << (level - m + 1))
    return HeadTable(level, parity)


@dataclass
class Verification:
    """Result of checking decoded tables against an instance (THEORY §3-§4).

    Both lists come from the reference evaluator (:mod:`dlcalc._reference`), which
    evaluates the definitions from the flip bits and shares no code with the
    coders' table builders.

    Attributes
    ----------
    tables_equal : list of bool
        Per head: the decoded table encodes exactly the true quantized ``f̂_t``.
    errors : list of Fraction
        Per head: the exact ``sup_x |f_t(x) - f̂_t(x)|`` of the decoded function
        (``inf`` for a table the format cannot read).
    """

    tables_equal: list[bool]
    errors: list[Fraction | float]
    eps: float

    @property
    def max_error(self) -> Fraction | float:
        return max(self.errors) if self.errors else Fraction(0)

    @property
    def verified(self) -> bool:
        """Every table equals the true quantized one and the sup error is <= ε (exactly)."""
        return all(self.tables_equal) and self.max_error <= Fraction(self.eps)


def instance_reference(instance: Instance, eps: float, max_cells: int = DEFAULT_MAX_CELLS) -> ReferenceTruth:
    """The reference truth of an instance at ε, to share between the coders' verifications."""
    return reference_truth(instance.depth, instance.feature.flips, instance.heads, eps, max_cells)


def verify(
    instance: Instance,
    decoded: Decoded,
    reference: ReferenceTruth | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> Verification:
    """Judge decoded tables against the instance's definition: equality and exact sup errors.

    ``reference`` (from :func:`instance_reference` at the file's ε) saves
    evaluating the instance again; it is built here otherwise, within ``max_cells``.
    """
    box = decoded.container
    if box.depth != instance.depth or box.heads != instance.heads:
        raise _class_mismatch(instance, box)
    if reference is None:
        reference = instance_reference(instance, box.eps, max_cells)
    elif not reference.matches(instance.depth, instance.feature.flips, instance.heads, box.eps):
        raise ValueError("the reference truth belongs to another instance or ε")
    equal, errors = reference.check(decoded.tables)
    return Verification(equal, errors, box.eps)


def _class_mismatch(instance: Instance, box: Container):
    from ._errors import DlcalcError

    return DlcalcError(
        f"the .dlc file encodes depth {box.depth} with {len(box.heads)} heads; "
        f"the instance has depth {instance.depth} with {len(instance.heads)} heads"
    )


@dataclass
class CoderResult:
    """One coder run: the file, its bit counts, the bounds and the verification (an ``encode`` record)."""

    coder: str
    eps: float
    data: bytes
    payload_bits: int
    bounds: Bounds
    quants: list[HeadQuantization]
    head_payload_bits: list[int] | None
    verification: Verification
    decoded: Decoded = field(repr=False)

    @property
    def file_bits(self) -> int:
        return 8 * len(self.data)


def run_coder(
    instance: Instance,
    eps: float,
    coder: str,
    max_bits: int = DEFAULT_MAX_BITS,
    max_cells: int = DEFAULT_MAX_CELLS,
    reference: ReferenceTruth | None = None,
) -> CoderResult:
    """Encode, decode from the bytes alone, and verify (the ``dlcalc encode`` pipeline)."""
    quants = quantize_heads(instance.heads, eps)
    check_table_cells(quants, instance.depth, max_cells)
    data = encode(instance, eps, coder, max_bits=max_bits)
    decoded = decode(data, max_cells=max_cells)
    verification = verify(instance, decoded, reference, max_cells)
    bounds = coder_bounds(quants, instance.depth, coder)
    heads_bits = list(decoded.container.section_bits) if coder == "separate" else None
    return CoderResult(coder, eps, data, decoded.container.payload_bits, bounds, quants, heads_bits, verification, decoded)
