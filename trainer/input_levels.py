"""The training photos' black and white points, from which a card's input_levels are chosen (engine/levels.py).

    python -m trainer.input_levels [SOURCES...] [--photos 3000] [--seed 0]

Each photo's points are measured as the engine measures them (engine.levels.points on the L* of its gray
version), on a random draw from the training side of trainer/split.py. For each candidate q it prints the
black point below which q% of the photos lie and the white point above which q% lie: a card with those values
leaves q% of photos like the training ones untouched at each end. tinta-base 1.8 takes q = 60 (6.3 / 89.5), chosen
on the validation split as they are and aged (docs/decoding-tinta-base.md, Faded photos).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine.levels import points
from trainer.eval_photos import photo_from_rgb

TRAIN_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "train"
CANDIDATES = (60, 75, 90)


def training_luminances(sources, photos: int = 3000, seed: int = 0):
    """The L* (H x W float32, trainer.eval_photos) of up to `photos` training-side photos drawn at random, one by
    one; unreadable ones are skipped."""
    from trainer.data import ByteReader, decode_rgb, index_sources
    from trainer.split import validation_mask

    ix = index_sources(sources)
    reader = ByteReader(ix.files)
    train = np.flatnonzero(~validation_mask(ix.names))
    pick = np.random.default_rng(seed).choice(train, min(photos, len(train)), replace=False)
    for i in pick:
        rgb = decode_rgb(reader.read(int(ix.file_id[i]), int(ix.offset[i]), int(ix.size[i])))
        if rgb is not None:
            yield photo_from_rgb(rgb, "", Path(str(ix.names[i]))).L


def training_points(sources, photos: int = 3000, seed: int = 0) -> np.ndarray:
    """N x 2 float: (black point, white point) of up to `photos` training-side photos drawn at random."""
    out = [points(L) for L in training_luminances(sources, photos, seed)]
    return np.asarray(out, np.float64).reshape(-1, 2)


def candidates(pts: np.ndarray, qs=CANDIDATES) -> dict[int, tuple[float, float]]:
    """q -> (black, white): the q-th percentile of the black points and the (100 - q)-th of the white points."""
    return {q: (float(np.percentile(pts[:, 0], q)), float(np.percentile(pts[:, 1], 100 - q))) for q in qs}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="*", help="training shards or folders (default: ../shared/data/train)")
    ap.add_argument("--photos", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    pts = training_points(a.sources or [TRAIN_ROOT], a.photos, a.seed)
    if not len(pts):
        print("input_levels: error: no readable training photos", file=sys.stderr)
        return 1
    print(f"{len(pts)} training photos; median black point {np.median(pts[:, 0]):.1f}, white point "
          f"{np.median(pts[:, 1]):.1f}")
    print("| q | black | white |\n|---|---|---|")
    for q, (b, w) in candidates(pts).items():
        print(f"| {q} | {b:.1f} | {w:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
