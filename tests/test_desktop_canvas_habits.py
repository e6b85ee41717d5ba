"""Canvas habits (Space pans whatever has focus, the before/after divider dragged on the photo) and the variants
gallery's bigger thumbnails with earlier sets kept, driven through the real window."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLineEdit

from desktop.canvas import Tool
from desktop.variants_panel import HISTORY_THUMB, THUMB
from test_desktop_app import (VariantsColorizer, colorizer, drag, make_window, models,  # noqa: F401
                              open_and_colorize, photo, wait_idle)

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def window(qtbot, tmp_path, colorizer):  # noqa: F811
    w = make_window(qtbot, tmp_path, colorizer)
    yield w
    w.ctl.shutdown()


def test_space_pans_whichever_widget_has_focus_and_never_presses_it(qtbot, window, photo):  # noqa: F811
    open_and_colorize(qtbot, window, photo)
    cv, button = window.canvas, window.colors.dropper
    cv.set_zoom(6.0)
    window._on_tool(Tool.BRUSH)
    assert button.isCheckable() and not button.isChecked()
    button.setFocus()
    qtbot.keyPress(button, Qt.Key.Key_Space)
    assert cv._space
    v0 = cv.verticalScrollBar().value()
    drag(qtbot, cv, [(160, 120), (160, 110)])              # the brush pans instead of painting
    qtbot.keyRelease(button, Qt.Key.Key_Space)
    assert not cv._space and not button.isChecked()        # the focused button was not pressed
    assert cv.verticalScrollBar().value() != v0 and window.ctl.doc.hints == ()
    drag(qtbot, cv, [(160, 120), (170, 120)])              # released: painting again
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.hints != ()
    field = QLineEdit(window)                              # a text field keeps its spaces
    field.show()
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Space)
    assert field.text() == " " and not cv._space


def test_divider_is_dragged_on_the_photo_with_labels(qtbot, window, photo):  # noqa: F811
    open_and_colorize(qtbot, window, photo)
    cv = window.canvas
    labels = cv.divider.labels
    assert not labels.isVisible()                          # no compare yet: a press paints
    window.split.setValue(50)
    assert labels.isVisible() and labels.pos().x() == pytest.approx(160)
    w, h = cv.image.rect.width(), cv.image.rect.height()
    drag(qtbot, cv, [(w * 0.5, h / 2), (w * 0.6, h / 2), (w * 0.75, h / 2)])
    assert cv.image.split == pytest.approx(0.75, abs=0.01) and window.split.value() == 75
    assert labels.pos().x() == pytest.approx(w * cv.image.split)
    assert window.ctl.doc.hints == ()                      # the drag moved the divider, painted nothing
    drag(qtbot, cv, [(w * 0.2, h / 2), (w * 0.3, h / 2)])  # away from the line: the brush paints
    wait_idle(qtbot, window.ctl)
    assert window.ctl.doc.hints != () and cv.image.split == pytest.approx(0.75, abs=0.01)
    window.act_compare.trigger()                           # B: the original everywhere, no divider
    assert not labels.isVisible()
    window.act_compare.trigger()
    window.split.setValue(0)
    assert not labels.isVisible()


def test_variants_are_big_and_earlier_sets_stay_applicable(qtbot, tmp_path, colorizer, photo):  # noqa: F811
    fake = VariantsColorizer(colorizer)
    window = make_window(qtbot, tmp_path, fake)
    try:
        qtbot.waitUntil(window.variants.isEnabled, timeout=5000)
        open_and_colorize(qtbot, window, photo)
        panel = window.variants
        assert not panel.history_scroll.isVisible()
        seeds = []
        for n in (3, 2, 4):
            panel.count.setValue(n)
            panel.sample.click()
            wait_idle(qtbot, window.ctl)
            seeds.append([c[2] for c in fake.calls if c[0] == "variants"][-1])
        assert len(panel.buttons) == 4 and panel.buttons[0].iconSize().width() == THUMB
        assert [len(r) for r in panel.history_buttons] == [2, 3]      # newest earlier set first
        assert panel.history_scroll.isVisible()
        assert panel.history_buttons[0][0].iconSize().width() == HISTORY_THUMB
        panel.history_buttons[1][2].click()                           # the first set's third variant
        wait_idle(qtbot, window.ctl)
        chosen = window.ctl.doc.variant
        assert chosen is not None and chosen.seed == seeds[0] + 2
        np.testing.assert_array_equal(window.ctl.result.rgb, window.ctl.variants.history[1][2].result.rgb)
        assert window.ctl.undo.undoText() == "Apply variant 3 of set -2"
        assert panel.more.isEnabled()                                 # more like an earlier set's variant too
        panel.more.click()
        wait_idle(qtbot, window.ctl)
        assert fake.calls[-1][:2] == ("more_like", seeds[0] + 2)
        # thumbnails are made once, off the GUI thread, no bigger than the gallery shows them
        assert all(max(t.shape[:2]) <= THUMB for t in window.ctl.variants._thumbs.values())
        kept = {id(v) for vs in [window.ctl.variants.sampled, *window.ctl.variants.history] for v in vs}
        assert set(window.ctl.variants._thumbs) == kept
        window.ctl.open_path(photo)                                   # a photo opened afresh: no history
        wait_idle(qtbot, window.ctl)
        assert panel.history_buttons == [] and not panel.history_scroll.isVisible()
    finally:
        window.ctl.shutdown()


def test_a_new_preview_blits_the_hint_dots_and_zooming_redraws_them(qtbot, window, photo):  # noqa: F811
    """Each preview repaints the view: the dots come from their cache (drawing a few hundred cost ~15 ms a stroke),
    drawn again only when the hints or the zoom change, and they are on screen either way."""
    open_and_colorize(qtbot, window, photo)
    cv = window.canvas
    window._on_tool(Tool.BRUSH)
    window._on_color_chosen("#ff00ff")
    drag(qtbot, cv, [(60, 60), (90, 60)])
    wait_idle(qtbot, window.ctl)
    paints = []
    original = type(cv.overlay).paint
    cv.overlay.paint = lambda painter, option, widget=None: (paints.append(1), original(cv.overlay, painter, option,
                                                                                            widget))
    ctl = window.ctl

    hint = ctl.doc.hints[len(ctl.doc.hints) // 2]

    def dot_on_screen():
        image = cv.viewport().grab().toImage()
        p = cv.mapFromScene(QPointF(hint.x, hint.y))
        c = image.pixelColor(p.x(), p.y())
        return c.red() > 100 and c.blue() > 100 and c.green() < 40   # magenta: no photo pixel is

    cv.viewport().repaint()
    paints.clear()
    ctl.resultChanged.emit(ctl.result.rgb)                 # a new preview arrives
    cv.viewport().repaint()
    assert paints == [] and dot_on_screen()
    cv.set_zoom(6.0)                                       # bigger than the viewport: only what shows is cached
    cv.centerOn(QPointF(hint.x, hint.y))
    cv.viewport().repaint()
    assert paints and dot_on_screen()
    from desktop.canvas import STAMP_MAX_RADIUS
    cv.set_zoom(32.0)                                      # dots too big to stamp are drawn as they are
    cv.centerOn(QPointF(hint.x, hint.y))
    cv.viewport().repaint()
    assert dot_on_screen()
    assert max(st.width() / st.devicePixelRatio() for st in cv.overlay._stamps.values()) <= 2 * STAMP_MAX_RADIUS + 6
