"""Fine-tuning only how the network reads hints, with its answer to a photo without hints held exactly.

Since tinta-base 1.7 the hints enter the network only through the five HintFusion nets at the skips
(trainer/model.py; the stem's fusion sees no hints). Fed no hints, each fusion adds a constant per channel,
net(0) = W2 relu(b1) + b2 (its first convolution sees zeros, so only its bias is left). So if only the fusions
train and, after every step, b2 is set back to make net(0) what it was, every automatic colorization stays what
the shipped model gives (to float rounding), and the whole run can only change what hints do. That makes the
run safe to judge by the hint study alone (trainer/hint_study.py): the decoding study's numbers cannot move.

    python -m trainer.train --init_from resources/models/tinta-base.onnx --hints_only true --hint_prob 1 ...
(the recipe: trainer/recipes/cpu_hints.sh)
"""
from __future__ import annotations

import torch
from torch import nn

TRAINED = "skip_hints."  # the only weights a --hints_only run changes


def trainable(name: str) -> bool:
    """Whether weight `name` trains in a --hints_only run."""
    return name.startswith(TRAINED)


def no_hint_constant(fusion: nn.Module) -> torch.Tensor:
    """[C]: what HintFusion `fusion` adds to every pixel of its feature map when there are no hints."""
    first, _, last = fusion.net
    return last.weight[:, :, 0, 0] @ torch.relu(first.bias) + last.bias


class NoHintAnchor:
    """Holds each skip fusion's answer to no hints at what it was when the anchor was made."""

    def __init__(self, model: nn.Module):
        self.fusions = list(model.skip_hints)
        with torch.no_grad():
            self.constants = [no_hint_constant(f).detach().clone() for f in self.fusions]

    @torch.no_grad()
    def restore(self) -> float:
        """Re-solve each last bias so net(0) is the anchored constant again; returns how far they had moved."""
        moved = 0.0
        for f, c in zip(self.fusions, self.constants):
            first, _, last = f.net
            moved = max(moved, float((no_hint_constant(f) - c).abs().max()))
            last.bias.copy_(c - last.weight[:, :, 0, 0] @ torch.relu(first.bias))
        return moved


def no_hint_difference(old_onnx: str, new_onnx: str, photos, side: int | None = None) -> dict[str, float]:
    """Largest |new - old| of each graph output over `photos` (trainer.eval_photos.Photo) with no hints, each photo's
    L* at long side `side` (default: the exported cards' working size): what a --hints_only run must leave at float
    rounding."""
    import cv2
    import numpy as np
    import onnxruntime as ort

    from engine.contract import MULTIPLE as multiple
    from trainer.export import TRAINING_LONG_SIDE

    side = side or TRAINING_LONG_SIDE

    sessions = [ort.InferenceSession(p, providers=["CPUExecutionProvider"]) for p in (old_onnx, new_onnx)]
    names = [o.name for o in sessions[0].get_outputs()]
    worst = dict.fromkeys(names, 0.0)
    for ph in photos:
        h, w = ph.L.shape
        s = side / max(h, w)
        hh, ww = (max(multiple, int(round(x * s / multiple)) * multiple) for x in (h, w))
        L = cv2.resize(ph.L, (ww, hh), interpolation=cv2.INTER_AREA)[None, None].astype(np.float32)
        feeds = {"L": L, "hint_ab": np.zeros((1, 2, hh, ww), np.float32),
                 "hint_mask": np.zeros((1, 1, hh, ww), np.float32), "temperature": np.array([0.38], np.float32)}
        old, new = (dict(zip(names, sess.run(names, feeds))) for sess in sessions)
        for k in names:
            worst[k] = max(worst[k], float(np.abs(new[k] - old[k]).max()))
    return worst


def main(argv=None) -> int:
    import argparse
    import json
    import sys

    from trainer.decoding_study import validation_photos

    ap = argparse.ArgumentParser(prog="python -m trainer.hint_tune",
                                 description="Check that a --hints_only candidate colours photos without hints "
                                             "as the model it was tuned from does (validation photos).")
    ap.add_argument("old_onnx")
    ap.add_argument("new_onnx")
    ap.add_argument("--per-group", type=int, default=5)
    ap.add_argument("--tolerance", type=float, default=1e-3, help="largest difference allowed, in output units")
    a = ap.parse_args(argv)
    worst = no_hint_difference(a.old_onnx, a.new_onnx, validation_photos(per_group=a.per_group))
    print(json.dumps(worst))
    if max(worst.values()) > a.tolerance:
        print(f"hint_tune: {a.new_onnx} answers photos without hints differently (max {max(worst.values()):.3g})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
