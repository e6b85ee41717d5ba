"""Render resources/icons/tinta.svg into the app icon's PNG sizes, a Windows .ico and a macOS .icns.

    python packaging/make_icons.py [--svg resources/icons/tinta.svg] [--out resources/icons]

Each size is rendered from the SVG itself (not scaled down from a big PNG), so small sizes stay sharp.
Writes tinta-<size>.png for every size in PNG_SIZES, tinta.ico and tinta.icns; every file atomically.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: engine.io's atomic writer lives in the source tree

PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can hold
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # what Pillow's ICNS writer stores (1024 is the 512@2x slot)


def render(svg: Path, size: int):
    """The SVG drawn on a transparent size x size canvas, as a Pillow RGBA image."""
    from PIL import Image
    from PySide6.QtCore import QLoggingCategory, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed to render into an image
        render.app = QGuiApplication([sys.argv[0]])  # kept alive on the function for later calls
    QLoggingCategory.setFilterRules("qt.svg*=false")  # a bad file gets our one line below, not Qt's as well
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG file")
    img = QImage(size, size, QImage.Format.Format_RGBA8888)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return Image.frombytes("RGBA", (size, size), bytes(img.constBits()), "raw", "RGBA", img.bytesPerLine())


def _encoded(image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def make_icons(svg: Path, out: Path) -> list[Path]:
    """Render every icon file from `svg` into `out`; returns the paths written."""
    from engine.io.atomic import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    images = {s: render(svg, s) for s in sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES))}
    written = []
    for s in PNG_SIZES:
        path = out / f"tinta-{s}.png"
        write_atomic(path, _encoded(images[s], "PNG", optimize=True))
        written.append(path)
    ico = _encoded(images[max(ICO_SIZES)], "ICO", sizes=[(s, s) for s in ICO_SIZES],
                   append_images=[images[s] for s in ICO_SIZES])
    write_atomic(out / "tinta.ico", ico)
    icns = _encoded(images[max(ICNS_SIZES)], "ICNS", append_images=[images[s] for s in ICNS_SIZES])
    write_atomic(out / "tinta.icns", icns)
    return written + [out / "tinta.ico", out / "tinta.icns"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make_icons", description=__doc__.splitlines()[0])
    p.add_argument("--svg", type=Path, default=ROOT / "resources" / "icons" / "tinta.svg")
    p.add_argument("--out", type=Path, default=ROOT / "resources" / "icons")
    args = p.parse_args(argv)
    if not args.svg.is_file():
        print(f"make_icons: error: {args.svg}: no such file", file=sys.stderr)
        return 2
    try:
        paths = make_icons(args.svg, args.out)
    except (ValueError, OSError) as exc:
        print(f"make_icons: error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
