"""Bench for engine.restore: dust/scratch cleaning quality on synthetic damage, and 50 MP cost.

Usage: python -m bench.restore [--kodak N] [--megapixels 50] [--skip-large]
Prints per-photo PSNR before/after cleaning, detection precision/recall, false-positive
rate on the undamaged photo, then seconds and peak RSS to clean a large 16-bit gray scan
(measured in a fresh subprocess so nothing else counts towards its peak).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.restore_synth import add_defects, clean_photos, precision_recall, psnr  # noqa: E402
from engine.restore import clean_defects, detect_defects  # noqa: E402


def quality(max_kodak: int, sensitivity: float) -> None:
    print(f"{'photo':10s} {'PSNR dmg':>8s} {'cleaned':>8s} {'gain':>6s} {'prec':>6s} {'recall':>6s} "
          f"{'FP% clean':>9s} {'PSNR clean->cleaned':>19s}")
    rows = []
    for i, (name, clean) in enumerate(clean_photos(max_kodak)):
        damaged, truth = add_defects(clean, seed=100 + i)
        res = clean_defects(damaged, sensitivity=sensitivity)
        p, r = precision_recall(detect_defects(damaged, sensitivity), truth)
        untouched = clean_defects(clean, sensitivity=sensitivity)
        row = (psnr(damaged, clean), psnr(res.image, clean), p, r,
               100.0 * untouched.mask.mean(), psnr(untouched.image, clean))
        rows.append(tuple(min(v, 99.0) for v in row))   # an untouched photo has PSNR inf
        print(f"{name:10s} {row[0]:8.2f} {row[1]:8.2f} {row[1] - row[0]:+6.2f} {p:6.3f} {r:6.3f} "
              f"{row[4]:9.3f} {row[5]:19.2f}")
    m = np.mean(rows, axis=0)
    print(f"{'mean':10s} {m[0]:8.2f} {m[1]:8.2f} {m[1] - m[0]:+6.2f} {m[2]:6.3f} {m[3]:6.3f} "
          f"{m[4]:9.3f} {m[5]:19.2f}")


def _make_large(path: str, megapixels: float) -> None:
    """Write a (megapixels) 16-bit gray .npy: an upscaled photo with grain, dust and scratches."""
    import cv2
    from skimage import data

    w = int(round(np.sqrt(megapixels * 1e6 * 1.5)))
    h = int(round(megapixels * 1e6 / w))
    img = cv2.resize(data.camera(), (w, h), interpolation=cv2.INTER_CUBIC).astype(np.uint16) * 257
    rng = np.random.default_rng(0)
    for r0 in range(0, h, 1024):      # grain, one band at a time to keep this step small too
        band = img[r0:r0 + 1024].astype(np.float32)
        img[r0:r0 + 1024] = np.clip(band + rng.normal(0, 600, band.shape), 0, 65535)
    for _ in range(int(megapixels * 200)):
        cv2.circle(img, (int(rng.integers(w)), int(rng.integers(h))), int(rng.integers(1, 5)),
                   int(rng.choice([3000, 62000])), -1, cv2.LINE_AA)
    for _ in range(int(megapixels)):
        x = int(rng.integers(w))
        cv2.line(img, (x, int(rng.integers(h // 2))), (x + int(rng.integers(-40, 40)), h - 1),
                 int(rng.choice([3000, 62000])), 2, cv2.LINE_AA)
    np.save(path, img)


def _clean_large(path: str) -> None:
    """Child process: load, clean, print JSON with seconds and peak RSS."""
    img = np.load(path)
    t0 = time.perf_counter()
    res = clean_defects(img)
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # kB on Linux
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_kb / 1024,
                      "image_mb": img.nbytes / 2**20, "shape": list(img.shape),
                      "filled_pct": 100.0 * res.n_pixels / img.size}))


def large(megapixels: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "scan.npy")
        subprocess.run([sys.executable, __file__, "--make-large", path, "--megapixels",
                        str(megapixels)], check=True)
        out = subprocess.run([sys.executable, __file__, "--clean-large", path], check=True,
                             capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(f"clean_defects on {r['shape'][0]}x{r['shape'][1]} uint16 "
          f"({r['image_mb']:.0f} MB): {r['seconds']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB "
          f"(includes the loaded image and the output copy), filled {r['filled_pct']:.3f}% of pixels")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kodak", type=int, default=6, help="how many Kodak24 photos to add")
    ap.add_argument("--sensitivity", type=float, default=0.5)
    ap.add_argument("--megapixels", type=float, default=50.0)
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--make-large", help=argparse.SUPPRESS)
    ap.add_argument("--clean-large", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.make_large:
        return _make_large(a.make_large, a.megapixels)
    if a.clean_large:
        return _clean_large(a.clean_large)
    quality(a.kodak, a.sensitivity)
    if not a.skip_large:
        large(a.megapixels)


if __name__ == "__main__":
    main()
