"""The network's view of crisp and soft photos (engine/sharpness.py): detail moved only when outside the card's."""
import json

import cv2
import numpy as np
import pytest

from engine.color import luminance
from engine.models import load_card
from engine.sharpness import InputSharpness, blur_for, detail, network_input, sharpen_for
from tests.engine_fixtures import assert_card_rejects, make_test_model, reference_ab, tiny_with_input_change

SHARP = InputSharpness(least=0.35, most=0.5)


def _texture(sigma: float, h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    """Grain blurred by `sigma` pixels over a ramp, in L* 0..100: the larger sigma, the less fine detail."""
    rng = np.random.default_rng(seed)
    g = rng.normal(0.0, 1.0, (h, w)).astype(np.float32)
    if sigma > 0:
        g = cv2.GaussianBlur(g, (0, 0), sigma)
    g *= 12.0 / g.std()
    return np.clip(g + np.linspace(25, 75, w, dtype=np.float32)[None], 0, 100).astype(np.float32)


def test_detail_orders_photos_from_soft_to_crisp_and_ignores_contrast():
    soft, mid, crisp = (detail(_texture(s)) for s in (2.0, 1.0, 0.0))
    assert 0.0 < soft < mid < crisp < 1.0
    L = _texture(1.0)
    assert detail(50 + 0.5 * (L - 50)) == pytest.approx(detail(L), rel=1e-3)
    assert detail(np.full((32, 32), 40.0, np.float32)) == 0.0


def test_a_photo_within_the_range_is_left_as_it_is():
    L = _texture(1.0)
    assert SHARP.least < detail(L) < SHARP.most
    assert network_input(L, L, SHARP) is L
    assert network_input(L, L, None) is L
    assert blur_for(L, SHARP) == 0.0 and sharpen_for(L, SHARP) == 0.0


def test_a_crisp_photo_is_blurred_just_down_to_most():
    L = _texture(0.0)
    sigma = blur_for(L, SHARP)
    assert 0.0 < sigma < SHARP.max_sigma
    out = network_input(L, L, SHARP)
    assert out is not L and out.dtype == np.float32 and out.shape == L.shape
    assert detail(out) == pytest.approx(SHARP.most, abs=0.01)
    assert detail(out) <= SHARP.most  # the search ends on the side of the bound, never above it
    assert abs(float(out.mean()) - float(L.mean())) < 0.1  # a blur: tones kept, only fine detail goes


def test_a_soft_photo_is_sharpened_just_up_to_least():
    L = _texture(1.5)
    amount = sharpen_for(L, SHARP)
    assert 0.0 < amount < SHARP.max_amount
    out = network_input(L, L, SHARP)
    assert detail(out) == pytest.approx(SHARP.least, abs=0.01)
    assert out.min() >= 0.0 and out.max() <= 100.0


def test_the_padding_is_changed_with_the_photo_and_measured_without_it():
    L = _texture(0.0)
    pad = np.pad(L, ((0, 32), (0, 16)), mode="reflect")
    out = network_input(L, pad, SHARP)
    assert out.shape == pad.shape
    # the amount comes from the photo alone, and the whole padded input is blurred by it
    assert np.allclose(out, cv2.GaussianBlur(pad, (0, 0), blur_for(L, SHARP), borderType=cv2.BORDER_REFLECT))


def test_the_caps_hold_for_grain_and_for_a_featureless_photo():
    grain = _texture(0.0)
    assert blur_for(grain, InputSharpness(most=0.05, max_sigma=0.8)) == 0.8
    smooth = _texture(6.0)
    assert sharpen_for(smooth, InputSharpness(least=0.95, max_amount=1.5)) == 1.5


def test_the_card_reads_input_sharpness_and_names_the_card_when_it_is_malformed(tmp_path):
    path = make_test_model(tmp_path)
    assert load_card(path).input_sharpness is None
    raw = json.loads(path.read_text())
    raw["input_sharpness"] = {"most": 0.48, "chosen_on": "validation"}
    path.write_text(json.dumps(raw))
    assert load_card(path).input_sharpness == InputSharpness(0.0, 0.48, 2.0, 3.0)
    raw["input_sharpness"] = {"least": 0.3, "most": 0.5, "max_sigma": 1.5}
    path.write_text(json.dumps(raw))
    assert load_card(path).input_sharpness == InputSharpness(0.3, 0.5, 1.5, 3.0)
    assert_card_rejects(path, "input_sharpness", ({"least": 0.6, "most": 0.4}, {"max_sigma": 1}, [0.3, 0.5],
                                                  {"most": 1.5}, {"most": "crisp"}, {"least": 0.3, "max_amount": 0},
                                                  {"most": 0.5, "max_sigma": 0}))


def test_the_colorizer_feeds_the_softened_luminance_and_keeps_the_photos_own(tmp_path, monkeypatch):
    col = tiny_with_input_change(tmp_path, monkeypatch, "input_sharpness", {"most": 0.4})
    L = _texture(0.0)
    gray = (np.clip(L * 2.55, 0, 255) + 0.5).astype(np.uint8)
    job = col.prepare(gray)
    h, w = job.L_work.shape
    assert detail(job.L_work) > 0.5 and detail(job.L_pad[:h, :w]) == pytest.approx(0.4, abs=0.02)
    res = col.colorize(gray)
    # the tiny model's chroma is a function of the L it is fed: the softened one, not the photo's
    assert np.allclose(res.ab_work, reference_ab(job.L_pad[:h, :w]), atol=0.05)
    assert not np.allclose(res.ab_work, reference_ab(job.L_work), atol=1.0)
    # and the result keeps the photo's own luminance, all its fine detail included
    assert np.abs(luminance(res.rgb) - luminance(np.repeat(gray[..., None], 3, 2))).max() < 1.0
