"""Per-set comparison of two models' default output against gray, from decoding-study JSON files.

    python -m trainer.compare OLD.json:LABEL[:METHOD] NEW.json:LABEL[:METHOD] [--card CARD.json] [--split eval]

Each JSON is what `python -m trainer.decoding_study` wrote (validation.json or eval.json); the method
is the row to take ("card" in eval files; a candidate's label such as "annealed T=0.38" in validation
files; default: the file's chosen one). A model card may stand in for a study: CARD.json:LABEL takes the column
LABEL that an earlier --card stored under its metrics.per_set[--split], so a released model's rows need not be
measured again. Prints a markdown table per set (PSNR - gray, colourfulness /
true, FD / gray, FD2 / gray on the second judge where the studies have it, mean a*/b* cast) and, with --card,
stores it in the card's metrics["per_set"].
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.io.atomic import write_atomic
from trainer import metrics

ALL = "all"


def set_rows(study: dict, method: str) -> dict[str, dict]:
    """set -> {psnr_minus_gray, colourfulness_ratio, fd_ratio, cast, cast_gray, images} for `method`."""
    res, gray = study["result"][method], study["result"]["gray"]
    out = {}
    for s, r in res.items():
        g = gray[s]
        out[s] = {"images": r["images"], "psnr_minus_gray": round(r["psnr"] - g["psnr"], 3),
                  "colourfulness_ratio": round(r["colourfulness"] / max(r["colourfulness_true"], 1e-9), 3),
                  "fd_ratio": round(r["frechet"] / max(g["frechet"], 1e-9), 3),
                  "cast": round(metrics.row_cast(r), 2)}
        if "frechet2" in r and "frechet2" in g:  # the second judge (Lite2 features), in studies that have it
            out[s]["fd2_ratio"] = round(r["frechet2"] / max(g["frechet2"], 1e-9), 3)
    return out


def card_rows(card: dict, split: str, label: str) -> dict[str, dict]:
    """The rows a card stored for `label` under metrics.per_set[split]; a ValueError names what is there."""
    stored = card.get("metrics", {}).get("per_set", {}).get(split, {})
    if label not in stored:
        raise ValueError(f"the card has no per-set rows for {label!r} under {split!r} (it has: "
                         f"{', '.join(stored) or 'none'})")
    return stored[label]


def table(columns: list[tuple[str, dict[str, dict]]]) -> str:
    """Markdown: one row per set, for each column-label the four measures (five when every study has the second
    judge's FD2)."""
    sets = list(columns[0][1])
    two = all("fd2_ratio" in r for _, rows in columns for r in rows.values())
    n = 4 + two
    head = "| set | photos | " + " | ".join(
        f"{lab}: PSNR - gray | {lab}: colourfulness / true | {lab}: FD / gray | " +
        (f"{lab}: FD2 / gray | " if two else "") + f"{lab}: cast" for lab, _ in columns) + " |"
    lines = [head, "|---|---|" + "---|" * (n * len(columns))]
    for s in sets:
        cells = []
        for _, rows in columns:
            r = rows.get(s)
            cells += ["n/a"] * n if r is None else (
                [f"{r['psnr_minus_gray']:+.2f} dB", f"{r['colourfulness_ratio']:.2f}", f"{r['fd_ratio']:.2f}x"] +
                ([f"{r['fd2_ratio']:.2f}x"] if two else []) + [f"{r['cast']:.1f}"])
        lines.append(f"| {s} | {columns[0][1][s]['images']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("studies", nargs="+", help="FILE.json:LABEL[:METHOD]")
    ap.add_argument("--card", help="write the rows into this card's metrics.per_set[<split>]")
    ap.add_argument("--split", default="validation", help="key under metrics.per_set (validation or eval)")
    a = ap.parse_args(argv)
    columns = []
    for spec in a.studies:
        path, label, *method = spec.split(":")
        study = json.loads(Path(path).read_text())
        if "result" not in study and "metrics" in study:  # a model card: its stored column
            try:
                columns.append((label, card_rows(study, a.split, label)))
            except ValueError as e:
                print(f"{path}: {e}", file=sys.stderr)
                return 2
            continue
        columns.append((label, set_rows(study, method[0] if method else study["chosen"])))
    print(table(columns))
    if a.card:
        card_path = Path(a.card)
        card = json.loads(card_path.read_text())
        card.setdefault("metrics", {}).setdefault("per_set", {})[a.split] = {lab: rows for lab, rows in columns}
        write_atomic(card_path, json.dumps(card, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
