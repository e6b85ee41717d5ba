"""The app's start-up on Linux: a missing xcb library is one line naming its package, not Qt's abort; the
window carries Tinta's icon."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import app as desktop_app
from desktop import platform_check
from desktop.platform_check import XCB_LIBRARIES, xcb_problem

ICON_SIZES = {16, 32, 48, 64, 128, 256, 512}


def test_a_missing_xcb_library_is_one_line_naming_the_package(monkeypatch, capsys):
    for var in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "loadable", lambda name: name != "libxcb-cursor.so.0")

    def no_qt(*_):
        raise AssertionError("Qt must not start when its platform plugin cannot load")
    monkeypatch.setattr(desktop_app, "create_app", no_qt)
    assert desktop_app.main(["photo.jpg"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("tinta-desktop: error:") and "libxcb-cursor.so.0" in err
    assert "sudo apt install libxcb-cursor0\n" in err


def test_every_missing_library_is_named_once():
    msg = xcb_problem({"DISPLAY": ":0"}, "linux", lambda n: n not in ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert msg.endswith("apt install libxcb-icccm4 libxcb-keysyms1") and "libxcb-cursor0" not in msg


@pytest.mark.parametrize("env, platform", [
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ({"XDG_SESSION_TYPE": "wayland"}, "linux"),
    ({"DISPLAY": ":0"}, "win32"),
    ({"DISPLAY": ":0"}, "darwin"),
])
def test_no_check_when_xcb_is_not_the_plugin(env, platform):
    assert xcb_problem(env, platform, lambda name: False) is None


@pytest.mark.parametrize("env", [{"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, {"DISPLAY": ":0"},
                                 {"QT_QPA_PLATFORM": "xcb;offscreen", "DISPLAY": ":0"}])
def test_xcb_with_its_libraries_and_a_display_starts(env):
    assert xcb_problem(env, "linux", lambda name: True) is None
    assert "libxcb" in xcb_problem(env, "linux", lambda name: False)


def test_xcb_without_a_display_says_so():
    msg = xcb_problem({"QT_QPA_PLATFORM": "xcb"}, "linux", lambda name: True)
    assert "DISPLAY" in msg and "QT_QPA_PLATFORM=offscreen" in msg


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF shared libraries")
def test_loadable_asks_the_dynamic_loader():
    assert platform_check.loadable("libc.so.6")
    assert not platform_check.loadable("libtinta-no-such-library.so.7")


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("ldd"), reason="needs ldd")
def test_the_table_covers_every_x11_library_the_xcb_plugin_links():
    qt = Path(__import__("PySide6").__file__).parent / "Qt"
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        pytest.skip("this PySide6 has no xcb plugin")
    names = set()
    for lib in (plugin, qt / "lib" / "libQt6XcbQpa.so.6"):
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True, timeout=30).stdout
        names |= {line.split()[0] for line in out.splitlines() if line.strip().startswith(("libxcb", "libxkb", "libX11"))}
    assert names and names <= set(XCB_LIBRARIES), sorted(names - set(XCB_LIBRARIES))


def test_the_app_window_has_tintas_icon_at_every_size(qapp):
    app = desktop_app.create_app()
    sizes = {s.width() for s in app.windowIcon().availableSizes()}
    assert ICON_SIZES <= sizes
    assert app.desktopFileName() == "tinta"  # the .deb's /usr/share/applications/tinta.desktop
