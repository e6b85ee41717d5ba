"""How far one recolour dab tints a photo: the product rule that bounds the hint solve's reach (engine/propagate.py).

    python -m trainer.hint_reach [--per-group 4] [--try '{"label": {SETTING: value, ...}}' ...] [--out runs/reach]

A user who paints one coat red expects the coat to change, not the far side of the photo. Each validation photo
gets one dab (a 5 x 5 working-grid patch, as the app's brush and the hint studies use) at its centre, of the hue
opposite to the network's there and at least DAB_CHROMA ab of chroma: a recolour, not a correction. Printed per
setting: the mean ab change (against the same photo without the dab, on the working grid) beyond FAR x the long
side from the dab, where the rule says little should move, and within NEAR of it, where the dab should show.
The network runs twice per photo; every setting only re-runs the hint solve, as in trainer.hint_study.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from engine.color import lab_to_srgb
from engine.hints import Hint
from engine.io.atomic import write_atomic
from trainer.hint_study import propagation_settings

DAB_CHROMA = 25.0   # ab: an opposite hue at least this vivid
FAR = 0.4           # long sides: "far from the dab"
NEAR = 0.05


def opposite_dab(L_work: np.ndarray, ab_work: np.ndarray, full_shape: tuple[int, int]) -> Hint:
    """A dab at the photo's centre whose colour has the hue opposite to ab_work's there (L_work h x w, ab_work
    2 x h x w) and at least DAB_CHROMA of chroma, at the working grid's L*."""
    h, w = L_work.shape
    y, x = h // 2, w // 2
    a, b = (float(v) for v in ab_work[:, y - 2:y + 3, x - 2:x + 3].reshape(2, -1).mean(1))
    c = float(np.hypot(a, b))
    if c < 1e-3:
        a, b, c = 1.0, 0.0, 1.0                   # no hue there: any opposite will do
    s = -max(c, DAB_CHROMA) / c
    rgb = lab_to_srgb(np.float32([L_work[y, x]]), np.float32([a * s]), np.float32([b * s]))[0]
    H, W = full_shape
    return Hint(W / 2.0, H / 2.0, "#%02x%02x%02x" % tuple(int(round(v * 255)) for v in np.clip(rgb, 0, 1)))


def prepare(colorizer, photos) -> list[dict]:
    """Per photo: the dabbed job, the network's answer to it, the undabbed chroma, and the distance map."""
    cases = []
    def answer(job):
        return colorizer.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature).ab[0]

    for p in photos:
        job0 = colorizer.prepare(p.gray)
        plain = colorizer.chroma(job0, answer(job0)).ab_work   # what the photo shows without the dab
        dab = opposite_dab(job0.L_work, plain, p.gray.shape[:2])
        job = colorizer.prepare(p.gray, hints=[dab])
        ab = answer(job)
        h, w = job.L_work.shape
        yy, xx = np.mgrid[0:h, 0:w]
        dist = np.hypot(yy - h // 2, xx - w // 2) / max(h, w)
        cases.append({"job": job, "ab": ab, "plain": plain, "dist": dist})
    return cases


def measure(colorizer, cases: list[dict], settings: dict | None = None) -> dict[str, float]:
    """Mean ab change far from and near the dab, over the cases, with engine.propagate's settings replaced."""
    far, near = [], []
    with propagation_settings(settings):
        for c in cases:
            change = np.hypot(*(colorizer.chroma(c["job"], c["ab"]).ab_work - c["plain"]))
            far.append(float(change[c["dist"] > FAR].mean()))
            near.append(float(change[c["dist"] < NEAR].mean()))
    return {"far": float(np.mean(far)), "near": float(np.mean(near)), "far_per_photo": far}


def main(argv=None) -> int:
    from engine.colorizer import Colorizer
    from trainer.decoding_study import validation_photos

    ap = argparse.ArgumentParser(prog="python -m trainer.hint_reach", description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=4)
    ap.add_argument("--model")
    ap.add_argument("--try", dest="tries", action="append", default=[],
                    help='JSON {"label": {SETTING: value, ...}}; the shipped settings are always measured')
    ap.add_argument("--out", type=Path)
    a = ap.parse_args(argv)
    tries = {"shipped": {}}
    for t in a.tries:
        tries.update(json.loads(t))
    colorizer = Colorizer(a.model)
    photos = validation_photos(per_group=a.per_group)
    cases = prepare(colorizer, photos)
    print(f"{len(cases)} validation photos, one opposite-hue dab each; mean ab change beyond {FAR} / within {NEAR}"
          " long sides of it")
    rows = {}
    for label, settings in tries.items():
        rows[label] = r = measure(colorizer, cases, settings)
        print(f"{label:28s} far {r['far']:5.2f}   near {r['near']:5.2f}")
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        write_atomic(a.out / "hint_reach.json", json.dumps({"tries": tries, "rows": rows}, indent=1).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
