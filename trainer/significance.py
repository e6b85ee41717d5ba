"""Is one model really closer to real photos than another? A paired bootstrap over two decoding studies' photos.

    python -m trainer.significance runs/old/decoding/validation.npz runs/new/decoding/validation.npz
    python -m trainer.significance OLD.npz:"regression x1.25" NEW.npz --boot 2000 --out runs/sig.md
    python -m trainer.significance OLD_FULL_STUDY.npz NEW.npz --equal-colour   # against OLD's best at NEW's colour
    python -m trainer.significance OLD.npz NEW.npz --judge 2   # on the second judge's (Lite2) features

Each .npz is what `python -m trainer.decoding_study` wrote beside its .json (per-photo Lite0 features of every
decoding, gray and the truth); the method after ':' is the decoding to take (default: the study's choice,
"card" in eval studies). Both studies must have scored the same photos in the same order. The photos are
resampled with replacement within each group, the same draw for both models, gray and the truth, and each
draw's mean over groups of FD / FD(gray) is computed for both: the spread of the difference says whether a
gap of a few thousandths is a real one. Prints both values on the photos as scored, the difference, its 95%
interval and the share of draws in which the new model is closer, overall, for the worst group and per group.
A paler decoding also lowers FD, so --equal-colour compares with the old model's best decoding (lowest FD/gray)
among those at least as colourful as the new one's (pooled colourfulness from the .json beside each .npz): the
old study must have scored its whole curve.
"""
from __future__ import annotations

import argparse
import json
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


COLOUR_SLACK = 0.01  # colourfulness ratios this close count as equal


def _split(spec: str) -> tuple[str, str]:
    """'PATH[.npz][:METHOD]' -> ('PATH.npz', METHOD or '')."""
    path, _, method = spec.partition(".npz:")
    return (path if path.endswith(".npz") else path + ".npz"), method


def _study_json(spec: str) -> dict:
    js = Path(_split(spec)[0][:-4] + ".json")
    if not js.is_file():
        raise ValueError(f"{js}: no study summary beside the evidence")
    return json.loads(js.read_text())


def best_at_colour(old_spec: str, new_spec: str) -> str:
    """old_spec with its method replaced by the old study's closest-to-real decoding (lowest mean FD/gray) among
    those at least as colourful as new_spec's method (less COLOUR_SLACK): the old model's best at that colour."""
    new = _study_json(new_spec)
    new_method = _split(new_spec)[1] or new["chosen"]
    target = new["summary"][new_method]["colourfulness_ratio"]
    old = {k: v for k, v in _study_json(old_spec)["summary"].items() if k != "gray"}
    pool = [k for k, v in old.items() if v["colourfulness_ratio"] >= target - COLOUR_SLACK]
    if not pool:
        raise ValueError(f"{old_spec}: no decoding as colourful as {new_method} ({target:.2f} of true)")
    best = min(pool, key=lambda k: old[k]["fd_ratio_mean"])
    return f"{_split(old_spec)[0]}:{best}"


def colour(spec: str) -> float:
    study = _study_json(spec)
    return study["summary"][_split(spec)[1] or study["chosen"]]["colourfulness_ratio"]


def load(spec: str, judge: int = 0) -> Study:
    """'PATH.npz[:METHOD]' -> Study on the judge's features (0: Lite0's, 2: the second judge's, Lite2); a missing
    file, method or judge is one line (ValueError)."""
    path, method = _split(spec)
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such study evidence (run trainer.decoding_study, which writes it)")
    z = np.load(path, allow_pickle=False)
    method = method or str(z["chosen"])
    key = "feat" if judge == 0 else f"feat{judge}"
    if f"{key}/truth" not in z:
        raise ValueError(f"{path}: no Lite{judge} features (the study ran without that judge's weights)")
    if f"{key}/{method}" not in z:
        known = sorted(k.split("/", 1)[1] for k in z.files if k.startswith(f"{key}/"))
        raise ValueError(f"{path}: no decoding {method!r} (it has {', '.join(known)})")
    f32 = lambda k: z[k].astype(np.float64)  # noqa: E731
    return Study(f"{Path(path).parent.parent.name}:{method}", method, z["names"], z["groups"],
                 f32(f"{key}/{method}"), f32(f"{key}/gray"), f32(f"{key}/truth"))


@dataclass
class Comparison:
    groups: list[str]
    old: dict[str, float]      # group (and "mean", "max") -> FD/gray on the photos as scored
    new: dict[str, float]
    diffs: dict[str, np.ndarray]  # same keys -> bootstrap draws of new - old


def _gray_fd(s: Study, idx_by_group: dict[str, np.ndarray]) -> dict[str, float]:
    # Gray is the photo itself, whatever the model: one denominator per draw serves both studies.
    return {g: max(frechet_distance(s.gray[i], s.truth[i]), 1e-9) for g, i in idx_by_group.items()}


def _ratios(s: Study, idx_by_group: dict[str, np.ndarray], gray_fd: dict[str, float]) -> dict[str, float]:
    r = {g: frechet_distance(s.feats[i], s.truth[i]) / gray_fd[g] for g, i in idx_by_group.items()}
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
        gray_fd = _gray_fd(old, idx)
        a, b = _ratios(old, idx, gray_fd), _ratios(new, idx, gray_fd)
        for k in draws:
            draws[k].append(b[k] - a[k])
    gray_fd = _gray_fd(old, by_group)
    return Comparison(groups, _ratios(old, by_group, gray_fd), _ratios(new, by_group, gray_fd),
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
    ap.add_argument("--judge", type=int, choices=(0, 2), default=0,
                    help="whose features: 0 Lite0 (the rule's), 2 Lite2 (the second judge, no model trains on it)")
    ap.add_argument("--equal-colour", action="store_true",
                    help="compare with the old study's best decoding at least as colourful as the new one's")
    a = ap.parse_args(argv)
    try:
        old_spec = best_at_colour(a.old, a.new) if a.equal_colour else a.old
        old, new = load(old_spec, a.judge), load(a.new, a.judge)
        md = report(compare(old, new, a.boot, a.seed), old.label, new.label)
        if a.judge:
            md = f"On the second judge's features (Lite{a.judge}).\n\n" + md
        if a.equal_colour:
            md += (f"\nAt equal colourfulness: old {old.method} at {colour(old_spec):.2f} of true (its closest to real "
                   f"photos at least that colourful), new {new.method} at {colour(a.new):.2f}.\n")
    except ValueError as e:
        print(f"significance: {e}", file=sys.stderr)
        return 2
    print(md)
    if a.out:
        write_atomic(a.out, md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
