"""Colour from a reference photo: PSNR and Frechet distance with the reference vs automatic, on built pairs (prints figures).

    python bench/reference.py [--limit N] [--validation] [--strength 0.5] [--json out.json]

Pairs, from the eval photos (or, with --validation, from the validation split of the training sources,
where the matcher's thresholds are chosen):
  overlapping  two overlapping crops of one photo (left 70% and right 70%): the reference is the left crop
               in colour, the target the right crop in gray; goal: >= +2 dB over automatic
  unrelated    a photo and another photo of a different set as reference; goal: no loss
Also prints the matching time for a 12 MP target and a 12 MP reference (goal: under 0.5 s on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.colorizer import Colorizer  # noqa: E402
from engine.reference import forget_seen, reference_hints  # noqa: E402
from trainer import metrics  # noqa: E402
from trainer.eval_photos import default_folders, find_photos, photo_from_rgb  # noqa: E402


def pairs(photos):
    """(kind, target Photo, reference RGB) for every photo: its overlapping crop pair and an unrelated one."""
    out = []
    for i, p in enumerate(photos):
        H, W = p.rgb.shape[:2]
        cut = int(W * 0.7)
        left, right = p.rgb[:, :cut], p.rgb[:, W - cut:]
        out.append(("overlapping", photo_from_rgb(np.ascontiguousarray(right), p.dataset, p.path), left))
        other = next(q for q in photos[i + 1:] + photos[:i] if q.dataset != p.dataset) \
            if len({q.dataset for q in photos}) > 1 else photos[(i + len(photos) // 2) % len(photos)]
        out.append(("unrelated", p, other.rgb))
    return out


def run(col: Colorizer, photos, strength: float) -> dict:
    sampler = col.variant_sampler()
    rows: dict[str, dict[str, list]] = {}
    for kind, target, ref in pairs(photos):
        r = rows.setdefault(kind, {"auto": [], "ref": [], "hints": [], "auto_v": [], "ref_v": [], "true_v": []})
        auto = np.asarray(col.colorize(target.gray).rgb)
        got = reference_hints(sampler, target.gray, ref, strength)
        withref = np.asarray(col.colorize(target.gray, hints=got.hints).rgb) if got.hints else auto
        r["auto"].append(metrics.psnr(auto, target.rgb))
        r["ref"].append(metrics.psnr(withref, target.rgb))
        r["hints"].append(len(got.hints))
        r["auto_v"].append(metrics.probe_view(auto))
        r["ref_v"].append(metrics.probe_view(withref))
        r["true_v"].append(metrics.probe_view(target.rgb))
    probe = metrics.LiteProbe()
    result = {}
    for kind, r in rows.items():
        truth = probe(r["true_v"])[0]
        fa = metrics.frechet_distance(probe(r["auto_v"])[0], truth)
        fr = metrics.frechet_distance(probe(r["ref_v"])[0], truth)
        result[kind] = {"pairs": len(r["auto"]), "psnr_auto": float(np.mean(r["auto"])),
                        "psnr_reference": float(np.mean(r["ref"])),
                        "gain_db": float(np.mean(r["ref"]) - np.mean(r["auto"])),
                        "worst_pair_db": float(np.min(np.subtract(r["ref"], r["auto"]))),
                        "fd_auto": fa, "fd_reference": fr, "mean_hints": float(np.mean(r["hints"]))}
    return result


def montage(col: Colorizer, photos, path: Path, n: int = 3) -> None:
    """Rows of reference | automatic | with the reference | true colours, for the README."""
    import cv2

    from engine.io.image import write_image

    rows = []
    for kind, target, ref in [p for p in pairs(photos) if p[0] == "overlapping"][:n]:
        auto = np.asarray(col.colorize(target.gray).rgb)
        withref = np.asarray(col.colorize(target.gray, hints=col.reference_hints(target.gray, ref).hints).rgb)
        h = 200
        tiles = [cv2.resize(t, (round(t.shape[1] * h / t.shape[0]), h), interpolation=cv2.INTER_AREA)
                 for t in (ref, auto, withref, target.rgb)]
        rows.append(np.hstack([np.pad(t, ((4, 4), (4, 4), (0, 0)), constant_values=255) for t in tiles]))
    width = max(r.shape[1] for r in rows)
    write_image(path, np.vstack([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255)
                                 for r in rows]), quality=88)


def timing(col: Colorizer) -> float:
    rng = np.random.default_rng(0)
    big = (rng.random((3000, 4000)) * 255).astype(np.uint8)
    ref = (rng.random((3000, 4000, 3)) * 255).astype(np.uint8)
    sampler = col.variant_sampler()
    reference_hints(sampler, big, ref)
    t = []
    for _ in range(5):
        # A fresh pair each time: the engine keeps the features of the photos it last saw, and timing a repeat
        # of the same arrays would time that cache, not the encoders.
        forget_seen()
        t0 = time.perf_counter()
        reference_hints(sampler, big, ref)
        t.append(time.perf_counter() - t0)
    return float(np.median(t))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="photos per folder")
    ap.add_argument("--validation", action="store_true", help="pairs from the validation split (choose here)")
    ap.add_argument("--per-group", type=int, default=10, help="with --validation")
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--only", help="comma-separated photo file names to use (e.g. kodim05.jpg,kodim23.jpg)")
    ap.add_argument("--montage", help="write example rows (reference | automatic | with it | truth) here and stop")
    a = ap.parse_args()
    col = Colorizer()
    if a.validation:
        from trainer.decoding_study import validation_photos
        photos = validation_photos(per_group=a.per_group)
    else:
        photos = find_photos(default_folders(), a.limit)[1]
    if a.only:
        names = set(a.only.split(","))
        photos = [p for p in photos if p.path.name in names]
    if a.montage:
        montage(col, photos, Path(a.montage))
        return 0
    t0 = time.time()
    result = run(col, photos, a.strength)
    result["match_seconds_12mp"] = timing(col)
    for kind in ("overlapping", "unrelated"):
        r = result[kind]
        print(f"{kind:12s} {r['pairs']:4d} pairs: PSNR automatic {r['psnr_auto']:.2f} dB, with reference "
              f"{r['psnr_reference']:.2f} dB ({r['gain_db']:+.2f} dB, worst pair {r['worst_pair_db']:+.2f}); "
              f"FD {r['fd_auto']:.1f} -> {r['fd_reference']:.1f}; {r['mean_hints']:.1f} hints per photo")
    print(f"matching a 12 MP target to a 12 MP reference: {result['match_seconds_12mp'] * 1e3:.0f} ms "
          f"(goal < 500 ms); {time.time() - t0:.0f} s in all")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
