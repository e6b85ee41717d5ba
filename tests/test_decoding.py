"""Decoding of the heads (engine/decoding.py) and the card's choice reaching the colorizer."""

import numpy as np
import pytest

from engine.decoding import Decoding, blend_weight, confidence, decode
from engine.errors import ModelError
from tests.engine_fixtures import colorizer_with_decoding


def _heads(n=1, h=8, w=12, k=16):
    rng = np.random.default_rng(0)
    ab = rng.normal(0, 30, (n, 2, h, w)).astype(np.float32)
    reg = rng.normal(0, 10, (n, 2, h, w)).astype(np.float32)
    return ab, reg, k


def test_confidence_is_one_for_a_single_bin_and_zero_for_uniform():
    k = 16
    sure = np.zeros((1, k, 2, 3), np.float32)
    sure[:, 3] = 1
    unsure = np.full((1, k, 2, 3), 1 / k, np.float32)
    assert np.allclose(confidence(sure), 1, atol=1e-5)
    assert np.allclose(confidence(unsure), 0, atol=1e-5)


def test_annealed_is_the_network_output_and_regression_is_scaled_by_gain_and_vividness():
    ab, reg, k = _heads()
    prob = np.full((1, k, 2, 3), 1 / k, np.float32)
    assert decode(ab, reg, prob, Decoding("annealed")) is ab
    out = decode(ab, reg, prob, Decoding("regression", reg_gain=1.5), vividness=2.0)
    assert np.allclose(out, 3.0 * reg)


def test_a_chroma_knee_adds_colour_where_the_head_sees_colour_and_keeps_near_gray_near_gray():
    reg = np.zeros((1, 2, 1, 3), np.float32)
    reg[0, 0] = [0.5, 10.0, 60.0]            # a* of a near-gray, a mid and a vivid pixel; b* = 0
    out = decode(None, reg, None, Decoding("regression", reg_gain=2.0, chroma_knee=10.0))
    gain = out[0, 0, 0] / reg[0, 0, 0]
    assert np.allclose(gain, [1 + 0.5 / 10.5, 1.5, 1 + 60 / 70], atol=1e-5)  # 1 + (2 - 1) * c / (c + 10)
    assert np.allclose(out[0, 1], 0)                                            # hue kept
    flat = decode(None, reg, None, Decoding("regression", reg_gain=2.0, chroma_knee=0.0))
    assert np.allclose(flat, 2.0 * reg)                                        # knee 0: the uniform gain
    dec = Decoding("regression", reg_gain=1.75, chroma_knee=20.0)
    assert Decoding.from_raw(dec.to_raw()) == dec and Decoding.from_raw({"mode": "regression"}).chroma_knee == 0


def test_a_chroma_lift_adds_about_the_same_chroma_to_pale_and_vivid_pixels_and_keeps_gray_gray():
    reg = np.zeros((1, 2, 1, 4), np.float32)
    reg[0, 1] = [0.0, 2.0, 10.0, 60.0]        # b* of a gray, a near-gray, a mid and a vivid pixel; a* = 0
    dec = Decoding("regression", reg_gain=1.0, chroma_lift=8.0, lift_knee=2.0)
    out = decode(None, reg, None, dec)
    assert np.allclose(out[0, 1], [0.0, 2 + 8 * 2 / 4, 10 + 8 * 10 / 12, 60 + 8 * 60 / 62], atol=1e-4)
    assert np.allclose(out[0, 0], 0)                                            # hue kept
    # on top of a gain, and the vividness slider scales the whole of it
    out = decode(None, reg, None, Decoding("regression", reg_gain=1.25, chroma_lift=8.0, lift_knee=2.0), 2.0)
    assert np.allclose(out[0, 1, 0, 2], 2.0 * 10 * (1.25 + 8 / 12), atol=1e-4)
    assert Decoding.from_raw(dec.to_raw()) == dec
    assert "chroma_lift" not in Decoding("regression", reg_gain=1.5).to_raw()  # older cards' shape is kept
    with pytest.raises(ValueError):
        Decoding("regression", chroma_knee=10.0, chroma_lift=8.0)
    with pytest.raises(ValueError):
        Decoding("regression", chroma_lift=8.0, lift_knee=0.0)


