"""Export a cVAE TintaNet as two ONNX graphs (photo+hints encoder, batched z decoder) with its card.

    python -m trainer.export_vae runs/gpu1/vae.pt --name tinta-vae --out resources/models [--spread 2.5]

Encoder `<name>.encoder.onnx` (runs once per photo), float32 NCHW:
  inputs   L [1,1,H,W] (L* 0..100), hint_ab [1,2,H,W], hint_mask [1,1,H,W]  (H, W multiples of 32)
  outputs  skip2 [1,C2,H/2,W/2], skip4, skip8, skip16, skip32 (feature maps at those strides), ctx [1,128]
Decoder `<name>.decoder.onnx` (runs once for N samples):
  inputs   the five skips and ctx with batch 1, L [1,1,H,W], z [N,D], temperature [1]
  output   ab [N,2,H,W]  (skips, ctx and L are broadcast over N inside the graph)
The exporter drops decoder inputs the output does not need (skip2 feeds only the regression head, and
ab comes from the class head); the card's "inputs" lists those kept, and the engine feeds only those.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine import contract
from engine.models import file_sha256 as sha256
from trainer.export import build_card, load_checkpoint, write_card
from trainer.model import STRIDES, TintaNet

SKIPS = tuple(f"skip{s}" for s in STRIDES)
ENCODER_INPUTS = ("L", "hint_ab", "hint_mask")
ENCODER_OUTPUTS = SKIPS + ("ctx",)
DECODER_INPUTS = SKIPS + ("ctx", "L", "z", "temperature")
DECODER_OUTPUTS = ("ab",)
# Samples are drawn as z ~ N(0, spread^2 I). The gpu1 cVAE barely uses z at the prior's spread 1
# (8 samples differ by 5.5 ab units on average); 3 gives 14.5 with a Frechet distance no worse than
# the deterministic model's (card metrics variants_spread_1/2/3), so 3 is the shipped default.
DEFAULT_SPREAD = 3.0
PARITY_LIMIT = 1e-2  # ab units


class EncoderGraph(nn.Module):
    """(L, hint_ab, hint_mask) -> five skip maps and the global context: everything z does not touch."""

    def __init__(self, net: TintaNet):
        super().__init__()
        self.net = net

    def forward(self, L, hint_ab, hint_mask):
        skips, ctx, _ = self.net.encode(L, hint_ab, hint_mask)
        return (*skips, ctx)


class DecoderGraph(nn.Module):
    """(skips, ctx, L with batch 1; z [N,D]; temperature) -> ab [N,2,H,W], one decoder pass for N samples.

    Computes what TintaNet.decode's "ab" computes (parity checks it), rearranged so N samples cost
    little more than one: work that z does not reach runs at batch 1 and is broadcast, namely the
    bottleneck conv and, since conv(cat[x, skip]) = conv_x(x) + conv_skip(skip), each up-block's
    skip half of conv1; and the annealed mean is taken channels-last, softmax(logits / T) being
    softmax(log_softmax(logits) / T) and ONNX Runtime's channel-axis softmax being slow.
    """

    def __init__(self, net: TintaNet):
        super().__init__()
        if not net.cfg.class_head:
            raise ValueError("the variant decoder needs the class head (its ab is the annealed mean)")
        self.net = net

    @staticmethod
    def _up(block, x: torch.Tensor, skip: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        conv, bn, relu = block.conv1
        cx = x.shape[1]
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        y = F.conv2d(x, conv.weight[:, :cx], padding=conv.padding) + F.conv2d(skip, conv.weight[:, cx:],
                                                                                padding=conv.padding)
        return block.film(block.conv2(relu(bn(y))), g)

    def forward(self, s2, s4, s8, s16, s32, ctx, L, z, temperature):
        net = self.net
        n = z.shape[0]
        g = torch.cat([ctx.expand(n, -1), z], 1)
        x = net.bottleneck_film(net.bottleneck(s32).expand(n, -1, -1, -1), g)
        x = self._up(net.up16, x, s16, g)
        x = self._up(net.up8, x, s8, g)
        x4 = self._up(net.up4, x, s4, g)
        logits = net.cls(x4).float().permute(0, 2, 3, 1)  # N, h4, w4, K
        q = F.softmax(logits / temperature.float().view(1, 1, 1, 1), dim=-1)
        ab = torch.matmul(q, net.bins.float()).permute(0, 3, 1, 2)
        return F.interpolate(ab, size=L.shape[-2:], mode="bilinear", align_corners=False)


def example_inputs(net: TintaNet, h: int = 64, w: int = 96, n: int = 3, seed: int = 0):
    """Random encoder feeds (with a few hints) and a z batch, as torch tensors."""
    g = torch.Generator().manual_seed(seed)
    L = torch.rand(1, 1, h, w, generator=g) * 100
    hab = torch.zeros(1, 2, h, w)
    mask = torch.zeros(1, 1, h, w)
    for _ in range(4):
        y = int(torch.randint(0, h - 3, (1,), generator=g))
        x = int(torch.randint(0, w - 3, (1,), generator=g))
        hab[:, :, y:y + 3, x:x + 3] = (torch.rand(2, 1, 1, generator=g) - 0.5) * 120
        mask[:, :, y:y + 3, x:x + 3] = 1
    z = torch.randn(n, net.cfg.latent_dim, generator=g)
    return L, hab, mask, z


def export_graph(module: nn.Module, args, path: Path, inputs, outputs, dyn, opset: int = 17) -> None:
    """Trace `module` (built in eval mode by the caller) to ONNX at `path` atomically, then run the ONNX checker."""
    import onnx

    tmp = path.with_name(path.name + ".tmp")
    with torch.no_grad():
        torch.onnx.export(module, args, str(tmp), input_names=list(inputs), output_names=list(outputs),
                          dynamic_axes=dyn, opset_version=opset, dynamo=False, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(tmp)), full_check=True)
    tmp.replace(path)


def export_pair(net: TintaNet, encoder_path: Path, decoder_path: Path, opset: int = 17) -> None:
    """Write both graphs atomically (dynamic H, W and sample count N) and run the ONNX checker on each."""
    if not net.cfg.latent_dim:
        raise ValueError("the model has no latent (latent_dim 0): export it with trainer.export instead")
    net = net.eval()
    L, hab, mask, z = example_inputs(net)
    hw = {2: "H", 3: "W"}
    enc_dyn = {k: hw for k in ENCODER_INPUTS}
    enc_dyn.update({name: {2: f"h{s}", 3: f"w{s}"} for name, s in zip(SKIPS, STRIDES)})
    # Wrappers start in training mode and export restores that mode recursively: build them in eval.
    export_graph(EncoderGraph(net).eval(), (L, hab, mask), encoder_path, ENCODER_INPUTS, ENCODER_OUTPUTS, enc_dyn, opset)
    with torch.no_grad():
        feats = EncoderGraph(net).eval()(L, hab, mask)
    dec_dyn = {name: {2: f"h{s}", 3: f"w{s}"} for name, s in zip(SKIPS, STRIDES)}
    dec_dyn.update(L=hw, z={0: "N"}, ab={0: "N", 2: "H", 3: "W"})
    T = torch.tensor([contract.DEFAULT_TEMPERATURE])
    export_graph(DecoderGraph(net).eval(), (*feats, L, z, T), decoder_path, DECODER_INPUTS, DECODER_OUTPUTS, dec_dyn, opset)


def parity(net: TintaNet, encoder_path: Path, decoder_path: Path, h: int = 96, w: int = 128,
           n: int = 4) -> dict[str, float]:
    """Max abs differences, torch vs onnxruntime, on a size unlike the export's: the skips and ab of N samples."""
    import onnxruntime as ort

    L, hab, mask, z = example_inputs(net, h, w, n, seed=1)
    T = torch.tensor([contract.DEFAULT_TEMPERATURE])
    with torch.no_grad():
        feats = EncoderGraph(net).eval()(L, hab, mask)
        skips = [f.expand(n, -1, -1, -1) for f in feats[:5]]
        ref = net.decode(skips, feats[5].expand(n, -1), L.expand(n, -1, -1, -1), T, z)["ab"]
    opts = {"providers": ["CPUExecutionProvider"]}
    enc = ort.InferenceSession(str(encoder_path), **opts)
    dec = ort.InferenceSession(str(decoder_path), **opts)
    got = enc.run(None, {"L": L.numpy(), "hint_ab": hab.numpy(), "hint_mask": mask.numpy()})
    feeds = dict(zip(ENCODER_OUTPUTS, got))
    feeds.update(L=L.numpy(), z=z.numpy(), temperature=T.numpy())
    wanted = {i.name for i in dec.get_inputs()}
    ab = dec.run(None, {k: v for k, v in feeds.items() if k in wanted})[0]
    skip_diff = max(float(np.abs(r.numpy() - o).max()) for r, o in zip(feats, got))
    return {"features": skip_diff, "ab": float(np.abs(ref.numpy() - ab).max())}


