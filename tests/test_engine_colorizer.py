"""Colorizer pipeline: L preserved, shapes, alpha, hints, edge-aware upsampling, likely colours."""
import cv2
import numpy as np
import pytest

from engine import color, render
from engine.colorizer import Colorizer
from engine.errors import HintError
from engine.hints import Hint
from engine_fixtures import BINS, CENTRES, gradient_image, make_test_model, reference_ab


@pytest.fixture
def colorizer(tmp_path, monkeypatch):
    make_test_model(tmp_path)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path))
    return Colorizer()


def _L_levels(pixels):
    return color.luminance(pixels) * 2.55  # L* on the 0..255 scale of 8-bit levels


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_gray_input_luminance_is_kept(colorizer, dtype):
    img = gradient_image(90, 130, np.uint16 if dtype == np.uint16 else np.uint8)
    if dtype == np.float32:
        img = img.astype(np.float32) / 255
    res = colorizer.colorize(img, size=64)
    assert res.rgb.shape == (90, 130, 3) and res.rgb.dtype == dtype
    assert np.abs(_L_levels(res.rgb) - _L_levels(img)).max() <= 1.0
    assert np.hypot(*color.srgb_to_lab(res.rgb.astype(np.float32) / np.iinfo(dtype).max
                                       if dtype != np.float32 else res.rgb)[..., 1:].transpose(2, 0, 1)).mean() > 5


def test_colour_input_is_reduced_to_luminance(colorizer):
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 256, (70, 50, 3), dtype=np.uint8), (0, 0), 2)
    gray_equivalent = (color.linear_to_srgb(color.srgb_to_linear(img / 255.0)
                                            @ np.float32([0.2126729, 0.7151522, 0.0721750])) * 255).round()
    a = colorizer.colorize(img, size=64).rgb
    b = colorizer.colorize(gray_equivalent.astype(np.uint8), size=64).rgb
    assert np.abs(_L_levels(a) - _L_levels(img)).max() <= 1.0
    assert np.abs(a.astype(int) - b).max() <= 3  # same luminance in, same colours out


def test_shapes_padding_and_aspect(colorizer):
    img = gradient_image(37, 100)
    res = colorizer.colorize(img, size=50)
    assert res.work_shape == (18, 50)  # aspect kept, never stretched to the padded 32 x 64
    assert res.ab_work.shape == (2, 18, 50) and res.ab_work.dtype == np.float32
    assert res.prob is None  # the class head runs only when its distribution is asked for
    prob = colorizer.distribution(res)
    assert prob.shape == (16, 5, 13) and np.allclose(prob.sum(0), 1, atol=1e-4) and res.prob is prob
    L_work = cv2.resize(color.luminance(img), (50, 18), interpolation=cv2.INTER_AREA)
    assert np.allclose(res.ab_work, reference_ab(L_work), atol=0.05)
    assert res.provider == "CPUExecutionProvider" and res.seconds > 0
    assert res.temperature == pytest.approx(0.38)
    default = colorizer.colorize(img)
    assert max(default.work_shape) == 512  # card's default_long_side


def test_alpha_is_passed_through(colorizer):
    img = np.dstack([np.repeat(gradient_image(40, 40)[..., None], 3, 2), np.arange(1600, dtype=np.uint8).reshape(40, 40)])
    res = colorizer.colorize(img, size=32)
    assert res.rgb.shape == (40, 40, 4) and np.array_equal(res.rgb[..., 3], img[..., 3])


def test_hints_colour_their_spot(colorizer):
    img = np.full((200, 300), 128, np.uint8)
    hex_colour = color.lab_to_hex(float(color.luminance(img)[0, 0]), 20.0, -30.0)  # same L as the gray
    res = colorizer.colorize(img, hints=[Hint(x=250, y=40, color=hex_colour, radius=4)], size=150)
    lab = color.srgb_to_lab(res.rgb.astype(np.float32) / 255)
    assert np.hypot(lab[40, 250, 1] - 20, lab[40, 250, 2] + 30) < 3
    far = lab[150, 50, 1:]
    assert np.allclose(far, reference_ab(color.luminance(img)[150, 50]), atol=1.5)
    with pytest.raises(HintError, match="outside the 300x200 image"):
        colorizer.colorize(img, hints=[Hint(300, 10, "#000000")])


def test_vividness_sharpens_the_distribution(colorizer):
    img = gradient_image(64, 64)
    soft = colorizer.colorize(img, size=64, vividness=0.5)
    sharp = colorizer.colorize(img, size=64, vividness=2.0)
    assert sharp.temperature < soft.temperature
    assert colorizer.distribution(sharp).max(0).mean() > colorizer.distribution(soft).max(0).mean()
    with pytest.raises(ValueError):
        colorizer.colorize(img, vividness=0)


