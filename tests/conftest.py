"""Shared test set-up: tests see only the models they build, unless marked `shipped_model`, and never the user's settings."""
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config):
    config.addinivalue_line("markers", "shipped_model: runs against the model shipped in resources/models")
    # No test reads or writes the user's real Tinta settings: every QSettings (and an app started in a
    # subprocess, through XDG_CONFIG_HOME) lands in a folder of the test run's own.
    from PySide6.QtCore import QSettings
    config._tinta_settings = tempfile.mkdtemp(prefix="tinta-test-settings-")
    os.environ["XDG_CONFIG_HOME"] = config._tinta_settings
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, config._tinta_settings)


def pytest_unconfigure(config):
    folder = getattr(config, "_tinta_settings", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolate_models(request, monkeypatch):
    if request.node.get_closest_marker("shipped_model") is None:
        monkeypatch.setenv("TINTA_SHIPPED_MODELS", "0")
