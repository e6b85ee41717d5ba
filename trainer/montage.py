"""A side-by-side montage of photos colorized by several models (e.g. the old and the new default).

    TINTA_MODELS_DIR=old python -m trainer.montage ../shared/data/historical -o docs/historical-v1-vs-1.7.jpg \
        --model tinta-base-v1="version 1 (v0.1)" --model tinta-base="1.7 (this release)" [--height 150] [--per-row 2]

`old/` holds an earlier release's card and ONNX file (e.g. from `git show a6a9559:resources/models/...`), with the
card's "name" and "file" changed so that it does not shadow the shipped model.

Each photo becomes one cell: the input as given, then each model's default colorization (what
`tinta colorize` writes, toned-print detection included). Labels are drawn over the top row.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from engine.io.image import read_image, write_image

EXTS = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def _fit(rgb: np.ndarray, height: int) -> np.ndarray:
    """Scaled to fit a height x 1.5 height box, centred on white: every tile the same size."""
    h, w = rgb.shape[:2]
    bw = round(1.5 * height)
    s = min(height / h, bw / w)
    small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    box = np.full((height, bw, 3), 255, np.uint8)
    y, x = (height - small.shape[0]) // 2, (bw - small.shape[1]) // 2
    box[y:y + small.shape[0], x:x + small.shape[1]] = small
    return box


def _rgb8(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def _label(img: np.ndarray, text: str) -> None:
    for colour, thick in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(img, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, thick, cv2.LINE_AA)


def montage(photos: list[Path], models: list[tuple[str, str]], height: int = 150, per_row: int = 2,
            gap: int = 4) -> np.ndarray:
    """HxWx3 uint8: per photo [input | model 1 | model 2 ...], `per_row` photos a row, white gaps.
    Each model's tile is what `tinta colorize` writes with default settings (engine/render_job.py)."""
    from engine.colorizer import Colorizer
    from engine.render_job import Edit, render

    cols = [Colorizer(name) for name, _ in models]
    cells = []
    for p in photos:
        pic = read_image(p)
        img = _rgb8(pic.pixels)
        tiles = [_fit(img, height)] + [_fit(_rgb8(render(c, pic, Edit()).pixels), height) for c in cols]
        if len(cells) < per_row:
            for t, text in zip(tiles, ["input"] + [label for _, label in models]):
                _label(t, text)
        row = np.full((height, sum(t.shape[1] for t in tiles) + gap * (len(tiles) - 1), 3), 255, np.uint8)
        x = 0
        for t in tiles:
            row[:, x:x + t.shape[1]] = t
            x += t.shape[1] + gap
        cells.append(row)
    width = max(c.shape[1] for c in cells)
    rows = []
    for i in range(0, len(cells), per_row):
        group = cells[i:i + per_row]
        line = np.full((height, width * per_row + gap * 4 * (per_row - 1), 3), 255, np.uint8)
        for j, c in enumerate(group):
            x = j * (width + gap * 4)
            line[:, x:x + c.shape[1]] = c
        rows.append(line)
    out = np.full((len(rows) * (height + gap * 2), rows[0].shape[1], 3), 255, np.uint8)
    for i, r in enumerate(rows):
        out[i * (height + gap * 2):i * (height + gap * 2) + height] = r
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--model", action="append", required=True, help="NAME=LABEL (repeat)")
    ap.add_argument("--height", type=int, default=150)
    ap.add_argument("--per-row", type=int, default=2)
    ap.add_argument("--quality", type=int, default=82)
    a = ap.parse_args(argv)
    photos = sorted(p for p in Path(a.folder).iterdir() if p.suffix.lower() in EXTS)
    if not photos:
        print(f"montage: error: {a.folder}: no photos", file=sys.stderr)
        return 1
    models = [tuple(m.split("=", 1)) if "=" in m else (m, m) for m in a.model]
    img = montage(photos, models, a.height, a.per_row)
    out = Path(a.out)
    write_image(out, img, quality=a.quality)  # the engine's writer: atomic, format from the suffix
    print(f"{out}: {img.shape[1]}x{img.shape[0]}, {len(photos)} photos x {len(models)} models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
