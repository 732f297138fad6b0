"""dlcalc: description lengths of joint versus separate coding of task heads (orthogonal within a family)
that share a Rademacher–Haar feature (arXiv:2606.16028; see ``docs/theory.md``).

The library never touches the terminal; ``dlcalc.cli`` is the command line.  Each concept of
``docs/theory.md`` has one subpackage, named for it, whose ``__init__`` lists what it offers:

=====================  ===========================================================================
:mod:`dlcalc.core`     levels and the level-span algebra, the feature, heads and head sets,
                       instances, the Gram matrix, numbers and budgets (§1-§3, §5, §8)
:mod:`dlcalc.quantize` precision, requirement sets, the quantized class, cell tables, sup errors,
                       formula bounds (§4-§5)
:mod:`dlcalc.coding`   payloads, sections and decoders, the ``.dlc`` container, the pipeline (§6)
:mod:`dlcalc.reference` the independent evaluator that decides verification (§2-§4)
:mod:`dlcalc.cost`     the cost model, weighed before any work (§8)
:mod:`dlcalc.networks` Heaviside networks, their file format, ONNX (§7)
:mod:`dlcalc.training` networks found by gradient descent, rounded, certified, coded (§7)
:mod:`dlcalc.study`    the experiments behind the commands, returning records
=====================  ===========================================================================

The names below are the most used of them, re-exported here.
"""

from ._errors import BudgetError, CheckError, DlcalcError, FormatError, SpecError
from .coding import (
    CODER_NAMES,
    CoderResult,
    Container,
    Decoded,
    Verification,
    coder_bounds,
    decode,
    encode,
    read_container,
    run_coder,
    verify,
    write_container,
)
from .core import (
    DEFAULT_MAX_BITS,
    DEFAULT_MAX_CELLS,
    DEFAULT_MAX_MEMORY,
    Budget,
    Family,
    Feature,
    Head,
    HeadGroup,
    HeadRun,
    HeadSet,
    Instance,
    family_heads,
    gram_matrix,
    interval_star_cost,
    level_cost,
    level_vector,
    levels_of,
    orthogonality,
    parse_head_run,
    parse_heads,
    parse_number,
    reduce_basis,
    top,
)
from .quantize import (
    Bounds,
    GroupQuantization,
    HeadQuantization,
    HeadTable,
    QuantizedClass,
    RequirementSet,
    TableSet,
    head_tables,
    precision_for,
    quantize_head,
    quantize_heads,
    sup_error,
    true_tables,
)

__version__ = "0.1.0"

__all__ = [
    "Bounds",
    "Budget",
    "BudgetError",
    "CheckError",
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