def test_likely_colors(colorizer):
    img = np.full((64, 64), 119, np.uint8)  # L* ~ 50
    res = colorizer.colorize(img, size=64)
    top = colorizer.likely_colors(res, 10, 20, k=3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    best = int(np.argmin(np.abs(CENTRES - color.luminance(img)[0, 0] / 100)))
    L = float(color.luminance(res.rgb[20:21, 10:11])[0, 0])
    # The best bin and its two neighbours on the test model's ring of bins are one colour: their
    # probability-weighted mean, with their summed probability.
    p = colorizer.distribution(res)[:, 20 // 4, 10 // 4]  # the 64 x 64 photo is its own working size
    ring = [(best - 1) % len(BINS), best, (best + 1) % len(BINS)]
    mean = sum(p[i] * np.float32(BINS[i]) for i in ring) / p[ring].sum()
    assert top[0][0] == color.lab_to_hex(L, *mean)
    assert top[0][1] == pytest.approx(float(p[ring].sum()), abs=1e-5)
    with pytest.raises(ValueError, match="outside"):
        colorizer.likely_colors(res, 64, 0)


def test_predict_checks_multiples(colorizer):
    pred = colorizer.predict(np.full((1, 1, 64, 96), 50, np.float32), distribution=True)
    assert pred.ab.shape == (1, 2, 64, 96) and pred.prob.shape == (1, 16, 16, 24)
    with pytest.raises(ValueError, match="multiples of 32"):
        colorizer.predict(np.zeros((1, 1, 60, 64), np.float32))


def test_bad_image_arrays(colorizer):
    for bad in (np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4), np.int32), np.zeros((0, 4), np.uint8)):
        with pytest.raises(ValueError):
            colorizer.colorize(bad)


def test_exact_coefficients_reproduce_the_chroma_on_the_working_grid():
    # Smooth chroma with detail that a window mean would blur; rendered at the working size, exact offsets give it
    # back (to within the 8-bit-free float round trip), the window means do not.
    rng = np.random.default_rng(3)
    h, w = 48, 64
    L = cv2.GaussianBlur(rng.uniform(30, 80, (h, w)).astype(np.float32), (0, 0), 2)
    ab = np.dstack([cv2.GaussianBlur(rng.uniform(-20, 20, (h, w)).astype(np.float32), (0, 0), 1.0) for _ in range(2)])
    errs = {}
    for exact in (False, True):
        coef = render.guided_coefficients(L / 100, ab, radius=2, exact=exact)
        out = np.empty((h, w, 3), np.float32)
        render.render(L, coef, out)
        errs[exact] = np.abs(color.srgb_to_lab(out)[..., 1:] - ab).max()
    assert errs[True] < 0.05 and errs[False] > 1.0, errs


@pytest.mark.parametrize("exact", [False, True])
def test_edge_aware_upsampling_limits_colour_bleed(exact):
    H, W, edge = 480, 480, 203
    L_full = np.where(np.arange(W)[None, :] < edge, 35.0, 70.0).astype(np.float32).repeat(H, 0)
    ab_true = np.zeros((H, W, 2), np.float32)
    ab_true[:, :edge] = (35, 25)
    ab_true[:, edge:] = (-25, -15)
    h = w = 60  # 8x lower working resolution
    L_work = cv2.resize(L_full, (w, h), interpolation=cv2.INTER_AREA)
    ab_work = cv2.resize(ab_true, (w, h), interpolation=cv2.INTER_AREA)
    coef = render.guided_coefficients(L_work / 100, ab_work, radius=4, exact=exact)
    out = np.empty((H, W, 3), np.float32)
    render.render(L_full, coef, out)
    guided = color.srgb_to_lab(out)[..., 1:]
    bilinear = cv2.resize(ab_work, (W, H), interpolation=cv2.INTER_LINEAR)
    near = slice(edge - 24, edge + 24)
    err_guided = np.abs(guided[:, near] - ab_true[:, near]).mean()
    err_bilinear = np.abs(bilinear[:, near] - ab_true[:, near]).mean()
    assert err_guided < 0.4 * err_bilinear, (err_guided, err_bilinear)


def test_at_the_working_size_the_photo_gets_the_networks_own_chroma(colorizer):
    # The renderer only carries the chroma to full size (exact guided-filter offsets): a photo already at the
    # working size shows the working-grid chroma itself, not a smoothed copy of it.
    img = cv2.GaussianBlur(np.random.default_rng(5).integers(40, 220, (64, 96), dtype=np.uint8), (0, 0), 1.5)
    res = colorizer.colorize(img.astype(np.float32) / 255, size=96)
    assert res.work_shape == (64, 96)
    got = color.srgb_to_lab(res.rgb)[..., 1:].transpose(2, 0, 1)
    assert np.abs(got - res.ab_work).max() < 0.5
