"""The desktop window driven like a user, with the real engine and the tiny ONNX test model.

Only the variants gallery uses a stand-in colorizer: no shipped model has a variant sampler yet.
"""
from __future__ import annotations

import dataclasses
import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from desktop.app import build_window
from desktop.canvas import Tool
from desktop.session import session_path
from desktop.settings import Settings
from engine.color import hex_to_rgb
from engine.colorizer import Colorizer
from engine.io.image import read_image, write_image
from engine_fixtures import gradient_image, make_test_model

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]
BLUE = "#2040ff"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_test_model(tmp_path_factory.mktemp("models")).parent


@pytest.fixture
def colorizer(models, monkeypatch):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    return Colorizer()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "street.png"
    write_image(path, gradient_image(240, 320))
    return path


def make_window(qtbot, tmp_path, colorizer):
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = build_window(settings, colorizer=colorizer)
    window.ctl.ask_resume = lambda path: True
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, tmp_path, colorizer):
    w = make_window(qtbot, tmp_path, colorizer)
    yield w
    w.ctl.shutdown()


def wait_idle(qtbot, ctl):
    qtbot.waitUntil(lambda: ctl.idle, timeout=20000)


def open_and_colorize(qtbot, window, path):
    window.ctl.open_path(path)
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.path == path and window.ctl.result is not None


def drag(qtbot, canvas, points):
    vp = canvas.viewport()
    pts = [canvas.mapFromScene(QPointF(x, y)) for x, y in points]
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=pts[0])
    for p in pts[1:]:
        qtbot.mouseMove(vp, p)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=pts[-1])


def shown_after(window):
    from desktop.qimage import qimage_to_rgb
    return qimage_to_rgb(window.canvas.image.after.toImage())


