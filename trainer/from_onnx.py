"""Recover a trainable TintaNet from a shipped colorizer ONNX file, so a later run fine-tunes what ships.

    python -m trainer.from_onnx resources/models/tinta-base.onnx runs/recovered.pt
    python -m trainer.from_onnx resources/models/tinta-base.onnx .pack/init.pt --unfold ../shared/data/train --half

The second form is for a run that trains every layer, BatchNorm included (a GPU run): see unfold_batchnorm;
--half stores the weights in fp16 (11 MB instead of 22 MB, so more photos travel beside them).

The shipped .onnx is the committed checkpoint: the exporter folds each BatchNorm into the convolution
before it, so the recovered network gets those convolutions with a bias-only BatchNorm (mean 0, var 1,
scale 1) that computes the same function. Fine-tune it with BatchNorm frozen (`freeze_batchnorm`); the
optimizer state is not carried (a fine-tune warms up again). Parity with onnxruntime is checked here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

from trainer.lite0 import load_pretrained
from trainer.model import ModelConfig, TintaNet, build_model


def config_from_card(card: dict) -> ModelConfig:
    """The ModelConfig of a shipped colorizer's card (heads, bins, decoder width, whether the stem reads hints)."""
    heads = card.get("heads", {})
    # Shipped cards predate "decoder_channels" and "stem_hints": they all have ModelConfig's defaults there.
    extra = {"decoder_channels": tuple(card["decoder_channels"])} if "decoder_channels" in card else {}
    return ModelConfig(num_bins=len(card["bins"]), reg_head=heads.get("regression", True),
                       class_head=heads.get("class", True), scene_head=heads.get("scene", True),
                       stem_hints=card.get("stem_hints", True), pretrained=False, **extra)


