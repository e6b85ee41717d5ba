"""The filmstrip and the album tools, driven through the real window: open by click, multi-select, copy settings
to other photos' sessions, carry this photo's colours onto them (the tiny cVAE)."""
from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from desktop import album as album_module
from desktop.commands import SetHints
from desktop.session import Session, load_session, save_session, session_path
from engine.hints import Hint
from engine.io.image import write_image
from engine_fixtures import gradient_image
from test_desktop_app import colorizer, make_window, models, wait_idle  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture
def roll(tmp_path):
    folder = tmp_path / "roll"
    folder.mkdir()
    paths = []
    for i, name in enumerate(("frame01.png", "frame02.png", "frame03.jpg")):
        img = gradient_image(120 + 20 * i, 160)
        path = folder / name
        write_image(path, img)
        paths.append(path)
    (folder / "notes.txt").write_text("not a photo")
    return paths


@pytest.fixture
def window(qtbot, tmp_path, colorizer):  # noqa: F811
    w = make_window(qtbot, tmp_path, colorizer)
    yield w
    w.ctl.shutdown()


def click_item(qtbot, strip, photo, modifier=Qt.KeyboardModifier.NoModifier):
    item = strip.items[photo]
    rect = strip.list.visualItemRect(item)
    qtbot.mouseClick(strip.list.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def open_in(qtbot, window, photo):
    window.ctl.open_path(photo)
    wait_idle(qtbot, window.ctl)
    qtbot.waitUntil(lambda: window.ctl.album.thumbnails_done, timeout=10000)
    assert window.ctl.doc.path == photo


def test_filmstrip_shows_the_folder_opens_by_click_and_selects_with_modifiers(qtbot, window, roll, monkeypatch):
    made = []
    real = album_module.make_thumbnail
    monkeypatch.setattr(album_module, "make_thumbnail", lambda p, *a: made.append(p) or real(p, *a))
    a, b, c = roll
    open_in(qtbot, window, a)
    strip = window.filmstrip
    assert list(strip.items) == roll                      # photos only, by name
    assert sorted(made) == sorted(roll)                   # each made once, off the GUI thread
    assert all(not strip.items[p].icon().isNull() for p in roll)
    for p in roll:                                        # laid out with the thumbnail and the name under it
        icon = strip.items[p].icon().availableSizes()[0]
        assert strip.list.visualItemRect(strip.items[p]).height() > icon.height() + 8 and icon.width() == 96
    assert strip.items[a].font().bold() and strip.items[a].background().style() != Qt.BrushStyle.NoBrush
    assert not strip.items[b].font().bold()
    assert strip.selected() == [] and not strip.copy.isEnabled() and not window.act_copy_settings.isEnabled()

    click_item(qtbot, strip, b)
    wait_idle(qtbot, window.ctl)
    qtbot.waitUntil(lambda: window.ctl.album.thumbnails_done, timeout=10000)
    assert window.ctl.doc.path == b and strip.current == b and strip.items[b].font().bold()
    assert sorted(made) == sorted(roll)                   # the same folder again: thumbnails from memory

    click_item(qtbot, strip, c, Qt.KeyboardModifier.ControlModifier)
    assert window.ctl.doc.path == b and strip.selected() == [c]       # selected, not opened
    assert strip.copy.isEnabled() and window.act_copy_settings.isEnabled()
    click_item(qtbot, strip, a, Qt.KeyboardModifier.ShiftModifier)
    assert window.ctl.doc.path == b and strip.selected() == [a, c]

    write_image(c, gradient_image(100, 100))               # a changed file gets a new thumbnail
    open_in(qtbot, window, a)
    assert made.count(c) == 2 and made.count(b) == 1


def test_copy_settings_writes_other_sessions_and_asks_before_replacing(qtbot, window, roll, monkeypatch):
    a, b, c = roll
    bytes_before = {p: p.read_bytes() for p in roll}
    own = Session(hints=[Hint(10.0, 20.0, "#2040ff", 2)], vividness=0.7, warmth=-0.2)
    save_session(b, own)
    window.ctl.ask_resume = lambda path: False
    open_in(qtbot, window, a)
    ctl = window.ctl
    ctl.set_vividness(1.6)
    ctl.set_look("saturation", 1.3)
    ctl.set_look("warmth", 0.4)
    ctl.set_size(384)
    ctl.set_restore(replace(ctl.doc.restore, denoise=0.5), "denoise")
    wait_idle(qtbot, ctl)
    strip = window.filmstrip
    click_item(qtbot, strip, b, Qt.KeyboardModifier.ControlModifier)
    click_item(qtbot, strip, c, Qt.KeyboardModifier.ControlModifier)
    assert strip.selected() == [b, c]

    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.No)
    strip.copy.click()
    wait_idle(qtbot, ctl)
    assert len(asked) == 1 and "frame02.png" in asked[0] and "frame03" not in asked[0]
    assert load_session(session_path(b)).vividness == 0.7 and not session_path(c).exists()
    assert "not copied" in window.statusBar().currentMessage()

    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Yes)
    import threading

    import desktop.album as album_mod
    threads = []
    for name in ("load_session", "save_session"):
        real = getattr(album_mod, name)
        monkeypatch.setattr(album_mod, name, lambda *a, real=real: threads.append(threading.current_thread())
                            or real(*a))
    window.act_copy_settings.trigger()
    wait_idle(qtbot, ctl)
    assert len(threads) == 3 and threading.main_thread() not in threads  # 1 read (b), 2 writes, off the GUI
    for photo in (b, c):
        s = load_session(session_path(photo))
        assert (s.vividness, s.saturation, s.warmth, s.size) == (1.6, 1.3, 0.4, 384)
        assert s.restore.denoise == 0.5
    assert load_session(session_path(b)).hints == own.hints            # its own hints stay
    assert load_session(session_path(c)).hints == []
    assert window.statusBar().currentMessage() == "Copied the settings of frame01.png to 2 photos"
    assert {p: p.read_bytes() for p in roll} == bytes_before         # the photos themselves untouched
    assert not session_path(a).with_suffix(".tmp").exists()

    asked.clear()                                     # the same settings again: nothing to ask
    strip.copy.click()
    wait_idle(qtbot, ctl)
    assert asked == []
    (session_path(c)).write_text("{broken")            # an unreadable session is named, the others still written
    ctl.set_vividness(1.2)
    wait_idle(qtbot, ctl)
    strip.copy.click()
    wait_idle(qtbot, ctl)
    assert window.last_error is not None and "frame03.jpg.tinta.json" in window.last_error[1]
    assert load_session(session_path(b)).vividness == 1.2


