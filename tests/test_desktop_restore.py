"""The Restore dock: options from the widgets, restoration off the GUI thread, then colorized and exported."""
import json
import threading
import time

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
    assert window.ctl.doc.restore == opts and panel.labels["denoise"].text() == "0.30"
    with qtbot.waitSignal(window.ctl.restoreApplied, timeout=20000) as applied:
        pass  # the changes above are restored live, once they pause
    assert applied.args == [opts]
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
    # Reset is one undoable step back to the default restoration.
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert window.ctl.doc.restore == pipeline.RestoreOptions() and not panel.detone.isChecked()
    assert panel.keep_tone.value() == 0 and panel.labels["keep_tone"].text() == "0.00"
    window.ctl.undo.undo()
    assert window.ctl.doc.restore == opts and panel.keep_tone.value() == 60
    wait_idle(qtbot, window.ctl)


def test_restoration_is_live_undoable_saved_and_per_photo(qtbot, window, tmp_path, monkeypatch, colorizer):
    import desktop.restoration as restoration_module
    from desktop.session import session_path
    from engine.restore.pipeline import RestoreOptions
    from test_desktop_app import make_window

    photo = tmp_path / "sepia.png"
    _toned_dusty_print(photo)
    open_and_colorize(qtbot, window, photo)
    ctl, panel = window.ctl, window.restore
    opened_pixels = ctl.doc.picture.pixels.copy()
    made, started = [], []
    real = restoration_module.render_job.restore

    def counted(pic, opts, *a):
        made.append(opts)
        started.append(time.monotonic())
        return real(pic, opts, *a)

    monkeypatch.setattr(restoration_module.render_job, "restore", counted)
    applied = []
    ctl.restoreApplied.connect(applied.append)
    # A drag of one slider: one undo step, one restoration once the hand pauses, the value beside the slider.
    for v in (10, 20, 40):
        panel.denoise.setValue(v)
    paused = time.monotonic()
    assert ctl.undo.count() == 1 and ctl.doc.restore.denoise == 0.4 and panel.labels["denoise"].text() == "0.40"
    assert not ctl.idle and made == []  # debounced, not made at every step
    wait_idle(qtbot, ctl)
    assert [o.denoise for o in made] == [0.4] and applied == [ctl.doc.restore]
    assert started[0] - paused >= 0.2
    denoised = ctl.doc.picture.pixels.copy()
    assert not np.array_equal(denoised, opened_pixels)
    # Two restorations asked for while one is still being made: only the newest is shown.
    panel.clean_dust.setChecked(True)
    ctl.restoration.follow()
    panel.local_contrast.setValue(50)
    ctl.restoration.follow()
    wait_idle(qtbot, ctl)
    assert applied[1:] == [ctl.doc.restore] and ctl.doc.restore.local_contrast == 0.5
    assert ctl.undo.count() == 3
    # Undo brings back the earlier settings, the panel shows them and the picture is remade.
    ctl.undo.undo()
    ctl.undo.undo()
    assert ctl.doc.restore == RestoreOptions(denoise=0.4) and not panel.clean_dust.isChecked()
    assert panel.local_contrast.value() == 0 and panel.labels["local_contrast"].text() == "0.00"
    wait_idle(qtbot, ctl)
    assert ctl.restoration.options == RestoreOptions(denoise=0.4)
    np.testing.assert_array_equal(ctl.doc.picture.pixels, denoised)
    ctl.undo.undo()
    wait_idle(qtbot, ctl)
    np.testing.assert_array_equal(ctl.doc.picture.pixels, opened_pixels)
    ctl.undo.redo()
    ctl.undo.redo()
    assert panel.clean_dust.isChecked() and panel.denoise.value() == 40
    wait_idle(qtbot, ctl)
    shown = ctl.result.rgb.copy()
    # Saved in the session; another window resumes it, restored as it was.
    spath = session_path(photo)
    qtbot.waitUntil(lambda: spath.exists() and json.loads(spath.read_text())["restore"]["clean_dust"], timeout=5000)
    assert json.loads(spath.read_text())["restore"]["denoise"] == 0.4
    other = make_window(qtbot, tmp_path, colorizer)
    open_and_colorize(qtbot, other, photo)
    assert other.ctl.doc.restore == RestoreOptions(denoise=0.4, clean_dust=True)
    assert other.restore.clean_dust.isChecked() and other.restore.labels["denoise"].text() == "0.40"
    assert other.ctl.restoration.options == other.ctl.doc.restore
    np.testing.assert_array_equal(other.ctl.result.rgb, shown)
    # Another photo shows its own (default) restoration, not the last photo's ticks.
    fresh = tmp_path / "fresh.png"
    write_image(fresh, gradient_image(120, 160))
    open_and_colorize(qtbot, other, fresh)
    assert other.ctl.doc.restore == RestoreOptions() and not other.restore.clean_dust.isChecked()
    assert other.restore.denoise.value() == 0 and other.restore.detect_tone.isChecked()
    other.ctl.shutdown()


def test_export_while_a_restoration_is_due_renders_the_one_asked_for(qtbot, window, tmp_path):
    photo = tmp_path / "sepia.png"
    _toned_dusty_print(photo)
    open_and_colorize(qtbot, window, photo)
    window.restore.denoise.setValue(60)
    out = tmp_path / "now.png"
    assert window.export_to(out, 8)  # before the live restoration has been made
    wait_idle(qtbot, window.ctl)
    np.testing.assert_allclose(read_image(out).pixels.astype(int), window.ctl.result.rgb.astype(int), atol=2)


def test_a_stopped_restoration_is_made_before_the_next_colorize(qtbot, window, tmp_path, monkeypatch):
    import desktop.restoration as restoration_module

    photo = tmp_path / "sepia.png"
    _toned_dusty_print(photo)
    open_and_colorize(qtbot, window, photo)
    ctl = window.ctl
    gate = threading.Event()
    window.destroyed.connect(gate.set)  # never leave the worker waiting if an assert fails
    real = restoration_module.render_job.restore

    def gated(pic, opts, *a):
        gate.wait(10)
        return real(pic, opts, *a)

    monkeypatch.setattr(restoration_module.render_job, "restore", gated)
    window.restore.denoise.setValue(50)
    ctl.restoration.follow()
    window.act_cancel.trigger()  # Esc while it is being made
    gate.set()
    wait_idle(qtbot, ctl)
    assert ctl.restoration.options.denoise == 0 and ctl.doc.restore.denoise == 0.5
    with qtbot.waitSignal(ctl.restoreApplied, timeout=20000):
        window.act_colorize.trigger()
    wait_idle(qtbot, ctl)
    assert ctl.restoration.options == ctl.doc.restore and ctl.result is not None
