"""Tests for engine.restore: tone detection/removal, dust and scratch clean-up, denoise, CLAHE, bands."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import color, data

from bench.restore_synth import add_defects, precision_recall, psnr
from engine.restore import (ToneInfo, apply_tone, clean_defects, denoise_luminance, detect_defects,
                            detect_tone, local_contrast, process_tiled, remove_tone)


def _sepia(gray: np.ndarray) -> np.ndarray:
    """HxW float 0..1 -> HxWx3 float32: the classic sepia matrix."""
    m = np.array([[.393, .769, .189], [.349, .686, .168], [.272, .534, .131]], np.float32)
    return np.clip(np.repeat(gray[..., None], 3, 2) @ m.T, 0, 1).astype(np.float32)


def _cyanotype(gray: np.ndarray) -> np.ndarray:
    """HxW float 0..1 -> HxWx3 float32: Prussian blue shadows fading to white paper."""
    dark = np.array([0.05, 0.18, 0.42], np.float32)
    return (dark + (1 - dark) * gray[..., None]).astype(np.float32)


GRADIENT = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (64, 1))
CAMERA = data.camera().astype(np.float32) / 255.0


def _u8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _u16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 65535 + 0.5).astype(np.uint16)


# --- toned prints -------------------------------------------------------------------------

@pytest.mark.parametrize("base", [GRADIENT, CAMERA], ids=["gradient", "camera"])
@pytest.mark.parametrize("tone,kind", [(_sepia, "sepia"), (_cyanotype, "cyanotype")])
def test_detect_tone_finds_toned_prints(base, tone, kind):
    for img in (tone(base), _u8(tone(base)), _u16(tone(base))):
        info = detect_tone(img)
        assert info.kind == kind and info.is_monochrome
        assert info.strength > 10


def test_detect_tone_neutral_and_colour():
    assert detect_tone(np.repeat(_u8(CAMERA)[..., None], 3, 2)).kind == "neutral"
    assert detect_tone(_u8(CAMERA)).kind == "neutral"
    for photo in (data.astronaut(), data.coffee()):
        info = detect_tone(photo)
        assert not info.is_monochrome and info.kind == "other"


@pytest.mark.parametrize("conv,tol", [(_u8, 1), (_u16, 300), (lambda x: x, 1 / 255)])
def test_remove_tone_is_lstar_as_gray(conv, tol):
    toned = conv(_sepia(CAMERA))
    gray = remove_tone(toned)
    assert gray.shape == CAMERA.shape and gray.dtype == toned.dtype
    lab = color.rgb2lab(toned)
    lab[..., 1:] = 0
    want = conv(color.lab2rgb(lab)[..., 0].astype(np.float32))
    assert np.abs(gray.astype(np.float64) - want.astype(np.float64)).max() <= tol


def test_apply_tone_blends_chroma_and_keeps_lightness():
    photo = data.astronaut()
    tone = detect_tone(_u8(_sepia(CAMERA)))
    assert np.array_equal(apply_tone(photo, tone, 0.0), photo)
    toned = apply_tone(photo, tone, 1.0)
    again = detect_tone(toned)
    assert again.kind == "sepia" and abs(again.hue_deg - tone.hue_deg) < 10
    l_in, l_out = color.rgb2lab(photo)[..., 0], color.rgb2lab(toned)[..., 0]
    assert np.median(np.abs(l_in - l_out)) < 1.0
    half = apply_tone(photo, tone, 0.5)
    ab_half = color.rgb2lab(half)[..., 1:].reshape(-1, 2).mean(0)
    ab_in = color.rgb2lab(photo)[..., 1:].reshape(-1, 2).mean(0)
    assert np.allclose(ab_half, (ab_in + np.array(tone.ab_mean)) / 2, atol=3)
    with pytest.raises(ValueError, match="amount"):
        apply_tone(photo, tone, 1.5)
    assert isinstance(tone, ToneInfo)


# --- dust and scratches -------------------------------------------------------------------

def test_clean_defects_improves_synthetic_damage():
    damaged, truth = add_defects(CAMERA, seed=3)
    mask = detect_defects(damaged)
    precision, recall = precision_recall(mask, truth)
    assert precision > 0.6 and recall > 0.1
    res = clean_defects(damaged)
    assert res.image.dtype == np.float32 and res.n_pixels == int(res.mask.sum())
    assert psnr(res.image, CAMERA) > psnr(damaged, CAMERA) + 1.0


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_clean_photo_is_barely_changed(name):
    clean = CAMERA if name == "camera" else color.rgb2gray(data.astronaut()).astype(np.float32)
    res = clean_defects(_u8(clean))
    assert res.mask.mean() < 0.005
    assert psnr(res.image.astype(np.float32) / 255, _u8(clean).astype(np.float32) / 255) > 40


def test_clean_defects_16bit_exact_outside_mask_and_not_8bit():
    damaged, _ = add_defects(CAMERA, seed=4)
    img = _u16(damaged)
    res = clean_defects(img)
    assert res.image.dtype == np.uint16 and res.n_pixels > 0
    assert np.array_equal(res.image[~res.mask], img[~res.mask])
    filled = res.image[res.mask].astype(np.int64)
    assert np.mean(filled % 257 != 0) > 0.5          # not quantised through 8 bits
    assert psnr(res.image / 65535.0, CAMERA) > psnr(damaged, CAMERA)


def test_clean_defects_user_mask_colour_and_errors():
    rgb = data.astronaut()
    user = np.zeros(rgb.shape[:2], bool)
    user[100:104, 50:300] = True
    marked = rgb.copy()
    marked[user] = 255
    res = clean_defects(marked, mask=np.zeros_like(user), user_mask=user)
    assert res.mask[user].all() and res.image.shape == rgb.shape
    assert np.abs(res.image[user].astype(int) - rgb[user].astype(int)).mean() < 25
    res16 = clean_defects(marked.astype(np.uint16) * 257, mask=user)
    assert res16.image.dtype == np.uint16 and np.abs(
        res16.image[user] / 257.0 - rgb[user]).mean() < 25
    with pytest.raises(ValueError, match="user_mask shape"):
        clean_defects(marked, user_mask=user[:10])
    with pytest.raises(ValueError, match="method"):
        clean_defects(marked, method="magic")
    with pytest.raises(ValueError, match="dtype"):
        detect_defects(np.zeros((8, 8), np.int32))


# --- bands --------------------------------------------------------------------------------

def test_process_tiled_matches_whole_image():
    img = _u8(CAMERA)

    def fn(x):
        return cv2.GaussianBlur(x, (0, 0), 3)
    assert np.array_equal(process_tiled(img, fn, band=50, overlap=16), fn(img))
    with pytest.raises(ValueError):
        process_tiled(img, lambda x: x[:-1], band=50, overlap=4)


def test_band_results_match_whole_image():
    damaged, _ = add_defects(CAMERA, seed=5)
    img = _u16(damaged)
    whole, banded = detect_defects(img), detect_defects(img, band=64)
    assert np.mean(whole != banded) < 0.001
    assert psnr(clean_defects(img, band=64).image / 65535.0,
                clean_defects(img).image / 65535.0) > 45
    noisy = _u8(CAMERA + np.random.default_rng(0).normal(0, 0.03, CAMERA.shape))
    assert np.array_equal(denoise_luminance(noisy, 0.7, band=96), denoise_luminance(noisy, 0.7))


# --- denoise and contrast -----------------------------------------------------------------

def test_denoise_improves_and_16bit_matches_8bit():
    rng = np.random.default_rng(1)
    noisy = np.clip(CAMERA + rng.normal(0, 0.04, CAMERA.shape), 0, 1).astype(np.float32)
    d8 = denoise_luminance(_u8(noisy), 1.0)
    d16 = denoise_luminance(_u16(noisy), 1.0)
    df = denoise_luminance(noisy, 1.0)
    assert d8.dtype == np.uint8 and d16.dtype == np.uint16 and df.dtype == np.float32
    assert psnr(d8 / 255.0, CAMERA) > psnr(noisy, CAMERA) + 3
    assert psnr(d16 / 65535.0, d8 / 255.0) > 40
    assert psnr(df, d16 / 65535.0) > 60


def test_local_contrast_raises_local_detail():
    flat = (0.4 + 0.2 * CAMERA).astype(np.float32)    # a faded print
    for img, scale in ((_u8(flat), 255.0), (_u16(flat), 65535.0), (flat, 1.0)):
        out = local_contrast(img, 1.0)
        assert out.dtype == img.dtype and out.shape == img.shape
        detail = np.std(cv2.Laplacian(out.astype(np.float32) / scale, cv2.CV_32F))
        base = np.std(cv2.Laplacian(img.astype(np.float32) / scale, cv2.CV_32F))
        assert detail > 1.5 * base


@pytest.mark.parametrize("fn", [denoise_luminance, local_contrast])
def test_strength_zero_is_identity_and_range_checked(fn):
    for img in (_u8(CAMERA), _u16(CAMERA), CAMERA):
        assert np.array_equal(fn(img, 0.0), img)
    with pytest.raises(ValueError, match="strength"):
        fn(_u8(CAMERA), 1.5)
    with pytest.raises(ValueError, match="HxW"):
        fn(np.zeros((8, 8, 3), np.uint8), 0.5)
