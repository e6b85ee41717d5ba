"""Seconds for N variants over seconds for one colorization, at the model's default working size unless --size.

    python bench/variants.py [PHOTO] [--n 8] [--size 192] [--repeats 9] [--model NAME]

Both go through engine.colorizer.Colorizer end to end (luminance, network, full-resolution render), after
one warm-up of each; their --repeats runs alternate, so a slow spell of the machine hits both, and the ratio is
of the medians (the best of each is printed too). Goal: ratio <= 2.5 for N = 8, on a photo just opened; the next
set on the same photo, whose encoder answer is kept, is printed too.
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


def alternating(fns, repeats: int) -> list[np.ndarray]:
    """Seconds of each of fns over `repeats` rounds, the functions taking turns within each round."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            start = time.perf_counter()
            fn()
            t.append(time.perf_counter() - start)
    return [np.array(t) for t in times]


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
    ap.add_argument("--size", type=int, help="working long side (default: the model card's, as the app uses)")
    ap.add_argument("--repeats", type=int, default=9)
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
    # One colorization of a photo just opened: the encoder's answer for this photo is forgotten each time, or from
    # tinta-base 1.7 on (engine/split.py) the repeats would time a stroke rather than a colorization.
    # The variants likewise: the sampler keeps its encoder's answer (engine/variants.py), so the goal's figure forgets
    # it and the next set on the same photo (what "More" and "more like this" cost in the app) is timed apart.
    ones, manys, nexts = alternating([lambda: (col.forget_encoded(), col.colorize(pixels, size=a.size)),
                                      lambda: (col.forget_encoded(), col.variants(pixels, a.n, 0, size=a.size)),
                                      lambda: col.variants(pixels, a.n, 1, size=a.size)], a.repeats)
    one, many, following = float(np.median(ones)), float(np.median(manys)), float(np.median(nexts))
    # The network alone: one encode, one batched decode, vs N separate encode+decode passes.
    job = col.prepare(pixels, None, a.size)
    z = np.zeros((a.n, sampler.latent_dim), np.float32)
    def encoded():  # a fresh encoder run each time, as N separate passes would make
        sampler.forget_encoded()
        return sampler.encode(job.L_pad[None, None], None, None)

    batched = best_of(lambda: sampler.decode(encoded(), z, job.temperature), a.repeats)
    separate = best_of(lambda: [sampler.decode(encoded(), z[:1], job.temperature) for _ in range(a.n)], 1)
    h, w = pixels.shape[:2]
    ratio = many / one
    size = a.size or col.card.default_long_side
    print(f"photo {Path(a.photo).name} {w}x{h}, working long side {size}, {col.card.name} + {sampler.card.name}, "
          f"provider {col.provider}")
    print(f"1 colorization: {one:.3f} s median of {a.repeats}, best {ones.min():.3f} s")
    print(f"{a.n} variants:    {many:.3f} s median, best {manys.min():.3f} s  ({ratio:.2f}x one colorization; "
          f"goal <= 2.5x: {'met' if ratio <= 2.5 else 'NOT met'}; ratio of the bests {manys.min() / ones.min():.2f}x)")
    print(f"the next {a.n} on the same photo: {following:.3f} s median ({following / one:.2f}x one fresh "
          f"colorization: the encoder's answer kept)")
    print(f"network only: {a.n} in one batch {batched:.3f} s vs {a.n} separate passes {separate:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
