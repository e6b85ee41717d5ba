"""Load-time rewrites of a model's graph into ops ONNX Runtime's CPU kernels run fast: softmax over channels.

Why: ONNX Runtime 1.32's CPU Softmax and LogSoftmax over any axis but the last are 10x slower than the same
arithmetic in plain ops. tinta-base's class head takes three of them over its 262 bins (its distribution, and the
annealed mean's LogSoftmax and Softmax), at 38 ms each on a [1, 262, 64, 64] map on 2 cores, 58% of the whole graph
at 256 x 256 (150 ms; 63 ms rewritten). Moving the axis last with Transpose does not help: ORT's own optimizer folds
the transposes back into the slow kernel. Written as ReduceMax, Sub, Exp, ReduceSum and Div (Log and Sub for
LogSoftmax) the same function runs in ORT's fast element-wise and reduction kernels. Every model gets it at load
(a user's own too), the file and its SHA-256 stay as shipped, and the outputs agree to float rounding.

Left alone: graphs before opset 13 (their Softmax flattens every axis from `axis` on into one), softmax already over
the last axis, and graphs holding fp16 weights (the fp16 copy made for GPU providers, engine/precision.py).
"""
from __future__ import annotations

SLOW = ("Softmax", "LogSoftmax")


def _opset(model: "onnx.ModelProto") -> int:
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


def _axis(node) -> int:
    from onnx import helper

    for a in node.attribute:
        if a.name == "axis":
            return int(helper.get_attribute_value(a))
    return -1  # opset 13 on: the default is the last axis


def _reduce(op: str, x: str, out: str, axis: int, opset: int, consts: list) -> list:
    """`op` (ReduceMax or ReduceSum) over `axis` with keepdims, in the form this opset takes its axes."""
    from onnx import TensorProto, helper

    takes_input = opset >= (13 if op == "ReduceSum" else 18)
    if not takes_input:
        return [helper.make_node(op, [x], [out], axes=[axis], keepdims=1)]
    name = f"{out}_axes"
    consts.append(helper.make_tensor(name, TensorProto.INT64, [1], [axis]))
    return [helper.make_node(op, [x, name], [out], keepdims=1)]


def softmax_in_plain_ops(model: "onnx.ModelProto") -> int:
    """Rewrite `model` in place (see the module's docstring); returns how many nodes were rewritten."""
    from onnx import TensorProto, helper  # imported on first use, as engine/pruning.py does: not at app start

    opset = _opset(model)
    graph = model.graph
    if opset < 13 or any(t.data_type == TensorProto.FLOAT16 for t in graph.initializer):
        return 0
    nodes, consts, done = [], [], 0
    for node in graph.node:
        axis = _axis(node) if node.op_type in SLOW and node.domain in ("", "ai.onnx") else -1
        if axis == -1:
            nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        p = f"{y}__plain"
        nodes += _reduce("ReduceMax", x, f"{p}_max", axis, opset, consts)
        nodes += [helper.make_node("Sub", [x, f"{p}_max"], [f"{p}_shifted"]),
                  helper.make_node("Exp", [f"{p}_shifted"], [f"{p}_exp"])]
        nodes += _reduce("ReduceSum", f"{p}_exp", f"{p}_sum", axis, opset, consts)
        if node.op_type == "Softmax":
            nodes.append(helper.make_node("Div", [f"{p}_exp", f"{p}_sum"], [y]))
        else:
            nodes += [helper.make_node("Log", [f"{p}_sum"], [f"{p}_logsum"]),
                      helper.make_node("Sub", [f"{p}_shifted", f"{p}_logsum"], [y])]
        done += 1
    if done:
        del graph.node[:]
        graph.node.extend(nodes)
        graph.initializer.extend(consts)
    return done
