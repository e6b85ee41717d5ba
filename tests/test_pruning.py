"""The graph is cut down to the outputs the card's decoding reads; the class head runs only when asked for."""
import json

import numpy as np
import onnxruntime as ort
import pytest

from engine import pruning
from tests.engine_fixtures import colorizer_with_decoding, gradient_image, make_test_model


def _colorizer(tmp_path, monkeypatch, decoding):
    return colorizer_with_decoding(tmp_path, monkeypatch, decoding), tmp_path / "tiny.onnx"


def _feeds(L, t=0.38):
    n, _, h, w = L.shape
    return {"L": L, "hint_ab": np.zeros((n, 2, h, w), np.float32), "hint_mask": np.zeros((n, 1, h, w), np.float32),
            "temperature": np.array([t], np.float32)}


def test_a_regression_card_runs_only_the_regression_head(tmp_path, monkeypatch):
    col, path = _colorizer(tmp_path, monkeypatch, {"mode": "regression", "reg_gain": 1.0})
    assert [o.name for o in col._session.get_outputs()] == ["ab_reg"]
    # every contract input (the part that reads the hints also takes the encoder's answer: engine/split.py)
    assert {"L", "hint_ab", "hint_mask", "temperature"} <= {i.name for i in col._session.get_inputs()}
    L = np.linspace(0, 100, 64 * 96, dtype=np.float32).reshape(1, 1, 64, 96)
    whole = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ab_reg, prob = whole.run(["ab_reg", "prob"], _feeds(L))
    pred = col.predict(L)
    np.testing.assert_array_equal(pred.ab_reg, ab_reg)  # the same nodes, so the same numbers
    assert pred.prob is None and col._full is None       # nothing has asked for the distribution yet
    asked = col.predict(L, distribution=True)
    np.testing.assert_allclose(asked.prob, prob, atol=1e-6)
    np.testing.assert_array_equal(asked.ab, pred.ab)


def test_an_annealed_card_leaves_out_the_regression_head(tmp_path, monkeypatch):
    col, _ = _colorizer(tmp_path, monkeypatch, None)
    assert [o.name for o in col._session.get_outputs()] == ["ab"]


def test_a_blend_card_keeps_what_it_reads(tmp_path, monkeypatch):
    col, _ = _colorizer(tmp_path, monkeypatch, {"mode": "blend", "reg_gain": 1.0})
    assert {o.name for o in col._session.get_outputs()} == {"ab", "ab_reg", "prob"}
    res = col.colorize(gradient_image(40, 60), size=60)
    assert res.prob is not None  # a blend reads the distribution, so every result has it at once


def test_a_results_distribution_is_made_once_for_its_own_inputs(tmp_path, monkeypatch):
    col, path = _colorizer(tmp_path, monkeypatch, {"mode": "regression", "reg_gain": 1.0})
    img = gradient_image(40, 60)
    res = col.colorize(img, size=60)
    assert res.prob is None and col.can_explain(res)
    prob = col.distribution(res)
    assert col.distribution(res) is prob  # kept on the result
    job = col.prepare(img, size=60)
    whole = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (full,) = whole.run(["prob"], _feeds(job.L_pad[None, None], job.temperature))
    h, w = res.work_shape
    np.testing.assert_allclose(prob, full[0][:, :-(-h // 4), :-(-w // 4)], atol=1e-6)
    res.inputs = None  # a variant's result: not this model's answer to its inputs
    res.prob = None
    assert not col.can_explain(res)


def test_outputs_only_returns_none_when_nothing_would_be_left_out(tmp_path):
    card = make_test_model(tmp_path)
    path = tmp_path / json.loads(card.read_text())["file"]
    assert pruning.outputs_only(path, "k1", ("ab", "ab_reg", "prob")) is None
    assert pruning.outputs_only(path, "k1", ("nothing",)) is None
    assert pruning.graph_outputs(path, "k1") == ("ab", "ab_reg", "prob")


def test_a_graph_that_cannot_be_cut_runs_whole_with_a_warning(tmp_path, monkeypatch):
    card = make_test_model(tmp_path)
    path = tmp_path / json.loads(card.read_text())["file"]

    def broken(*a, **k):
        raise RuntimeError("no")

    monkeypatch.setattr("onnx.utils.Extractor.extract_model", broken)
    with pytest.warns(pruning.PruningWarning, match="running all of it"):
        assert pruning.outputs_only(path, "k2", ("ab",)) is None


def test_a_model_is_parsed_once_to_list_its_outputs_and_cut(tmp_path, monkeypatch):
    import onnx
    card = make_test_model(tmp_path)
    path = tmp_path / json.loads(card.read_text())["file"]
    loads = []
    real = onnx.load
    monkeypatch.setattr(onnx, "load", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    assert pruning.graph_outputs(path, "k3") == ("ab", "ab_reg", "prob")
    assert pruning.outputs_only(path, "k3", ("ab_reg",)) is not None
    assert len(loads) == 1 and pruning._last[0] is None  # parsed once, then let go