def graph_inputs(path: Path) -> list[str]:
    """Input names an exported graph kept (the exporter drops unused ones, e.g. skip2 when only ab is output)."""
    import onnx

    return [i.name for i in onnx.load(str(path), load_external_data=False).graph.input]


def vae_card(net: TintaNet, encoder_path: Path, decoder_path: Path, name: str, ck: dict, version: str = "1",
             spread: float = DEFAULT_SPREAD) -> dict:
    """The base card's fields plus variants, latent_dim, variant_spread and per-file hashes.

    "file"/"sha256" name the encoder so registries that know one file per card still find and check it.
    """
    card = build_card(net, encoder_path, name, ck, default=False, version=version)
    card.update({
        "task": "colorize-variants", "variants": True, "latent_dim": int(net.cfg.latent_dim),
        "variant_spread": float(spread),
        "inputs": {"encoder": list(ENCODER_INPUTS), "decoder": graph_inputs(decoder_path)},
        "outputs": {"encoder": list(ENCODER_OUTPUTS), "decoder": list(DECODER_OUTPUTS)},
        "files": {"encoder": {"file": encoder_path.name, "sha256": sha256(encoder_path)},
                  "decoder": {"file": decoder_path.name, "sha256": sha256(decoder_path)}},
    })
    return card


