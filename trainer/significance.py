"""Is one model really closer to real photos than another? A paired bootstrap over two decoding studies' photos.

    python -m trainer.significance runs/old/decoding/validation.npz runs/new/decoding/validation.npz
    python -m trainer.significance OLD.npz:"regression x1.25" NEW.npz --boot 2000 --out runs/sig.md

Each .npz is what `python -m trainer.decoding_study` wrote beside its .json (per-photo Lite0 features of every
decoding, gray and the truth); the method after ':' is the decoding to take (default: the study's choice,
"card" in eval studies). Both studies must have scored the same photos in the same order. The photos are
resampled with replacement within each group, the same draw for both models, gray and the truth, and each
draw's mean over groups of FD / FD(gray) is computed for both: the spread of the difference says whether a
gap of a few thousandths is a real one. Prints both values on the photos as scored, the difference, its 95%
interval and the share of draws in which the new model is closer, overall, for the worst group and per group.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.io.atomic import write_atomic
from trainer.metrics import frechet_distance


@dataclass
class Study:
    label: str
    method: str
    names: np.ndarray    # N photo names
    groups: np.ndarray   # N group names
    feats: np.ndarray    # N x D, the method's output
    gray: np.ndarray     # N x D
    truth: np.ndarray    # N x D


def load(spec: str) -> Study:
    """'PATH.npz[:METHOD]' -> Study; a missing file or method is one line (ValueError)."""
    path, _, method = spec.partition(".npz:")
    path = path if path.endswith(".npz") else path + ".npz"
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such study evidence (run trainer.decoding_study, which writes it)")
    z = np.load(path, allow_pickle=False)
    method = method or str(z["chosen"])
    if f"feat/{method}" not in z:
        known = sorted(k[5:] for k in z.files if k.startswith("feat/"))
        raise ValueError(f"{path}: no decoding {method!r} (it has {', '.join(known)})")
    f32 = lambda k: z[k].astype(np.float64)  # noqa: E731
    return Study(f"{Path(path).parent.parent.name}:{method}", method, z["names"], z["groups"],
                 f32(f"feat/{method}"), f32("feat/gray"), f32("feat/truth"))


@dataclass
class Comparison:
    groups: list[str]
    old: dict[str, float]      # group (and "mean", "max") -> FD/gray on the photos as scored
    new: dict[str, float]
    diffs: dict[str, np.ndarray]  # same keys -> bootstrap draws of new - old


def _ratios(s: Study, idx_by_group: dict[str, np.ndarray]) -> dict[str, float]:
    r = {g: frechet_distance(s.feats[i], s.truth[i]) / max(frechet_distance(s.gray[i], s.truth[i]), 1e-9)
         for g, i in idx_by_group.items()}
    vals = list(r.values())
    return {**r, "mean": float(np.mean(vals)), "max": float(np.max(vals))}


def compare(old: Study, new: Study, boot: int = 1000, seed: int = 0) -> Comparison:
    if len(old.names) != len(new.names) or not np.array_equal(old.names, new.names):
        raise ValueError(f"{old.label} and {new.label} scored different photos; a paired comparison needs the same")
    groups = list(dict.fromkeys(old.groups.tolist()))
    by_group = {g: np.flatnonzero(old.groups == g) for g in groups}
    rng = np.random.default_rng(seed)
    draws = {k: [] for k in groups + ["mean", "max"]}
    for _ in range(boot):
        idx = {g: rng.choice(i, size=len(i), replace=True) for g, i in by_group.items()}
        a, b = _ratios(old, idx), _ratios(new, idx)
        for k in draws:
            draws[k].append(b[k] - a[k])
    return Comparison(groups, _ratios(old, by_group), _ratios(new, by_group),
                      {k: np.asarray(v) for k, v in draws.items()})


def report(c: Comparison, old_label: str, new_label: str) -> str:
    lines = [f"Paired bootstrap ({len(c.diffs['mean'])} draws of the photos within each group): FD / FD(gray), "
             f"old = {old_label}, new = {new_label}", "",
             "| group | old | new | new - old | 95% interval | share of draws new is closer |",
             "|---|---|---|---|---|---|"]
    for k in ["mean", "max"] + c.groups:
        d = c.diffs[k]
        lo, hi = np.percentile(d, [2.5, 97.5])
        name = {"mean": "**mean of groups**", "max": "worst group"}.get(k, k)
        lines.append(f"| {name} | {c.old[k]:.3f} | {c.new[k]:.3f} | {c.new[k] - c.old[k]:+.3f} | "
                     f"[{lo:+.3f}, {hi:+.3f}] | {np.mean(d < 0):.2f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="also write the table here (markdown)")
    a = ap.parse_args(argv)
    try:
        old, new = load(a.old), load(a.new)
        md = report(compare(old, new, a.boot, a.seed), old.label, new.label)
    except ValueError as e:
        print(f"significance: {e}", file=sys.stderr)
        return 2
    print(md)
    if a.out:
        write_atomic(a.out, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
