"""Build dist/tinta_<version>_<arch>.deb from the one-folder app (dist/tinta, made by `make package`).

    python packaging/make_deb.py [--app-dir dist/tinta] [--out dist] [--depends auto|"pkg, pkg"]

Layout: the frozen app under /opt/tinta, /usr/bin/tinta and /usr/bin/tinta-desktop linking to it, a desktop
entry (/usr/share/applications/tinta.desktop) and the hicolor icons. Depends (auto): the packages owning the
system libraries that the executables and Qt's xcb plugin load and the app does not carry itself, found with
ldd and `dpkg -S`; a library missing on the build machine is named through desktop.platform_check's table.
Debian's hicolor-icon-theme and desktop-file-utils refresh their caches by file triggers, so the package
needs no maintainer scripts.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: the soname table lives in desktop/platform_check.py

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_icons import PNG_SIZES as ICON_SIZES  # noqa: E402  (the sizes make_icons.py renders: one list)

PACKAGE = "tinta"
PROGRAMS = ("tinta", "tinta-desktop")
MIME_TYPES = "image/jpeg;image/png;image/tiff;"
# Libraries whose package every Debian system has (Priority: required); naming them adds nothing.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g"}
# What Qt's xcb plugin and its GL integration load, relative to the app's _internal/ folder.
QT_PLUGIN_GLOBS = ("PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/xcbglintegrations/*.so")

DESKTOP_ENTRY = f"""[Desktop Entry]
Type=Application
Name=Tinta
GenericName=Photo colorizer
Comment=Colorize and restore old black-and-white photographs, offline
Exec=tinta-desktop %F
Icon=tinta
Terminal=false
Categories=Graphics;Photography;RasterGraphics;Qt;
MimeType={MIME_TYPES}
Keywords=colorize;colourise;restore;photo;black and white;
"""


class DebError(Exception):
    """A problem that ends the build with one line."""


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def debian_arch() -> str:
    if shutil.which("dpkg"):
        out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf", "i686": "i386"}.get(machine, machine)


def parse_ldd(text: str) -> list[tuple[str, str | None]]:
    """(soname, resolved path or None when "not found") for each library an `ldd` listing names."""
    libs = []
    for line in text.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if m:
            libs.append((m.group(1), None if m.group(2) == "not found" else m.group(2)))
    return libs


def dpkg_owner(path: str) -> str | None:
    """The installed package that owns `path` (tried as given, resolved, and with or without /usr for
    merged-/usr systems), without its :arch suffix; None when no package does."""
    p = Path(path)
    candidates = [str(p), os.path.realpath(p)]
    for c in list(candidates):
        candidates.append(c[4:] if c.startswith("/usr/") else "/usr" + c)
    for c in dict.fromkeys(candidates):
        out = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if out.returncode == 0 and ":" in out.stdout:
            return out.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def system_depends(ldd_listings: Iterable[str], bundled: set[str], owner: Callable[[str], str | None],
                   known: dict[str, str]) -> list[str]:
    """Package names for the libraries in `ldd_listings` that the app does not carry (`bundled`: sonames of
    the files inside it). A library no package owns here is named through `known` (soname -> package)."""
    packages, unknown = set(), []
    for listing in ldd_listings:
        for soname, path in parse_ldd(listing):
            if soname in bundled:
                continue
            pkg = (owner(path) if path else None) or known.get(soname)
            if pkg:
                packages.add(pkg)
            else:  # missing here, or a file no package installed (/usr/local, a vendor driver)
                unknown.append(f"{soname} ({path or 'missing on this machine'})")
    if unknown:
        raise DebError(f"no package known for {', '.join(sorted(set(unknown)))}: "
                       "install it from a package and build again, or give --depends")
    return sorted(packages - BASE_PACKAGES)


def auto_depends(app_dir: Path) -> list[str]:
    """Depends from ldd on the executables and Qt's xcb plugins, plus glibc at least the build machine's."""
    from desktop.platform_check import XCB_LIBRARIES
    if not shutil.which("ldd") or not shutil.which("dpkg"):
        raise DebError("finding Depends needs ldd and dpkg: give --depends instead")
    internal = app_dir / "_internal"
    targets = [app_dir / p for p in PROGRAMS]
    for pattern in QT_PLUGIN_GLOBS:
        targets += sorted(internal.glob(pattern))
    if not any(t.name == "libqxcb.so" for t in targets):
        raise DebError(f"{app_dir}: no Qt xcb plugin under _internal/PySide6 (not a desktop build?)")
    bundled = {f.name for f in app_dir.rglob("*") if f.is_file() and ".so" in f.name}
    listings = []
    for target in targets:
        out = subprocess.run(["ldd", str(target)], capture_output=True, text=True)
        if out.returncode != 0:
            raise DebError(f"{target}: ldd failed: {out.stderr.strip() or out.stdout.strip()}")
        listings.append(out.stdout)
    depends = system_depends(listings, bundled, dpkg_owner, XCB_LIBRARIES)
    glibc = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libc6"], capture_output=True, text=True)
    if glibc.returncode == 0 and re.match(r"\d+\.\d+", glibc.stdout):
        # The frozen Python and libraries were linked against this glibc; older ones refuse to load them.
        depends.insert(0, f"libc6 (>= {re.match(r'[0-9]+[.][0-9]+', glibc.stdout).group(0)})")
    return depends


def installed_size_kib(root: Path) -> int:
    return sum(-(-f.lstat().st_size // 1024) for f in root.rglob("*") if f.is_file() or f.is_symlink())


def control_text(version: str, arch: str, depends: list[str], size_kib: int, maintainer: str) -> str:
    fields = [("Package", PACKAGE), ("Version", version), ("Architecture", arch), ("Maintainer", maintainer),
              ("Installed-Size", str(size_kib)), ("Section", "graphics"), ("Priority", "optional")]
    if depends:
        fields.append(("Depends", ", ".join(depends)))
    fields.append(("Description", "offline colorization and restoration of old black-and-white photos\n"
                   " Tinta colorizes scans at full resolution in about a second, takes colour hints,\n"
                   " offers alternative colourings, cleans dust and scratches and strips sepia toning.\n"
                   " Everything runs on this machine. Programs: tinta (command line) and\n"
                   " tinta-desktop (the app)."))
    return "".join(f"{k}: {v}\n" for k, v in fields)


def _normalise_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for the rest, whatever the builder's umask was."""
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            f = Path(dirpath) / name
            if not f.is_symlink():
                f.chmod(0o755 if f.stat().st_mode & 0o111 else 0o644)


