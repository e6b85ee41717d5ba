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
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = launch(parse_args([str(a) for a in argv]), settings)
    window.ctl.ask_resume = lambda path: True
    qtbot.addWidget(window)
    return window


def colorized(rgb) -> bool:
    return np.abs(rgb.astype(int) - rgb.mean(axis=2, keepdims=True)).mean() > 5


def test_photo_on_the_command_line_is_colorized_once_the_model_loads(qtbot, tmp_path, monkeypatch, models, photo):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    window = start(qtbot, tmp_path, monkeypatch, [photo])
    ctl = window.ctl
    try:
        qtbot.waitUntil(lambda: ctl.result is not None and ctl.idle, timeout=30000)
        assert ctl.doc.path == photo and colorized(ctl.result.rgb)
        assert "tiny" in window.status_model.text() and window.last_error is None
    finally:
        ctl.shutdown()


def test_a_folder_on_the_command_line_opens_its_first_photo(qtbot, tmp_path, monkeypatch, models, photo):
    monkeypatch.setenv("TINTA_MODELS_DIR", str(models))
    write_image(photo.parent / "c-later.png", gradient_image(60, 80))
    (photo.parent / "a-notes.txt").write_text("not a photo")
    window = start(qtbot, tmp_path, monkeypatch, [photo.parent])
    ctl = window.ctl
    try:
        qtbot.waitUntil(lambda: ctl.result is not None and ctl.idle, timeout=30000)
        assert ctl.doc.path == photo and colorized(ctl.result.rgb)
    finally:
        ctl.shutdown()
