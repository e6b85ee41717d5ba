"""Toned prints: found without being asked, and colorized to the luminance of their gray twin."""
import numpy as np
import pytest

from engine.cli import main
from engine.color import linear_to_srgb, srgb_to_linear
from engine.io.image import read_image, write_image
from engine.restore import detect_tone, remove_tone
from engine.restore.pipeline import RestoreOptions
from engine.restore.tint import Y_WEIGHTS
from engine_fixtures import gradient_image, make_test_model

# Linear RGB of a toned print = white * Y ** slope (Y: the gray twin's linear luminance), per channel.
# An illuminant tints the paper white; a toner deepens the channels unequally and leaves paper white.
TINTS = {
    "sepia": ((1.0, 0.62, 0.33), (1.0, 1.0, 1.0)),
    "cyanotype": ((0.17, 0.42, 1.0), (1.0, 1.0, 1.0)),
    "sepia-toner": ((1.0, 1.0, 1.0), (0.8, 1.0, 1.5)),
    "cyanotype-toner": ((1.0, 1.0, 1.0), (1.6, 1.1, 0.75)),
}


def toned(gray: np.ndarray, white, slope) -> np.ndarray:
    """HxW uint8 gray twin -> HxWx3 uint8 toned print."""
    slope = np.asarray(slope, np.float64) / (Y_WEIGHTS @ np.asarray(slope, np.float64))
    y = srgb_to_linear(gray.astype(np.float32) / 255)
    lin = np.stack([w * y ** s for w, s in zip(white, slope)], axis=-1)
    return (linear_to_srgb(lin) * 255 + 0.5).astype(np.uint8)


@pytest.fixture
def models(tmp_path, monkeypatch):
    make_test_model(tmp_path / "models")
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "models"))


def _luminance_levels(path) -> np.ndarray:
    """The output's luminance as 8-bit neutral gray levels (the gray of the same L*)."""
    return remove_tone(read_image(path).pixels).astype(int)


def _colorize(tmp_path, name, pixels, *flags) -> np.ndarray:
    src = tmp_path / f"{name}.png"
    write_image(src, pixels)
    out = tmp_path / f"out-{name}"
    assert main(["colorize", str(src), "-o", str(out), "--size", "96", *flags]) == 0
    return _luminance_levels(out / f"{name}.png")


@pytest.mark.parametrize("name", sorted(TINTS))
def test_toned_print_colorizes_to_its_gray_twins_luminance(tmp_path, models, name):
    gray = gradient_image(120, 160)
    print_ = toned(gray, *TINTS[name])
    assert detect_tone(print_).toned
    twin = _colorize(tmp_path, "twin", gray)
    auto = _colorize(tmp_path, "print", print_)
    assert np.abs(auto - twin).max() <= 3
    # Detection switched off: the luminance is the toned print's own, as before detection existed.
    off = _colorize(tmp_path, "off", print_, "--no-detect-tone")
    assert np.abs(off - _luminance_levels_of(print_)).max() <= 2
    if "toner" not in name:  # a tinted paper white darkens the whole print
        assert np.abs(off - twin).max() > 20


def _luminance_levels_of(pixels: np.ndarray) -> np.ndarray:
    return remove_tone(pixels).astype(int)


def test_keep_tone_keeps_the_look_and_detone_still_works(tmp_path, models):
    gray = gradient_image(120, 160)
    print_ = toned(gray, *TINTS["cyanotype"])
    plain = tmp_path / "plain"
    src = tmp_path / "print.png"
    write_image(src, print_)
    assert main(["colorize", str(src), "-o", str(plain), "--size", "96"]) == 0
    kept = tmp_path / "kept"
    assert main(["colorize", str(src), "-o", str(kept), "--size", "96", "--keep-tone"]) == 0
    a, b = read_image(plain / "print.png").pixels.astype(int), read_image(kept / "print.png").pixels.astype(int)
    assert (b[..., 2] - b[..., 0]).mean() > (a[..., 2] - a[..., 0]).mean() + 10  # the blue tone came back
    # A look in the colours only: the luminance stays the gray twin's (the gamut clips the darkest a little).
    assert np.abs(remove_tone(b.astype(np.uint8)).astype(int) - remove_tone(a.astype(np.uint8))).mean() < 0.5
    forced = tmp_path / "forced"
    assert main(["colorize", str(src), "-o", str(forced), "--size", "96", "--no-detect-tone", "--detone"]) == 0
    assert np.array_equal(read_image(forced / "print.png").pixels, read_image(plain / "print.png").pixels)


def test_selenium_split_tones_and_colour_photos():
    gray = gradient_image(120, 160)
    assert detect_tone(toned(gray, (1.0, 0.72, 0.95), (1, 1, 1))).kind == "selenium"
    assert not detect_tone(np.dstack([gray] * 3)).toned
    # Warm highlights over cool shadows follow L* but not one hue: not a tint to take out.
    f = gray.astype(np.float32)[..., None] / 255
    split = np.clip(f * (1 + 0.25 * np.array([1, 0, -1]) * (2 * f - 1)), 0, 1)
    info = detect_tone((split * 255 + 0.5).astype(np.uint8))
    assert info.is_monochrome and not info.toned
    rng = np.random.default_rng(0)
    colour = (rng.random((12, 16, 3)) * 255).astype(np.uint8).repeat(10, 0).repeat(10, 1)
    assert not detect_tone(colour).toned


def test_detection_is_on_by_default_but_not_for_old_recipes():
    assert RestoreOptions().detect_tone
    assert not RestoreOptions.from_dict({"denoise": 0.2}).detect_tone  # rendered before detection existed
    assert RestoreOptions.from_dict(RestoreOptions().to_dict()).detect_tone
