"""The window's layout (size, docks, toolbar) is kept in QSettings on close and restored on the next start."""
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtWidgets import QDockWidget, QToolBar

from desktop.app import build_window, create_app
from desktop.settings import Settings

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]


def _start(qtbot, ini):
    window = build_window(Settings(QSettings(str(ini), QSettings.Format.IniFormat)), load_model=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_layout_is_saved_on_close_and_restored_on_start(qtbot, tmp_path):
    ini = tmp_path / "settings.ini"
    first = _start(qtbot, ini)
    first.resize(760, 540)  # inside the offscreen screen (800x600): restoring fits a window to its screen
    variants = first.findChild(QDockWidget, "variantsDock")
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, variants)
    first.findChild(QDockWidget, "lookDock").hide()
    first.findChild(QToolBar, "mainToolbar").hide()
    qtbot.waitUntil(lambda: first.size().width() == 760)
    size = first.size()  # as high as the docks allow
    assert first.close()
    saved = QSettings(str(ini), QSettings.Format.IniFormat)
    assert not saved.value("window/geometry").isEmpty() and not saved.value("window/state").isEmpty()
    again = _start(qtbot, ini)
    assert again.size() == size and again.width() < 1280  # not the first-start default
    assert again.dockWidgetArea(again.findChild(QDockWidget, "variantsDock")) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert again.findChild(QDockWidget, "lookDock").isHidden()
    assert again.findChild(QToolBar, "mainToolbar").isHidden()
    assert not again.findChild(QDockWidget, "restoreDock").isHidden()


def test_a_first_start_and_a_broken_record_give_the_default_layout(qtbot, tmp_path):
    ini = tmp_path / "settings.ini"
    store = QSettings(str(ini), QSettings.Format.IniFormat)
    store.setValue("window/geometry", "not a geometry")
    store.setValue("window/state", 42)
    store.sync()
    window = _start(qtbot, ini)
    assert window.dockWidgetArea(window.findChild(QDockWidget, "variantsDock")) == Qt.DockWidgetArea.RightDockWidgetArea
    assert not window.findChild(QToolBar, "mainToolbar").isHidden()


def test_tests_never_touch_the_users_real_settings(qapp):
    create_app()
    real = Path(QSettings().fileName()).resolve()
    home = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation)).resolve()
    assert not real.is_relative_to(home / ".config")
    assert real.parts[-2:] == ("Tinta", "Tinta.conf")
