"""Assemble the card of a fine-tuned release of a shipped model, from what the runs themselves recorded.

    python -m trainer.release runs/p5c/export/tinta-base-candidate.json runs/p5c/decoding/validation.json \
        --base resources/models/tinta-base.json --version 1.4 --out runs/ship14 \
        --recipe "bash trainer/recipes/cpu_finetune.sh (W_PERC=5, MINUTES=55)" --note "one line for the history"

Writes OUT/<name>.onnx (the candidate's file, copied) and OUT/<name>.json: the shipped card's descriptive fields
(name, licences, bins, working size, variants), the candidate's own SHA-256, parity, prior and creation time,
the decoding the validation study's rule chooses (trainer/decoding_study.py), and training.fine_tune built from
the candidate's export card: this run's steps, time and settings plus the runs before it that its committed delta
carried (trainer/slim.py), with the shipped card's fine-tune kept under "earlier". Metrics are left empty for
`python -m trainer.card` and `python -m trainer.compare --card` to fill from measurements. Nothing here is typed
by hand except the recipe line and the history note, so the card cannot give another run's numbers.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import sys
from pathlib import Path

from engine.io.atomic import write_atomic
from trainer.decoding_study import card_decoding


def fine_tune_block(export_training: dict, base: dict, recipe: str) -> dict:
    """training.fine_tune for a release whose weights are `base` fine-tuned by one or more CPU runs."""
    cfg = export_training["config"]
    before = export_training.get("before_this_run") or {"steps": 0, "crops": 0, "wall_s": 0.0, "runs": 0}
    steps, batch = int(export_training["steps"]), int(cfg["batch"])
    prev = base.get("training", {}).get("fine_tune") or {}
    earlier = dict(prev.get("earlier", {}))
    if prev:
        earlier[base["version"]] = {k: v for k, v in prev.items() if k not in ("config", "earlier")}
    return {
        "from": f"{base['name']} {base['version']} (its ONNX file, weights recovered by trainer/from_onnx.py; "
                f"sha256 {base['sha256']})",
        "recipe": recipe,
        "runs": before["runs"] + max(1, len(export_training.get("soup_of") or [])),  # a soup's runs each count
        "steps": before["steps"] + steps, "batch": batch, "crop": int(cfg.get("crop", 128)),
        "crops": before["crops"] + steps * batch,
        "wall_time_s": round(before["wall_s"] + float(export_training["wall_time_s"]), 1),
        "last_run": {"steps": steps, "wall_time_s": export_training["wall_time_s"]},
        "hardware": export_training.get("hardware"),
        "w_perc": cfg.get("w_perc", 0.0), "w_sem": cfg.get("w_sem", 0.0),
        "w_colour": cfg.get("w_colour", 0.0), "w_cast": cfg.get("w_cast", 0.0),
        "cast_per_crop": cfg.get("cast_per_crop", False), "lr": cfg.get("lr"),
        "unfreeze_blocks": cfg.get("unfreeze_blocks"),
        "trained": prev.get("trained"), "data": prev.get("data"), "loss": prev.get("loss"),
        "config": cfg, "earlier": earlier,
        **({"soup_of": export_training["soup_of"]} if export_training.get("soup_of") else {})}


def build(export_card: dict, study: dict | None, base: dict, version: str, recipe: str, note: str,
          sha256: str) -> dict:
    """study None: the base card's decoding (and prior) are kept, for a run that left every answer to a photo without
    hints as it was (a --hints_only run, checked by trainer.hint_tune)."""
    card = copy.deepcopy(base)
    card["version"] = version
    card["sha256"] = sha256
    for k in ("created", "parity_max_abs_diff") + (("prior",) if study is not None else ()):
        card[k] = export_card[k]
    card["metrics"] = {}
    if study is not None:
        card["decoding"] = card_decoding(study)
        temperature = study["candidates"][study["chosen"]].get("temperature")
        if temperature is not None:  # an annealed-mean decoding at a temperature of its own
            card["default_temperature"] = temperature
    card["training"]["fine_tune"] = fine_tune_block(export_card["training"], base, recipe)
    ft = card["training"]["fine_tune"]
    where = ft["hardware"] or "unrecorded hardware"
    card["history"] = list(base.get("history", [])) + [(
        f"{version} ({export_card['created'][:10]}): {base['version']} fine-tuned on {where} (see training.fine_tune): "
        f"{ft['steps']:,} steps of {ft['batch']} crops in {ft['runs']} run(s), {ft['wall_time_s'] / 60:.0f} minutes; "
        + (f"decoding chosen on the validation split ({study['chosen']}). " if study is not None else
           f"{base['version']}'s decoding kept: only the hint fusions trained, so photos without hints get "
           f"{base['version']}'s colours. ") + note).rstrip()]
    return card


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export_card", help="the candidate's card, as trainer.export wrote it")
    ap.add_argument("study", nargs="?", help="the candidate's validation decoding study (validation.json)")
    ap.add_argument("--keep-decoding", action="store_true",
                    help="no study: keep the base card's decoding (a --hints_only run; checked by trainer.hint_tune)")
    ap.add_argument("--base", default="resources/models/tinta-base.json", help="the shipped card it was tuned from")
    ap.add_argument("--version", required=True)
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--note", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    try:
        export_card = json.loads(Path(a.export_card).read_text())
        if (a.study is None) != a.keep_decoding:
            raise ValueError("give either the candidate's decoding study or --keep-decoding")
        study = json.loads(Path(a.study).read_text()) if a.study else None
        base = json.loads(Path(a.base).read_text())
    except (OSError, ValueError) as e:
        print(f"release: {e}", file=sys.stderr)
        return 2
    if study is not None and study.get("model") != export_card.get("name"):
        print(f"release: {a.study} scored {study.get('model')!r}, not {export_card.get('name')!r}", file=sys.stderr)
        return 2
    src = Path(a.export_card).with_name(export_card["file"])
    if hashlib.sha256(src.read_bytes()).hexdigest() != export_card["sha256"]:
        print(f"release: {src} is not the file its card describes (SHA-256 differs)", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    dst = out / base["file"]
    write_atomic(dst, src.read_bytes())  # a half-copied model must never sit beside its card
    card = build(export_card, study, base, a.version, a.recipe, a.note, export_card["sha256"])
    write_atomic(out / f"{base['name']}.json", json.dumps(card, indent=1))
    chosen = study["chosen"] if study is not None else f"kept from {base['version']}"
    print(f"wrote {dst} and {out / (base['name'] + '.json')}: version {a.version}, decoding {chosen}, "
          f"{card['training']['fine_tune']['steps']:,} fine-tune steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
