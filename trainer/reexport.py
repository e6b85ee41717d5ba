"""Re-export a shipped colorizer with the same weights and a changed graph, keeping its card's choices.

    python -m trainer.reexport resources/models/tinta-base.onnx --no-stem-hints --version 1.7 --out runs/v17 \
        --note "1.7 (2026-11-30): ..."

--no-stem-hints: the stem's hint fusion is fed no hints (trainer/model.py, ModelConfig.stem_hints), so the
encoder reads L alone and the engine runs it once per photo instead of once per stroke (engine/split.py).
Without hints the graph computes what the old one did; the check below holds it to MAX_NO_HINT_DIFF. With hints
the network's answer changes, so hint results must be measured again (trainer.hint_study on the validation split,
trainer.evaluate for the card's figures) before the copy replaces the shipped file.

The new card is the old one with version, file hash, creation time, parity and `stem_hints` updated and --note
added to its history; the decoding, data, licences and measured figures stay as they were.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import sys
from pathlib import Path

import numpy as np

from engine.io.atomic import write_atomic
from engine.models import file_sha256
from trainer.export import export_onnx, parity
from trainer.from_onnx import config_from_card, onnx_parity, recover

MAX_NO_HINT_DIFF = 1e-3  # ab units between the old and new graph without hints (float summation order only)


def no_hint_difference(old: Path, new: Path, shapes=((1, 1, 96, 128), (1, 1, 160, 192)), seed: int = 0) -> float:
    """Max |old - new| over every output of two colorizer files on random L without hints (onnxruntime, CPU)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    a, b = (ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (old, new))
    worst = 0.0
    for shape in shapes:
        n, _, h, w = shape
        feeds = {"L": rng.uniform(0, 100, shape).astype(np.float32),
                 "hint_ab": np.zeros((n, 2, h, w), np.float32), "hint_mask": np.zeros((n, 1, h, w), np.float32),
                 "temperature": np.array([0.38], np.float32)}
        for x, y in zip(a.run(None, feeds), b.run(None, feeds)):
            worst = max(worst, float(np.abs(x - y).max()))
    return worst


def reexport(onnx_path: Path, out: Path, version: str, note: str, stem_hints: bool) -> dict:
    """Write out/<file> and out/<card>; returns the new card. Raises RuntimeError when a check fails."""
    card = json.loads(onnx_path.with_suffix(".json").read_text(encoding="utf-8"))
    net = recover(onnx_path, np.asarray(card["bins"], np.float32), config_from_card(card))
    diff = onnx_parity(net, onnx_path)
    if diff > 1e-2:
        raise RuntimeError(f"{onnx_path}: recovered weights differ from the ONNX model by {diff:.3g} ab")
    net.cfg = dataclasses.replace(net.cfg, stem_hints=stem_hints)
    out.mkdir(parents=True, exist_ok=True)
    new = out / onnx_path.name
    export_onnx(net, new)
    same = no_hint_difference(onnx_path, new)
    if same > MAX_NO_HINT_DIFF:
        raise RuntimeError(f"{new}: without hints it differs from {onnx_path} by {same:.3g} ab")
    card.update(version=version, sha256=file_sha256(new), stem_hints=stem_hints,
                created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                parity_max_abs_diff=parity(net, new))
    card["history"] = [*card.get("history", []), note]
    write_atomic(new.with_suffix(".json"), json.dumps(card, indent=1).encode("utf-8"))
    print(f"{new}: recovered with parity {diff:.1e} ab; without hints {same:.1e} ab from {onnx_path}; "
          f"torch parity {card['parity_max_abs_diff']}")
    return card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("onnx", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--note", required=True, help="the history entry: what changed and what was measured")
    ap.add_argument("--no-stem-hints", dest="stem_hints", action="store_false")
    a = ap.parse_args(argv)
    try:
        reexport(a.onnx, a.out, a.version, a.note, a.stem_hints)
    except RuntimeError as exc:
        print(f"reexport: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
