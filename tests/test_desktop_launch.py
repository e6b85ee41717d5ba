"""`tinta-desktop PHOTO` as the README starts it: the window, the model loading beside the photo, failures shown."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from desktop.app import launch, parse_args
from desktop.settings import Settings
from engine.io import quiet
from engine.io.image import write_image
from engine_fixtures import gradient_image, make_test_model

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return make_test_model(tmp_path_factory.mktemp("models")).parent


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photos" / "b-street.png"
    path.parent.mkdir()
    write_image(path, gradient_image(120, 160))
    return path


def start(qtbot, tmp_path, monkeypatch, argv):
    """main(argv) up to app.exec(): the same launch(), with settings in a scratch INI file."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # launch() installs the app's own
    monkeypatch.setattr(quiet, "_enabled", quiet.enabled())  # launch() turns it off; later tests want it on
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = launch(parse_args([str(a) for a in argv]), settings)
    window.ctl.ask_resume = lambda path: True
    qtbot.addWidget(window)
    return window


def wait_colorized(qtbot, ctl) -> None:
    """Until the first colorization is shown (the model loads first, off the GUI thread)."""
    qtbot.waitUntil(lambda: ctl.result is not None and ctl.idle, timeout=30000)


def colorized(rgb) -> bool:
    return np.abs(rgb.astype(int) - rgb.mean(axis=2, keepdims=True)).mean() > 5


def test_photo_on_the_command_line_is_colorized_once_the_model_loads(qtbot, tmp_path, monkeypatch, models, photo):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl = window.ctl
    try:
        wait_colorized(qtbot, ctl)
        assert ctl.doc.path == photo and colorized(ctl.result.rgb)
        assert "tiny" in window.status_model.text() and window.last_error is None
        assert not quiet.enabled()  # the app keeps its own stderr while workers decode
    finally:
        ctl.shutdown()


def test_a_folder_on_the_command_line_opens_its_first_photo(qtbot, tmp_path, monkeypatch, models, photo):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    write_image(photo.parent / "c-later.png", gradient_image(60, 80))
    (photo.parent / "a-notes.txt").write_text("not a photo")
    window = start(qtbot, tmp_path, monkeypatch, [photo.parent])
    ctl = window.ctl
    try:
        wait_colorized(qtbot, ctl)
        assert ctl.doc.path == photo and colorized(ctl.result.rgb)
    finally:
        ctl.shutdown()


def test_several_photos_from_open_with_open_the_first(qtbot, tmp_path, monkeypatch, models, photo):
    # A file manager's "Open with Tinta" on a selection: the desktop entry's `tinta-desktop %F`.
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    second = photo.parent / "c-second.png"
    write_image(second, gradient_image(60, 80))
    window = start(qtbot, tmp_path, monkeypatch, [photo, second])
    ctl = window.ctl
    try:
        wait_colorized(qtbot, ctl)
        assert ctl.doc.path == photo and window.last_error is None
    finally:
        ctl.shutdown()


def test_a_photo_the_os_hands_over_opens(qtbot, tmp_path, monkeypatch, models, photo):
    # macOS: Finder's "Open With" and a drop on the Dock icon arrive as a QFileOpenEvent, not in argv.
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    window = start(qtbot, tmp_path, monkeypatch, [])
    ctl = window.ctl
    try:
        assert QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(photo)))
        wait_colorized(qtbot, ctl)
        assert ctl.doc.path == photo and colorized(ctl.result.rgb)
    finally:
        ctl.shutdown()


def corrupt_models(tmp_path):
    """A card whose ONNX file is garbage with a matching checksum: the file loads, the network does not."""
    import hashlib
    import json
    card = make_test_model(tmp_path / "corrupt")
    data = b"this is not an onnx graph" * 40
    (card.parent / "tiny.onnx").write_bytes(data)
    meta = json.loads(card.read_text())
    meta["sha256"] = hashlib.sha256(data).hexdigest()
    card.write_text(json.dumps(meta))
    return card.parent


@pytest.mark.parametrize("problem", ["missing", "corrupt"])
def test_a_model_that_cannot_load_is_shown_not_silent(qtbot, tmp_path, monkeypatch, photo, problem):
    from PySide6.QtWidgets import QMessageBox
    folder = tmp_path / "empty" if problem == "missing" else corrupt_models(tmp_path)
    folder.mkdir(exist_ok=True)
    monkeypatch.setenv("TINTA_MODELS_DIR", str(folder))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl = window.ctl
    messages = []
    ctl.statusMessage.connect(messages.append)
    try:
        qtbot.waitUntil(lambda: window.last_error is not None and ctl.doc is not None and ctl.idle, timeout=30000)
        title, text = window.last_error
        assert title == "No colorization model" and "could not be loaded" in text
        boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
        assert [b.windowTitle() for b in boxes] == ["No colorization model"]
        assert window.status_model.text().startswith("No model") and window.status_model.toolTip()
        assert any(m.startswith("No colorization model: ") for m in messages)
        window.act_colorize.trigger()
        assert window.statusBar().currentMessage().startswith("Cannot colorize: no colorization model (")
        assert ctl.result is None
    finally:
        ctl.shutdown()


