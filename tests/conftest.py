"""Shared test set-up: tests see only the models they build, unless marked `shipped_model`."""
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config):
    config.addinivalue_line("markers", "shipped_model: runs against the model shipped in resources/models")


@pytest.fixture(autouse=True)
def _isolate_models(request, monkeypatch):
    if request.node.get_closest_marker("shipped_model") is None:
        monkeypatch.setenv("TINTA_SHIPPED_MODELS", "0")
