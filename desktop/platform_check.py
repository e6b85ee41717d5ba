"""Before Qt starts on Linux: name the system packages its xcb window-system plugin lacks, in one line.

Without them Qt prints several lines ending in "could not load the Qt platform plugin xcb" and aborts (a core
dump, exit 134), which tells a user nothing about what to install.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path
from typing import Callable, Mapping

# What Qt's xcb plugin (libqxcb.so and libQt6XcbQpa) links against, beyond Qt itself, with the Debian/Ubuntu
# package of each. A minimal desktop install often lacks the first few (Qt 6.5+ needs libxcb-cursor0).
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
}


def xcb_in_use(env: Mapping[str, str]) -> bool:
    """Whether Qt will start its xcb plugin: asked for by name, or the default outside a Wayland session."""
    asked = env.get("QT_QPA_PLATFORM", "").strip()
    if asked:
        return asked.split(";")[0].split(":")[0].strip() == "xcb"
    return not (env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland")


def _bundled_dirs() -> list[Path]:
    """Folders a frozen app or the PySide6 wheel keeps its own copies of libraries in."""
    dirs = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        dirs.append(Path(sys._MEIPASS))
    spec = importlib.util.find_spec("PySide6")  # found without importing Qt
    if spec and spec.submodule_search_locations:
        dirs.append(Path(list(spec.submodule_search_locations)[0]) / "Qt" / "lib")
    return dirs


def loadable(soname: str) -> bool:
    """The dynamic loader finds `soname`, or the app carries its own copy."""
    if any((d / soname).is_file() for d in _bundled_dirs()):
        return True
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def xcb_problem(env: Mapping[str, str] | None = None, platform: str | None = None,
                can_load: Callable[[str], bool] | None = None) -> str | None:
    """One line saying why the xcb plugin cannot start (missing libraries and their packages, no display),
    or None when it can, or when it will not be used (another platform plugin, not Linux)."""
    env = os.environ if env is None else env
    if (platform or sys.platform) != "linux" or not xcb_in_use(env):
        return None
    can_load = can_load or loadable
    missing = [name for name in XCB_LIBRARIES if not can_load(name)]
    if missing:
        packages = " ".join(XCB_LIBRARIES[name] for name in missing)
        return (f"the window system plugin (xcb) needs {', '.join(missing)}, missing on this system; "
                f"on Debian/Ubuntu: sudo apt install {packages}")
    if not env.get("DISPLAY"):
        return ("no X display (DISPLAY is not set): start it from a desktop session, "
                "or set QT_QPA_PLATFORM=offscreen to run without one")
    return None