def drop_on(widget, path):
    """Drag `path` over widget's middle and drop it, through Qt's event delivery (as a real drop)."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = widget.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos, *args)
    QApplication.sendEvent(widget, enter)
    move = QDragMoveEvent(pos, *args)
    QApplication.sendEvent(widget, move)
    drop = QDropEvent(QPointF(pos), *args)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_a_file_dropped_on_the_photo_or_a_panel_opens(qtbot, tmp_path, monkeypatch, models, photo):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    other = photo.parent / "other.png"
    write_image(other, gradient_image(60, 80))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl = window.ctl
    try:
        wait_colorized(qtbot, ctl)
        assert drop_on(window.canvas.viewport(), other) == (True, True)
        qtbot.waitUntil(lambda: ctl.doc.path == other and ctl.result is not None and ctl.idle, timeout=30000)
        assert ctl.result.rgb.shape == (60, 80, 3)
        assert drop_on(window.colors, photo) == (True, True)
        qtbot.waitUntil(lambda: ctl.doc.path == photo and ctl.result is not None and ctl.idle, timeout=30000)
    finally:
        ctl.shutdown()


def test_the_eyedropper_picks_once_then_returns_to_the_previous_tool(qtbot, tmp_path, monkeypatch, models, photo):
    from PySide6.QtCore import QPointF, Qt
    from desktop.canvas import Tool
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl, cv = window.ctl, window.canvas
    qtbot.waitExposed(window)

    def click(x, y):
        qtbot.mouseClick(cv.viewport(), Qt.MouseButton.LeftButton, pos=cv.mapFromScene(QPointF(x, y)))

    try:
        wait_colorized(qtbot, ctl)
        window.tool_actions[Tool.REGION_LASSO].trigger()
        window.tool_actions[Tool.EYEDROPPER].trigger()  # the I key / the Tools menu
        assert cv.tool is Tool.EYEDROPPER and window.colors.dropper.isChecked()
        click(150, 20)
        hit = cv.mapToScene(cv.mapFromScene(QPointF(150, 20)))
        r, g, b = ctl.result.rgb[int(hit.y()), int(hit.x())]
        assert ctl.color == window.colors.color == f"#{r:02x}{g:02x}{b:02x}"
        assert cv.tool is Tool.REGION_LASSO and window.tool_actions[Tool.REGION_LASSO].isChecked()
        assert not window.colors.dropper.isChecked()
        # the panel's eyedropper button: one pick, then back to the brush chosen before it
        window.tool_actions[Tool.BRUSH].trigger()
        window.colors.dropper.click()
        assert cv.tool is Tool.EYEDROPPER
        click(10, 100)
        assert cv.tool is Tool.BRUSH and window.tool_actions[Tool.BRUSH].isChecked()
        assert not window.colors.dropper.isChecked() and not ctl.doc.hints  # a pick paints nothing
        # toggled off without a pick: also back to the tool before
        window.tool_actions[Tool.ERASER].trigger()
        window.colors.dropper.click()
        window.colors.dropper.click()
        assert cv.tool is Tool.ERASER
    finally:
        ctl.shutdown()


def test_the_status_bar_says_how_long_and_where_in_words(qtbot, tmp_path, monkeypatch, models, photo):
    import re
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl = window.ctl
    try:
        wait_colorized(qtbot, ctl)
        msg = window.statusBar().currentMessage()
        assert re.fullmatch(r"Colorized in (\d+\.\d s|\d+ ms) on the CPU", msg), msg
        assert window.status_model.text() == "tiny, on the CPU"
        assert "ExecutionProvider" not in msg + window.status_model.text()
    finally:
        ctl.shutdown()


@pytest.mark.parametrize("provider, seconds, draft, said", [
    ("CPUExecutionProvider", 0.618, False, "Colorized in 0.6 s on the CPU"),
    ("CUDAExecutionProvider", 0.042, False, "Colorized in 42 ms on the GPU (CUDA)"),
    ("TensorrtExecutionProvider", 1.25, False, "Colorized in 1.2 s on the GPU (TensorRT)"),
    ("DmlExecutionProvider", 0.31, True, "Quick preview in 0.3 s on the GPU (DirectML)"),
    ("CoreMLExecutionProvider", 2.0, False, "Colorized in 2.0 s on the GPU (Core ML)"),
    ("FancyExecutionProvider", 0.5, False, "Colorized in 0.5 s on the Fancy accelerator"),
])
def test_render_wording_names_the_device(provider, seconds, draft, said):
    from desktop.wording import rendered
    assert rendered(seconds, provider, draft) == said