def _call_order(net: TintaNet, shape=(1, 1, 64, 64)) -> list[tuple[str, nn.Module, nn.Module | None]]:
    """(name, conv, batchnorm-that-directly-follows-it or None) for every Conv2d in execution order."""
    names = {m: n for n, m in net.named_modules()}
    calls: list[tuple[nn.Module, torch.Tensor, torch.Tensor]] = []
    hooks = [m.register_forward_hook(lambda m, i, o: calls.append((m, i[0], o)))
             for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    try:
        with torch.no_grad():
            z = torch.zeros(shape[0], 2, *shape[2:])
            net.eval()(torch.full(shape, 50.0), z, z[:, :1], torch.tensor([0.38]))
    finally:
        for h in hooks:
            h.remove()
    out = []
    for k, (m, _, o) in enumerate(calls):
        if isinstance(m, nn.Conv2d):
            nxt = calls[k + 1] if k + 1 < len(calls) else None
            bn = nxt[0] if nxt is not None and isinstance(nxt[0], nn.BatchNorm2d) and nxt[1] is o else None
            out.append((names[m], m, bn))
    return out


def recover(onnx_path: str | Path, bins: np.ndarray, cfg: ModelConfig | None = None) -> TintaNet:
    """A TintaNet (eval mode) whose colorizer outputs equal the ONNX file's; raises if the graph differs."""
    import onnx
    from onnx import numpy_helper

    cfg = cfg or ModelConfig()
    net = build_model(ModelConfig(**{**cfg.__dict__, "pretrained": False}), bins)
    if cfg.scene_head:  # the exported graph drops the unused scene classifier: keep the pretrained one
        load_pretrained(net.encoder)
    graph = onnx.load(str(onnx_path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:  # the exporter shares equal tensors (e.g. all-zero biases) through Identity nodes
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    convs = [n for n in graph.node if n.op_type == "Conv"]
    # The exporter drops the heads the engine never runs: a segmentation head starts untrained.
    order = [o for o in _call_order(net) if not o[0].startswith("seg")]
    if len(convs) != len(order):
        raise ValueError(f"{onnx_path}: {len(convs)} convolutions in the graph, {len(order)} in TintaNet")
    state = net.state_dict()
    for node, (name, conv, bn) in zip(convs, order):
        w = torch.from_numpy(inits[node.input[1]].copy())
        if tuple(w.shape) != tuple(conv.weight.shape):
            raise ValueError(f"{onnx_path}: {node.name} weight {tuple(w.shape)} does not fit {name} "
                             f"{tuple(conv.weight.shape)}")
        b = torch.from_numpy(inits[node.input[2]].copy()) if len(node.input) > 2 else None
        state[f"{name}.weight"] = w
        if conv.bias is not None:
            state[f"{name}.bias"] = b
        elif bn is not None:
            bname = next(n for n, m in net.named_modules() if m is bn)
            eps = bn.eps
            state[f"{bname}.weight"] = torch.ones_like(bn.weight)
            state[f"{bname}.bias"] = b if b is not None else torch.zeros_like(bn.bias)
            state[f"{bname}.running_mean"] = torch.zeros_like(bn.running_mean)
            state[f"{bname}.running_var"] = torch.full_like(bn.running_var, 1.0 - eps)
        elif b is not None and float(np.abs(b.numpy()).max()) > 0:
            raise ValueError(f"{onnx_path}: {node.name} has a bias but {name} has neither bias nor BatchNorm")
    for key, arr in inits.items():  # Linear layers (FiLM, context) keep their own names
        if key.startswith("net.") and key[4:] in state and "Conv" not in key:
            if tuple(arr.shape) == tuple(state[key[4:]].shape):
                state[key[4:]] = torch.from_numpy(arr.copy())
    net.load_state_dict(state, strict=True)
    return net.eval()


def freeze_batchnorm(net: nn.Module) -> None:
    """Keep every BatchNorm in eval mode (its running statistics fixed) even while the net trains."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def unfold_batchnorm(net: TintaNet, L: torch.Tensor) -> None:
    """Make the recovered net trainable with BatchNorm in training mode, computing the same function.

    `recover` leaves each BatchNorm bias-only (mean 0, var 1, scale 1) after a convolution that absorbed
    it. Training mode would standardise that convolution's output by the batch's statistics and lose
    the scale the fold put in it (the network colours at random until it relearns them). Here each such
    BatchNorm gets the mean m and variance v its input has on real photos `L` [N,1,H,W] as running
    statistics and sqrt(v + eps), m + bias as scale and shift: in eval mode it is still x + bias exactly,
    and in training mode it is x + bias up to how far a batch's statistics stray from m and v."""
    stats: dict[nn.BatchNorm2d, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(m, inputs, _out):
        x = inputs[0].detach().double()
        stats[m] = (x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False))

    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    hooks = [m.register_forward_hook(record) for m in bns]
    try:
        with torch.no_grad():
            z = torch.zeros(L.shape[0], 2, *L.shape[2:])
            net.eval()(L, z, z[:, :1], torch.tensor([0.38]))
    finally:
        for h in hooks:
            h.remove()
    with torch.no_grad():
        for m in bns:
            if m not in stats:  # a head the forward pass did not reach (segmentation): untrained anyway
                continue
            mean, var = stats[m]
            m.running_mean.copy_(mean.float())
            m.running_var.copy_(var.float())
            m.bias.add_(mean.float())
            m.weight.copy_(torch.sqrt(var + m.eps).float())


def onnx_parity(net: TintaNet, onnx_path: str | Path, shape=(1, 1, 96, 128), seed: int = 0) -> float:
    """Max |torch - onnxruntime| over ab and ab_reg on a random L with a few hints."""
    import onnxruntime as ort

    from trainer.export import ColorizerGraph

    rng = np.random.default_rng(seed)
    L = rng.uniform(0, 100, shape).astype(np.float32)
    hab = np.zeros((shape[0], 2, *shape[2:]), np.float32)
    hm = np.zeros((shape[0], 1, *shape[2:]), np.float32)
    hab[:, :, 10:13, 20:23], hm[:, :, 10:13, 20:23] = 30.0, 1.0
    t = np.array([0.38], np.float32)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ref = sess.run(["ab", "ab_reg"], {"L": L, "hint_ab": hab, "hint_mask": hm, "temperature": t})
    with torch.no_grad():
        got = ColorizerGraph(net.eval())(*(torch.from_numpy(a) for a in (L, hab, hm, t)))[:2]
    return float(max(np.abs(g.numpy() - r).max() for g, r in zip(got, ref)))


def main(argv=None) -> int:
    import dataclasses
    import json

    from engine.io.atomic import atomic_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("onnx")
    ap.add_argument("out")
    ap.add_argument("--unfold", nargs="+", metavar="SOURCE",
                    help="calibrate BatchNorm on 64 crops of these photos so it can train (unfold_batchnorm)")
    ap.add_argument("--half", action="store_true", help="store floating-point weights in fp16")
    a = ap.parse_args(argv)
    card = json.loads(Path(a.onnx).with_suffix(".json").read_text())
    bins = np.asarray(card["bins"], np.float32)
    net = recover(a.onnx, bins, config_from_card(card))
    diff = onnx_parity(net, a.onnx)
    print(f"parity with {a.onnx}: max |diff| {diff:.2e} ab units")
    if a.unfold:
        from trainer.data import ColorDataset

        ds = ColorDataset(a.unfold, crop=128, hint_prob=0.0, seed=0, train=True)
        pick = np.random.default_rng(0).choice(len(ds), min(64, len(ds)), replace=False)
        unfold_batchnorm(net, torch.stack([ds[int(i)]["L"] for i in pick]))
        diff = max(diff, onnx_parity(net, a.onnx))
        print(f"BatchNorm calibrated on {len(pick)} crops; parity {diff:.2e} ab units")
    state = {k: (v.half() if a.half and v.is_floating_point() else v) for k, v in net.state_dict().items()}
    with atomic_path(a.out) as tmp:
        torch.save({"model": state, "model_config": dataclasses.asdict(net.cfg),
                    "state": {"step": 0}, "config": {}, "from_onnx": str(a.onnx), "prior": card.get("prior")}, tmp)
    return 0 if diff < 1e-2 else 1


if __name__ == "__main__":
    sys.exit(main())
