"""ONNX export of a Heaviside network (optional: ``pip install 'dlcalc[onnx]'``).

The graph takes ``x`` of shape ``[N, 1]`` (float64) and returns ``[N, T]``: each
Heaviside layer is ``Cast(GreaterOrEqual(x W + b, 0))``, the last layer
``(x W + b) * scale``.  Weights are dense float64 matrices holding the exact
dyadic weights, so on cell left endpoints onnxruntime reproduces the exact
evaluation bit for bit (tested).
"""

from __future__ import annotations

import numpy as np

from ._errors import BudgetError
from ._network import HeavisideNetwork

__all__ = ["to_onnx", "MAX_DENSE_WEIGHTS"]

#: Largest dense weight matrix (entries) written to ONNX.
MAX_DENSE_WEIGHTS = 1 << 24


def _dense(layer) -> tuple[np.ndarray, np.ndarray]:
    if layer.n_in * layer.n_out > MAX_DENSE_WEIGHTS:
        raise BudgetError(f"ONNX export needs a dense {layer.n_in}×{layer.n_out} matrix, over {MAX_DENSE_WEIGHTS} entries")
    w = np.zeros((layer.n_in, layer.n_out), dtype=np.float64)
    w[layer.cols, layer.rows] = np.ldexp(layer.values.astype(np.float64), -layer.exponent)
    b = np.ldexp(layer.biases.astype(np.float64), -layer.exponent)
    return w, b


def to_onnx(net: HeavisideNetwork, output_names: list[str] | None = None) -> bytes:
    """Serialize ``net`` as an ONNX model (opset 17); raises ImportError without ``onnx``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    current = "x"
    if len(net.layers) == 1:  # no hidden layer: the output reads a constant 1
        inits.append(numpy_helper.from_array(np.zeros((1, 1)), "zero_w"))
        inits.append(numpy_helper.from_array(np.ones(1), "one_b"))
        nodes += [helper.make_node("MatMul", ["x", "zero_w"], ["const0"]), helper.make_node("Add", ["const0", "one_b"], ["const1"])]
        current = "const1"
    for i, layer in enumerate(net.layers):
        w, b = _dense(layer)
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("MatMul", [current, f"W{i}"], [f"m{i}"]), helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"])]
        if layer.linear:
            inits.append(numpy_helper.from_array(layer.scales.astype(np.float64), "scale"))
            nodes.append(helper.make_node("Mul", [f"a{i}", "scale"], ["y"]))
        else:
            inits.append(numpy_helper.from_array(np.zeros(1), f"z{i}"))
            nodes += [helper.make_node("GreaterOrEqual", [f"a{i}", f"z{i}"], [f"g{i}"]),
                      helper.make_node("Cast", [f"g{i}"], [f"h{i}"], to=TensorProto.DOUBLE)]
            current = f"h{i}"
    n_out = net.layers[-1].n_out
    graph = helper.make_graph(
        nodes, "dlcalc_heaviside_network",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 1])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", n_out])],
        inits,
        doc_string="outputs: " + ", ".join(output_names or []),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dlcalc")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
