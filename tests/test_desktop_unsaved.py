"""Unsaved edits are never lost unasked: leaving a photo (another one, or closing) saves them or asks."""
import errno
import json

import pytest
from PySide6.QtWidgets import QMessageBox

import desktop.session_keeper as keeper
from desktop.session import save_session, session_path
from engine.io.image import write_image
from engine_fixtures import gradient_image
from test_desktop_app import colorizer, models, open_and_colorize, wait_idle, window  # noqa: F401

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]
Button = QMessageBox.StandardButton


@pytest.fixture
def photos(tmp_path):
    paths = [tmp_path / "first.png", tmp_path / "second.png"]
    for p in paths:
        write_image(p, gradient_image(120, 160))
    return paths


@pytest.fixture
def answers(monkeypatch):
    """The Save/Discard/Cancel question, answered from a list instead of by a person; records each question."""
    asked, queue = [], []

    def warning(parent, title, text, buttons, default):
        asked.append((title, text, buttons, default))
        return queue.pop(0) if queue else Button.Discard  # an unexpected question never holds up teardown

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(warning))
    return asked, queue


def _failing_saves(monkeypatch, times=None):
    """Session writes fail (all, or the next `times`, as if the folder were made writable meanwhile)."""
    left = [times]

    def refuse(photo, session):
        if left[0] is not None:
            if left[0] == 0:
                return save_session(photo, session)
            left[0] -= 1
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(keeper, "save_session", refuse)


def test_edits_not_yet_written_are_saved_on_leaving_without_a_question(qtbot, window, photos, answers):
    asked, _ = answers
    open_and_colorize(qtbot, window, photos[0])
    window.ctl.set_vividness(1.5)
    assert window.isWindowModified()  # the title's [*]
    window.ctl.open_path(photos[1])   # before the autosave has run
    wait_idle(qtbot, window.ctl)
    assert asked == [] and window.ctl.doc.path == photos[1]
    assert json.loads(session_path(photos[0]).read_text())["settings"]["vividness"] == 1.5
    assert not window.isWindowModified()


def test_a_failed_save_asks_before_switching_photos(qtbot, window, photos, answers, monkeypatch):
    asked, queue = answers
    open_and_colorize(qtbot, window, photos[0])
    _failing_saves(monkeypatch)
    window.ctl.set_vividness(1.5)
    wait_idle(qtbot, window.ctl)
    qtbot.waitUntil(lambda: "Could not save the session" in window.statusBar().currentMessage(), timeout=5000)
    assert window.isWindowModified()
    # Cancel: the photo and its edits stay, nothing else is opened.
    queue.append(Button.Cancel)
    window.ctl.open_path(photos[1])
    wait_idle(qtbot, window.ctl)
    title, text, buttons, default = asked[-1]
    assert title == "Unsaved edits" and "first.png" in text and "Permission denied" in text
    assert buttons == Button.Save | Button.Discard | Button.Cancel and default == Button.Save
    assert window.ctl.doc.path == photos[0] and window.ctl.doc.vividness == 1.5
    # Save, the folder made writable while the question was shown: the session is written, the other photo opens.
    _failing_saves(monkeypatch, times=1)
    queue.append(Button.Save)
    window.ctl.open_path(photos[1])
    wait_idle(qtbot, window.ctl)
    assert len(asked) == 2 and window.ctl.doc.path == photos[1]
    assert json.loads(session_path(photos[0]).read_text())["settings"]["vividness"] == 1.5
    # Discard: nothing written, the switch goes on.
    _failing_saves(monkeypatch)
    window.ctl.set_vividness(2.0)
    queue.append(Button.Discard)
    window.ctl.open_path(photos[0])
    wait_idle(qtbot, window.ctl)
    assert len(asked) == 3 and window.ctl.doc.path == photos[0]
    assert not session_path(photos[1]).exists()


def test_closing_with_unsaved_edits_asks_and_cancel_keeps_the_window(qtbot, window, photos, answers, monkeypatch):
    asked, queue = answers
    open_and_colorize(qtbot, window, photos[0])
    _failing_saves(monkeypatch)
    window.ctl.set_vividness(1.5)
    wait_idle(qtbot, window.ctl)
    queue.append(Button.Cancel)
    assert not window.close()
    assert window.isVisible() and len(asked) == 1
    queue.append(Button.Save)  # still failing: an error, and the window stays
    assert not window.close()
    assert window.isVisible() and window.last_error[0] == "Cannot save session"
    queue.append(Button.Discard)
    assert window.close()
    assert len(asked) == 3 and not session_path(photos[0]).exists()


def test_unedited_photo_closes_without_a_question(qtbot, window, photos, answers, monkeypatch):
    asked, _ = answers
    open_and_colorize(qtbot, window, photos[0])
    _failing_saves(monkeypatch)
    assert window.close() and asked == []
