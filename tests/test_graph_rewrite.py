"""Softmax over channels is rewritten at load into ops ONNX Runtime runs fast (engine/graph_rewrite.py)."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine import graph_rewrite, providers, pruning
from tests.engine_fixtures import make_test_model


def _graph(opset: int, axis: int = 1, fp16_weight: bool = False) -> onnx.ModelProto:
    """x [2, 5, 3, 4] -> (Softmax over `axis`, LogSoftmax over `axis`, and a Softmax of their sum over the last)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 3, 4])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 5, 3, 4]) for n in ("p", "lp", "q")]
    nodes = [helper.make_node("Softmax", ["x"], ["p"], axis=axis),
             helper.make_node("LogSoftmax", ["x"], ["lp"], axis=axis),
             helper.make_node("Add", ["p", "lp"], ["s"]),
             helper.make_node("Softmax", ["s"], ["q"], axis=-1)]
    inits = [numpy_helper.from_array(np.ones(1, np.float16), "unused")] if fp16_weight else []
    model = helper.make_model(helper.make_graph(nodes, "g", [x], outs, inits),
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _run(model: onnx.ModelProto, x: np.ndarray) -> list[np.ndarray]:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})


@pytest.mark.parametrize("opset,axis", [(13, 1), (17, 1), (18, 1), (18, 2), (17, 0)])
def test_softmax_over_a_channel_axis_becomes_plain_ops_with_the_same_outputs(opset, axis):
    x = np.random.default_rng(opset).normal(0, 8, (2, 5, 3, 4)).astype(np.float32)
    model = _graph(opset, axis)
    before = _run(model, x)
    assert graph_rewrite.softmax_in_plain_ops(model) == 2  # the one over the last axis is already fast
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert "LogSoftmax" not in ops and ops.count("Softmax") == 1 and "ReduceMax" in ops and "Exp" in ops
    for b, a in zip(before, _run(model, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert graph_rewrite.softmax_in_plain_ops(model) == 0  # nothing left to rewrite


@pytest.mark.parametrize("case", ["opset 11", "fp16 weights"])
def test_graphs_it_cannot_or_should_not_rewrite_are_left_as_they_are(case):
    model = _graph(11) if case == "opset 11" else _graph(17, fp16_weight=True)
    before = model.SerializeToString()
    assert graph_rewrite.softmax_in_plain_ops(model) == 0 and model.SerializeToString() == before


def test_every_session_the_engine_opens_runs_the_rewritten_class_head(tmp_path):
    card = make_test_model(tmp_path)
    path = tmp_path / "tiny.onnx"
    whole = providers._cut(str(path), "rw1", None)  # the whole graph, as the distribution and the CLI open it
    assert isinstance(whole, bytes)
    for data in (whole, pruning.outputs_only(path, "rw1", ("ab", "prob"))):
        ops = [n.op_type for n in onnx.load_from_string(data).graph.node]
        assert "Softmax" not in ops and "ReduceSum" in ops
    L = np.linspace(0, 100, 32 * 64, dtype=np.float32).reshape(1, 1, 32, 64)
    feeds = {"L": L, "hint_ab": np.zeros((1, 2, 32, 64), np.float32), "hint_mask": np.zeros((1, 1, 32, 64), np.float32),
             "temperature": np.array([0.38], np.float32)}
    got = ort.InferenceSession(whole, providers=["CPUExecutionProvider"]).run(["prob"], feeds)[0]
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["prob"], feeds)[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert card.exists()


def test_a_graph_with_nothing_to_rewrite_opens_from_its_file_and_is_parsed_once(tmp_path, monkeypatch):
    model = _graph(17, axis=-1)
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    loads = []
    real = onnx.load
    monkeypatch.setattr(onnx, "load", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    assert providers._cut(str(path), "rw2", None) == str(path)
    assert providers._cut(str(path), "rw2", None) == str(path) and len(loads) == 1
