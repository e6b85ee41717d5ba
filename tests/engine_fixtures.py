"""Test helpers: tiny contract-conforming ONNX colorizers built with onnx.helper (no torch), plus their cards."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K = 16
SHARPNESS = 50.0
CENTRES = np.linspace(0.0, 1.0, K, dtype=np.float32)  # bin k is most likely where L/100 ~ CENTRES[k]
BINS = [[round(30 * float(np.cos(2 * np.pi * k / K)), 3), round(30 * float(np.sin(2 * np.pi * k / K)), 3)]
        for k in range(K)]


def reference_ab(L: np.ndarray) -> np.ndarray:
    """The tiny model's chroma without hints: L (..., 0..100) -> (a, b) stacked on a new first axis."""
    ln = np.asarray(L, np.float32) * np.float32(0.01)
    return np.stack([40 * np.sin(3 * ln) - 10, 40 * np.cos(2 * ln)]).astype(np.float32)


def _graph(follows_hints: bool = True) -> onnx.ModelProto:
    f = TensorProto.FLOAT
    dims = ["N", 1, "H", "W"]
    inputs = [helper.make_tensor_value_info("L", f, dims),
              helper.make_tensor_value_info("hint_ab", f, ["N", 2, "H", "W"]),
              helper.make_tensor_value_info("hint_mask", f, dims),
              helper.make_tensor_value_info("temperature", f, [1])]
    outputs = [helper.make_tensor_value_info("ab", f, ["N", 2, "H", "W"]),
               helper.make_tensor_value_info("ab_reg", f, ["N", 2, "H", "W"]),
               helper.make_tensor_value_info("prob", f, ["N", K, "h4", "w4"])]
    conv_w = np.stack([2 * CENTRES, -np.ones(K, np.float32)], axis=1)[:, :, None, None] * SHARPNESS
    conv_b = -(CENTRES ** 2) * SHARPNESS
    inits = [numpy_helper.from_array(np.float32(v).reshape(s), n) for n, v, s in [
        ("c001", 0.01, []), ("c3", 3.0, []), ("c2", 2.0, []), ("one", 1.0, []),
        ("scale", [40.0, 40.0], [1, 2, 1, 1]), ("offset", [-10.0, 0.0], [1, 2, 1, 1])]]
    inits += [numpy_helper.from_array(conv_w.astype(np.float32), "conv_w"),
              numpy_helper.from_array(conv_b.astype(np.float32), "conv_b")]
    nodes = [
        helper.make_node("Mul", ["L", "c001"], ["ln"]),
        helper.make_node("Mul", ["ln", "c3"], ["ln3"]), helper.make_node("Sin", ["ln3"], ["s"]),
        helper.make_node("Mul", ["ln", "c2"], ["ln2"]), helper.make_node("Cos", ["ln2"], ["c"]),
        helper.make_node("Concat", ["s", "c"], ["sc"], axis=1),
        helper.make_node("Mul", ["sc", "scale"], ["g0"]), helper.make_node("Add", ["g0", "offset"], ["ab_reg"]),
        *([helper.make_node("Mul", ["hint_ab", "hint_mask"], ["hinted"]),
           helper.make_node("Sub", ["one", "hint_mask"], ["free"]),
           helper.make_node("Mul", ["ab_reg", "free"], ["unhinted"]),
           helper.make_node("Add", ["hinted", "unhinted"], ["ab"])] if follows_hints else
          # Blind to hints (they are inputs, unused): whatever meets them is engine/propagate.py's doing.
          [helper.make_node("Identity", ["ab_reg"], ["ab"])]),
        helper.make_node("AveragePool", ["ln"], ["pool"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Mul", ["pool", "pool"], ["pool2"]),
        helper.make_node("Concat", ["pool", "pool2"], ["feat"], axis=1),
        helper.make_node("Conv", ["feat", "conv_w", "conv_b"], ["logits"]),
        helper.make_node("Div", ["logits", "temperature"], ["tempered"]),
        helper.make_node("Softmax", ["tempered"], ["prob"], axis=1),
    ]
    graph = helper.make_graph(nodes, "tiny_colorizer", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tinta-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def make_test_model(dirpath, name: str = "tiny", default: bool = True, follows_hints: bool = True) -> Path:
    """Write <name>.onnx and its card <name>.json into dirpath; returns the card path.

    follows_hints=True copies hint_ab into its output where hint_mask is 1; False ignores the hints, so
    its output is reference_ab(L) whatever hints it is given.
    """
    d = Path(dirpath)
    d.mkdir(parents=True, exist_ok=True)
    data = _graph(follows_hints).SerializeToString()
    (d / f"{name}.onnx").write_bytes(data)
    card = {
        "name": name, "version": "0.0-test", "file": f"{name}.onnx",
        "sha256": hashlib.sha256(data).hexdigest(), "task": "colorize",
        "inputs": ["L", "hint_ab", "hint_mask", "temperature"], "outputs": ["ab", "ab_reg", "prob"],
        "input_size_rule": {"multiple": 32, "default_long_side": 512},
        "default_temperature": 0.38, "bins": BINS, "default": default,
        "training": {"summary": "synthetic test model from tests/engine_fixtures.py (no training)"},
        "metrics": {"note": "none: not a trained model"}, "licences": {"model": "Apache-2.0"},
    }
    path = d / f"{name}.json"
    path.write_text(json.dumps(card, indent=1), encoding="utf-8")
    return path


def colorizer_with_decoding(tmp_path, monkeypatch, decoding: dict | None):
    """A Colorizer of the tiny test model (tmp_path/tiny.onnx) whose card has the "decoding" object `decoding`
    (None: none, the annealed mean), found through TINTA_MODELS_DIR."""
    from engine.colorizer import Colorizer

    card = make_test_model(tmp_path)
    raw = json.loads(card.read_text())
    if decoding is not None:
        raw["decoding"] = decoding
    card.write_text(json.dumps(raw))
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    return Colorizer()


def gradient_image(h: int = 96, w: int = 128, dtype=np.uint8) -> np.ndarray:
    """A gray H x W ramp with a bright square: deterministic content for pipeline tests."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    v = 0.1 + 0.6 * x / max(1, w - 1) + 0.1 * y / max(1, h - 1)
    v[h // 4:h // 2, w // 4:w // 2] = 0.95
    top = 255 if dtype == np.uint8 else 65535
    return (v * top + 0.5).astype(dtype)


_JPEG_LUMA = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                       14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
                       92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99])


def jpeg_quality_of(path) -> int | None:
    """The libjpeg quality (1..100) a JPEG was written at, from its luminance quantization table."""
    from PIL import Image

    with Image.open(path) as im:
        table = sorted(im.quantization[0])
    for q in range(1, 101):
        scale = 5000 // q if q < 50 else 200 - 2 * q
        if sorted(np.clip((_JPEG_LUMA * scale + 50) // 100, 1, 255).tolist()) == table:
            return q
    return None


def tiny_with_input_change(dirpath, monkeypatch, field: str, value: dict):
    """The tiny model's Colorizer with its card's `field` (input_levels, input_sharpness) set to `value` and a
    working long side of 128, found through TINTA_MODELS_DIR."""
    from engine.colorizer import Colorizer

    path = make_test_model(dirpath)
    raw = json.loads(path.read_text())
    raw[field] = value
    raw["input_size_rule"]["default_long_side"] = 128
    path.write_text(json.dumps(raw))
    monkeypatch.setenv("TINTA_MODELS_DIR", str(dirpath))
    return Colorizer("tiny")


def assert_card_rejects(path: Path, field: str, bads) -> None:
    """Each value in `bads` written as the card's `field` makes load_card fail with one line naming the card."""
    import pytest

    from engine.errors import ModelError
    from engine.models import load_card

    raw = json.loads(path.read_text())
    for bad in bads:
        raw[field] = bad
        path.write_text(json.dumps(raw))
        with pytest.raises(ModelError, match=path.name):
            load_card(path)
