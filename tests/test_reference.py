"""Colour from a reference photo (issue 12): matching, its guards, and the CLI and batch paths."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.color import hex_to_lab, lab_to_srgb, luminance, srgb_to_lab

pytest.importorskip("torch")
from test_variants import vae_dir  # noqa: E402,F401  (the tiny cVAE fixture)

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "coffee.jpg"


@pytest.fixture
def vae(vae_dir, monkeypatch):  # noqa: F811
    from engine.colorizer import Colorizer

    monkeypatch.setenv("TINTA_MODELS_DIR", str(vae_dir))
    return Colorizer("tiny-vae")


def _colour_photo() -> np.ndarray:
    """The gray sample photo coloured by position (a* across, b* down, up to 35 from gray): a colour is
    only right where the match found the right place."""
    L = luminance(cv2.imread(str(SAMPLE), cv2.IMREAD_GRAYSCALE))
    H, W = L.shape
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    a, b = 35 * np.cos(np.pi * xx / W), 35 * np.cos(np.pi * yy / H)
    return np.clip(lab_to_srgb(L, a, b) * 255 + 0.5, 0, 255).astype(np.uint8)


def _crops():
    rgb = _colour_photo()
    W = rgb.shape[1]
    cut = int(W * 0.7)
    ref, truth = rgb[:, :cut].copy(), rgb[:, W - cut:].copy()
    gray = cv2.cvtColor(truth, cv2.COLOR_RGB2GRAY)
    return ref, truth, gray


def test_overlapping_crops_lend_the_colours_they_share(vae):
    ref, truth, gray = _crops()
    got = vae.reference_hints(gray, ref, 0.5)
    assert 3 <= len(got.hints) <= 24 and got.candidates >= len(got.hints)
    lab = srgb_to_lab(truth.astype(np.float32) / 255)
    errors, chroma = [], []
    for h in got.hints:
        x, y = int(h.x), int(h.y)
        true_ab = lab[max(0, y - 4):y + 5, max(0, x - 4):x + 5, 1:].reshape(-1, 2).mean(0)
        errors.append(np.hypot(*(hex_to_lab(h.color)[1:] - true_ab)))
        chroma.append(np.hypot(*true_ab))
    # far closer to the true colour than gray would be
    assert np.median(chroma) > 8 and np.median(errors) < 0.4 * np.median(chroma), (errors, chroma)


def test_strength_sets_the_count_and_is_checked(vae):
    ref, _, gray = _crops()
    few, many = vae.reference_hints(gray, ref, 0.1), vae.reference_hints(gray, ref, 1.0)
    assert len(few.hints) <= 5 < len(many.hints)
    assert vae.reference_hints(gray, ref, 0.0).hints == []
    with pytest.raises(ValueError, match="strength"):
        vae.reference_hints(gray, ref, 1.5)


def test_a_reference_of_other_lightness_lends_nothing(vae):
    _, _, gray = _crops()
    white = np.full((300, 400, 3), 250, np.uint8)
    white[::7] = 235  # some texture, all far lighter than most of the target
    assert len(vae.reference_hints(gray, white, 1.0).hints) <= 1


def _tinta(*args):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True)


def test_cli_and_batch_take_a_reference(vae_dir, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TINTA_MODELS_DIR", str(vae_dir))
    ref, _, gray = _crops()
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "old.png"), gray)
    cv2.imwrite(str(tmp_path / "ref.png"), cv2.cvtColor(ref, cv2.COLOR_RGB2BGR))
    a = _tinta("colorize", src / "old.png", "--model", "tiny-vae", "-o", tmp_path / "auto")
    b = _tinta("colorize", src / "old.png", "--model", "tiny-vae", "--reference", tmp_path / "ref.png",
               "-o", tmp_path / "ref")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert not np.array_equal(cv2.imread(str(tmp_path / "auto/old.png")), cv2.imread(str(tmp_path / "ref/old.png")))
    bad = _tinta("colorize", src / "old.png", "--model", "tiny-vae", "--reference", tmp_path / "nope.png",
                 "-o", tmp_path / "x")
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "nope.png" in bad.stderr
    c = _tinta("batch", src, "-o", tmp_path / "batch", "--model", "tiny-vae", "--workers", 1,
               "--reference", tmp_path / "ref.png", "--reference-strength", 0.5)
    assert c.returncode == 0, c.stderr
    side = json.loads((tmp_path / "batch/old.png.recipe.json").read_text())
    assert side["recipe"]["reference"]["path"] == str((tmp_path / "ref.png").resolve())
    assert side["recipe"]["reference"]["strength"] == 0.5
    # the batch's render is the single colorization's: one path for both
    assert np.array_equal(cv2.imread(str(tmp_path / "batch/old.png")), cv2.imread(str(tmp_path / "ref/old.png")))


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_app_reference_dialog_adds_undoable_hints(qtbot, vae, tmp_path):
    from PySide6.QtWidgets import QDialogButtonBox

    from test_desktop_app import make_window, open_and_colorize, wait_idle

    ref, _, gray = _crops()
    cv2.imwrite(str(tmp_path / "old.png"), gray)
    cv2.imwrite(str(tmp_path / "ref.png"), cv2.cvtColor(ref, cv2.COLOR_RGB2BGR))
    window = make_window(qtbot, tmp_path, vae)
    try:
        open_and_colorize(qtbot, window, tmp_path / "old.png")
        before = window.ctl.result.rgb.copy()
        dialog = window.reference_dialog()
        ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert not ok.isEnabled()                       # no photo chosen yet
        dialog.path_edit.setText(str(tmp_path / "ref.png"))
        dialog.slider.setValue(30)
        assert ok.isEnabled() and dialog.value_label.text() == "30 %" and dialog.strength() == 0.3
        window.ctl.colour_from_reference(dialog.path(), dialog.strength())
        qtbot.waitUntil(lambda: len(window.ctl.doc.hints) > 0, timeout=20000)
        wait_idle(qtbot, window.ctl)
        n = len(window.ctl.doc.hints)
        assert 1 <= n <= 15 and window.ctl.undo.undoText().startswith("Colours from ref.png")
        w, h = window.ctl.doc.full_size
        assert all(0 <= hint.x < w and 0 <= hint.y < h for hint in window.ctl.doc.hints)
        assert not np.array_equal(window.ctl.result.rgb, before)
        window.ctl.undo.undo()
        assert window.ctl.doc.hints == ()
        window.ctl.colour_from_reference(tmp_path / "missing.png")
        qtbot.waitUntil(lambda: "missing.png" in window.statusBar().currentMessage()
                        or window.ctl.doc.hints == (), timeout=5000)
    finally:
        window.ctl.shutdown()


def test_hints_carried_to_an_overlapping_photo_land_on_the_same_content(vae):
    from engine.hints import Hint

    rgb = _colour_photo()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    H, W = gray.shape
    cut = int(W * 0.7)
    shift = W - cut                                   # crop B's x = crop A's x - shift
    a, b = gray[:, :cut], gray[:, shift:]
    rng = np.random.default_rng(3)
    hints = [Hint(float(x), float(y), "#c04030", 2)
             for x, y in zip(rng.uniform(shift + 20, cut - 20, 12), rng.uniform(20, H - 20, 12))]
    got = vae.carry_hints(a, hints, b)
    assert len(got.hints) + got.dropped == 12 and len(got.hints) >= 6
    # every carried hint keeps its colour and radius
    assert all(h.color == "#c04030" and h.radius == 2 for h in got.hints)
    # each carried hint is near where some given hint's content lies in B
    want = np.array([(h.x - shift, h.y) for h in hints])
    errs = [np.min(np.hypot(*(want - (c.x, c.y)).T)) for c in got.hints]
    assert np.median(errs) < 0.03 * W, errs
    assert vae.carry_hints(a, [], b).hints == []


def test_batch_carries_a_sessions_hints_onto_each_photo(vae_dir, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TINTA_MODELS_DIR", str(vae_dir))
    ref, _, gray = _crops()
    src = tmp_path / "roll"
    src.mkdir()
    cv2.imwrite(str(src / "frame2.png"), gray)
    first = tmp_path / "frame1.png"
    cv2.imwrite(str(first), cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY))
    h, w = ref.shape[:2]
    session = {"format": "tinta-session", "version": 1, "photo": first.name,
               "hints": [{"x": w - 20 - 9 * k, "y": 30 + 25 * k, "color": "#2040ff", "radius": 3} for k in range(8)]}
    (tmp_path / "frame1.png.tinta.json").write_text(json.dumps(session))
    run = _tinta("batch", src, "-o", tmp_path / "out", "--model", "tiny-vae", "--workers", 1,
                 "--hints-from", tmp_path / "frame1.png.tinta.json")
    plain = _tinta("batch", src, "-o", tmp_path / "plain", "--model", "tiny-vae", "--workers", 1)
    assert run.returncode == 0 and plain.returncode == 0, run.stderr + plain.stderr
    side = json.loads((tmp_path / "out/frame2.png.recipe.json").read_text())
    assert side["recipe"]["hints_from"]["path"] == str((tmp_path / "frame1.png.tinta.json").resolve())
    out, auto = cv2.imread(str(tmp_path / "out/frame2.png")), cv2.imread(str(tmp_path / "plain/frame2.png"))
    assert (out[..., 0].astype(int) - auto[..., 0]).mean() > 0.5   # bluer somewhere: the hints arrived
    (tmp_path / "bad.tinta.json").write_text(json.dumps({"hints": []}))
    bad = _tinta("batch", src, "-o", tmp_path / "x", "--model", "tiny-vae", "--hints-from", tmp_path / "bad.tinta.json")
    assert bad.returncode != 0 and "bad.tinta.json" in bad.stderr and "Traceback" not in bad.stderr


def test_a_batchs_one_reference_goes_through_the_encoder_once(vae, monkeypatch):
    from engine import reference

    ref, _, gray = _crops()
    runs = []
    real = reference.features
    monkeypatch.setattr(reference, "features", lambda *a: runs.append(1) or real(*a))
    monkeypatch.setattr(reference, "_seen", [])
    vae.reference_hints(gray, ref)
    vae.reference_hints(gray.copy(), ref)          # another photo, the same reference object
    assert len(runs) == 3
    vae.reference_hints(gray.copy(), ref.copy())   # equal but different arrays are seen afresh
    assert len(runs) == 5
