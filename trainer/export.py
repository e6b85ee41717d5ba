"""Export a trained TintaNet to ONNX with its model card, and check torch and onnxruntime agree.

    python -m trainer.export runs/base/last.pt --name tinta-base --out resources/models [--default]
    python -m trainer.export runs/cpu_ft/last.pt --name tinta-base-candidate --out runs/cpu_ft/export \
        --inputs-from resources/models/tinta-base.json    # a fine-tune, judged with its base's input handling
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from engine import contract
from engine.models import file_sha256
from trainer.model import ModelConfig, TintaNet, build_model

DATA_LICENCES = (
    "Trained on Tinta's shared photo set: Imagenette (ImageNet non-commercial terms), UTKFace "
    "(non-commercial research), Oxford-IIIT-style pets, Berkeley BSDS500 (research use), Intel scene and "
    "weather sets (their challenge/dataset terms), house photos (cite Ahmed and Moustafa 2016), CamVid street "
    "frames (Brostow et al. 2008, CC BY-NC 4.0), OSIE scenes (Xu et al. 2014, research), an ImageNet sample "
    "(ImageNet terms), city and interior photos published with research code without a stated licence. "
    "Research/non-commercial use only; train on your own photos for a commercial-use model."
)


class ColorizerGraph(nn.Module):
    """The contract's colorizer: (L, hint_ab, hint_mask, temperature) -> (ab, ab_reg, prob)."""

    def __init__(self, net: TintaNet):
        super().__init__()
        self.net = net

    def forward(self, L, hint_ab, hint_mask, temperature):
        skips, ctx, _ = self.net.encode(L, hint_ab, hint_mask)
        z = None
        if self.net.cfg.latent_dim:
            z = torch.zeros(L.shape[0], self.net.cfg.latent_dim, dtype=L.dtype, device=L.device)
        out = self.net.decode(skips, ctx, L, temperature, z)
        prob = out.get("prob")
        if prob is None:  # regression-only models still fill the contract's third output
            prob = torch.zeros(L.shape[0], 1, L.shape[2] // 4, L.shape[3] // 4)
        return out["ab"], out["ab_reg"], prob


def load_checkpoint(path: str | Path) -> tuple[TintaNet, dict]:
    ck = torch.load(path, map_location="cpu", weights_only=True)
    mcfg = ModelConfig(**{**ck["model_config"], "pretrained": False,
                          "decoder_channels": tuple(ck["model_config"]["decoder_channels"])})
    net = build_model(mcfg, ck["model"]["bins"])
    net.load_state_dict(ck["model"], strict=True)
    return net.eval(), ck


def export_onnx(net: TintaNet, path: Path, opset: int = 17) -> None:
    """Writes the colorizer graph (dynamic N, H, W) atomically and runs the ONNX checker."""
    import onnx

    graph = ColorizerGraph(net.eval())
    h, w = 64, 96
    args = (torch.rand(1, 1, h, w) * 100, torch.zeros(1, 2, h, w), torch.zeros(1, 1, h, w),
            torch.tensor([contract.DEFAULT_TEMPERATURE]))
    dyn = {"L": {0: "N", 2: "H", 3: "W"}, "hint_ab": {0: "N", 2: "H", 3: "W"},
           "hint_mask": {0: "N", 2: "H", 3: "W"}, "ab": {0: "N", 2: "H", 3: "W"},
           "ab_reg": {0: "N", 2: "H", 3: "W"}, "prob": {0: "N", 2: "h4", 3: "w4"}}
    tmp = path.with_name(path.name + ".tmp")
    with torch.no_grad():
        torch.onnx.export(graph, args, str(tmp), input_names=list(contract.INPUTS),
                          output_names=list(contract.OUTPUTS), dynamic_axes=dyn, opset_version=opset,
                          dynamo=False, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(tmp)), full_check=True)
    os.replace(tmp, path)


def parity(net: TintaNet, path: Path, shape=(1, 1, 96, 128), hints: int = 5, seed: int = 0) -> dict[str, float]:
    """Max abs difference between torch and onnxruntime on a random gray input with hints."""
    import onnxruntime as ort

    g = torch.Generator().manual_seed(seed)
    n, _, h, w = shape
    L = torch.rand(shape, generator=g) * 100
    hab = torch.zeros(n, 2, h, w)
    mask = torch.zeros(n, 1, h, w)
    for _ in range(hints):
        y, x = int(torch.randint(0, h - 3, (1,), generator=g)), int(torch.randint(0, w - 3, (1,), generator=g))
        hab[:, :, y:y + 3, x:x + 3] = (torch.rand(2, 1, 1, generator=g) - 0.5) * 120
        mask[:, :, y:y + 3, x:x + 3] = 1
    T = torch.tensor([contract.DEFAULT_TEMPERATURE])
    with torch.no_grad():
        ref = ColorizerGraph(net.eval())(L, hab, mask, T)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"L": L.numpy(), "hint_ab": hab.numpy(), "hint_mask": mask.numpy(), "temperature": T.numpy()})
    return {name: float(np.abs(r.numpy() - o).max()) for name, r, o in zip(contract.OUTPUTS, ref, got)}


