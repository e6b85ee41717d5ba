"""Hint following on the validation split: the engine's settings (engine/propagate.py) against Levin et al. 2004.

    python -m trainer.hint_study [--per-group 3] [--counts 1,5,10,50,100] [--out runs/hints] \
        [--try '{"label": {"SIGMA_L": 2.0}}' ...]

Choose propagation settings here, never on ../shared/data/eval (that is what trainer.evaluate reports). Each
photo gets nested simulated hint sets (trainer.eval_photos.sample_hints, the evaluation's protocol); the network
runs once per set, and every setting only re-runs Colorizer.finish (the hint solve and the render), so a setting
costs seconds. Levin et al. get the same hints. Prints mean PSNR per hint count, and the difference to Levin.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from engine import propagate
from engine.io.atomic import write_atomic
from trainer import metrics
from trainer.eval_photos import Photo, sample_hints

SETTINGS = ("GRID_SIDE", "SIGMA_L", "DECAY", "HINT_WEIGHT", "ITERATIONS", "FINE_ITERATIONS", "GAIN_PRIOR",
            "GAIN_AGREEMENT", "GAIN_RANGE", "LOCAL_WEIGHT", "LOCAL_DECAY", "REACH_GRAY", "GRAY_CHROMA", "INIT_INTERP")
COUNTS = (1, 5, 10, 50, 100)


def prepare(colorizer, photos: list[Photo], counts=COUNTS, levin: bool = True) -> list[dict]:
    """Per photo and hint count: the job, the network's answer, and Levin's PSNR (None without `levin`)."""
    from trainer.levin import levin_colorize

    cases = []
    for p in photos:
        scale = max(colorizer.working_shape(p.gray.shape)) / max(p.rgb.shape[:2])
        key = f"{p.dataset}/{p.path.as_posix()}"
        for n in counts:
            hints = sample_hints(p.rgb, n, key, scale)
            job = colorizer.prepare(p.gray, hints=hints)
            ab = colorizer.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature).ab[0]
            lev = metrics.psnr(levin_colorize(p.L, hints, hint_scale=scale), p.rgb) if levin else None
            cases.append({"photo": p, "n": n, "job": job, "ab": ab, "levin": lev})
    return cases


@contextmanager
def propagation_settings(settings: dict | None):
    """engine.propagate's settings replaced by `settings` (names from SETTINGS) inside the block, put back after."""
    unknown = set(settings or {}) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown propagation settings: {', '.join(sorted(unknown))}")
    saved = {k: getattr(propagate, k) for k in SETTINGS}
    try:
        for k, v in (settings or {}).items():
            setattr(propagate, k, type(saved[k])(v))
        yield
    finally:
        for k, v in saved.items():
            setattr(propagate, k, v)


def score_photos(colorizer, cases: list[dict], settings: dict | None = None) -> dict[int, list[float]]:
    """PSNR per photo (in the cases' order) and hint count, with engine.propagate's settings replaced by `settings`
    for the run."""
    got: dict[int, list[float]] = {}
    with propagation_settings(settings):
        for c in cases:
            rgb = colorizer.finish(c["job"], c["ab"]).rgb
            got.setdefault(c["n"], []).append(metrics.psnr(np.asarray(rgb), c["photo"].rgb))
    return got


def paired(old: list[float], new: list[float], draws: int = 1000, seed: int = 0) -> dict:
    """Mean of new - old over the same photos, its 95% bootstrap interval, and the share of draws above zero."""
    if len(old) != len(new) or not len(old):
        raise ValueError("paired PSNRs need the same photos, in the same order, on both sides")
    d = np.asarray(new, float) - np.asarray(old, float)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, d.size, (draws, d.size))].mean(1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(d.mean()), "low": float(lo), "high": float(hi), "share_above": float((means > 0).mean())}


def levin_means(cases: list[dict]) -> dict[int, float]:
    got: dict[int, list[float]] = {}
    for c in cases:
        got.setdefault(c["n"], []).append(c["levin"])
    return {n: float(np.mean(v)) for n, v in got.items()}


