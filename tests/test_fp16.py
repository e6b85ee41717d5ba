"""Half precision: when the fp16 copy is used, and that its outputs agree with fp32 (run on ORT's CPU EP)."""
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from engine import precision, providers
from engine.color import luminance
from engine.colorizer import Colorizer
from engine.models import find_card, verify
from engine_fixtures import gradient_image, make_test_model

CPU = ["CPUExecutionProvider"]
PHOTO = Path(__file__).resolve().parents[2] / "shared/data/historical/Marilyn.jpg"


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch):
    monkeypatch.setattr(providers, "_sessions", {})
    monkeypatch.setattr(providers, "_precisions", {})
    monkeypatch.setattr(precision, "_fp16_cache", {})
    monkeypatch.delenv(precision.ENV, raising=False)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    card = find_card()
    return card, verify(card)


def _feeds(L):
    n, _, h, w = L.shape
    return {"L": L, "hint_ab": np.zeros((n, 2, h, w), np.float32), "hint_mask": np.zeros((n, 1, h, w), np.float32),
            "temperature": np.array([0.38], np.float32)}


def _both(path, sha, feeds):
    s32 = ort.InferenceSession(str(path), providers=CPU)
    s16 = ort.InferenceSession(precision.fp16_model(path, sha), providers=CPU)
    names = [o.name for o in s32.get_outputs()]
    return s16, dict(zip(names, s32.run(names, feeds))), dict(zip(names, s16.run(names, feeds)))


@pytest.mark.parametrize("provider, how, expected", [
    ("CUDAExecutionProvider", "auto", True), ("DmlExecutionProvider", "auto", True),
    ("CoreMLExecutionProvider", "auto", False), ("CPUExecutionProvider", "auto", False),
    ("CUDAExecutionProvider", "fp32", False), ("CPUExecutionProvider", "fp16", True)])
def test_fp16_only_where_the_provider_has_fp16_kernels(provider, how, expected):
    assert precision.wants_fp16(provider, how) is expected


def test_bad_precision_setting_warns_and_means_auto(monkeypatch):
    monkeypatch.setenv(precision.ENV, "half")
    with pytest.warns(precision.PrecisionWarning, match="TINTA_PRECISION='half'"):
        assert precision.mode() == "auto"


def test_fp16_copy_keeps_float32_io_and_agrees(tiny):
    card, path = tiny
    L = luminance(gradient_image(64, 96))[None, None]
    s16, out32, out16 = _both(path, card.sha256, _feeds(L))
    assert all(i.type == "tensor(float)" for i in s16.get_inputs() + s16.get_outputs())
    assert all(out16[k].dtype == np.float32 for k in out16)
    assert np.abs(out16["ab"] - out32["ab"]).max() < 0.1  # a*, b* units; the tiny model's range is +-50
    # Its logits reach ~130 (sharpness 50 / temperature 0.38); fp16 rounds those by ~0.06, so prob moves ~2%.
    assert np.abs(out16["prob"] - out32["prob"]).max() < 0.05


@pytest.mark.shipped_model
def test_shipped_model_fp16_agrees_with_fp32_on_a_photo():
    card = find_card()
    img = cv2.imread(str(PHOTO), cv2.IMREAD_GRAYSCALE) if PHOTO.is_file() else gradient_image(640, 512)
    L = luminance(cv2.resize(img, (256, 320), interpolation=cv2.INTER_AREA))[None, None]
    _, out32, out16 = _both(verify(card), card.sha256, _feeds(L))
    d_ab = np.abs(out16["ab"] - out32["ab"])
    # Measured: max 0.25, mean 0.034 a*b* units, i.e. far below a just-noticeable colour difference (~2).
    assert d_ab.max() < 1.0 and d_ab.mean() < 0.1
    assert np.abs(out16["prob"] - out32["prob"]).max() < 0.01


def test_session_uses_fp16_when_asked_and_colorizer_agrees(tiny, monkeypatch):
    img = gradient_image(90, 130)
    full = Colorizer()
    ref = full.colorize(img, size=64).rgb
    assert providers.precision_of(full._session) == "fp32"
    monkeypatch.setenv(precision.ENV, "fp16")
    half = Colorizer()
    assert providers.precision_of(half._session) == "fp16"
    assert providers.precision_of(full._session) == "fp32"  # the fp32 session is still there, still fp32
    assert np.abs(half.colorize(img, size=64).rgb.astype(int) - ref).max() <= 2  # 8-bit levels


def test_accelerator_that_falls_back_to_cpu_runs_fp32(tiny, monkeypatch):
    # onnxruntime here has no CUDA: asked for it, ORT falls back to the CPU, which must get the fp32 graph.
    card, path = tiny
    monkeypatch.setattr(providers, "preference", lambda requested=None: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ORT's own "CUDA is not available" warning
        sess, actual = providers.session_for(path, card.sha256)
    assert actual == "CPUExecutionProvider"
    assert providers.precision_of(sess) == "fp32"
    assert card.sha256 in precision._fp16_cache  # the fp16 copy was made, then dropped for the CPU


def test_a_missing_converter_means_fp32_with_a_warning(tiny, monkeypatch):
    card, path = tiny
    monkeypatch.setitem(sys.modules, "onnxruntime.transformers.float16", None)  # as CPU app bundles are built
    with pytest.warns(precision.PrecisionWarning, match="needs onnxruntime.transformers"):
        assert precision.fp16_model(path, card.sha256) is None
    monkeypatch.setenv(precision.ENV, "fp16")
    with pytest.warns(precision.PrecisionWarning):
        c = Colorizer()
    assert providers.precision_of(c._session) == "fp32"
