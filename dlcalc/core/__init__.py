"""The model: levels and the level-span algebra, the shared feature, heads, instances, Gram matrix.

Everything else in dlcalc is built on these objects (``docs/theory.md`` §1-§3, §5, §8).

Levels and the span algebra (§1, §5)
    :func:`level_vector`, :func:`levels_of`, :func:`top`, :func:`mask_to_depth`,
    :func:`reduce_basis`, :func:`level_cost`, :func:`interval_star_cost`, :func:`cell_parity`
The shared feature (§2)
    :class:`Feature`: the Rademacher–Haar tree map ``h_σ`` of a depth and its flip bits
Heads and head sets (§3)
    :class:`Head`, :class:`HeadRun`, :func:`parse_heads`, :func:`parse_head_run`;
    :class:`Family`, :class:`HeadGroup`, :class:`HeadSet` (a family stays a family, a run a run);
    :func:`digit_levels` (the digits of ``h(x)`` a run of heads reads)
Instances (§2-§3)
    :class:`Instance` (a feature and its heads, and their JSON file), :func:`family_heads`
Orthogonality (§3)
    :func:`gram_matrix`, :func:`orthogonality`
Numbers and sizes (§8)
    :func:`parse_number`, :func:`parse_integer` (the one number grammar), :class:`Log2Bits`,
    :class:`Log2Value`; :class:`Budget` and the default budgets; :func:`weigh_runs`, the work of many small groups
"""

from ._budget import (
    BLOCK_LEVEL,
    DEFAULT_MAX_BITS,
    DEFAULT_MAX_CELLS,
    DEFAULT_MAX_MEMORY,
    FREE_GROUPS,
    GROUP_CELLS,
    Budget,
    group_work,
    pow2,
    readable,
    readable_bytes,
    scaled,
    weigh_runs,
)
from ._feature import MAX_DEPTH, Feature
from ._gram import gram_matrix, inner, orthogonality
from ._heads import MAX_HEADS, Head, HeadRun, check_index_limit, parse_head_run, parse_heads
from ._headset import FAMILY_NAMES, Family, HeadGroup, HeadSet, digit_levels
from ._instance import INSTANCE_SCHEMA_VERSION, MAX_INSTANCE_BYTES, MAX_SEED, Instance, check_depth_budget, family_heads
from ._numbers import (
    EXACT_BITS_LIMIT,
    Log2Bits,
    Log2Value,
    as_bits,
    bits_log2,
    log2_of,
    parse_integer,
    parse_number,
    positive_float,
    ratio,
    short_text,
    strict_json_loads,
)
from ._span import (
    cell_mask,
    cell_parity,
    interval_star_cost,
    level_cost,
    level_vector,
    levels_of,
    mask_to_depth,
    reduce_basis,
    top,
)

__all__ = [
    "BLOCK_LEVEL",
    "Budget",
    "DEFAULT_MAX_BITS",
    "DEFAULT_MAX_CELLS",
    "DEFAULT_MAX_MEMORY",
    "EXACT_BITS_LIMIT",
    "FAMILY_NAMES",
    "Family",
    "Feature",
    "Head",
    "HeadGroup",
    "HeadRun",
    "HeadSet",
    "INSTANCE_SCHEMA_VERSION",
    "Instance",
    "Log2Bits",
    "Log2Value",
    "MAX_DEPTH",
    "MAX_HEADS",
    "MAX_INSTANCE_BYTES",
    "MAX_SEED",
    "as_bits",
    "bits_log2",
    "cell_mask",
    "cell_parity",
    "check_depth_budget",
    "check_index_limit",
    "digit_levels",
    "family_heads",
    "gram_matrix",
    "inner",
    "interval_star_cost",
    "level_cost",
    "level_vector",
    "levels_of",
    "log2_of",
    "mask_to_depth",
    "orthogonality",
    "parse_head_run",
    "parse_heads",
    "parse_integer",
    "parse_number",
    "positive_float",
    "pow2",
    "FREE_GROUPS",
    "GROUP_CELLS",
    "group_work",
    "weigh_runs",
    "ratio",
    "readable",
    "readable_bytes",
    "reduce_basis",
    "scaled",
    "short_text",
    "strict_json_loads",
    "top",
]
