"""Export the light variant sampler (trainer/variant_head.py) as the engine's encoder/decoder pair, with its card.

    python -m trainer.variant_train export runs/vhead/last.pt --name tinta-vae --out resources/models --spread S

Encoder `<name>.encoder.onnx`: the default model (weights recovered from its ONNX file) without its class head,
(L, hint_ab, hint_mask) -> ab_reg [1,2,H,W], feat8 [1,128,H/8,W/8], ctx [1,128], skip8, skip16 (the skips are
what engine/reference.py matches photos by). Decoder `<name>.decoder.onnx`:
(ab_reg, feat8, ctx, z [N,D], temperature [1]) -> ab [N,2,H,W]. Parity with torch is checked on a size unlike
the export's, and the card names the default model the head was trained on (file and SHA-256).
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np
import torch

from engine import contract
from engine.models import file_sha256
from trainer.export import write_card
from trainer.export_vae import export_graph
from trainer.variant_head import DecoderGraph, EncoderGraph, VariantModel, base_outputs, compose

ENCODER_INPUTS = ("L", "hint_ab", "hint_mask")
ENCODER_OUTPUTS = ("ab_reg", "feat8", "ctx", "skip8", "skip16")
DECODER_INPUTS = ("ab_reg", "feat8", "ctx", "z", "temperature")
PARITY_LIMIT = 1e-2  # ab units
KEPT = ("metrics", "spread_study", "version_history")  # written later by evaluate, variant_study and by hand
DATA_NOTE = ("one random 128-px crop (scale 1-1.4, 30% with simulated hints) of each of {photos} photos in {source} "
             "(the training side of trainer/split.py); {dropped} near-gray photos (colourfulness < 10) dropped")
VAL_NOTE = ("chroma RMSE (ab) at stride 2 on 5% of the cached crops held out: the default alone, the head at z = 0, "
            "and with the posterior's mean z")


def _example(h: int, w: int, n: int, latent: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    L = torch.rand(1, 1, h, w, generator=g) * 100
    hab, mask = torch.zeros(1, 2, h, w), torch.zeros(1, 1, h, w)
    hab[:, :, 8:11, 8:11], mask[:, :, 8:11, 8:11] = 30.0, 1.0
    return L, hab, mask, torch.randn(n, latent, generator=g) * 2


def export_pair(base, head, reg_gain: float, t0: float, enc_path: Path, dec_path: Path) -> None:
    """Both graphs, atomically, with dynamic H, W and sample count N."""
    L, hab, mask, z = _example(64, 96, 3, head.latent_dim, 0)
    hw = {2: "H", 3: "W"}
    export_graph(EncoderGraph(base).eval(), (L, hab, mask), enc_path, ENCODER_INPUTS, ENCODER_OUTPUTS,
            {"L": hw, "hint_ab": hw, "hint_mask": hw, "ab_reg": hw, "feat8": {2: "h8", 3: "w8"},
             "skip8": {2: "h8", 3: "w8"}, "skip16": {2: "h16", 3: "w16"}})
    with torch.no_grad():
        feats = base_outputs(base, L, hab, mask)
    T = torch.tensor([t0])
    export_graph(DecoderGraph(head, reg_gain, t0).eval(), (*feats, z, T), dec_path, DECODER_INPUTS, ("ab",),
            {"ab_reg": hw, "feat8": {2: "h8", 3: "w8"}, "z": {0: "N"}, "ab": {0: "N", 2: "H", 3: "W"}})


def parity(base, head, reg_gain: float, t0: float, enc_path: Path, dec_path: Path) -> dict[str, float]:
    """Max |torch - onnxruntime| of the encoder's outputs and of N variants' ab, at 96 x 128, vividness 1.5."""
    import onnxruntime as ort

    L, hab, mask, z = _example(96, 128, 4, head.latent_dim, 1)
    T = torch.tensor([t0 / 1.5])
    with torch.no_grad():
        feats = base_outputs(base, L, hab, mask, with_skips=True)
        ref = compose(feats[0], head(feats[1], feats[2], z), reg_gain) * 1.5
    opts = {"providers": ["CPUExecutionProvider"]}
    got = ort.InferenceSession(str(enc_path), **opts).run(None, {"L": L.numpy(), "hint_ab": hab.numpy(),
                                                                   "hint_mask": mask.numpy()})
    ab = ort.InferenceSession(str(dec_path), **opts).run(None, dict(zip(DECODER_INPUTS, [*got[:3], z.numpy(),
                                                                                         T.numpy()])))[0]
    return {"features": max(float(np.abs(r.numpy() - o).max()) for r, o in zip(feats, got)),
            "ab": float(np.abs(ref.numpy() - ab).max())}


def export_sampler(checkpoint: Path, out: Path, name: str, spread: float, version: str = "2") -> dict:
    """Export the pair into `out`, check parity, write `<name>.json` (metrics kept across re-exports)."""
    from trainer.variant_train import load_base

    ck = torch.load(checkpoint, weights_only=False)
    cfg = ck["config"]
    base, base_card = load_base(cfg["base"])
    model = VariantModel(cfg["latent_dim"], cfg["width"], int(ck["feat_channels"]))
    model.load_state_dict(ck["model"])
    head = model.head.eval()
    gain, t0 = float(ck["reg_gain"]), float(base_card.get("default_temperature", contract.DEFAULT_TEMPERATURE))
    out.mkdir(parents=True, exist_ok=True)
    enc, dec = out / f"{name}.encoder.onnx", out / f"{name}.decoder.onnx"
    export_pair(base, head, gain, t0, enc, dec)
    diffs = parity(base, head, gain, t0, enc, dec)
    if max(diffs.values()) > PARITY_LIMIT:
        raise RuntimeError(f"torch and onnxruntime disagree by {max(diffs.values()):.4f} ab units")
    base_path, meta = Path(cfg["base"]), ck.get("cache_meta", {})
    card = {
        "name": name, "version": version, "file": enc.name, "sha256": file_sha256(enc),
        "task": "colorize-variants", "default": False,
        "created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": {"encoder": list(ENCODER_INPUTS), "decoder": list(DECODER_INPUTS)},
        "outputs": {"encoder": list(ENCODER_OUTPUTS), "decoder": ["ab"]},
        "input_size_rule": base_card.get("input_size_rule"),
        "default_temperature": t0,
        "heads": {**base_card.get("heads", {}), "latent_dim": int(head.latent_dim)},
        "bins": base_card["bins"], "prior": base_card.get("prior", []),
        "variants": True, "latent_dim": int(head.latent_dim), "variant_spread": float(spread),
        "files": {"encoder": {"file": enc.name, "sha256": file_sha256(enc)},
                  "decoder": {"file": dec.name, "sha256": file_sha256(dec)}},
        "architecture": "light head on a frozen default model (trainer/variant_head.py): "
                        f"variant(z) = {gain:g} x ab_reg + up8(head(feat8, ctx, z))",
        "base_model": {"name": base_card["name"], "version": base_card.get("version"), "file": base_path.name,
                       "sha256": file_sha256(base_path)},
        "training": {"recipe": "python -m trainer.variant_train cache, then train (frozen base, cached features)",
                     "data": DATA_NOTE.format(photos=meta.get("photos"), dropped=meta.get("near_gray_dropped"),
                                              source=meta.get("data", "the training photos")),
                     "hardware": ck.get("hardware"), "steps": int(ck["step"]), "batch": cfg["batch"],
                     "wall_time_s": {"cache": meta.get("seconds"), "train": ck.get("wall_s")},
                     "config": {**cfg, "base": base_path.name}, "cache": meta,
                     "validation": {**ck.get("val", {}), "what": VAL_NOTE}},
        "licences": base_card.get("licences"),
        "parity_max_abs_diff": diffs,
        "metrics": {},
    }
    card_path = out / f"{name}.json"
    if card_path.exists():  # a re-export of the same version keeps what was measured and chosen since
        try:
            old = json.loads(card_path.read_text())
            if old.get("version") == version:
                card.update({k: old[k] for k in KEPT if k in old})
        except (OSError, ValueError):
            pass
    write_card(card, card_path)
    return card
