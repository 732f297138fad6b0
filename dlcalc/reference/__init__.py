"""The reference evaluator: an independent reading of the definitions, which decides verification.

``docs/theory.md`` §2-§4 and §8; why it is separate in ``docs/testing.md``.

It imports only :mod:`dlcalc.core` and the errors: it shares no table code with the coders
(an import contract in ``pyproject.toml`` holds it to that).

The class read again (§4)
    :class:`ReferenceHead`, :func:`reference_heads`, :class:`ReferenceGroup`, :func:`reference_groups`
Evaluation from the definitions (§2-§3)
    :func:`feature_image` (the digit form of ``h_σ``), :func:`reference_point_values`
The verdict
    :func:`reference_truth`, :class:`ReferenceTruth` (its ``check`` judges decoded tables),
    :class:`GroupVerdict`
"""

from ._evaluate import (
    ReferenceGroup,
    ReferenceHead,
    feature_image,
    reference_cells,
    reference_groups,
    reference_heads,
    reference_point_values,
)
from ._reference import GroupVerdict, ReferenceTruth, reference_truth

__all__ = [
    "GroupVerdict",
    "ReferenceGroup",
    "ReferenceHead",
    "ReferenceTruth",
    "feature_image",
    "reference_cells",
    "reference_groups",
    "reference_heads",
    "reference_point_values",
    "reference_truth",
]
