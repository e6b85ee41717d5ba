"""Train and export the light variant sampler (trainer/variant_head.py) on a 2-core CPU in under an hour.

    python -m trainer.variant_train cache --out runs/vhead --photos 16000     # frozen default model, once
    python -m trainer.variant_train train --out runs/vhead --minutes 26 --max_steps 4000 --reg_gain 1.25  # v3
    python -m trainer.variant_train export runs/vhead/last.pt --name tinta-vae --out resources/models

`cache` runs the shipped default model (weights recovered from its ONNX file, trainer/from_onnx.py) once over
one random crop of each training photo (the training side of trainer/split.py; near-gray photos, colourfulness
below 10, dropped; 30% of crops with simulated hints, as the first sampler was trained) and keeps what the head
needs in fp16: feat8, ctx, the regression chroma and the true chroma at stride 2. The base is frozen, so the
head trains on the cache alone, thousands of crops a second. The config is a dataclass saved beside the
atomic checkpoints; a run resumes from OUT/last.pt.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.io.atomic import atomic_path
from engine.models import file_sha256
from trainer.losses import kl_loss, regression_loss
from trainer.variant_head import VariantModel, base_outputs, compose

ROOT = Path(__file__).resolve().parents[1]
TRAIN_ROOT = ROOT.parent / "shared/data/train"
BASE = ROOT / "resources/models/tinta-base.onnx"
MIN_COLOURFULNESS = 10.0


@dataclass
class VariantConfig:
    out: str = "runs/vhead"
    base: str = str(BASE)
    latent_dim: int = 16
    width: int = 96
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    minutes: float = 20.0
    max_steps: int = 20000
    w_kl: float = 0.02
    free_bits: float = 0.25
    kl_anneal_steps: int = 1000
    val_fraction: float = 0.05
    log_every: int = 100
    seed: int = 0
    # variant(z) = reg_gain * the base's regression chroma + the head's offset; 0 takes the base card's decoding
    # gain. Version 2 used 1.1's x1.25; 1.6's card says x2 with a chroma knee the sampler does not apply.
    reg_gain: float = 0.0


def load_base(path: str | Path):
    """(frozen TintaNet recovered from the default model's ONNX file, its card as a dict)."""
    from trainer.from_onnx import config_from_card, recover

    card = json.loads(Path(path).with_suffix(".json").read_text())
    net = recover(path, np.asarray(card["bins"], np.float32), config_from_card(card))
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval(), card


def training_indices(ds, rng: np.random.Generator, n: int) -> np.ndarray:
    """Up to n photo indices from the training side of the split, in random order."""
    from trainer.split import validation_mask

    keep = np.flatnonzero(~validation_mask(ds.index.names))
    return rng.permutation(keep)[:n]


def build_cache(out: Path, photos: int, base: str | Path = BASE, root: Path = TRAIN_ROOT, crop: int = 128,
                batch: int = 32, seed: int = 0) -> Path:
    """Write OUT/cache.pt: fp16 feat8 [M,128,c/8,c/8], ctx [M,128], ab_reg and ab (true) [M,2,c/2,c/2]."""
    from trainer.data import ColorDataset
    from trainer.metrics import colourfulness

    net, _ = load_base(base)
    ds = ColorDataset([root], crop=crop, scale=(1.0, 1.4), hint_prob=0.3, gray_threshold=0.0, seed=seed)
    idx = training_indices(ds, np.random.default_rng(seed), photos)
    keys = ("feat8", "ctx", "ab_reg", "ab")
    got: dict[str, list[torch.Tensor]] = {k: [] for k in keys}
    t0, kept, dropped = time.time(), 0, 0
    items = []

    def flush():
        b = {k: torch.stack([it[k] for it in items]) for k in ("L", "ab", "hint_ab", "hint_mask")}
        with torch.no_grad():
            ab_reg, feat8, ctx = base_outputs(net, b["L"], b["hint_ab"], b["hint_mask"])
        got["feat8"].append(feat8.half())
        got["ctx"].append(ctx.half())
        got["ab_reg"].append(F.avg_pool2d(ab_reg, 2).half())
        got["ab"].append(F.avg_pool2d(b["ab"], 2).half())
        items.clear()

    for k, i in enumerate(idx):
        it = ds[int(i)]
        rgb8 = (it["rgb"].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        if colourfulness(rgb8) < MIN_COLOURFULNESS:
            dropped += 1
            continue
        items.append(it)
        kept += 1
        if len(items) == batch:
            flush()
        if k % 1000 == 0:
            print(f"cache: {k}/{len(idx)} photos, {kept} kept, {dropped} near-gray dropped, "
                  f"{time.time() - t0:.0f} s", flush=True)
    if items:
        flush()
    cache = {k: torch.cat(v) for k, v in got.items()}
    cache["meta"] = {"base": Path(base).name, "base_sha256": file_sha256(Path(base)), "crop": crop, "photos": kept,
                     "near_gray_dropped": dropped, "seed": seed, "data": os.path.relpath(root, ROOT),
                     "seconds": round(time.time() - t0, 1)}
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "cache.pt") as tmp:
        torch.save(cache, tmp)
    print(f"cache: {kept} crops in {time.time() - t0:.0f} s -> {out / 'cache.pt'}")
    return out / "cache.pt"


def losses(model: VariantModel, b: dict, reg_gain: float, cfg: VariantConfig, kl_weight: float):
    """(total, terms) for a cache batch: Huber on the composed chroma at stride 2, plus the KL with free bits."""
    feat8, ctx = b["feat8"].float(), b["ctx"].float()
    ab, ab_reg = b["ab"].float(), b["ab_reg"].float()
    mu, logvar = model.posterior(ab - reg_gain * ab_reg, feat8)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
    pred = compose(ab_reg, model.head(feat8, ctx, z), reg_gain)
    rec = regression_loss(pred, ab)
    kl, kl_raw = kl_loss(mu, logvar, cfg.free_bits)
    return rec + kl_weight * kl, {"rec": float(rec.detach()), "kl": float(kl_raw.detach()),
                                  "rmse": float(((pred.detach() - ab) ** 2).mean().sqrt())}


@torch.no_grad()
def validate(model: VariantModel, val: dict, reg_gain: float) -> dict[str, float]:
    """Chroma RMSE at stride 2: the default alone, the head at z = 0, and with the posterior's mean z."""
    model.eval()
    ab, ab_reg, feat8, ctx = val["ab"].float(), val["ab_reg"].float(), val["feat8"].float(), val["ctx"].float()
    mu, _ = model.posterior(ab - reg_gain * ab_reg, feat8)
    rmse = lambda p: float(((p - ab) ** 2).mean().sqrt())  # noqa: E731
    out = {"val_default": rmse(reg_gain * ab_reg),
           "val_z0": rmse(compose(ab_reg, model.head(feat8, ctx, torch.zeros_like(mu)), reg_gain)),
           "val_posterior": rmse(compose(ab_reg, model.head(feat8, ctx, mu), reg_gain))}
    model.train()
    return out


def split_cache(cache: dict, fraction: float, seed: int) -> tuple[dict, dict]:
    n = len(cache["ab"])
    perm = torch.from_numpy(np.random.default_rng(seed).permutation(n))
    nv = max(1, int(n * fraction))
    pick = lambda ix: {k: v[ix] for k, v in cache.items() if torch.is_tensor(v)}  # noqa: E731
    return pick(perm[nv:]), pick(perm[:nv])


def train(cfg: VariantConfig) -> Path:
    """Train on OUT/cache.pt for cfg.minutes (or max_steps); resumes from OUT/last.pt. Returns last.pt.

    The learning rate falls on a cosine over max_steps, so set max_steps to what the minutes allow (the shipped
    sampler, version 3: 4,000 steps of 64 in 25 minutes on 2 cores)."""
    out = Path(cfg.out)
    cache = torch.load(out / "cache.pt", weights_only=False)
    # The exported sampler runs cfg.base's encoder under this head: a head fitted to another base's features
    # would be exported beside the wrong network without a word (2.2's first head nearly was).
    built_on = cache.get("meta", {}).get("base_sha256")
    if built_on is not None and built_on != file_sha256(Path(cfg.base)):
        raise ValueError(f"{out / 'cache.pt'} was built on {cache['meta'].get('base')} (sha256 {built_on[:12]}), "
                         f"not on {cfg.base}: pass that file as --base")
    card = json.loads(Path(cfg.base).with_suffix(".json").read_text())
    gain = float(cfg.reg_gain or card.get("decoding", {}).get("reg_gain", 1.0))
    tr, val = split_cache(cache, cfg.val_fraction, cfg.seed)
    torch.manual_seed(cfg.seed)
    feat_channels = int(tr["feat8"].shape[1])
    model = VariantModel(cfg.latent_dim, cfg.width, feat_channels)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    step, wall = 0, 0.0
    last = out / "last.pt"
    if last.exists():
        ck = torch.load(last, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, wall = int(ck["step"]), float(ck.get("wall_s", 0.0))
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=1))
    gen = torch.Generator().manual_seed(cfg.seed + step)
    t0 = time.time()
    with (out / "log.jsonl").open("a") as log:
        step = _train_steps(model, opt, tr, val, gain, cfg, step, gen, t0, log)
    with atomic_path(last) as tmp:
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "config": dataclasses.asdict(cfg), "reg_gain": gain, "feat_channels": feat_channels,
                    "cache_meta": cache.get("meta", {}), "val": validate(model, val, gain),
                    "wall_s": round(wall + time.time() - t0, 1), "hardware": f"CPU, {os.cpu_count()} cores"}, tmp)
    return last