def test_carry_is_disabled_without_a_variant_sampler(qtbot, window, roll):
    open_in(qtbot, window, roll[0])
    strip = window.filmstrip
    click_item(qtbot, strip, roll[1], Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "variant sampler" in strip.carry.toolTip(), timeout=10000)
    assert strip.copy.isEnabled() and not strip.carry.isEnabled() and not window.act_carry.isEnabled()
    assert "variant sampler" in window.act_carry.toolTip()


# --- carrying colours needs the tiny cVAE ------------------------------------------------------------
pytest.importorskip("torch")
from test_reference import _crops  # noqa: E402
from test_variants import vae_dir  # noqa: E402,F401  (the tiny cVAE fixture)


@pytest.fixture
def vae(vae_dir, monkeypatch):  # noqa: F811
    from engine.colorizer import Colorizer

    monkeypatch.setenv("TINTA_MODELS_DIR", str(vae_dir))
    return Colorizer("tiny-vae")


def test_apply_colours_carries_hints_into_the_selected_sessions(qtbot, vae, tmp_path):
    ref, _, gray = _crops()
    folder = tmp_path / "album"
    folder.mkdir()
    first, second, third = folder / "frame01.png", folder / "frame02.png", folder / "frame03.png"
    cv2.imwrite(str(first), cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY))
    cv2.imwrite(str(second), gray)
    cv2.imwrite(str(third), np.full((200, 260), 250, np.uint8))   # nothing alike: little or nothing lands
    own = Hint(5.0, 6.0, "#00ff00", 1)
    save_session(second, Session(hints=[own], vividness=0.8))
    window = make_window(qtbot, tmp_path, vae)
    window.ctl.ask_resume = lambda path: False
    try:
        qtbot.waitUntil(lambda: window.ctl.album.carry_error is None, timeout=20000)
        open_in(qtbot, window, first)
        ctl, strip = window.ctl, window.filmstrip
        h, w = ref.shape[:2]
        hints = tuple(Hint(float(w - 20 - 9 * k), float(30 + 25 * k), "#2040ff", 3) for k in range(9))
        ctl.undo.push(SetHints(ctl.doc, hints, "test hints"))
        wait_idle(qtbot, ctl)
        click_item(qtbot, strip, second, Qt.KeyboardModifier.ControlModifier)
        click_item(qtbot, strip, third, Qt.KeyboardModifier.ControlModifier)
        assert strip.carry.isEnabled() and window.act_carry.isEnabled()

        strip.carry.click()                    # stopped at once: nothing written
        ctl.cancel()
        wait_idle(qtbot, ctl)
        assert "stopped" in window.statusBar().currentMessage()
        assert load_session(session_path(second)).hints == [own] and not session_path(third).exists()

        messages = []
        ctl.statusMessage.connect(messages.append)
        window.act_carry.trigger()
        wait_idle(qtbot, ctl)
        assert any(m.startswith("Carrying colours to frame02.png (1 of 2)") for m in messages)
        s2 = load_session(session_path(second))
        carried = s2.hints[:-1]
        assert s2.hints[-1] == own and s2.vividness == 0.8             # its own hints last, settings kept
        assert 4 <= len(carried) <= 9 and all(x.color == "#2040ff" and x.radius == 3 for x in carried)
        gh, gw = gray.shape
        assert all(0 <= x.x < gw and 0 <= x.y < gh for x in carried)
        n3 = len(load_session(session_path(third)).hints)
        assert n3 < len(carried)
        assert window.statusBar().currentMessage() == (
            f"Carried {len(carried)} of 9 hints to frame02.png, {n3} of 9 to frame03.png")
        assert json.loads(session_path(second).read_text())["format"] == "tinta-session"
    finally:
        window.ctl.shutdown()