def write_card(card: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(card, indent=1))
    os.replace(tmp, path)


# The working size a card asks for: the scale the network is trained at (photos of short side 144, whole
# scenes at 128-190 px; docs/history-tinta-base.md, "Working sizes": 192 beat 160, 256 and 320).
# contract.DEFAULT_LONG_SIDE (512) is only the engine's fallback for cards without a rule; a candidate exported
# with it was once judged at 512 and looked far worse than the shipped model at 192 for that reason alone.
TRAINING_LONG_SIDE = 192


def build_card(net: TintaNet, onnx_path: Path, name: str, ck: dict, default: bool, version: str = "1",
               long_side: int = TRAINING_LONG_SIDE) -> dict:
    st, cfg = ck.get("state", {}), ck.get("config", {})
    return {
        "name": name, "version": version, "file": onnx_path.name, "sha256": file_sha256(onnx_path),
        "task": "colorize", "default": default,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": list(contract.INPUTS), "outputs": list(contract.OUTPUTS),
        "input_size_rule": {"multiple": contract.MULTIPLE, "default_long_side": int(long_side)},
        "default_temperature": contract.DEFAULT_TEMPERATURE,
        "stem_hints": net.cfg.stem_hints,  # False: the encoder reads L alone, so the engine runs it once a photo
        "decoder_channels": list(net.cfg.decoder_channels),  # what trainer.from_onnx rebuilds the network with
        "heads": {"regression": net.cfg.reg_head, "class": net.cfg.class_head, "scene": net.cfg.scene_head,
                  "segmentation": net.cfg.seg_classes, "latent_dim": net.cfg.latent_dim},
        "bins": net.bins.numpy().astype(int).tolist(),
        "prior": [round(float(p), 7) for p in ck.get("state", {}).get("prior") or []],
        "training": {"data": cfg.get("data"), "steps": st.get("step"), "epochs": st.get("epoch"),
                     "wall_time_s": round(float(st.get("wall", 0.0)), 1), "hardware": ck.get("hardware"),
                     "batch": cfg.get("batch"), "crop": cfg.get("crop"), "config": cfg,
                     # a run started from a committed delta (trainer/slim.py): the runs before it, added up
                     **({"before_this_run": st["delta_totals"]} if st.get("delta_totals") else {}),
                     # a soup (trainer/soup.py): the runs whose weights were averaged; steps and wall time add up
                     **({"soup_of": st["soup"]} if st.get("soup") else {})},
        "licences": DATA_LICENCES,
        "metrics": {},
    }


# What the engine does to a photo before the network sees it (engine/levels.py, engine/sharpness.py). A fine-tune
# of a shipped model is compared with it on the same inputs, so its card takes these over; without them a faded
# or soft photo would reach the candidate untouched and the comparison would measure the input handling too.
INPUT_FIELDS = ("input_levels", "input_sharpness")


def inherit_inputs(card: dict, source: dict, source_name: str) -> dict:
    """`card` with `source`'s input handling (INPUT_FIELDS it has), each marked with where it came from."""
    for k in INPUT_FIELDS:
        if k in source:
            card[k] = {**source[k], "inherited_from": source_name}
    return card


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", default="resources/models")
    ap.add_argument("--default", action="store_true", help="mark as the app's default model")
    ap.add_argument("--version", default="1")
    ap.add_argument("--long-side", type=int, default=TRAINING_LONG_SIDE,
                    help=f"the card's default working size (default {TRAINING_LONG_SIDE}, the training scale)")
    ap.add_argument("--inputs-from", metavar="CARD", help="take this card's input levels and input sharpness")
    a = ap.parse_args(argv)
    net, ck = load_checkpoint(a.checkpoint)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{a.name}.onnx"
    export_onnx(net, onnx_path)
    diffs = parity(net, onnx_path)
    card = build_card(net, onnx_path, a.name, ck, a.default, a.version, a.long_side)
    card["parity_max_abs_diff"] = diffs
    if a.inputs_from:
        src = json.loads(Path(a.inputs_from).read_text())
        inherit_inputs(card, src, f"{src.get('name')} {src.get('version')}")
    write_card(card, out / f"{a.name}.json")
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size / 1e6:.1f} MB), parity {diffs}")
    worst = max(diffs["ab"], diffs["ab_reg"])
    if worst > 1e-2:
        print(f"export: torch and onnxruntime disagree by {worst:.4f} ab units", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
