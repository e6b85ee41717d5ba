"""Archive throughput: files/s for a folder of 12-megapixel JPEGs, and peak memory per worker on 50-megapixel
16-bit TIFFs.  Prints figures; uses the installed default model (or --tiny for the synthetic test model).

    python bench/archive.py [--jpegs 6] [--tiffs 1] [--workers N] [--megapixels 12] [--tiny]
    python bench/archive.py --megapixels 1 --jpegs 400 --tiffs 0   # a GPU machine's batch goal: photos/s at 1 MP
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
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def photo(h: int, w: int, seed: int, dtype=np.uint8) -> np.ndarray:
    """A gray photo-like image: smooth shapes plus grain (compresses like a real scan, unlike pure noise)."""
    rng = np.random.default_rng(seed)
    small = cv2.resize(rng.random((h // 64, w // 64), np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(small + rng.normal(0, 0.03, (h, w)).astype(np.float32), 0, 1)
    top = np.iinfo(dtype).max
    return (img * top + 0.5).astype(dtype)


def run_batch(indir: Path, outdir: Path, workers: int, env: dict) -> tuple[float, int]:
    """(seconds, peak RSS in MB of the batch process and its workers, whichever is largest)."""
    cmd = [sys.executable, "-m", "engine.cli", "batch", str(indir), "-o", str(outdir), "--workers", str(workers),
           "--quiet"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"batch failed: {proc.stderr.strip()[-400:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # largest single child so far
    return seconds, peak_kb // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jpegs", type=int, default=6)
    ap.add_argument("--tiffs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--megapixels", type=float, default=12.0, help="size of the JPEGs (4:3; default 12)")
    ap.add_argument("--tiny", action="store_true", help="use the synthetic test model (no trained model needed)")
    args = ap.parse_args()
    w = int(round((args.megapixels * 1e6 * 4 / 3) ** 0.5))
    h = w * 3 // 4
    from engine.io.image import write_image

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.tiny:
            from engine_fixtures import make_test_model

            env.update(TINTA_MODELS_DIR=str(make_test_model(tmp / "models").parent), TINTA_SHIPPED_MODELS="0")
        jpegs = tmp / "jpegs"
        jpegs.mkdir()
        for i in range(args.jpegs):
            write_image(jpegs / f"scan{i}.jpg", photo(h, w, i), quality=90)
        seconds, _ = run_batch(jpegs, tmp / "out-jpg", args.workers, env)
        print(f"{w * h / 1e6:.1f} MP JPEG ({w}x{h}): {args.jpegs} files, {args.workers} workers: {seconds:.1f} s, "
              f"{args.jpegs / seconds:.2f} files/s (process start-up and model load included)")
        if not args.tiffs:
            return
        tiffs = tmp / "tiffs"
        tiffs.mkdir()
        for i in range(args.tiffs):
            write_image(tiffs / f"big{i}.tif", photo(6124, 8165, 100 + i, np.uint16))  # 50.0 MP
        size_mb = sum(p.stat().st_size for p in tiffs.iterdir()) / 1e6
        seconds, peak = run_batch(tiffs, tmp / "out-tif", 1, env)
        report = json.loads((tmp / "out-tif" / "tinta-report.json").read_text())
        print(f"50 MP 16-bit TIFF: {args.tiffs} files ({size_mb:.0f} MB), 1 worker: {seconds:.1f} s, "
              f"peak memory per worker {peak} MB, rendered {report['rendered']}")


if __name__ == "__main__":
    main()
