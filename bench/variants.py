"""Seconds for N variants at working size 512 over seconds for one colorization, measured in one run.

    python bench/variants.py [PHOTO] [--n 8] [--size 512] [--repeats 3] [--model NAME]

Both go through engine.colorizer.Colorizer end to end (luminance, network, full-resolution render);
the best of --repeats runs is kept for each, after one warm-up of each. Goal: ratio <= 2.5 for N = 8.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.colorizer import Colorizer  # noqa: E402
from engine.io.image import read_image  # noqa: E402

DEFAULT_PHOTO = Path(__file__).resolve().parents[2] / "shared/data/eval/Kodak24/kodim05.jpg"


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photo", nargs="?", default=str(DEFAULT_PHOTO))
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model")
    a = ap.parse_args(argv)
    try:
        pixels = read_image(a.photo).pixels
    except Exception as exc:  # one line, no traceback
        print(f"bench/variants: {a.photo}: {exc}", file=sys.stderr)
        return 1
    col = Colorizer(a.model)
    sampler = col.variant_sampler()
    col.colorize(pixels, size=a.size)
    col.variants(pixels, a.n, 0, size=a.size)
    one = best_of(lambda: col.colorize(pixels, size=a.size), a.repeats)
    many = best_of(lambda: col.variants(pixels, a.n, 0, size=a.size), a.repeats)
    # The network alone: one encode, one batched decode, vs N separate encode+decode passes.
    job = col.prepare(pixels, None, a.size)
    z = np.zeros((a.n, sampler.latent_dim), np.float32)
    batched = best_of(lambda: sampler.decode(sampler.encode(job.L_pad[None, None], None, None), z,
                                             job.temperature), a.repeats)
    separate = best_of(lambda: [sampler.decode(sampler.encode(job.L_pad[None, None], None, None), z[:1],
                                               job.temperature) for _ in range(a.n)], 1)
    h, w = pixels.shape[:2]
    ratio = many / one
    print(f"photo {Path(a.photo).name} {w}x{h}, working long side {a.size}, {col.card.name} + {sampler.card.name}, "
          f"provider {col.provider}")
    print(f"1 colorization: {one:.3f} s")
    print(f"{a.n} variants:    {many:.3f} s  ({ratio:.2f}x one colorization; goal <= 2.5x: "
          f"{'met' if ratio <= 2.5 else 'NOT met'})")
    print(f"network only: {a.n} in one batch {batched:.3f} s vs {a.n} separate passes {separate:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