def test_open_colorizes_off_thread_and_reports_provider(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    ctl = window.ctl
    assert ctl.doc.full_size == (320, 240)
    rgb = ctl.result.rgb
    assert rgb.shape == (240, 320, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - rgb.mean(axis=2, keepdims=True)).mean() > 5  # no longer gray
    np.testing.assert_array_equal(shown_after(window), rgb)
    msg = window.statusBar().currentMessage()
    assert msg.startswith("Colorized in ") and msg.endswith(" on the CPU")
    assert "tiny" in window.status_model.text()
    assert window.ctl.settings.recent_files()[0] == str(photo.resolve())


def test_hint_stroke_recolours_there_and_undo_restores(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    ctl, cv = window.ctl, window.canvas
    before = ctl.result.rgb.copy()
    full_shape = ctl.result.work_shape
    shapes = []
    ctl.resultChanged.connect(lambda rgb: shapes.append(ctl.result.work_shape))
    window._on_tool(Tool.BRUSH)
    window._on_color_chosen(BLUE)
    drag(qtbot, cv, [(40 + 10 * i, 200) for i in range(10)])
    wait_idle(qtbot, ctl)
    # a quick draft at the interactive size first, then the full working size once the user pauses
    assert len(shapes) == 2 and max(shapes[0]) == 256 and shapes[1] == full_shape
    assert len(ctl.doc.hints) >= 5 and all(h.color == BLUE for h in ctl.doc.hints)
    after = ctl.result.rgb
    target = hex_to_rgb(BLUE) * 255
    here = (slice(197, 204), slice(60, 120))
    d_before = np.linalg.norm(before[here].astype(float) - target, axis=-1).mean()
    d_after = np.linalg.norm(after[here].astype(float) - target, axis=-1).mean()
    assert d_after < d_before - 40, (d_before, d_after)
    far = (slice(20, 40), slice(250, 300))
    np.testing.assert_allclose(after[far], before[far], atol=2)  # the tiny model's hints act locally
    assert len(cv.overlay.hints) == len(ctl.doc.hints)
    assert ctl.likelyColors is not None and window.colors.swatches[0].isEnabled()

    window.act_undo.trigger()
    wait_idle(qtbot, ctl)
    assert ctl.doc.hints == ()
    np.testing.assert_array_equal(ctl.result.rgb, before)
    window.act_redo.trigger()
    wait_idle(qtbot, ctl)
    assert len(ctl.doc.hints) >= 5


def test_eraser_and_clear_are_undoable(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    ctl, cv = window.ctl, window.canvas
    window._on_color_chosen("#30a040")
    for y in (110, 140, 170):
        drag(qtbot, cv, [(100, y), (220, y)])
    n = len(ctl.doc.hints)
    assert n >= 6
    window._on_tool(Tool.ERASER)
    drag(qtbot, cv, [(100, 100), (220, 200)])
    assert 0 < len(ctl.doc.hints) < n
    window.act_clear.trigger()
    assert ctl.doc.hints == ()
    assert [ctl.undo.text(i) for i in range(ctl.undo.count())][-2:] == ["Erase hints", "Clear all hints"]
    ctl.undo.undo()
    ctl.undo.undo()
    assert len(ctl.doc.hints) == n
    wait_idle(qtbot, ctl)


def test_a_strokes_swatches_wait_for_its_preview_and_refine(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    ctl, cv = window.ctl, window.canvas
    started = []
    real = ctl.runner.start
    ctl.runner.start = lambda job: (started.append(job.name), real(job))[1]
    window._on_tool(Tool.BRUSH)
    window._on_color_chosen(BLUE)
    drag(qtbot, cv, [(40 + 10 * i, 200) for i in range(10)])
    wait_idle(qtbot, ctl)
    # the distribution is one more network run: it must not delay the stroke's draft or its refine
    assert started == ["colorize", "colorize", "likely colours"], started
    assert sum(s.isEnabled() for s in window.colors.swatches) == 5


def test_eyedropper_takes_result_colour_and_shows_likely(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    ctl = window.ctl
    window._on_tool(Tool.EYEDROPPER)
    cv = window.canvas
    drag(qtbot, cv, [(300, 20)])
    hit = cv.mapToScene(cv.mapFromScene(QPointF(300, 20)))  # the pixel under the (rounded) mouse position
    r, g, b = ctl.result.rgb[int(hit.y()), int(hit.x())]
    assert window.colors.color == ctl.color == f"#{r:02x}{g:02x}{b:02x}"
    # the preview ran without the class head: its distribution is made by a job, then the swatches fill
    qtbot.waitUntil(lambda: sum(s.isEnabled() for s in window.colors.swatches) == 5, timeout=5000)
    # Ranked by probability, neighbouring bins merged: the engine's likely_colours at that pixel.
    probs = [p for _, p in window.colors._likely]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-5
    px, py = ctl.edits._preview_xy(hit.x(), hit.y())
    assert window.colors._likely == [(c.hex, c.probability) for c in ctl.colorizer.likely_colours(ctl.result, px, py)]
    window.colors.swatches[1].click()
    assert ctl.color == window.colors._likely[1][0]


def test_where_am_i_unsure_overlay_is_made_off_thread_and_follows_edits(qtbot, window, photo):
    import threading

    open_and_colorize(qtbot, window, photo)
    ctl, cv = window.ctl, window.canvas
    threads, seen = [], []
    real = ctl.colorizer.uncertainty
    ctl.colorizer.uncertainty = lambda result: threads.append(threading.current_thread()) or real(result)
    ctl.uncertaintyChanged.connect(lambda heat, places: seen.append((heat, places)))
    plain = cv.grab().toImage()
    assert cv.heat.heat is None and not window.act_unsure.isChecked()
    window.act_unsure.trigger()
    wait_idle(qtbot, ctl)
    assert window.act_unsure.isChecked() and threads and threads[-1] is not threading.main_thread()
    heat, places = seen[-1]
    assert heat.shape == ctl.result.rgb.shape[:2] + (4,) and heat.dtype == np.uint8
    assert cv.heat.heat is not None and cv.heat.heat.width() == ctl.result.rgb.shape[1]
    assert 1 <= len(places) <= 3 and all(0 <= x < 320 and 0 <= y < 240 for x, y in places)  # full-image pixels
    from desktop.qimage import qimage_to_rgb
    shaded = qimage_to_rgb(cv.grab().toImage())
    assert np.abs(shaded.astype(int) - qimage_to_rgb(plain)).mean() > 5  # drawn over the photo
    # A hint makes a new result, and the map is remade for it; no place is suggested on the hint itself.
    n = len(seen)
    window._on_tool(Tool.BRUSH)
    x0, y0 = places[0]
    drag(qtbot, cv, [(x0, y0), (x0 + 2, y0)])
    wait_idle(qtbot, ctl)
    assert len(seen) > n and seen[-1][0] is not None and len(threads) > 1
    assert all(np.hypot(x - x0, y - y0) > 10 for x, y in seen[-1][1])
    window.act_unsure.trigger()
    assert not window.act_unsure.isChecked() and cv.heat.heat is None and seen[-1] == (None, [])
    wait_idle(qtbot, ctl)


def test_session_is_saved_beside_photo_and_resumed(qtbot, window, photo, tmp_path, colorizer):
    open_and_colorize(qtbot, window, photo)
    window._on_color_chosen(BLUE)
    drag(qtbot, window.canvas, [(50, 50), (90, 50)])
    window.ctl.set_vividness(1.5)
    wait_idle(qtbot, window.ctl)
    spath = session_path(photo)
    qtbot.waitUntil(spath.exists, timeout=5000)
    saved = json.loads(spath.read_text())
    assert saved["settings"]["vividness"] == 1.5 and len(saved["hints"]) == len(window.ctl.doc.hints)
    hints = window.ctl.doc.hints
    other = make_window(qtbot, tmp_path, colorizer)
    open_and_colorize(qtbot, other, photo)
    assert other.ctl.doc.hints == hints and other.ctl.doc.vividness == 1.5
    assert other.vivid.value() == 150
    other.ctl.shutdown()


def test_look_sliders_change_the_preview_live_undo_and_persist(qtbot, window, photo, tmp_path, colorizer):
    from engine import color

    open_and_colorize(qtbot, window, photo)
    ctl, panel = window.ctl, window.look
    before = shown_after(window).copy()
    runs = len(ctl.render_seconds)
    sat, warm = panel.sliders["saturation"], panel.sliders["warmth"]
    assert (sat.value(), warm.value(), panel.labels["warmth"].text()) == (100, 0, "+0.00")
    warm.setValue(60)   # as a drag or the keyboard would
    assert panel.labels["warmth"].text() == "+0.60" and ctl.doc.warmth == 0.6
    assert not ctl.idle  # the look is being made on the job runner, not on the GUI thread
    wait_idle(qtbot, ctl)
    warmer = shown_after(window)
    assert color.srgb_to_lab(warmer)[..., 2].mean() > color.srgb_to_lab(before)[..., 2].mean() + 5
    assert np.abs(color.luminance(warmer) - color.luminance(before)).max() * 2.55 <= 1.0
    sat.setValue(0)
    wait_idle(qtbot, ctl)
    toned = shown_after(window)  # no colour of its own left: one warm tint over the gray
    ab = color.srgb_to_lab(toned)[..., 1:]
    assert ab[..., 1].mean() > 5 and ab.std(axis=(0, 1)).max() < 2 < color.srgb_to_lab(before)[..., 2].std()
    np.testing.assert_array_equal(ctl.result.rgb, toned)  # the eyedropper reads what is shown
    assert len(ctl.render_seconds) == runs  # the look alone never reruns the network
    ctl.undo.undo()
    assert ctl.doc.saturation == 1.0 and sat.value() == 100 and panel.labels["saturation"].text() == "1.00"
    wait_idle(qtbot, ctl)
    np.testing.assert_array_equal(shown_after(window), warmer)
    sat.setValue(150)
    wait_idle(qtbot, ctl)
    spath = session_path(photo)
    qtbot.waitUntil(lambda: spath.exists() and json.loads(spath.read_text())["settings"]["saturation"] == 1.5,
                    timeout=5000)
    assert json.loads(spath.read_text())["settings"]["warmth"] == 0.6
    shown = shown_after(window)
    other = make_window(qtbot, tmp_path, colorizer)
    open_and_colorize(qtbot, other, photo)
    assert (other.ctl.doc.saturation, other.ctl.doc.warmth) == (1.5, 0.6)
    assert (other.look.sliders["saturation"].value(), other.look.sliders["warmth"].value()) == (150, 60)
    np.testing.assert_array_equal(shown_after(other), shown)
    # a new photo without a session starts neutral
    fresh = tmp_path / "fresh.png"
    write_image(fresh, gradient_image(120, 160))
    open_and_colorize(qtbot, other, fresh)
    assert (other.ctl.doc.saturation, other.ctl.doc.warmth) == (1.0, 0.0)
    assert (other.look.sliders["saturation"].value(), other.look.sliders["warmth"].value()) == (100, 0)
    other.ctl.shutdown()


def test_export_full_resolution_png_and_16_bit_tiff(qtbot, window, photo, tmp_path):
    open_and_colorize(qtbot, window, photo)
    window._on_color_chosen(BLUE)
    drag(qtbot, window.canvas, [(40, 200), (130, 200)])
    wait_idle(qtbot, window.ctl)
    out = tmp_path / "out" / "street-color.png"
    out.parent.mkdir()
    assert window.export_to(out, 8)
    wait_idle(qtbot, window.ctl)
    back = read_image(out)
    assert back.pixels.shape == (240, 320, 3) and back.bit_depth == 8
    # Same size as the preview here, so the export must match what the window showed, stroke included.
    np.testing.assert_allclose(back.pixels.astype(int), window.ctl.result.rgb.astype(int), atol=2)
    stroke = back.pixels[200, 60:120].astype(int)
    assert (stroke[:, 2] > stroke[:, 0] + 5).all() and (stroke[:, 2] > stroke[:, 1] + 40).all()
    tif = tmp_path / "out" / "street-color.tif"
    assert window.export_to(tif, 16)
    wait_idle(qtbot, window.ctl)
    back16 = read_image(tif)
    assert back16.bit_depth == 16 and back16.pixels.shape == (240, 320, 3)
    np.testing.assert_allclose(back16.pixels.astype(float) / 257, back.pixels, atol=1.0)
    assert sorted(p.name for p in out.parent.iterdir()) == ["street-color.png", "street-color.tif"]


def test_export_over_original_is_refused_with_a_message(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    original = photo.read_bytes()
    assert not window.export_to(photo, 8)
    assert window.last_error[0] == "Cannot export" and "original" in window.last_error[1]
    assert photo.read_bytes() == original


def test_sixteen_bit_gray_scan_exports_sixteen_bits(qtbot, window, tmp_path):
    scan = tmp_path / "scan.tif"
    write_image(scan, gradient_image(200, 150, np.uint16))
    open_and_colorize(qtbot, window, scan)
    out = tmp_path / "scan-color.tif"
    window.export_to(out, 16)
    wait_idle(qtbot, window.ctl)
    back = read_image(out)
    assert back.bit_depth == 16 and back.pixels.shape == (200, 150, 3)
    assert len(np.unique(back.pixels[..., 1])) > 256  # real 16-bit levels, not 8-bit scaled up


def test_unreadable_photo_shows_message_and_keeps_window(qtbot, window, tmp_path, photo):
    open_and_colorize(qtbot, window, photo)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image at all")
    window.ctl.open_path(bad)
    wait_idle(qtbot, window.ctl)
    assert window.last_error[0] == "Cannot open photo" and str(bad) in window.last_error[1]
    assert window.ctl.doc.path == photo  # the open photo is untouched


def test_zoom_fit_100_pan_split_and_compare_toggle(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    cv = window.canvas
    window.act_100.trigger()
    assert cv.zoom() == pytest.approx(1.0)
    window.act_zoom_in.trigger()
    assert cv.zoom() == pytest.approx(1.25)
    cv.set_zoom(6.0)
    window._on_tool(Tool.PAN)
    h0 = cv.horizontalScrollBar().value()
    drag(qtbot, cv, [(160, 120), (150, 120)])
    assert cv.horizontalScrollBar().value() != h0
    window._on_tool(Tool.BRUSH)
    v0 = cv.verticalScrollBar().value()
    qtbot.keyPress(cv, Qt.Key.Key_Space)
    drag(qtbot, cv, [(160, 120), (160, 110)])  # space held: the brush pans instead of painting
    qtbot.keyRelease(cv, Qt.Key.Key_Space)
    assert cv.verticalScrollBar().value() != v0 and window.ctl.doc.hints == ()
    window.act_fit.trigger()
    fitted = cv.zoom()
    assert fitted < 6.0
    centre = QPointF(cv.viewport().width() / 2, cv.viewport().height() / 2)
    wheel = QWheelEvent(centre, cv.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(cv.viewport(), wheel)
    assert cv.zoom() == pytest.approx(fitted * 1.25 ** 2)
    assert not cv.image.show_before
    qtbot.keyClick(window, Qt.Key.Key_B)
    assert cv.image.show_before and window.act_compare.isChecked()
    window.split.setValue(40)
    assert cv.image.split == pytest.approx(0.4)


# --- variants gallery (stand-in sampler) ------------------------------------------------------------
@dataclasses.dataclass
class FakeVariant:
    z: np.ndarray
    seed: int
    result: object


class VariantsColorizer:
    """The real tiny Colorizer plus a seed-tinted 'sampler', to drive the gallery UI."""

    def __init__(self, real: Colorizer):
        self.real = real
        self.card = dataclasses.replace(real.card, raw={**real.card.raw, "variants": True})
        self.provider = real.provider
        self.calls = []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def variants(self, image, n, seed, hints=None, size=None, vividness=1.0):
        self.calls.append(("variants", n, seed))
        return [self.render_z(image, np.random.default_rng(s).uniform(0.5, 1.0, 3), hints, size, vividness, s)
                for s in range(seed, seed + n)]

    def render_z(self, image, z, hints=None, size=None, vividness=1.0, seed=-1):
        """As the engine: the variant for latent z; here z is the RGB tint itself."""
        self.calls.append(("render_z", seed))
        res = self.real.colorize(image, hints=hints, size=size, vividness=vividness)
        res.rgb = (res.rgb * np.asarray(z)).astype(res.rgb.dtype)
        return FakeVariant(np.asarray(z, np.float32), seed, res)

    def more_like(self, variant, spread):
        self.calls.append(("more_like", variant.seed, spread))
        return [variant]


def test_variants_panel_disabled_without_sampler(qtbot, window):
    qtbot.waitUntil(lambda: window.variants.toolTip() != "", timeout=5000)
    assert not window.variants.isEnabled()
    assert "no variant sampler" in window.variants.toolTip()


def read_back_tint(path, source, fake):
    """The per-channel tint of an exported variant relative to the plain full-size colorization."""
    import cv2
    got = cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1].astype(np.float64)
    src = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    plain = fake.real.colorize(src).rgb.astype(np.float64)
    bright = plain.sum(-1) > 150
    return (got[bright] / np.maximum(plain[bright], 1)).mean(0)


def test_apply_variant_from_gallery_and_undo(qtbot, tmp_path, colorizer, photo):
    fake = VariantsColorizer(colorizer)
    window = make_window(qtbot, tmp_path, fake)
    qtbot.waitUntil(window.variants.isEnabled, timeout=5000)
    open_and_colorize(qtbot, window, photo)
    plain = window.ctl.result.rgb.copy()
    window.variants.count.setValue(4)
    window.variants.sample.click()
    wait_idle(qtbot, window.ctl)
    assert len(window.variants.buttons) == 4
    window.variants.buttons[2].click()
    wait_idle(qtbot, window.ctl)
    chosen = window.ctl.doc.variant
    assert chosen is not None and chosen.seed == fake.calls[0][2] + 2
    np.testing.assert_array_equal(window.ctl.result.rgb, window.ctl.variants.sampled[2].result.rgb)
    assert not np.array_equal(window.ctl.result.rgb, plain)
    window.variants.more.click()
    wait_idle(qtbot, window.ctl)
    assert fake.calls[-1][:2] == ("more_like", chosen.seed)
    window.act_undo.trigger()
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.variant is None
    np.testing.assert_array_equal(window.ctl.result.rgb, plain)
    out = tmp_path / "variant.png"
    window.ctl.undo.redo()
    window.export_to(out, 8)
    wait_idle(qtbot, window.ctl)
    assert fake.calls[-1] == ("render_z", chosen.seed)  # re-rendered at full size from its z
    np.testing.assert_allclose(read_back_tint(out, photo, fake), chosen.z, atol=0.02)
    window.ctl.shutdown()


# --- opening, settings, cancel ------------------------------------------------------------------------
def test_drop_and_recent_menu_open_photos(qtbot, window, photo, tmp_path):
    from PySide6.QtCore import QMimeData, QUrl
    from PySide6.QtGui import QDropEvent
    colour = tmp_path / "colour.png"
    rgb = np.zeros((60, 80, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = 180, np.linspace(0, 255, 80, dtype=np.uint8)
    write_image(colour, rgb)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(colour))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.path == colour and window.ctl.result.rgb.shape == (60, 80, 3)
    open_and_colorize(qtbot, window, photo)
    names = [a.text() for a in window.recent_menu.actions()]
    assert names == ["street.png", "colour.png"]
    window.recent_menu.actions()[1].trigger()
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.path == colour


def test_preferences_persist_in_qsettings(qtbot, tmp_path):
    from desktop.prefs import PreferencesDialog
    ini = str(tmp_path / "prefs.ini")
    settings = Settings(QSettings(ini, QSettings.Format.IniFormat))
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.provider.setCurrentText("CPUExecutionProvider")
    dialog.size.setCurrentIndex(dialog.size.findData(384))
    dialog.theme.setCurrentText("dark")
    dialog.auto.setChecked(False)
    dialog.store()
    again = Settings(QSettings(ini, QSettings.Format.IniFormat))
    assert (again.provider, again.default_size, again.theme, again.auto_colorize) == (
        "CPUExecutionProvider", 384, "dark", False)


class GatedColorizer:
    """The real tiny Colorizer whose network waits for a gate: a render that is still running."""

    def __init__(self, real):
        import threading
        self.real, self.card, self.provider = real, real.card, real.provider
        self.gate = threading.Event()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def predict(self, *args, **kwargs):
        self.gate.wait(10)
        return self.real.predict(*args, **kwargs)


def test_cancel_frees_the_window_and_drops_the_result(qtbot, tmp_path, colorizer, photo):
    gated = GatedColorizer(colorizer)
    window = make_window(qtbot, tmp_path, gated)
    window.destroyed.connect(gated.gate.set)  # never leave the worker waiting if an assert fails
    window.ctl.open_path(photo)
    qtbot.waitUntil(lambda: window.ctl.doc is not None and not window.ctl.scheduler.idle, timeout=5000)
    assert window.act_cancel.isEnabled()
    window.act_cancel.trigger()
    gated.gate.set()
    wait_idle(qtbot, window.ctl)
    assert window.ctl.result is None and window.canvas.image.after is None
    assert window.statusBar().currentMessage() == "Cancelled"
    window.act_colorize.trigger()
    wait_idle(qtbot, window.ctl)
    assert window.ctl.result is not None
    window.ctl.shutdown()
