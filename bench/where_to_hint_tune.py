"""Choose the hint-placement settings on the validation split of the training photos (never on eval).

    python bench/where_to_hint_tune.py [--per-group 5] [--json FILE]

For each setting (reach, edge cost, what is gathered: expected ab error or entropy) it scores k = 1..5
suggested hints, one shot and one by one, with true colours through Colorizer.colorize, and prints the mean
PSNR gain over no hints at k = 1..5 (bench/where_to_hint.py's protocol, without the random baselines).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import uncertainty  # noqa: E402
from engine.colorizer import Colorizer  # noqa: E402
from engine.io.atomic import write_atomic  # noqa: E402
from trainer import metrics  # noqa: E402
from trainer.eval_photos import hint_at  # noqa: E402

KS = (1, 2, 3, 4, 5)
SETTINGS = [  # (label, reach, edge cost, gathered)
    ("reach 0.35, edge 0.6, expected error", 0.35, 0.6, "error"),
    ("reach 0.35, edge 0.6, entropy", 0.35, 0.6, "entropy"),
    ("reach 0.2, edge 0.6, expected error", 0.2, 0.6, "error"),
    ("reach 0.6, edge 0.6, expected error", 0.6, 0.6, "error"),
    ("reach 0.35, edge 0.2, expected error", 0.35, 0.2, "error"),
    ("reach 0.35, edge 1.5, expected error", 0.35, 1.5, "error"),
]
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    from trainer.decoding_study import validation_photos

    col = Colorizer()
    t0 = time.perf_counter()
    photos = validation_photos(per_group=a.per_group)
    print(f"{len(photos)} validation photos loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    base = []
    for p in photos:
        res = col.colorize(p.gray)
        base.append((res, metrics.psnr(np.asarray(res.rgb), p.rgb), max(res.work_shape) / max(p.rgb.shape[:2])))
    results = {}
    for label, reach, edge, gathered in SETTINGS:
        uncertainty.REACH, uncertainty.EDGE_COST = reach, edge
        uncertainty.GATHER = gathered
        once, seq = [], []
        for p, (res0, psnr0, scale) in zip(photos, base):
            def gain(hints):
                return metrics.psnr(np.asarray(col.colorize(p.gray, hints=hints).rgb), p.rgb) - psnr0
            sugg = [hint_at(p.rgb, s.x, s.y, scale) for s in col.suggest_hints(res0, max(KS))]
            once.append([gain(sugg[:k]) for k in KS])
            hints, res, curve = [], res0, []
            for k in KS:
                s = col.suggest_hints(res, 1, hints)[0]
                hints.append(hint_at(p.rgb, s.x, s.y, scale))
                res = col.colorize(p.gray, hints=hints)
                curve.append(metrics.psnr(np.asarray(res.rgb), p.rgb) - psnr0)
            seq.append(curve)
        results[label] = {"one shot": list(np.mean(once, 0)), "one by one": list(np.mean(seq, 0))}
        print(f"{label}: one shot " + " ".join(f"{v:+.2f}" for v in results[label]["one shot"])
              + " | one by one " + " ".join(f"{v:+.2f}" for v in results[label]["one by one"]), flush=True)
    if a.json:
        write_atomic(a.json, json.dumps({"photos": len(photos), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