def by_group(photos: list[str], diff: dict[int, list[float]]) -> dict[str, dict[int, float]]:
    """Mean per-photo differences (count -> one per photo, in `photos` order) for each photo group ('<group>/...').
    The split mixes groups whose hint scores differ a lot (validation, 2.1 at 10 hints with the gain before
    2026-12-02: houses +1.2 dB over Levin, cities -0.6), and the evaluation sets resemble some groups more than
    others."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(photos):
        groups.setdefault(name.split("/", 1)[0], []).append(i)
    return {g: {n: float(np.mean([v[i] for i in ix])) for n, v in diff.items()} for g, ix in groups.items()}


def main(argv=None) -> int:
    from engine.colorizer import Colorizer
    from trainer.decoding_study import validation_photos

    ap = argparse.ArgumentParser(prog="python -m trainer.hint_study", description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=3)
    ap.add_argument("--counts", default=",".join(map(str, COUNTS)))
    ap.add_argument("--model")
    ap.add_argument("--try", dest="tries", action="append", default=[],
                    help='JSON {"label": {SETTING: value, ...}}; the shipped settings are always scored')
    ap.add_argument("--out", type=Path)
    ap.add_argument("--against", type=Path,
                    help="another model's hint_study.json on the same photos: its shipped settings' PSNRs, paired")
    a = ap.parse_args(argv)
    counts = tuple(int(x) for x in a.counts.split(","))
    tries = {"shipped": {}}
    for t in a.tries:
        tries.update(json.loads(t))
    colorizer = Colorizer(a.model)
    t0 = time.perf_counter()
    cases = prepare(colorizer, validation_photos(per_group=a.per_group), counts)
    lev = levin_means(cases)
    print(f"{len(cases) // len(counts)} validation photos, hints {a.counts} ({time.perf_counter() - t0:.0f} s)")
    print(f"{'Levin 2004':28s} " + " ".join(f"{lev[n]:6.2f}" for n in counts))
    rows = {"Levin 2004": lev}
    per_photo = {"Levin 2004": {n: [c["levin"] for c in cases if c["n"] == n] for n in counts}}
    for label, settings in tries.items():
        per_photo[label] = got = score_photos(colorizer, cases, settings)
        rows[label] = s = {n: float(np.mean(v)) for n, v in got.items()}
        print(f"{label:28s} " + " ".join(f"{s[n]:6.2f}" for n in counts) + "   vs Levin "
              + " ".join(f"{s[n] - lev[n]:+.2f}" for n in counts))
    photos = [f"{c['photo'].dataset}/{c['photo'].path.as_posix()}" for c in cases if c["n"] == counts[0]]
    groups = by_group(photos, {n: list(np.subtract(per_photo["shipped"][n], per_photo["Levin 2004"][n]))
                               for n in counts})
    print("shipped - Levin, per group:")
    for g, row in groups.items():
        print(f"  {g:26s} " + " ".join(f"{row[n]:+6.2f}" for n in counts))
    versus = {}
    if a.against:
        other = json.loads(a.against.read_text())
        if other["photos"] != photos:
            raise SystemExit(f"{a.against}: scored on other photos than these; pass the same --per-group")
        for n in counts:
            versus[n] = p = paired(other["per_photo"]["shipped"][str(n)], per_photo["shipped"][n])
            print(f"{n:4d} hints, this - {a.against}: {p['mean']:+.3f} dB [{p['low']:+.3f}, {p['high']:+.3f}], "
                  f"above in {p['share_above']:.0%} of draws")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        write_atomic(a.out / "hint_study.json", json.dumps(
            {"counts": counts, "tries": tries, "psnr": rows, "photos": photos, "per_photo": per_photo,
             "against": str(a.against) if a.against else None, "versus": versus,
             "shipped_minus_levin_by_group": groups}, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
