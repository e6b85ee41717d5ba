"""engine/look.py: saturation and warmth after colorization keep L*; the Edit, CLI and batch recipe carry them."""
import json

import cv2
import numpy as np
import pytest

from engine import color, look
from engine.cli import main
from engine.io.image import read_image, write_image
from engine.recipe import Recipe, read_sidecar
from engine.render_job import Edit
from engine_fixtures import gradient_image, make_test_model


def _colourful(h=64, w=96, dtype=np.uint8) -> np.ndarray:
    """A sweep of hues and lightnesses, saturated enough that saturation 2 and warmth push out of gamut."""
    hue = np.linspace(0, 179, w, dtype=np.float32)[None, :].repeat(h, 0)
    val = np.linspace(30, 255, h, dtype=np.float32)[:, None].repeat(w, 1)
    hsv = np.dstack([hue, np.full_like(hue, 170), val]).astype(np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return rgb if dtype == np.uint8 else rgb.astype(np.uint16) * 257


@pytest.mark.parametrize("saturation,warmth", [(0, 0), (0.5, 0), (2, 0), (1, -1), (1, 1), (2, 1), (0.5, -1)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_luminance_is_kept_within_one_8bit_level(saturation, warmth, dtype):
    rgb = _colourful(dtype=dtype)
    out = look.apply(rgb, saturation, warmth)
    assert out.shape == rgb.shape and out.dtype == rgb.dtype
    assert not np.array_equal(out, rgb)
    # one 8-bit level of L* (0..100 over 255 levels)
    assert np.abs(color.luminance(out) - color.luminance(rgb)).max() * 2.55 <= 1.0


def test_saturation_zero_is_gray_and_alpha_is_kept():
    rgba = np.dstack([_colourful(), np.full((64, 96), 77, np.uint8)])
    out = look.apply(rgba, 0.0, 0.0)
    assert (out[..., 3] == 77).all()
    assert np.abs(out[..., :3].astype(int) - out[..., :1].astype(int)).max() <= 1  # R = G = B


def test_saturation_scales_chroma():
    rgb = _colourful()
    chroma = lambda x: np.hypot(*np.moveaxis(color.srgb_to_lab(x)[..., 1:], -1, 0)).mean()
    assert chroma(look.apply(rgb, 0.5, 0)) == pytest.approx(chroma(rgb) * 0.5, rel=0.05)
    assert chroma(look.apply(rgb, 1.5, 0)) > chroma(rgb) * 1.2


def test_warmth_moves_b_star():
    rgb = _colourful()
    b = lambda x: color.srgb_to_lab(x)[..., 2].mean()
    assert b(look.apply(rgb, 1, 0.5)) > b(rgb) + 5
    assert b(look.apply(rgb, 1, -0.5)) < b(rgb) - 5
    gray = np.full((8, 8, 3), 128, np.uint8)
    warm = color.srgb_to_lab(look.apply(gray, 1, 1))
    assert warm[..., 2].mean() > 15 and 0 < warm[..., 1].mean() < warm[..., 2].mean()


def test_neutral_is_untouched_and_bad_values_refused():
    rgb = _colourful()
    assert look.apply(rgb, 1.0, 0.0) is rgb
    for s, w in [(-0.1, 0), (2.1, 0), (1, 1.5), (1, -1.01), (float("nan"), 0)]:
        with pytest.raises(ValueError):
            look.apply(rgb, s, w)
        with pytest.raises(ValueError):
            Edit(saturation=s, warmth=w)
    assert Edit().saturation == 1.0 and Edit().warmth == 0.0


def test_recipe_records_the_look_and_old_sidecars_mean_neutral():
    r = Recipe("tiny", "0" * 64, saturation=1.3, warmth=-0.2)
    assert Recipe.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    old = {k: v for k, v in r.to_dict().items() if k not in ("saturation", "warmth")}
    assert Recipe.from_dict(old) == Recipe("tiny", "0" * 64)
    e = Edit.from_recipe(r)
    assert (e.saturation, e.warmth) == (1.3, -0.2)


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(make_test_model(tmp_path / "models").parent))


def test_cli_flags_reach_the_output(tmp_path, models, capsys):
    src = tmp_path / "a.png"
    write_image(src, gradient_image(48, 64))
    assert main(["colorize", str(src), "-o", str(tmp_path / "plain")]) == 0
    assert main(["colorize", str(src), "-o", str(tmp_path / "gray"), "--saturation", "0"]) == 0
    assert main(["colorize", str(src), "-o", str(tmp_path / "warm"), "--warmth", "0.8"]) == 0
    plain, gray, warm = (read_image(tmp_path / d / "a.png").pixels for d in ("plain", "gray", "warm"))
    assert np.abs(plain[..., 0].astype(int) - plain[..., 2].astype(int)).max() > 5  # the model made colour
    assert np.abs(gray[..., :3].astype(int) - gray[..., :1].astype(int)).max() <= 1
    assert color.srgb_to_lab(warm)[..., 2].mean() > color.srgb_to_lab(plain)[..., 2].mean() + 5
    for out in (gray, warm):
        assert np.abs(color.luminance(out) - color.luminance(plain)).max() * 2.55 <= 1.0
    capsys.readouterr()
    for flags, words in [(["--saturation", "3"], "--saturation must be between 0 and 2, got 3"),
                         (["--warmth", "-2"], "--warmth must be between -1 and 1, got -2")]:
        for cmd in (["colorize", str(src), "-o", str(tmp_path / "x")], ["batch", str(tmp_path), "-o", str(tmp_path / "y")]):
            assert main(cmd + flags) == 1
            err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
            assert err == [f"tinta: error: {words}"]


def test_batch_records_the_look_and_a_changed_look_rerenders(tmp_path, models, capsys):
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    write_image(inp / "a.png", gradient_image(48, 64))
    write_image(inp / "b.png", gradient_image(40, 56))
    base = ["batch", str(inp), "-o", str(out), "--quiet", "--workers", "1"]
    assert main(base + ["--saturation", "1.5", "--warmth", "0.25"]) == 0
    side = read_sidecar(out / "a.png.recipe.json")
    assert (side.recipe.saturation, side.recipe.warmth) == (1.5, 0.25)
    first = read_image(out / "a.png").pixels
    capsys.readouterr()
    assert main(base + ["--saturation", "1.5", "--warmth", "0.25"]) == 0
    assert "2 of 2 already done" in capsys.readouterr().out
    assert main(base + ["--saturation", "1.5", "--warmth", "-0.5"]) == 0
    assert json.loads((out / "tinta-report.json").read_text())["rendered"] == 2
    again = read_image(out / "a.png").pixels
    assert color.srgb_to_lab(again)[..., 2].mean() < color.srgb_to_lab(first)[..., 2].mean() - 5
    assert read_sidecar(out / "a.png.recipe.json").recipe.warmth == -0.5
    # an old sidecar without the look fields means neutral: a neutral run resumes from it
    assert main(base) == 0
    for name in ("a.png", "b.png"):
        p = out / f"{name}.recipe.json"
        data = json.loads(p.read_text())
        del data["recipe"]["saturation"], data["recipe"]["warmth"]
        p.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(base) == 0
    assert "2 of 2 already done" in capsys.readouterr().out
