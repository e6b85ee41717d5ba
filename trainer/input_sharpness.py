"""How much fine detail the training photos carry at the network's working size, from which a card's
input_sharpness is chosen (engine/sharpness.py).

    python -m trainer.input_sharpness [SOURCES...] [--photos 3000] [--size 192] [--seed 0]

Each photo's detail is measured as the engine measures it (engine.sharpness.detail on the L* of its gray version
reduced to the working long side, default the default card's), on a random draw from the training side of
trainer/split.py. For each candidate q it prints the detail below which q% of the photos lie: a card with the
q-th percentile as `most` (q in MOST) leaves q% of photos like the training ones untouched, one with it as `least`
(q in LEAST) leaves 100 - q%.
"""
from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from engine.contract import working_shape
from engine.sharpness import detail
from trainer.input_levels import TRAIN_ROOT, training_luminances

MOST = (60, 75, 90)
LEAST = (10, 25, 40)


def working(L: np.ndarray, size: int) -> np.ndarray:
    """L reduced (or enlarged) to long side `size` as engine.colorizer.prepare does."""
    h, w = working_shape(L.shape, size)
    return cv2.resize(L, (w, h), interpolation=cv2.INTER_AREA)


def training_detail(sources, size: int, photos: int = 3000, seed: int = 0) -> np.ndarray:
    """Detail at working size `size` of up to `photos` training-side photos drawn at random (float64)."""
    return np.asarray([detail(working(L, size)) for L in training_luminances(sources, photos, seed)], np.float64)


def candidates(d: np.ndarray, qs=MOST) -> dict[int, float]:
    """q -> the q-th percentile of the photos' detail."""
    return {q: float(np.percentile(d, q)) for q in qs}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="*", help="training shards or folders (default: ../shared/data/train)")
    ap.add_argument("--photos", type=int, default=3000)
    ap.add_argument("--size", type=int, help="working long side (default: the default card's)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.size is None:
        from engine.models import find_card
        a.size = find_card().default_long_side
    d = training_detail(a.sources or [TRAIN_ROOT], a.size, a.photos, a.seed)
    if not len(d):
        print("input_sharpness: error: no readable training photos", file=sys.stderr)
        return 1
    print(f"{len(d)} training photos at long side {a.size}; median detail {np.median(d):.3f}")
    print("| q | detail | candidate for |\n|---|---|---|")
    for q, v in candidates(d, LEAST + MOST).items():
        print(f"| {q} | {v:.3f} | {'least' if q in LEAST else 'most'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
