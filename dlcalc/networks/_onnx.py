"""ONNX export of a Heaviside network (optional: ``pip install -e '.[onnx]'``).

The graph takes ``x`` of shape ``[N, 1]`` (float64).  Each block of the network
is a subgraph on ``x`` of its own: each Heaviside layer is
``Cast(GreaterOrEqual(x W + b, 0))``, the last layer ``(x W + b) * scale``.  A
network of one block has one output ``y`` of shape ``[N, T]``; blocks side by side
(the separate networks, or a joint network that is their parallel stack) give one
output per block, ``y0``, ``y1``, …, so the separate networks have one output per
head.  Weights are dense float64 matrices holding the exact dyadic weights, so on
cell left endpoints onnxruntime reproduces the exact evaluation bit for bit
(:func:`check_onnx`).

Both steps are sized before they start: the dense matrices may hold at most
``max_cells`` entries in all, and the check runs the grid in batches whose
activations (every layer's units, all blocks together) hold at most ``max_cells``
values; :class:`BudgetError` otherwise.
"""

from __future__ import annotations

import numpy as np

from .. import _optional
from .._errors import BudgetError
from ._heaviside import HeavisideNetwork

__all__ = ["to_onnx", "check_onnx", "dense_entries", "activation_cells", "require_onnx"]


def require_onnx() -> None:
    """Import onnx and onnxruntime (onnxruntime quietly, whatever ``HOME`` is: :mod:`dlcalc._optional`),
    or raise ImportError."""
    import onnx  # noqa: F401

    _optional.onnxruntime()


def dense_entries(net: HeavisideNetwork) -> int:
    """Entries of all dense weight matrices and bias vectors of the export."""
    return sum(max(layer.n_in, 1) * layer.n_out + 2 * layer.n_out for b in net.blocks for layer in b.layers)


def activation_cells(net: HeavisideNetwork) -> int:
    """Values every input point makes onnxruntime hold: each layer's pre-activations and activations."""
    return sum(1 + 3 * layer.n_out for b in net.blocks for layer in b.layers)


def _dense(layer) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros((max(layer.n_in, 1), layer.n_out), dtype=np.float64)
    w[layer.cols, layer.rows] = np.ldexp(layer.values.astype(np.float64), -layer.exponent)
    b = np.ldexp(layer.biases.astype(np.float64), -layer.exponent)
    return w, b


def to_onnx(net: HeavisideNetwork, output_names: list[str] | None = None, max_cells: int = 1 << 26) -> bytes:
    """Serialize ``net`` as an ONNX model (opset 17); raises ImportError without ``onnx``."""
    need = dense_entries(net)
    if need > max_cells:
        raise BudgetError(
            f"ONNX export needs dense weight matrices of {need} entries, over the budget of {max_cells} "
            "(raise --max-cells)"
        )
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, outputs = [], [], []
    names = ["y"] if len(net.blocks) == 1 else [f"y{i}" for i in range(len(net.blocks))]
    for bi, (block, y) in enumerate(zip(net.blocks, names, strict=True)):
        current = "x"  # a block without hidden layers reads x through zero weights: constant outputs
        for i, layer in enumerate(block.layers):
            p = f"B{bi}_{i}_"
            w, b = _dense(layer)
            inits += [numpy_helper.from_array(w, p + "W"), numpy_helper.from_array(b, p + "b")]
            nodes += [
                helper.make_node("MatMul", [current, p + "W"], [p + "m"]),
                helper.make_node("Add", [p + "m", p + "b"], [p + "a"]),
            ]
            if layer.linear:
                inits.append(numpy_helper.from_array(layer.output_scales.astype(np.float64), p + "scale"))
                nodes.append(helper.make_node("Mul", [p + "a", p + "scale"], [y]))
            else:
                inits.append(numpy_helper.from_array(np.zeros(1), p + "z"))
                nodes += [
                    helper.make_node("GreaterOrEqual", [p + "a", p + "z"], [p + "g"]),
                    helper.make_node("Cast", [p + "g"], [p + "h"], to=TensorProto.DOUBLE),
                ]
                current = p + "h"
        outputs.append(helper.make_tensor_value_info(y, TensorProto.DOUBLE, ["N", block.n_outputs]))
    graph = helper.make_graph(
        nodes,
        "dlcalc_heaviside_network",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 1])],
        outputs,
        inits,
        doc_string="outputs: " + ", ".join(output_names or []),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dlcalc")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def check_onnx(model: bytes, net: HeavisideNetwork, max_cells: int = 1 << 26) -> int | None:
    """Run ``model`` in onnxruntime on every cell of the grid; the first output that differs from the
    exact evaluation, or None.  Raises ImportError without ``onnxruntime``."""
    per_point = activation_cells(net)
    if per_point > max_cells:
        raise BudgetError(
            f"checking the ONNX model holds {per_point} activations per input point, "
            f"over the budget of {max_cells} (raise --max-cells)"
        )
    _optional.onnxruntime()  # ImportError before the evaluation
    level = net.grid_level
    exact = net.evaluate(max_cells)
    session = _optional.inference_session(model)
    batch = max(1, max_cells // per_point)
    n = 1 << level
    for lo in range(0, n, batch):
        hi = min(n, lo + batch)
        x = (np.arange(lo, hi, dtype=np.float64) / n)[:, None]
        got = np.concatenate(session.run(None, {"x": x}), axis=1)
        for t, (lv, values) in enumerate(exact):
            cells = np.arange(lo, hi) >> (level - lv)  # the level-lv cell of each grid point
            if not np.array_equal(got[:, t], values[cells]):
                return t
    return None
