"""dlcalc: description lengths of joint and separate coding of orthogonal task heads
that share a Rademacher–Haar feature (arXiv:2606.16028; see ``docs/theory.md``).

The library never touches the terminal; ``dlcalc.cli`` is the command line.
"""

from ._codec import CODER_NAMES, Bounds, CoderResult, Decoded, coder_bounds, decode, encode, run_coder, verify
from ._container import Container, read_container, write_container
from ._errors import BudgetError, DlcalcError, FormatError, SpecError
from ._feature import Feature
from ._heads import Head, parse_heads, parse_number
from ._instance import DEFAULT_MAX_CELLS, Instance, family_heads, gram_matrix, orthogonality
from ._quantize import HeadQuantization, HeadTable, RequirementSet, head_tables, precision_for, quantize_head, quantize_heads, sup_error
from ._span import interval_star_cost, level_cost, level_vector, levels_of, reduce_basis, top

__version__ = "0.1.0"

__all__ = [
    "Bounds", "BudgetError", "CODER_NAMES", "CoderResult", "Container", "DEFAULT_MAX_CELLS", "Decoded",
    "DlcalcError", "Feature", "FormatError", "Head", "HeadQuantization", "HeadTable", "Instance",
    "RequirementSet", "SpecError", "coder_bounds", "decode", "encode", "family_heads", "gram_matrix",
    "head_tables", "interval_star_cost", "level_cost", "level_vector", "levels_of", "orthogonality",
    "parse_heads", "parse_number", "precision_for", "quantize_head", "quantize_heads", "read_container",
    "reduce_basis", "run_coder", "sup_error", "top", "verify", "write_container",
]