def _train_steps(model, opt, tr: dict, val: dict, gain: float, cfg: VariantConfig, step: int, gen, t0: float,
                 log) -> int:
    """Steps until cfg.max_steps or cfg.minutes since t0; logs a row every cfg.log_every. Returns the step."""
    n = len(tr["ab"])
    while step < cfg.max_steps and time.time() - t0 < cfg.minutes * 60:
        ix = torch.randint(0, n, (cfg.batch,), generator=gen)
        b = {k: v[ix] for k, v in tr.items()}
        if torch.rand(1, generator=gen).item() < 0.5:  # flips: the cache holds one orientation
            b = {k: (v.flip(-1) if v.dim() == 4 else v) for k, v in b.items()}
        lr = cfg.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, step / cfg.max_steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        total, terms = losses(model, b, gain, cfg, cfg.w_kl * min(1.0, step / max(1, cfg.kl_anneal_steps)))
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % cfg.log_every == 0:
            row = {"step": step, "lr": lr, "s": round(time.time() - t0, 1), **terms, **validate(model, val, gain)}
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(json.dumps(row), flush=True)
    return step


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.variant_train", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cache")
    c.add_argument("--out", default="runs/vhead")
    c.add_argument("--photos", type=int, default=16000)
    c.add_argument("--base", default=str(BASE))
    c.add_argument("--data", default=str(TRAIN_ROOT))
    t = sub.add_parser("train")
    for f in dataclasses.fields(VariantConfig):
        t.add_argument(f"--{f.name}", type=type(f.default), default=f.default)
    e = sub.add_parser("export")
    e.add_argument("checkpoint")
    e.add_argument("--name", default="tinta-vae")
    e.add_argument("--out", default="resources/models")
    e.add_argument("--spread", type=float, default=1.0)
    e.add_argument("--version", default="2")
    a = ap.parse_args(argv)
    if a.cmd == "cache":
        build_cache(Path(a.out), a.photos, a.base, Path(a.data))
    elif a.cmd == "train":
        try:
            train(VariantConfig(**{f.name: getattr(a, f.name) for f in dataclasses.fields(VariantConfig)}))
        except (OSError, ValueError) as e:
            print(f"variant_train: {e}", file=sys.stderr)
            return 2
    else:
        from trainer.variant_export import export_sampler
        card = export_sampler(Path(a.checkpoint), Path(a.out), a.name, a.spread, a.version)
        print(json.dumps(card.get("parity_max_abs_diff")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
