"""The network's view of faded photos (engine/levels.py): points moved only when outside the card's, luminance kept."""
import json

import numpy as np
import pytest

from engine.color import luminance
from engine.levels import InputLevels, network_input, points
from engine.models import load_card
from tests.engine_fixtures import assert_card_rejects, make_test_model, reference_ab, tiny_with_input_change

LEVELS = InputLevels(black=10.0, white=85.0, max_gain=3.0)


def _ramp(lo: float, hi: float, h: int = 64, w: int = 96) -> np.ndarray:
    return np.linspace(lo, hi, h * w, dtype=np.float32).reshape(h, w)


def test_a_photo_within_the_points_is_left_as_it_is():
    L = _ramp(2.0, 95.0)
    assert network_input(L, L, LEVELS) is L
    assert network_input(L, L, None) is L


def test_lifted_blacks_are_moved_down_and_the_white_point_stays():
    L = _ramp(35.0, 92.0)
    out = network_input(L, L, LEVELS)
    lo, hi = points(out)
    assert lo == pytest.approx(10.0, abs=0.05)
    assert hi == pytest.approx(points(L)[1], abs=0.05)
    assert np.all(np.diff(out.ravel()) >= 0)  # an affine map: the order of tones is kept
    assert out.dtype == np.float32


def test_a_faded_photo_gets_both_points_and_padding_follows_the_same_map():
    L = _ramp(40.0, 70.0)
    pad = np.pad(L, ((0, 32), (0, 0)), mode="reflect")
    out = network_input(L, pad, LEVELS)
    assert out.shape == pad.shape
    lo, hi = points(out[:64])
    assert (lo, hi) == (pytest.approx(10.0, abs=0.05), pytest.approx(85.0, abs=0.05))
    # the padding rows are reflections of the photo's rows, so they are mapped alike
    assert np.allclose(out[64:], np.pad(out[:64], ((0, 32), (0, 0)), mode="reflect")[64:], atol=1e-4)


def test_a_nearly_flat_photo_is_stretched_at_most_max_gain_about_the_target_centre():
    L = _ramp(50.0, 60.0)
    out = network_input(L, L, LEVELS)
    lo, hi = points(out)
    assert hi - lo == pytest.approx(3.0 * 10.0 * 0.98, rel=0.01)  # the 1st-99th percentile span, times 3
    assert (lo + hi) / 2 == pytest.approx((10.0 + 85.0) / 2, abs=0.1)
    flat = np.full((32, 32), 42.0, np.float32)
    assert network_input(flat, flat, LEVELS) is flat


def test_the_card_reads_input_levels_and_names_the_card_when_they_are_malformed(tmp_path):
    path = make_test_model(tmp_path)
    assert load_card(path).input_levels is None
    raw = json.loads(path.read_text())
    raw["input_levels"] = {"black": 10.8, "white": 84.9}
    path.write_text(json.dumps(raw))
    assert load_card(path).input_levels == InputLevels(10.8, 84.9, 3.0)
    assert_card_rejects(path, "input_levels", ({"black": 90, "white": 10}, {"white": 80}, [1, 2],
                                               {"black": 5, "white": 90, "max_gain": 0.5}))


def test_the_colorizer_feeds_the_moved_luminance_and_keeps_the_photos_own(tmp_path, monkeypatch):
    col = tiny_with_input_change(tmp_path, monkeypatch, "input_levels", {"black": 10.0, "white": 85.0})
    faded = (np.linspace(110, 190, 96 * 128).reshape(96, 128) + 0.5).astype(np.uint8)  # L* about 46-77
    job = col.prepare(faded)
    h, w = job.L_work.shape
    lo, hi = points(job.L_pad[:h, :w])
    assert (lo, hi) == (pytest.approx(10.0, abs=0.3), pytest.approx(85.0, abs=0.3))
    res = col.colorize(faded)
    # the tiny model's chroma is a function of the L it is fed: the moved one, not the photo's
    assert np.allclose(res.ab_work, reference_ab(job.L_pad[:h, :w]), atol=0.05)
    assert not np.allclose(res.ab_work, reference_ab(job.L_work), atol=1.0)
    # and the result keeps the photo's own luminance (the fading stays; only the colours are chosen differently)
    assert np.abs(luminance(res.rgb) - luminance(np.repeat(faded[..., None], 3, 2))).max() < 1.0
