"""The Restore dock: options from the widgets, restoration off the GUI thread, then colorized and exported."""
import threading

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

import engine.restore.pipeline as pipeline
from engine.io.image import read_image, write_image
from engine_fixtures import gradient_image
from test_desktop_app import colorizer, models, open_and_colorize, wait_idle, window  # noqa: F401

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]
SEPIA = np.array([1.0, 0.82, 0.62], np.float32)


def _toned_dusty_print(path):
    gray = gradient_image(120, 160).astype(np.float32) / 255
    rgb = (gray[..., None] * SEPIA * 255 + 0.5).astype(np.uint8)
    rgb[60:63, 20:23] = 250  # a bright speck on a dark flat area
    write_image(path, rgb)
    return rgb


def test_restore_panel_runs_off_thread_then_recolorizes(qtbot, window, tmp_path, monkeypatch):
    photo = tmp_path / "sepia.png"
    _toned_dusty_print(photo)
    open_and_colorize(qtbot, window, photo)
    before = window.ctl.result.rgb.copy()
    threads = []
    real = pipeline.prepare
    monkeypatch.setattr(pipeline, "prepare", lambda *a, **k: threads.append(threading.current_thread()) or real(*a, **k))
    panel = window.restore
    panel.detone.setChecked(True)
    panel.clean_dust.setChecked(True)
    panel.denoise.setValue(30)
    panel.keep_tone.setValue(60)
    opts = panel.options()
    assert (opts.detone, opts.clean_dust, opts.denoise, opts.keep_tone) == (True, True, 0.3, 0.6)
    with qtbot.waitSignal(window.ctl.restoreApplied, timeout=20000):
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window.ctl)
    assert threads and all(t is not threading.main_thread() for t in threads)
    doc = window.ctl.doc
    assert doc.picture.pixels.ndim == 2  # detoned to neutral luminance
    speck, around = int(doc.picture.pixels[61, 21]), int(doc.picture.pixels[61, 30])
    assert abs(speck - around) < 20  # the speck was filled
    after = window.ctl.result.rgb
    assert after.shape == before.shape and not np.array_equal(after, before)
    out = tmp_path / "restored.png"
    assert window.export_to(out, 8)
    wait_idle(qtbot, window.ctl)
    back = read_image(out).pixels.astype(int)
    np.testing.assert_allclose(back, after.astype(int), atol=2)
    # Keep tone 0.6 pulls the colours towards the print's detected sepia tone.
    tone = window.ctl.tone
    assert tone.kind == "sepia"

    def tone_distance(rgb):
        lab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
        return float(np.hypot(lab[..., 1] - tone.ab_mean[0], lab[..., 2] - tone.ab_mean[1]).mean())

    assert tone_distance(back) < 0.6 * tone_distance(before)
