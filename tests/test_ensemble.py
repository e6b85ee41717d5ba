"""The scale ensemble (engine/ensemble.py): extra working sizes averaged on the working grid."""

import numpy as np
import pytest

from engine import ensemble
from engine.decoding import Decoding
from tests.engine_fixtures import colorizer_with_decoding


def test_scaled_shapes_are_multiples_of_32_nearest_to_the_scale():
    assert ensemble.scaled_shape(192, 160, 5 / 6, 32) == (160, 128)
    assert ensemble.scaled_shape(256, 192, 5 / 6, 32) == (224, 160)
    assert ensemble.scaled_shape(32, 64, 0.5, 32) == (32, 32)  # never below one multiple
    assert ensemble.scaled_shape(96, 128, 5 / 6, 32) == (96, 96)  # halves round up, whatever Python's round does


def test_a_one_pixel_hint_survives_the_smaller_grid_with_its_colour():
    ab = np.zeros((1, 2, 64, 64), np.float32)
    mask = np.zeros((1, 1, 64, 64), np.float32)
    ab[0, :, 13, 41] = (40.0, -20.0)
    mask[0, 0, 13, 41] = 1.0
    sab, smask = ensemble.resize_hints(ab, mask, 32, 32)
    assert smask.sum() == 1 and smask[0, 0, 6, 20] == 1
    assert np.allclose(sab[0, :, 6, 20], (40.0, -20.0), atol=1e-4)
    assert np.all(sab[:, :, smask[0, 0] == 0] == 0)


def test_outputs_are_the_mean_of_the_working_size_and_each_scale_on_the_working_grid():
    calls = []

    def run(L, hint_ab, hint_mask):  # a "network" whose answer depends on the grid it sees
        calls.append(L.shape[2:])
        h, w = L.shape[2:]
        return {"ab": np.full((1, 2, h, w), float(h), np.float32),
                "prob": np.full((1, 3, h // 4, w // 4), 1 / 3, np.float32)}

    L = np.zeros((1, 1, 64, 96), np.float32)
    hints = np.zeros((1, 2, 64, 96), np.float32), np.zeros((1, 1, 64, 96), np.float32)
    out = ensemble.ensemble(run, L, *hints, (0.5,), 32)
    assert calls == [(64, 96), (32, 64)]
    assert out["ab"].shape == (1, 2, 64, 96) and np.allclose(out["ab"], (64 + 32) / 2)
    assert out["prob"].shape == (1, 3, 16, 24) and np.allclose(out["prob"].sum(1), 1.0, atol=1e-5)
    calls.clear()
    assert np.allclose(ensemble.ensemble(run, L, *hints, (), 32)["ab"], 64) and calls == [(64, 96)]


def test_scales_travel_through_the_card_and_change_the_colorizers_answer(tmp_path, monkeypatch):
    dec = Decoding("regression", reg_gain=1.5, scales=(2 / 3,))
    assert Decoding.from_raw(dec.to_raw()) == dec and "scales" not in Decoding("regression").to_raw()
    with pytest.raises(ValueError):
        Decoding("regression", scales=(1.0,))
    one = colorizer_with_decoding(tmp_path, monkeypatch, {"mode": "regression", "reg_gain": 1.5})
    two = colorizer_with_decoding(tmp_path, monkeypatch, dec.to_raw())
    assert two.card.decoding.scales == (2 / 3,)
    rng = np.random.default_rng(0)
    L = np.clip(rng.normal(50, 25, (1, 1, 96, 128)), 0, 100).astype(np.float32)
    a, b = one.predict(L), two.predict(L)
    assert b.ab.shape == a.ab.shape and not np.allclose(a.ab, b.ab, atol=1e-3)
    # the same as running the smaller size by hand and averaging the heads before the gain
    small = one.predict(ensemble.resize(L, 64, 96))
    mean_reg = (a.ab_reg + ensemble.resize(small.ab_reg, 96, 128)) / 2
    assert np.allclose(b.ab_reg, mean_reg, atol=1e-4) and np.allclose(b.ab, 1.5 * mean_reg, atol=1e-3)
    # one click through the whole pipeline works at both sizes
    img = (rng.random((90, 130)) * 255).astype(np.uint8)
    assert two.colorize(img).rgb.shape == (90, 130, 3)
