"""Regions in the app: paint/lasso/protect gestures make snapped regions, listed in the Regions dock, undoable,
saved in the session, rendered by the engine (preview and export alike)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog

from desktop.canvas import Tool
from desktop.session import load_session, session_path
from engine.color import srgb_to_lab
from test_desktop_app import (colorizer, drag, make_window, models, open_and_colorize, wait_idle,  # noqa: F401
                              window)

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def photo(tmp_path):
    """A flat gray card with a darker band at x >= 200 (a luminance edge for the snapping)."""
    from engine.io.image import write_image

    img = np.full((240, 320), 170, np.uint8)
    img[:, 200:] = 60
    path = tmp_path / "card.png"
    write_image(path, img)
    return path


def _lab(rgb):
    return srgb_to_lab(rgb.astype(np.float32) / 255)


def _paint_region(qtbot, window, tool, points, color="#2f6fb0"):
    window._on_tool(tool)
    window._on_color_chosen(color)
    n = len(window.ctl.doc.regions)
    drag(qtbot, window.canvas, points)
    qtbot.waitUntil(lambda: len(window.ctl.doc.regions) == n + 1, timeout=10000)
    wait_idle(qtbot, window.ctl)


def test_painted_region_is_listed_recoloured_faded_hidden_deleted_and_undone(qtbot, window, photo, monkeypatch):
    open_and_colorize(qtbot, window, photo)
    ctl, panel = window.ctl, window.regions
    before = ctl.result.rgb.copy()
    _paint_region(qtbot, window, Tool.REGION_PAINT, [(60, 120), (180, 120)])
    assert ctl.doc.hints == ()                                 # a region, not a grid of hints
    region = ctl.doc.regions[0]
    assert region.kind == "colour" and region.color == "#2f6fb0"
    assert panel.list.count() == 1 and panel.list.item(0).text() == "Colour 1" and panel.current == 0
    lab, lab0 = _lab(ctl.result.rgb), _lab(before)
    assert np.abs(lab[115:125, 100:140, 2].mean() - _lab(np.array([[[47, 111, 176]]], np.uint8))[0, 0, 2]) < 8
    assert np.abs(lab[..., 0] - lab0[..., 0]).max() < 0.7       # luminance kept
    assert np.array_equal(ctl.result.rgb[:, 260:], before[:, 260:])   # nothing beyond the edge at x = 200
    # Recolour through the dock's button (the colour dialog answers green).
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *a, **k: QColor("#30a040")))
    panel.recolour.click()
    wait_idle(qtbot, ctl)
    assert ctl.doc.regions[0].color == "#30a040"
    green = ctl.result.rgb.copy()
    assert green[120, 120, 1] > green[120, 120, 2]
    # Fade: a drag of the slider is one undo step.
    for v in (80, 60, 40):
        panel.opacity.setValue(v)
    assert ctl.doc.regions[0].opacity == pytest.approx(0.4) and panel.list.item(0).text() == "Colour 1 40 %"
    panel.show_box.click()
    wait_idle(qtbot, ctl)
    assert not ctl.doc.regions[0].visible and "hidden" in panel.list.item(0).text()
    np.testing.assert_array_equal(ctl.result.rgb, before)      # hidden: the photo as without it
    panel.delete.click()
    wait_idle(qtbot, ctl)
    assert ctl.doc.regions == () and panel.list.count() == 0
    assert [ctl.undo.text(i) for i in range(ctl.undo.count())] == [
        "Colour region", "Recolour region", "Fade region", "Hide region", "Delete region"]
    for _ in range(3):
        window.act_undo.trigger()
    wait_idle(qtbot, ctl)
    assert ctl.doc.regions[0].opacity == 1.0 and ctl.doc.regions[0].visible and panel.list.count() == 1
    np.testing.assert_array_equal(ctl.result.rgb, green)
    for _ in range(2):
        window.act_undo.trigger()
    wait_idle(qtbot, ctl)
    assert ctl.doc.regions == ()
    np.testing.assert_array_equal(ctl.result.rgb, before)
    window.act_redo.trigger()
    wait_idle(qtbot, ctl)
    assert len(ctl.doc.regions) == 1 and panel.list.count() == 1


def test_region_stops_at_the_photos_edge(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    _paint_region(qtbot, window, Tool.REGION_LASSO, [(80, 60), (206, 60), (206, 180), (80, 180)])
    m = window.ctl.doc.regions[0].mask                          # the mask is the photo's size here (320 x 240)
    assert m[80:160, 100:196].min() == 255
    assert m[80:160, 201:].max() < 30                           # 6 px drawn past the edge are not kept


@pytest.fixture
def blind_window(qtbot, tmp_path, monkeypatch):
    """The window with a model that ignores hints, so a hint's colour reaches further by the engine's spreading
    (engine/propagate.py): what a protect region has to stop."""
    from engine.colorizer import Colorizer
    from engine_fixtures import make_test_model

    make_test_model(tmp_path / "blind", follows_hints=False)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(tmp_path / "blind"))
    w = make_window(qtbot, tmp_path, Colorizer())
    yield w
    w.ctl.shutdown()


def test_protect_region_keeps_its_pixels_when_a_hint_lands_beside_it(qtbot, blind_window, photo):
    import cv2

    window = blind_window
    open_and_colorize(qtbot, window, photo)
    ctl = window.ctl
    window.radius.setValue(8)                                   # a protect brush ~17 px wide
    _paint_region(qtbot, window, Tool.PROTECT, [(30, 120), (150, 120)])
    assert ctl.doc.regions[0].kind == "protect" and window.regions.list.item(0).text() == "Protect 1"
    protected = ctl.result.rgb.copy()
    window._on_tool(Tool.BRUSH)
    window._on_color_chosen("#20a040")
    drag(qtbot, window.canvas, [(175, 60), (175, 70)])         # just above-right of the protected band
    wait_idle(qtbot, ctl)
    assert len(ctl.doc.hints) >= 1
    inner = cv2.erode(ctl.doc.regions[0].mask, np.ones((15, 15), np.uint8)) == 255   # 7 px inside its edge
    assert inner.sum() > 1000
    np.testing.assert_array_equal(ctl.result.rgb[inner], protected[inner])
    # Without the protection the same hint does reach that area.
    window.regions.delete.click()
    wait_idle(qtbot, ctl)
    assert ctl.doc.regions == () and ctl.doc.hints
    assert np.abs(ctl.result.rgb[inner].astype(int) - protected[inner]).max() > 10


def test_regions_are_saved_in_the_session_and_resumed(qtbot, window, photo, tmp_path, colorizer):  # noqa: F811
    open_and_colorize(qtbot, window, photo)
    _paint_region(qtbot, window, Tool.REGION_PAINT, [(60, 120), (180, 120)])
    _paint_region(qtbot, window, Tool.PROTECT, [(250, 60), (300, 60)])
    shown = window.ctl.result.rgb.copy()
    spath = window.ctl.save_session()
    assert spath == session_path(photo)
    saved = load_session(spath)
    assert [r.kind for r in saved.regions] == ["colour", "protect"] and spath.stat().st_size < 20_000
    # Export and `tinta colorize --session` render the regions as the preview shows them.
    from engine.cli import main
    from engine.io.image import read_image

    assert window.export_to(tmp_path / "export.png", 8)
    wait_idle(qtbot, window.ctl)
    exported = read_image(tmp_path / "export.png").pixels
    assert main(["colorize", str(photo), "--session", str(spath), "-o", str(tmp_path / "cli")]) == 0
    np.testing.assert_array_equal(read_image(tmp_path / "cli" / "card.png").pixels, exported)
    assert np.abs(exported.astype(int) - shown).max() <= 3
    window.ctl.shutdown()
    again = make_window(qtbot, tmp_path, colorizer)
    try:
        open_and_colorize(qtbot, again, photo)
        assert [r.kind for r in again.ctl.doc.regions] == ["colour", "protect"]
        assert again.regions.list.count() == 2
        np.testing.assert_array_equal(again.ctl.result.rgb, shown)
    finally:
        again.ctl.shutdown()


def test_selected_region_is_outlined_on_the_photo(qtbot, window, photo):
    open_and_colorize(qtbot, window, photo)
    assert window.canvas.outline.pixmap().isNull()
    _paint_region(qtbot, window, Tool.REGION_PAINT, [(60, 120), (180, 120)])
    pix = window.canvas.outline.pixmap()
    assert not pix.isNull() and window.canvas.outline.sceneBoundingRect().width() == pytest.approx(320)
    from desktop.qimage import qimage_to_rgb
    alpha = qimage_to_rgb(pix.toImage())   # drawn only along the edge
    assert 0 < (alpha.sum(axis=2) > 0).mean() < 0.2
    window.regions.list.setCurrentRow(-1)
    assert window.canvas.outline.pixmap().isNull()
