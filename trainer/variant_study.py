"""Choose a variant sampler's spread on the validation split, and compare samplers there (never on eval).

    python -m trainer.variant_study --spreads 1,1.5,2,3 --per-group 8 --out runs/vstudy [--write-card]

Each spread is scored by trainer/eval_variants.py (8 samples per photo through the engine, as the app makes
them) on the validation split of the training sources (trainer/split.py). Rule: among spreads whose samples'
Frechet distance is within 15% of the default colorization's and whose diversity is at least 10 ab units,
the one with the best mean-of-N PSNR (each sample should stay believable); if none meets both, the one with
the lowest samples' Frechet distance. --write-card stores the choice as the sampler card's variant_spread
with the table that chose it ("spread_study").
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from engine.io.atomic import write_atomic

DIVERSITY_MIN = 10.0
FD_MAX_RATIO = 1.15


def choose(reports: list) -> object:
    """The report the module docstring's rule picks."""
    ok = [r for r in reports
          if r.diversity >= DIVERSITY_MIN and r.frechet_samples <= FD_MAX_RATIO * r.frechet_base]
    if ok:
        return max(ok, key=lambda r: r.psnr_sample_mean)
    return min(reports, key=lambda r: r.frechet_samples)


def table(reports: list) -> str:
    rows = ["| spread | diversity | mean-of-N PSNR | best-of-N PSNR | default PSNR | samples' FD / default's | "
            "colourfulness samples / true |", "|---|---|---|---|---|---|---|"]
    for r in reports:
        rows.append(f"| {r.spread:g} | {r.diversity:.1f} | {r.psnr_sample_mean:.2f} | {r.psnr_best_of_n:.2f} | "
                    f"{r.psnr_base:.2f} | {r.frechet_samples / r.frechet_base:.3f} | "
                    f"{r.colourfulness_samples / max(r.colourfulness_true, 1e-6):.2f} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> int:
    from engine.colorizer import Colorizer
    from trainer.decoding_study import validation_photos
    from trainer.eval_variants import evaluate_variants

    ap = argparse.ArgumentParser(prog="python -m trainer.variant_study", description=__doc__.splitlines()[0])
    ap.add_argument("--spreads", default="1,1.5,2,3")
    ap.add_argument("--per-group", type=int, default=8)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--model")
    ap.add_argument("--out", default="runs/vstudy")
    ap.add_argument("--write-card", action="store_true")
    a = ap.parse_args(argv)
    spreads = [float(s) for s in a.spreads.split(",")]
    photos = validation_photos(per_group=a.per_group)
    datasets = {p.dataset: Path("") for p in photos}
    reports = []
    for s in spreads:
        r = evaluate_variants(photos, datasets, a.n, a.model, spread=s)
        reports.append(r)
        print(f"spread {s:g}: diversity {r.diversity:.1f}, mean-of-N {r.psnr_sample_mean:.2f} dB, best-of-N "
              f"{r.psnr_best_of_n:.2f} dB, default {r.psnr_base:.2f} dB, FD samples/default "
              f"{r.frechet_samples / r.frechet_base:.3f}", flush=True)
    best = choose(reports)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    md = (f"# Spread study: {best.sampler} on the validation split ({len(photos)} photos, {a.n} samples)\n\n"
          + table(reports) + f"\nChosen: spread {best.spread:g}.\n")
    write_atomic(out / "spread_study.md", md.encode())
    write_atomic(out / "spread_study.json", json.dumps([asdict(r) for r in reports], indent=1).encode())
    print(md)
    if a.write_card:
        path = Colorizer(a.model).variant_sampler().card.card_path
        card = json.loads(Path(path).read_text())
        card["variant_spread"] = best.spread
        card["spread_study"] = {"chosen_on": f"validation split of the training sources (trainer/split.py), "
                                             f"{len(photos)} photos, {a.per_group} per group",
                                "rule": __doc__.split("Rule: ")[1].split(" --write-card")[0].replace("\n", " "),
                                "rows": [asdict(r) for r in reports]}
        write_atomic(Path(path), json.dumps(card, indent=1).encode())
        print(f"wrote variant_spread {best.spread:g} into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
