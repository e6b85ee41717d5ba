"""Where to hint: PSNR gained by k = 1..5 hints at the engine's suggested places vs at random places.

    python bench/where_to_hint.py [--limit N] [--seeds 3] [--validation] [--png docs/where-to-hint.png]
                                  [--json FILE] [--reach R] [--min-distance D] [--model NAME] [--size N]

Each photo is shown to the model as its 8-bit gray version, as trainer/evaluate.py does, and every
hint carries the true colour (the mean of the true photo under its patch, trainer/eval_photos.py).
Methods, all through Colorizer.colorize (network, then engine/propagate.py):

  suggested         the first k of Colorizer.suggest_hints(result without hints, 5)
  suggested, 1 by 1 hint k at the first suggestion for the result with the k-1 hints before it
  random (centred)  evaluate.py's protocol: Gaussian around the centre, sigma = size/4; --seeds sets
  random (uniform)  uniform over the photo; --seeds sets
Random sets are nested (the first k of 5) like the suggested ones. Photos: the four evaluation sets
(../shared/data/eval), or with --validation the validation split of the training sources
(trainer/split.py), on which the placement's settings were chosen.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import uncertainty  # noqa: E402
from engine.colorizer import Colorizer  # noqa: E402
from engine.io.atomic import atomic_path, write_atomic  # noqa: E402
from trainer import metrics  # noqa: E402
from trainer.eval_photos import EvalError, default_folders, find_photos, hint_at, sample_hints  # noqa: E402

KS = (1, 2, 3, 4, 5)
SUGGESTED, SEQUENTIAL, CENTRED, UNIFORM = "suggested", "suggested, 1 by 1", "random (centred)", "random (uniform)"


def uniform_hints(rgb: np.ndarray, n: int, key: str, work_scale: float) -> list:
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(zlib.crc32(key.encode("utf-8")))
    return [hint_at(rgb, int(rng.integers(w)), int(rng.integers(h)), work_scale) for _ in range(n)]


def score_photo(col: Colorizer, photo, key: str, seeds: int, min_distance: float, size: int | None = None) -> dict:
    """PSNR of each method at k = 0..5 hints (random methods: mean over seeds) for one photo."""
    n = max(KS)

    def psnr(hints) -> tuple[float, object]:
        res = col.colorize(photo.gray, hints=hints or None, size=size)
        return metrics.psnr(np.asarray(res.rgb), photo.rgb), res

    base, res0 = psnr([])
    scale = max(res0.work_shape) / max(photo.rgb.shape[:2])
    out = {"gray": metrics.psnr(np.repeat(photo.gray[..., None], 3, 2), photo.rgb), "none": base}
    sugg = [hint_at(photo.rgb, s.x, s.y, scale) for s in col.suggest_hints(res0, n, min_distance=min_distance)]
    out[SUGGESTED] = [psnr(sugg[:k])[0] for k in KS if k <= len(sugg)]
    seq, res, curve = [], res0, []
    for k in KS:
        nxt = col.suggest_hints(res, 1, seq, min_distance=min_distance)
        if not nxt:
            break
        seq.append(hint_at(photo.rgb, nxt[0].x, nxt[0].y, scale))
        value, res = psnr(seq)
        curve.append(value)
    out[SEQUENTIAL] = curve
    for label, make in ((CENTRED, lambda s: sample_hints(photo.rgb, n, f"{key}#{s}", scale)),
                        (UNIFORM, lambda s: uniform_hints(photo.rgb, n, f"{key}#u{s}", scale))):
        runs = [[psnr(make(s)[:k])[0] for k in KS] for s in range(seeds)]
        out[label] = list(np.mean(runs, axis=0))
    return out


def summarise(per_photo: list[dict]) -> dict:
    """Mean PSNR per method and k (k = 0 is the unhinted colorization), and the gain over k = 0."""
    mean0 = float(np.mean([p["none"] for p in per_photo]))
    summary = {"photos": len(per_photo), "gray": float(np.mean([p["gray"] for p in per_photo])), "none": mean0,
               "methods": {}}
    for m in (SUGGESTED, SEQUENTIAL, CENTRED, UNIFORM):
        full = [p[m] for p in per_photo if len(p[m]) == len(KS)]
        if not full:
            continue
        curve = np.mean(full, axis=0)
        summary["methods"][m] = {"psnr": [float(v) for v in curve],
                                 "gain": [float(v - np.mean([p["none"] for p in per_photo if len(p[m]) == len(KS)]))
                                          for v in curve], "photos": len(full)}
    return summary


def table(summary: dict) -> list[str]:
    lines = [f"{summary['photos']} photos; gray {summary['gray']:.2f} dB, no hints {summary['none']:.2f} dB "
             f"({summary['none'] - summary['gray']:+.2f} vs gray)", "",
             "| method | " + " | ".join(f"{k} hint{'s' * (k > 1)}" for k in KS) + " |",
             "|---|" + "---|" * len(KS)]
    for m, v in summary["methods"].items():
        lines.append(f"| {m}, PSNR (dB) | " + " | ".join(f"{x:.2f}" for x in v["psnr"]) + " |")
    for m, v in summary["methods"].items():
        lines.append(f"| {m}, gain over no hints (dB) | " + " | ".join(f"{x:+.2f}" for x in v["gain"]) + " |")
    for m, v in summary["methods"].items():
        vs_gray = " | ".join(f"{x - summary['gray']:+.2f}" for x in v["psnr"])
        lines.append(f"| {m}, PSNR - gray (dB) | {vs_gray} |")
    return lines


def plot(summary: dict, path: Path, title: str) -> None:
    """PSNR gain over no hints against hint count, one line per method (matplotlib, Agg)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    styles = {SUGGESTED: ("#c0392b", "o-"), SEQUENTIAL: ("#8e44ad", "s-"), CENTRED: ("#2c7fb8", "^--"),
              UNIFORM: ("#7f8c8d", "v--")}
    ax.plot([0], [0], "k.")
    for m, v in summary["methods"].items():
        colour, style = styles[m]
        ax.plot([0, *KS], [0.0, *v["gain"]], style, color=colour, label=m)
    ax.set_xlabel("hints (true colours)")
    ax.set_ylabel("PSNR gain over no hints (dB)")
    ax.set_xticks([0, *KS])
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fig.savefig(fh, format="png")
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", help="folders of colour photos (default: the four evaluation sets)")
    ap.add_argument("--limit", type=int, help="at most N photos per folder (per group with --validation)")
    ap.add_argument("--seeds", type=int, default=3, help="random placements per photo and method (default 3)")
    ap.add_argument("--validation", action="store_true", help="the validation split of the training photos")
    ap.add_argument("--model")
    ap.add_argument("--size", type=int, help="working long side (default: the model card's)")
    ap.add_argument("--reach", type=float, help=f"hint reach, fraction of the long side ({uncertainty.REACH})")
    ap.add_argument("--min-distance", type=float, default=uncertainty.MIN_DISTANCE,
                    help=f"suggestions' spacing, fraction of the long side ({uncertainty.MIN_DISTANCE})")
    ap.add_argument("--png", help="write the curve here (e.g. docs/where-to-hint.png)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    if any(v is not None and v < 1 for v in (a.limit, a.size)) or a.seeds < 1:
        ap.error("--limit, --size and --seeds must be >= 1")
    if a.reach is not None:
        if a.reach <= 0:
            ap.error("--reach must be positive")
        uncertainty.REACH = a.reach
    t0 = time.perf_counter()
    try:
        col = Colorizer(a.model)
        if a.validation:
            from trainer.decoding_study import validation_photos
            photos = validation_photos(per_group=a.limit or 30)
            where = "validation split"
        else:
            _, photos = find_photos(a.folders or default_folders(), a.limit)
            where = "evaluation photos"
    except (EvalError, OSError, ValueError) as exc:
        print(f"bench/where_to_hint: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # ModelError and friends: one line, no traceback
        print(f"bench/where_to_hint: {exc}", file=sys.stderr)
        return 1
    per_photo = []
    for i, p in enumerate(photos):
        key = f"{p.dataset}/{p.path.name}"
        per_photo.append(score_photo(col, p, key, a.seeds, a.min_distance, a.size))
        print(f"[{i + 1}/{len(photos)}] {key}: none {per_photo[-1]['none']:.2f}, 5 suggested "
              f"{(per_photo[-1][SUGGESTED] or [float('nan')])[-1]:.2f}, 5 centred {per_photo[-1][CENTRED][-1]:.2f}",
              file=sys.stderr, flush=True)
    summary = summarise(per_photo)
    summary.update(model=col.card.name, where=where, seeds=a.seeds, reach=uncertainty.REACH, gather=uncertainty.GATHER,
                   min_distance=a.min_distance, seconds=time.perf_counter() - t0)
    print(f"where to hint, {col.card.name}, {where}, {a.seeds} random seeds")
    print("\n".join(table(summary)))
    print(f"{summary['seconds']:.0f} s")
    if a.json:
        write_atomic(a.json, json.dumps(summary, indent=1))
    if a.png:
        plot(summary, Path(a.png), f"{col.card.name}: {summary['photos']} {where}, "
                                   f"true-colour hints, random = mean of {a.seeds} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
