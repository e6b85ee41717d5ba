"""Installers: the icon files are what packaging/make_icons.py renders from the SVG, and packaging/make_deb.py
lays out a Debian package (fake app folder; skipped without dpkg-deb)."""
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
needs_dpkg_deb = pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb is missing")


def _run(args, **kw):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=120,
                          env=env, cwd=ROOT, **kw)


def test_make_icons_renders_every_size_like_the_committed_files(tmp_path):
    out = _run([ROOT / "packaging" / "make_icons.py", "--out", tmp_path])
    assert out.returncode == 0, out.stderr[-1000:]
    for s in PNG_SIZES:
        fresh, committed = Image.open(tmp_path / f"tinta-{s}.png"), Image.open(ICONS / f"tinta-{s}.png")
        assert fresh.size == committed.size == (s, s) and fresh.mode == committed.mode == "RGBA"
        # Another Qt may antialias an edge differently; a changed SVG not re-rendered moves far more than this.
        diff = np.abs(np.asarray(fresh, np.int16) - np.asarray(committed, np.int16))
        assert diff.mean() < 1.0, f"tinta-{s}.png is not what tinta.svg renders to: python packaging/make_icons.py"
        alpha = np.asarray(fresh)[..., 3]
        assert alpha[0, 0] == 0 and alpha[s // 2, s // 2] == 255  # transparent corners, opaque middle
    ico = Image.open(tmp_path / "tinta.ico")
    assert ico.info["sizes"] == {(s, s) for s in (16, 32, 48, 64, 128, 256)}
    icns = Image.open(tmp_path / "tinta.icns")
    assert (512, 512, 2) in icns.info["sizes"] and (16, 16, 2) in icns.info["sizes"]
    for name in ("tinta.ico", "tinta.icns"):
        assert (ICONS / name).is_file()


def test_make_icons_refuses_a_bad_svg_in_one_line(tmp_path):
    bad = tmp_path / "bad.svg"
    bad.write_text("<svg this is not")
    out = _run([ROOT / "packaging" / "make_icons.py", "--svg", bad, "--out", tmp_path / "o"])
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "bad.svg" in out.stderr
    assert "Traceback" not in out.stderr


def _fake_app(folder: Path) -> Path:
    app = folder / "tinta"
    (app / "_internal").mkdir(parents=True)
    for prog in ("tinta", "tinta-desktop"):
        (app / prog).write_text("#!/bin/sh\necho fake\n")
        (app / prog).chmod(0o700)  # a tight umask must not leave the installed program unreadable to users
    (app / "_internal" / "data.bin").write_bytes(b"x" * 5000)
    return app


def _dpkg_deb(*args) -> str:
    out = subprocess.run(["dpkg-deb", *map(str, args)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


@needs_dpkg_deb
def test_make_deb_lays_out_the_package(tmp_path):
    app = _fake_app(tmp_path)
    out = _run([ROOT / "packaging" / "make_deb.py", "--app-dir", app, "--out", tmp_path / "dist", "--version",
                "1.2.3", "--arch", "amd64", "--depends", "libxcb-cursor0, libgl1", "--compression", "gzip"])
    assert out.returncode == 0, out.stderr
    deb = tmp_path / "dist" / "tinta_1.2.3_amd64.deb"
    assert deb.is_file() and [p.name for p in (tmp_path / "dist").iterdir()] == [deb.name]  # no staging left
    assert _dpkg_deb("--field", deb, "Package", "Version", "Architecture", "Depends").splitlines() == [
        "Package: tinta", "Version: 1.2.3", "Architecture: amd64", "Depends: libxcb-cursor0, libgl1"]
    assert int(_dpkg_deb("--field", deb, "Installed-Size")) >= 5
    rows = {}
    for line in _dpkg_deb("--contents", deb).splitlines():
        mode, owner, _size, _date, _time, name, *link = line.split()
        rows[name] = (mode, owner, link[-1] if link else None)
    assert all(owner == "root/root" for _, owner, _ in rows.values())
    assert rows["./opt/tinta/tinta"][0] == "-rwxr-xr-x" and rows["./opt/tinta/tinta-desktop"][0] == "-rwxr-xr-x"
    assert rows["./opt/tinta/_internal/data.bin"][0] == "-rw-r--r--"
    assert rows["./usr/bin/tinta"][2] == "/opt/tinta/tinta"
    assert rows["./usr/bin/tinta-desktop"][2] == "/opt/tinta/tinta-desktop"
    for s in PNG_SIZES:
        assert f"./usr/share/icons/hicolor/{s}x{s}/apps/tinta.png" in rows
    assert "./usr/share/icons/hicolor/scalable/apps/tinta.svg" in rows
    assert not any(name.startswith("./DEBIAN") for name in rows)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "x")], check=True, timeout=60)
    entry = (tmp_path / "x" / "usr" / "share" / "applications" / "tinta.desktop").read_text()
    assert "\nExec=tinta-desktop %F\n" in entry and "\nIcon=tinta\n" in entry
    assert "\nMimeType=image/jpeg;image/png;image/tiff;\n" in entry
    png = tmp_path / "x" / "usr" / "share" / "icons" / "hicolor" / "48x48" / "apps" / "tinta.png"
    assert png.read_bytes() == (ICONS / "tinta-48.png").read_bytes()
    assert stat.S_IMODE((tmp_path / "x" / "opt" / "tinta").stat().st_mode) == 0o755


@needs_dpkg_deb
def test_make_deb_refuses_a_folder_without_the_programs_in_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    out = _run([ROOT / "packaging" / "make_deb.py", "--app-dir", tmp_path / "empty", "--out", tmp_path / "d",
                "--depends", ""])
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "make package" in out.stderr
    assert not (tmp_path / "d").exists() or not any((tmp_path / "d").iterdir())


def _make_deb_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_deb", ROOT / "packaging" / "make_deb.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_depends_skip_bundled_and_base_libraries_and_name_missing_ones_from_the_table():
    mod = _make_deb_module()
    ldd = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6Gui.so.6 => /opt/app/_internal/PySide6/Qt/lib/libQt6Gui.so.6 (0x1)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x2)
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon.so.0 => /lib/x86_64-linux-gnu/libxkbcommon.so.0 (0x3)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x4)
"""
    owners = {"/lib/x86_64-linux-gnu/libGL.so.1": "libgl1", "/lib/x86_64-linux-gnu/libc.so.6": "libc6",
              "/lib/x86_64-linux-gnu/libxkbcommon.so.0": "libxkbcommon0"}
    deps = mod.system_depends([ldd], {"libQt6Gui.so.6", "libxkbcommon.so.0"}, owners.get,
                              {"libxcb-icccm.so.4": "libxcb-icccm4"})
    assert deps == ["libgl1", "libxcb-icccm4"]
    with pytest.raises(mod.DebError, match="libfoo.so.1 .missing on this machine"):
        mod.system_depends(["\tlibfoo.so.1 => not found\n"], set(), owners.get, {})
    with pytest.raises(mod.DebError, match="libbar.so.2 ./usr/local/lib/libbar.so.2"):  # no package owns it
        mod.system_depends(["\tlibbar.so.2 => /usr/local/lib/libbar.so.2 (0x5)\n"], set(), owners.get, {})