def export_vae(net: TintaNet, ck: dict, out: Path, name: str, version: str = "1",
               spread: float = DEFAULT_SPREAD) -> tuple[dict, Path]:
    """Export both graphs into `out`, check parity, write `<name>.json`; returns (card, card path)."""
    out.mkdir(parents=True, exist_ok=True)
    enc, dec = out / f"{name}.encoder.onnx", out / f"{name}.decoder.onnx"
    export_pair(net, enc, dec)
    diffs = parity(net, enc, dec)
    card = vae_card(net, enc, dec, name, ck, version, spread)
    card["parity_max_abs_diff"] = diffs
    card_path = out / f"{name}.json"
    if card_path.exists():  # keep measured metrics across re-exports of the same model
        try:
            card["metrics"] = json.loads(card_path.read_text()).get("metrics") or {}
        except (OSError, ValueError):
            pass
    write_card(card, card_path)
    return card, card_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", default="resources/models")
    ap.add_argument("--version", default="1")
    ap.add_argument("--spread", type=float, default=DEFAULT_SPREAD,
                    help="default sampling spread s: z ~ N(0, s^2 I) (card field variant_spread)")
    a = ap.parse_args(argv)
    if a.spread <= 0:
        ap.error("--spread must be positive")
    try:
        net, ck = load_checkpoint(a.checkpoint)
        card, card_path = export_vae(net, ck, Path(a.out), a.name, a.version, a.spread)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        print(f"export_vae: {a.checkpoint}: {exc}", file=sys.stderr)
        return 1
    diffs = card["parity_max_abs_diff"]
    print(f"wrote {card_path} and {', '.join(f['file'] for f in card['files'].values())}; parity {diffs}")
    if diffs["ab"] > PARITY_LIMIT:
        print(f"export_vae: torch and onnxruntime disagree by {diffs['ab']:.4f} ab units", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