def stage(app_dir: Path, root: Path, icons: Path) -> None:
    """The package's file tree under `root` (DEBIAN/ excepted)."""
    shutil.copytree(app_dir, root / "opt" / PACKAGE, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    for prog in PROGRAMS:
        os.symlink(f"/opt/{PACKAGE}/{prog}", root / "usr" / "bin" / prog)
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / f"{PACKAGE}.desktop").write_text(DESKTOP_ENTRY, encoding="utf-8")
    hicolor = root / "usr" / "share" / "icons" / "hicolor"
    for s in ICON_SIZES:
        src = icons / f"tinta-{s}.png"
        if not src.is_file():
            raise DebError(f"{src}: icon missing (python packaging/make_icons.py makes it)")
        (hicolor / f"{s}x{s}" / "apps").mkdir(parents=True)
        shutil.copyfile(src, hicolor / f"{s}x{s}" / "apps" / f"{PACKAGE}.png")
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(icons / "tinta.svg", hicolor / "scalable" / "apps" / f"{PACKAGE}.svg")


def build_deb(app_dir: Path, out_dir: Path, version: str, arch: str, depends: list[str] | None,
              maintainer: str, icons: Path = ROOT / "resources" / "icons", compression: str = "xz") -> Path:
    """Write out_dir/tinta_<version>_<arch>.deb (atomically) and return its path."""
    for prog in PROGRAMS:
        if not os.access(app_dir / prog, os.X_OK) or not (app_dir / prog).is_file():
            raise DebError(f"{app_dir / prog}: missing or not executable (run `make package` first)")
    if not shutil.which("dpkg-deb"):
        raise DebError("dpkg-deb is missing (Debian/Ubuntu: apt install dpkg)")
    if depends is None:
        depends = auto_depends(app_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".deb-stage.") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        stage(app_dir, root, icons)
        (root / "DEBIAN").mkdir()
        control = control_text(version, arch, depends, installed_size_kib(root), maintainer)
        (root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
        _normalise_modes(root)
        part = Path(tmp) / target.name
        run = subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root),
                              str(part)], capture_output=True, text=True)
        if run.returncode != 0:
            raise DebError(f"dpkg-deb failed: {((run.stderr or run.stdout).strip().splitlines() or ['?'])[-1]}")
        os.replace(part, target)
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make_deb", description=__doc__.splitlines()[0])
    p.add_argument("--app-dir", type=Path, default=ROOT / "dist" / "tinta", help="the one-folder app")
    p.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the .deb")
    p.add_argument("--version", default=None, help="package version (default: pyproject.toml's)")
    p.add_argument("--arch", default=None, help="Debian architecture (default: this machine's)")
    p.add_argument("--depends", default="auto",
                   help='"auto" (ldd + dpkg -S on the app), or a comma-separated list, or "" for none')
    who = (f"{os.environ['DEBFULLNAME']} <{os.environ['DEBEMAIL']}>"
           if os.environ.get("DEBFULLNAME") and os.environ.get("DEBEMAIL") else "Tinta developers <tinta@localhost>")
    p.add_argument("--maintainer", default=who, help="default: $DEBFULLNAME <$DEBEMAIL>")
    p.add_argument("--compression", default="xz", choices=("xz", "gzip", "zstd", "none"))
    args = p.parse_args(argv)
    depends = None if args.depends == "auto" else [d.strip() for d in args.depends.split(",") if d.strip()]
    try:
        deb = build_deb(args.app_dir.resolve(), args.out.resolve(), args.version or project_version(),
                        args.arch or debian_arch(), depends, args.maintainer, compression=args.compression)
    except (DebError, OSError) as exc:
        print(f"make_deb: error: {exc}", file=sys.stderr)
        return 1
    print(f"{deb} ({deb.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
