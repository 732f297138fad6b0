"""One cost model: what each step of a command materializes, weighed from the class before any work.

``docs/theory.md`` §8; what is counted and why in ``docs/cost.md``.

The arithmetic
    :class:`Step`, :class:`Cost` (``check`` against a :class:`~dlcalc.core.Budget`)
The coding pipeline
    :func:`class_step`, :func:`feature_step`, :func:`tables_step`, :func:`coder_steps`, :func:`decode_steps`,
    :func:`verify_step`, :func:`baselines_step`, :func:`export_step`, :func:`pipeline_phase`,
    :func:`sweep_step`
Networks
    :func:`network_steps`, :func:`onnx_step`, :func:`onnx_least_step`
"""

from ._coding import (
    baselines_step,
    class_step,
    coder_steps,
    decode_steps,
    export_bytes,
    export_step,
    feature_step,
    pipeline_phase,
    sweep_step,
    tables_step,
    verify_step,
)
from ._cost import FREE_GROUPS, GROUP_CELLS, Cost, Step, group_step, group_work
from ._networks import network_steps, onnx_least_step, onnx_step

__all__ = [
    "Cost",
    "FREE_GROUPS",
    "GROUP_CELLS",
    "Step",
    "group_step",
    "group_work",
    "baselines_step",
    "class_step",
    "coder_steps",
    "decode_steps",
    "export_bytes",
    "export_step",
    "feature_step",
    "network_steps",
    "onnx_least_step",
    "onnx_step",
    "pipeline_phase",
    "sweep_step",
    "tables_step",
    "verify_step",
]