def test_a_tint_gain_scales_the_photos_mean_chroma_apart_from_the_gain_on_its_parts():
    rng = np.random.default_rng(3)
    reg = (rng.normal(0, 10, (2, 2, 6, 8)) + np.array([2.0, 7.0]).reshape(1, 2, 1, 1)).astype(np.float32)
    mean = reg.mean(axis=(2, 3), keepdims=True)
    for t, v in ((1.0, 1.0), (0.85, 1.0), (1.0, 1.5)):
        out = decode(None, reg, None, Decoding("regression", reg_gain=1.6, tint_gain=t), vividness=v)
        assert np.allclose(out.mean(axis=(2, 3), keepdims=True), v * t * mean, atol=1e-4)   # per photo
        assert np.allclose(out - out.mean(axis=(2, 3), keepdims=True), v * 1.6 * (reg - mean), atol=1e-4)
    dec = Decoding("regression", reg_gain=1.6, tint_gain=1.0)
    assert Decoding.from_raw(dec.to_raw()) == dec
    assert "tint_gain" not in Decoding("regression", reg_gain=1.6).to_raw()   # older cards' shape is kept
    assert Decoding.from_raw({"mode": "regression"}).tint_gain is None
    assert np.allclose(decode(None, reg, None, Decoding("regression", reg_gain=1.6)), 1.6 * reg)
    with pytest.raises(ValueError):
        Decoding("regression", tint_gain=-0.5)
    with pytest.raises(ValueError):
        Decoding("regression", reg_gain=2.0, chroma_knee=60.0, tint_gain=1.0)


def test_a_sample_gets_the_defaults_tint_shift_and_lift_so_a_zero_offset_is_the_default():
    """The sampler outputs its gain x ab_reg + offset (engine/variants.py); the default's tint and lift terms are added
    to it, so a zero offset at the card's gain is exactly the default's decoding."""
    from engine.variants import with_lift

    rng = np.random.default_rng(4)
    reg = (rng.normal(0, 10, (1, 2, 6, 8)) + 5).astype(np.float32)
    for dec in (Decoding("regression", reg_gain=1.6, tint_gain=1.0),
                Decoding("regression", reg_gain=1.25, chroma_lift=6.0, lift_knee=3.0, tint_gain=0.9)):
        for v in (1.0, 1.4):
            sample = np.repeat(reg * np.float32(dec.reg_gain * v), 3, 0)
            got = with_lift(sample, {"ab_reg": reg}, dec, v)
            assert np.allclose(got, decode(None, reg, None, dec, v), atol=1e-4)


def test_blend_follows_the_class_head_where_confident_and_regression_where_not():
    ab, reg, k = _heads()
    prob = np.full((1, k, 2, 3), 1 / k, np.float32)
    prob[:, :, :, :1] = 0  # left third of the map: all mass on one bin
    prob[:, 0, :, :1] = 1
    dec = Decoding("blend", reg_gain=2.0, conf_lo=0.3, conf_hi=0.6)
    w = blend_weight(prob, dec, ab.shape[2:])
    assert w.shape == (1, 1, 8, 12) and w[0, 0, :, 0].min() > 0.99 and w[0, 0, :, -1].max() < 0.01
    out = decode(ab, reg, prob, dec)
    assert np.allclose(out[..., 0], ab[..., 0], atol=1e-4)
    assert np.allclose(out[..., -1], 2.0 * reg[..., -1], atol=1e-4)


def test_models_without_a_regression_output_fall_back_to_annealed():
    ab, _, k = _heads()
    assert decode(ab, None, None, Decoding("blend")) is ab


def test_bad_decoding_values_are_refused():
    with pytest.raises(ValueError):
        Decoding("regression", chroma_knee=-1.0)
    with pytest.raises(ValueError):
        Decoding("median")
    with pytest.raises(ValueError):
        Decoding("blend", conf_lo=0.6, conf_hi=0.3)


def test_the_cards_decoding_reaches_predict(tmp_path, monkeypatch):
    col = colorizer_with_decoding(tmp_path, monkeypatch, {"mode": "regression", "reg_gain": 2.0})
    L = np.linspace(0, 100, 64 * 96, dtype=np.float32).reshape(1, 1, 64, 96)
    pred = col.predict(L)
    assert np.allclose(pred.ab, 2.0 * pred.ab_reg, atol=1e-4)
    # vividness 2 halves the temperature and doubles the regression gain
    assert np.allclose(col.predict(L, temperature=0.19).ab, 4.0 * pred.ab_reg, atol=1e-3)


def test_annealed_cards_do_not_run_the_regression_head(tmp_path, monkeypatch):
    col = colorizer_with_decoding(tmp_path, monkeypatch, None)
    pred = col.predict(np.full((1, 1, 32, 32), 50, np.float32))
    assert pred.ab_reg is None and pred.ab is pred.ab_cls


def test_regression_cards_do_not_run_the_annealed_mean(tmp_path, monkeypatch):
    col = colorizer_with_decoding(tmp_path, monkeypatch, {"mode": "regression", "reg_gain": 1.0})
    pred = col.predict(np.full((1, 1, 32, 32), 50, np.float32))
    assert pred.ab_cls is None and pred.ab_reg is not None and pred.prob is None
    # a study asking for another decoding still gets the class head's own output
    assert col.predict(np.full((1, 1, 32, 32), 50, np.float32), decode=Decoding("blend")).ab_cls is not None


def test_a_malformed_decoding_is_one_model_error_naming_the_card(tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="tiny.json"):
        colorizer_with_decoding(tmp_path, monkeypatch, {"mode": "sideways"})
