"""Colour conversions: Lab round trips, L-preserving gamut mapping, hex helpers."""
import cv2
import numpy as np
import pytest

from engine import color


def test_srgb_lab_round_trip_and_matches_reference():
    rng = np.random.default_rng(0)
    rgb = rng.random((64, 64, 3), dtype=np.float32)
    lab = color.srgb_to_lab(rgb)
    # OpenCV approximates the sRGB curve with a spline, so it only agrees to about half a unit.
    assert np.abs(lab - cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)).max() < 0.8
    skcolor = pytest.importorskip("skimage.color")
    assert np.abs(lab - skcolor.rgb2lab(rgb)).max() < 0.01
    back = color.lab_to_srgb(lab[..., 0], lab[..., 1], lab[..., 2])
    assert np.abs(back - rgb).max() < 2e-3


def test_gray_luminance_matches_lab_of_gray():
    g = np.arange(256, dtype=np.uint8)
    L = color.luminance(g[None, :])[0]
    rgb = np.repeat((g / 255.0).astype(np.float32)[:, None], 3, axis=1)
    assert np.abs(L - color.srgb_to_lab(rgb)[:, 0]).max() < 1e-3
    assert L[0] == 0 and abs(L[-1] - 100) < 1e-3
    g16 = (g.astype(np.uint16) * 257)[None, :]
    assert np.abs(color.luminance(g16)[0] - L).max() < 1e-3


def test_colour_input_is_reduced_to_its_L():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [40, 80, 200]]], np.uint8)
    L = color.luminance(rgb)[0]
    ref = color.srgb_to_lab(rgb.astype(np.float32) / 255)[0, :, 0]
    assert np.abs(L - ref).max() < 1e-3


def test_the_fast_8_bit_paths_agree_with_the_float_formula():
    """8-bit gray and colour go through OpenCV's table lookups; every shape and layout must give the L* that the
    float path (the CIE formula on pixels / 255) gives."""
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    want = color.L_from_Y(sum(color.srgb_to_linear(rgba[..., i] / np.float32(255)) * color.Y_WEIGHTS[i]
                              for i in range(3)).astype(np.float32).ravel()).reshape(37, 53)
    got = color.luminance(rgba[..., :3].copy())
    assert got.shape == (37, 53) and got.dtype == np.float32
    assert np.abs(got - want).max() < 1e-3
    assert np.array_equal(color.luminance(rgba), got)  # alpha ignored
    assert np.array_equal(color.luminance(rgba[:, ::2, :3]), got[:, ::2])  # a strided view
    assert np.array_equal(color.luminance(rgba[5:6, :, :3]), got[5:6])  # one row
    gray = rgba[..., 1]
    assert np.abs(color.luminance(gray) - color.luminance(gray.astype(np.float32) / 255)).max() < 1e-3
    assert color.luminance(gray[:, ::3]).shape == (37, 18)
    # Y -> L* on both sides of the formula's linear toe, in every array rank
    y = np.concatenate([np.linspace(0, 0.02, 500), np.linspace(0.02, 1, 500)]).astype(np.float32)
    cie = np.where(y > 216 / 24389, 116 * np.cbrt(y) - 16, y * 24389 / 27)
    for shape in ((1000,), (20, 50), (10, 10, 10)):
        assert np.abs(color.L_from_Y(y.reshape(shape)).ravel() - cie).max() < 1e-3
    assert abs(float(color.L_from_Y(np.float32(0.5))) - 116 * 0.5 ** (1 / 3) + 16) < 1e-3


def test_gamut_map_keeps_L_and_only_shrinks_chroma():
    rng = np.random.default_rng(1)
    L = rng.uniform(0, 100, 5000).astype(np.float32)
    a = rng.uniform(-120, 120, 5000).astype(np.float32)
    b = rng.uniform(-120, 120, 5000).astype(np.float32)
    srgb = color.lab_to_srgb(L, a, b)
    assert srgb.min() >= 0 and srgb.max() <= 1
    lab = color.srgb_to_lab(srgb)
    assert np.abs(lab[:, 0] - L).max() < 0.05
    _, scale = color.gamut_map(L, a, b)
    assert (scale < 1).any() and (scale >= 0).all() and (scale <= 1).all()
    inside = scale == 1
    assert np.abs(lab[inside, 1] - a[inside]).max() < 0.05
    # Out-of-gamut colours keep their hue: shrunk chroma points the same way.
    out = scale < 0.9
    cos = (lab[out, 1] * a[out] + lab[out, 2] * b[out]) / (
        np.hypot(lab[out, 1], lab[out, 2]) * np.hypot(a[out], b[out]) + 1e-6)
    assert np.median(cos) > 0.99


def test_fast_8bit_conversion_matches_the_exact_one_within_a_code():
    rng = np.random.default_rng(2)
    L = rng.uniform(0, 100, (96, 128)).astype(np.float32)
    a = rng.uniform(-120, 120, L.shape).astype(np.float32)   # about half out of gamut
    b = rng.uniform(-120, 120, L.shape).astype(np.float32)
    L[:8] = 0.0          # black and white rows: OpenCV's clipping must not be taken for gamut mapping
    L[8:16] = 100.0
    a[16:24] = b[16:24] = 0.0
    exact = (color.lab_to_srgb(L, a, b) * 255.0 + 0.5).astype(np.int16)
    rgba = np.zeros(L.shape + (4,), np.uint8)
    got = color.lab_to_srgb8(L, a, b, rgba[..., :3])
    assert got.dtype == np.uint8 and np.shares_memory(got, rgba)
    diff = np.abs(rgba[..., :3].astype(np.int16) - exact)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01
    assert (rgba[..., 3] == 0).all()
    assert np.array_equal(color.lab_to_srgb8(L, a, b), rgba[..., :3])
    rgb = np.empty(L.shape + (3,), np.uint8)   # a contiguous RGB buffer is written in place too
    assert color.lab_to_srgb8(L, a, b, rgb) is rgb and np.array_equal(rgb, rgba[..., :3])


def test_hex_helpers():
    lab = color.hex_to_lab("#a0522d")
    assert color.lab_to_hex(*lab) == "#a0522d"
    for bad in ("a0522d", "#a0522", "#gg0000", "#a0522d0"):
        try:
            color.hex_to_rgb(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")
