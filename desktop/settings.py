"""Persistent preferences (QSettings): provider, default working size, theme, recent files, brush, window layout."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QApplication

MAX_RECENT = 10
THEMES = ("system", "light", "dark")


class Settings:
    """Typed access to QSettings; pass a QSettings (e.g. an INI file) to isolate tests."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    def _get(self, key: str, default, kind):
        value = self.store.value(key, default)
        try:
            return default if value is None else kind(value)
        except (TypeError, ValueError):
            return default

    # provider: None = let the engine pick the best accelerator
    @property
    def provider(self) -> str | None:
        value = self._get("engine/provider", "", str)
        return value or None

    @provider.setter
    def provider(self, value: str | None) -> None:
        self.store.setValue("engine/provider", value or "")

    @property
    def default_size(self) -> int | None:
        value = self._get("engine/default_size", 0, int)
        return value or None

    @default_size.setter
    def default_size(self, value: int | None) -> None:
        self.store.setValue("engine/default_size", int(value or 0))

    @property
    def auto_colorize(self) -> bool:
        return self._get("editor/auto_colorize", "true", str).lower() in ("1", "true", "yes")

    @auto_colorize.setter
    def auto_colorize(self, on: bool) -> None:
        self.store.setValue("editor/auto_colorize", "true" if on else "false")

    @property
    def hint_radius(self) -> int:
        return max(0, min(16, self._get("editor/hint_radius", 2, int)))

    @hint_radius.setter
    def hint_radius(self, value: int) -> None:
        self.store.setValue("editor/hint_radius", int(value))

    @property
    def theme(self) -> str:
        value = self._get("ui/theme", "system", str)
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        self.store.setValue("ui/theme", value)

    @property
    def last_dir(self) -> str:
        return self._get("ui/last_dir", "", str)

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self.store.setValue("ui/last_dir", value)

    @property
    def jpeg_quality(self) -> int:
        """The last JPEG quality chosen for export (1..100), the exporter's default at first."""
        from desktop.exporter import JPEG_QUALITY
        return max(1, min(100, self._get("export/jpeg_quality", JPEG_QUALITY, int)))

    @jpeg_quality.setter
    def jpeg_quality(self, value: int) -> None:
        self.store.setValue("export/jpeg_quality", int(value))

    # The window's geometry and its docks' and toolbar's state, as QMainWindow saves them (empty: none saved).
    @property
    def window_geometry(self) -> QByteArray:
        return self._bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self.store.setValue("window/geometry", value)

    @property
    def window_state(self) -> QByteArray:
        return self._bytes("window/state")

    @window_state.setter
    def window_state(self, value: QByteArray) -> None:
        self.store.setValue("window/state", value)

    def _bytes(self, key: str) -> QByteArray:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) else QByteArray()

    def recent_files(self) -> list[str]:
        value = self.store.value("ui/recent", [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-item list
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str | Path) -> list[str]:
        p = str(Path(path).resolve())
        recent = [p] + [r for r in self.recent_files() if r != p]
        self.store.setValue("ui/recent", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]

    def remove_recent(self, path: str) -> None:
        self.store.setValue("ui/recent", [r for r in self.recent_files() if r != path])

    def sync(self) -> None:
        self.store.sync()


def apply_theme(theme: str) -> None:
    """'system' leaves Qt following the desktop's light/dark scheme; the others force one."""
    hints = QApplication.styleHints()
    scheme = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):  # Qt >= 6.8
        hints.setColorScheme(scheme)
