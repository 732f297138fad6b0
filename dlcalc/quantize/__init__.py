"""Quantization to a uniform accuracy ε: precisions, requirement sets, tables, sup errors, bounds.

``docs/theory.md`` §4-§5 and §8.

One head (§4)
    :func:`check_eps`, :func:`precision_for`, :class:`RequirementSet`, :class:`HeadQuantization`,
    :func:`quantize_head`, :func:`quantize_heads`
Groups and the quantized class (§4-§5)
    :class:`GroupQuantization`, :func:`quantize_group`, :class:`QuantizedClass` (what a command's
    plan hands to the coders, the verifier and the cost model), :class:`Bounds`
Cell tables (§4, §8)
    :class:`HeadTable`, :func:`head_table`, :func:`head_tables`, :func:`approximant_values`,
    :func:`approximant_chunk`; a whole class's tables, Walsh levels packed: :class:`TableSet`,
    :func:`true_tables`
Sup errors (§4)
    :func:`sup_error`: the coders' closed form (the verdict comes from :mod:`dlcalc.reference`)
Formula bounds without an instance (§5)
    :func:`family_bounds`, :func:`heads_bounds`, :class:`FormulaBounds`, :func:`gain_ratio`,
    :func:`fit_slope`, :func:`theory_exponents`
"""

from ._bounds import FormulaBounds, family_bounds, fit_slope, gain_ratio, heads_bounds, theory_exponents
from ._groups import Bounds, GroupQuantization, QuantizedClass, quantize_group, range_span, sawtooth_star_cost
from ._quantize import HeadQuantization, RequirementSet, check_eps, precision_for, quantize_head, quantize_heads
from ._sup_error import sup_error
from ._tables import (
    HeadTable,
    approximant_chunk,
    approximant_values,
    check_table_cells,
    head_table,
    head_tables,
    table_cells,
)
from ._tableset import TableBlock, TableSet, digit_planes, packed_bytes, true_tables

__all__ = [
    "Bounds",
    "FormulaBounds",
    "GroupQuantization",
    "HeadQuantization",
    "HeadTable",
    "QuantizedClass",
    "RequirementSet",
    "TableBlock",
    "TableSet",
    "approximant_chunk",
    "approximant_values",
    "check_eps",
    "check_table_cells",
    "digit_planes",
    "family_bounds",
    "fit_slope",
    "gain_ratio",
    "head_table",
    "head_tables",
    "heads_bounds",
    "packed_bytes",
    "precision_for",
    "quantize_group",
    "quantize_head",
    "quantize_heads",
    "range_span",
    "sawtooth_star_cost",
    "sup_error",
    "table_cells",
    "theory_exponents",
    "true_tables",
]
