"""dlcalc: description lengths of joint and separate coding of orthogonal task heads
that share a Rademacher–Haar feature (arXiv:2606.16028; see ``docs/theory.md``).

The library never touches the terminal; ``dlcalc.cli`` is the command line.
"""

from ._errors import BudgetError, DlcalcError, FormatError, SpecError
from .coding._container import Container, read_container, write_container
from .coding._pipeline import (
    CODER_NAMES,
    Bounds,
    CoderResult,
    Decoded,
    Verification,
    coder_bounds,
    decode,
    encode,
    run_coder,
    verify,
)
from .core._budget import DEFAULT_MAX_BITS, DEFAULT_MAX_CELLS, DEFAULT_MAX_MEMORY, Budget
from .core._feature import Feature
from .core._gram import gram_matrix, orthogonality
from .core._heads import Head, HeadRun, parse_head_run, parse_heads, parse_number
from .core._headset import Family, HeadGroup, HeadSet
from .core._instance import Instance, family_heads
from .core._span import interval_star_cost, level_cost, level_vector, levels_of, reduce_basis, top
from .quantize._groups import GroupQuantization, QuantizedClass
from .quantize._quantize import HeadQuantization, RequirementSet, precision_for, quantize_head, quantize_heads
from .quantize._sup_error import sup_error
from .quantize._tables import HeadTable, head_tables
from .quantize._tableset import TableSet, true_tables

__version__ = "0.1.0"

__all__ = [
    "Bounds",
    "Budget",
    "BudgetError",
    "CODER_NAMES",
    "CoderResult",
    "Container",
    "DEFAULT_MAX_BITS",
    "DEFAULT_MAX_CELLS",
    "DEFAULT_MAX_MEMORY",
    "Decoded",
    "DlcalcError",
    "Family",
    "Feature",
    "FormatError",
    "GroupQuantization",
    "Head",
    "HeadGroup",
    "HeadQuantization",
    "HeadRun",
    "HeadSet",
    "HeadTable",
    "Instance",
    "QuantizedClass",
    "RequirementSet",
    "SpecError",
    "TableSet",
    "Verification",
    "coder_bounds",
    "decode",
    "encode",
    "family_heads",
    "gram_matrix",
    "head_tables",
    "interval_star_cost",
    "level_cost",
    "level_vector",
    "levels_of",
    "orthogonality",
    "parse_head_run",
    "parse_heads",
    "parse_number",
    "precision_for",
    "quantize_head",
    "quantize_heads",
    "read_container",
    "reduce_basis",
    "run_coder",
    "sup_error",
    "top",
    "true_tables",
    "verify",
    "write_container",
]
