"""Experiments that return records: the work behind every command, callable from Python.

Each experiment is planned once (:func:`weigh`: the instance, its classes quantized once, the
cost weighed once), then run; it returns the records the command's JSON output prints.

Plans
    :class:`Plan`, :func:`weigh`
Instances (``dlcalc info``, ``build``)
    :func:`describe_instance`, :func:`head_rows`, :func:`beyond_depth_note`
The coders (``dlcalc quantize``, ``encode``, ``decode``, ``verify``)
    :func:`quantize_records`, :func:`plan_encode`, :func:`encode_run`, :func:`run_pipeline`,
    :func:`coder_record`, :func:`decode_record`, :func:`verify_decoded`, :func:`verify_record`
Sweeps (``dlcalc compare``, ``dlcalc bounds``)
    :func:`plan_compare`, :func:`compare_rows`, :func:`compare_row`, :func:`compare_fit`,
    :func:`bounds_row`, :func:`fit_rates`, :func:`depth_capped`
Networks (``dlcalc network``, ``compare --networks``)
    :func:`plan_networks`, :func:`network_records`, :func:`networks_document`, :func:`onnx_model`
Trained networks (``dlcalc train``, ``compare --trained``)
    :func:`plan_training`, :func:`run_training`, :func:`arch_record`, :func:`trained_document`,
    :func:`training_library`
Baselines and plots
    :func:`baseline_sizes`, :func:`available_compressors`, :func:`plot_rates` (needs ``dlcalc[plot]``),
    :func:`require_plotting`
"""

from ..quantize import theory_exponents
from ._baselines import available_compressors, baseline_sizes, table_blobs, table_bytes
from ._coding import (
    EncodeRun,
    check_record,
    coder_record,
    decode_record,
    encode_run,
    group_record,
    plan_encode,
    quantize_records,
    read_files,
    run_pipeline,
    verify_decoded,
    verify_record,
)
from ._compare import (
    NETWORK_KEYS,
    RECORD_KEYS,
    bounds_row,
    check_bounds,
    compare_fit,
    compare_row,
    compare_rows,
    depth_capped,
    fit_rates,
    plan_compare,
    progress_steps,
)
from ._instance import GRAM_LIMIT, beyond_depth_note, describe_instance, head_rows
from ._networks import (
    NETWORK_DOCUMENT_VERSION,
    NetworkRun,
    network_records,
    networks_document,
    onnx_model,
    plan_networks,
    weigh_onnx,
)
from ._plan import Plan, weigh
from ._plot import plot_rates, require_plotting
from ._trained import (
    TRAIN_INSTALL_HINT,
    TRAINED_FIELDS,
    TrainingMissing,
    arch_record,
    plan_training,
    run_training,
    trained_document,
    trained_heaviside,
    trained_progress_steps,
    trained_row,
    trained_steps,
    training_config,
    training_library,
)

__all__ = [
    "GRAM_LIMIT",
    "beyond_depth_note",
    "describe_instance",
    "head_rows",
    "theory_exponents",
    "NETWORK_KEYS",
    "RECORD_KEYS",
    "bounds_row",
    "check_bounds",
    "compare_fit",
    "compare_row",
    "compare_rows",
    "depth_capped",
    "fit_rates",
    "plan_compare",
    "progress_steps",
    "EncodeRun",
    "check_record",
    "coder_record",
    "decode_record",
    "encode_run",
    "group_record",
    "plan_encode",
    "quantize_records",
    "read_files",
    "run_pipeline",
    "verify_decoded",
    "verify_record",
    "NETWORK_DOCUMENT_VERSION",
    "NetworkRun",
    "Plan",
    "TRAINED_FIELDS",
    "TRAIN_INSTALL_HINT",
    "TrainingMissing",
    "arch_record",
    "available_compressors",
    "baseline_sizes",
    "network_records",
    "networks_document",
    "onnx_model",
    "plan_networks",
    "plan_training",
    "plot_rates",
    "require_plotting",
    "run_training",
    "table_blobs",
    "table_bytes",
    "trained_document",
    "trained_heaviside",
    "trained_progress_steps",
    "trained_row",
    "trained_steps",
    "training_config",
    "training_library",
    "weigh",
    "weigh_onnx",
]
