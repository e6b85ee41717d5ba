"""Train a Tinta colorization model (optionally a conditional VAE) on tar shards or photo folders.

One process (CPU, or CUDA with bf16 autocast and channels_last):
    python -m trainer.train --data ../shared/data/train --out runs/base --batch 64 --max_steps 20000
DDP on N processes (NCCL on GPUs, gloo on CPU):
    torchrun --nproc_per_node N -m trainer.train --data ../shared/data/train --out runs/base
A fixed wall-time budget instead of a step count (steps are set from the measured rate):
    python -m trainer.train --minutes 6 ...
Fine-tune the shipped model on a CPU, as tinta-base 1.2 was made (trainer/recipes/cpu_finetune.sh):
    python -m trainer.train --init_from resources/models/tinta-base.onnx --freeze_encoder true \
        --unfreeze_blocks 5 --scene_head false --in_memory true --min_colourfulness 10 --workers 0 \
        --batch 16 --lr 5e-5 --warmup 200 --seg_repeat 4 --minutes 40 --out runs/cpu_ft
Teach the shipped model to follow hints, its colours without hints held exactly (trainer/recipes/cpu_hints.sh):
    python -m trainer.train --init_from resources/models/tinta-base.onnx --hints_only true --hint_prob 1 \
        --scene_head false --in_memory true --min_colourfulness 10 --workers 0 --batch 16 --lr 3e-4 --minutes 50
Variant sampler (conditional VAE) from a trained deterministic model:
    python -m trainer.train --latent_dim 16 --init_from runs/base/last.pt --out runs/vae
Every flag is a TrainConfig field (trainer/config.py); the config is saved as OUT/config.json,
checkpoints as OUT/last.pt (atomic), the log as OUT/log.jsonl and the curve as OUT/loss.png.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import random
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import DataLoader, Sampler

from trainer import losses
from trainer.bins import default_bins_path, load_bins, nearest_bin, rebalance_weights, smoothed_prior
from trainer.config import TrainConfig, is_frozen, parse_config
from trainer.data import ColorDataset, worker_init, worker_context
from trainer.detail_jitter import jitter_detail
from trainer.lite0 import EfficientNetLite0, load_pretrained, normalize
from trainer.model import ModelConfig, TintaNet, build_model
from trainer.step_profile import StepProfiler


class ResumableSampler(Sampler[int]):
    """A seeded permutation per epoch, sharded over ranks, that can start mid-epoch (exact resume)."""

    def __init__(self, indices: np.ndarray, batch: int, rank: int, world: int, seed: int):
        self.indices, self.batch, self.rank, self.world, self.seed = indices, batch, rank, world, seed
        self.epoch, self.start_batch = 0, 0

    def batches_per_epoch(self) -> int:
        return len(self.indices) // (self.batch * self.world)

    def __iter__(self):
        perm = np.random.default_rng([self.seed, self.epoch]).permutation(self.indices)
        n = self.batches_per_epoch() * self.batch
        mine = perm[self.rank * n:(self.rank + 1) * n]
        return iter(mine[self.start_batch * self.batch:].tolist())

    def __len__(self) -> int:
        return (self.batches_per_epoch() - self.start_batch) * self.batch


def _setup_distributed() -> tuple[int, int, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if torch.cuda.is_available():
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def _split(names: np.ndarray, val: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices: the named split of trainer/split.py (whole groups of crops and
    frames on one side), validation capped at `val` photos spread over it; sources whose photos carry
    no group (loose files) fall back to a seeded random tenth."""
    from trainer.split import validation_mask

    n = len(names)
    if all("/" in str(x) and not str(x).startswith("/") for x in names[: min(n, 50)]):
        mask = validation_mask(names)
        tr, va = np.flatnonzero(~mask), np.flatnonzero(mask)
        if len(va) > val:
            va = va[np.linspace(0, len(va) - 1, val).astype(int)] if val > 0 else va[:0]
        return tr, va
    perm = np.random.default_rng(seed + 12345).permutation(n)
    val = min(val, n // 10)
    return np.sort(perm[val:]), np.sort(perm[:val])


def usable_photos(idx: np.ndarray, colourfulness: np.ndarray, min_colourfulness: float):
    """(kept indices, near-gray count, unreadable count): photos below `min_colourfulness` and those the
    decoder could not read (NaN; already warned about) are left out, so device-made batches never crop the
    blank stand-in an unreadable photo has in the bank."""
    c = colourfulness[idx]
    unreadable = ~np.isfinite(c)
    gray = c < min_colourfulness
    return idx[~unreadable & ~gray], int(gray.sum()), int(unreadable.sum())


def compute_prior(ds: ColorDataset, idx: np.ndarray, bins: torch.Tensor, n_images: int, device,
                  workers: int) -> np.ndarray:
    """Empirical ab-bin frequencies over the ab of `n_images` crops (at stride 4, like the class head)."""
    sub = torch.utils.data.Subset(ds, idx[np.linspace(0, len(idx) - 1, min(n_images, len(idx))).astype(int)])
    counts = torch.zeros(len(bins), dtype=torch.float64, device=device)
    loader = DataLoader(sub, batch_size=64, num_workers=workers, worker_init_fn=worker_init if workers else None,
                        multiprocessing_context=worker_context() if workers else None)
    for b in loader:
        ab = F.avg_pool2d(b["ab"].to(device), 4)
        counts += torch.bincount(nearest_bin(ab, bins.to(device)).flatten(), minlength=len(bins)).double()
    return counts.cpu().numpy()


# A run with a wall-time budget (--minutes) sets its step count from the rate it measures. Set once from steps 10-40,
# two CPU arms side by side stopped at 38 of their 50 minutes (2026-12-03): their first 50 steps ran at 5.9 crops/s,
# the whole run at 7.6. So from step 40 the count is set again every RETARGET_EVERY steps from the rate since step 40
# (checkpoints included, as they will be to the end) while the run is in the first RETARGET_UNTIL of its steps;
# after that the cosine schedule's tail stays as it is. Decided on steps alone, so every rank agrees.
RETARGET_EVERY = 100
RETARGET_UNTIL = 0.5


def retarget_due(step: int, mark_step: int, total_steps: int) -> bool:
    """Whether a budgeted run sets its step count at `step`, measuring its rate from `mark_step` (step 10 until step
    40 has set it first, then step 40, or the first step a resumed run took)."""
    if step == 40 and mark_step < 40:
        return True
    since = step - mark_step
    return since >= RETARGET_EVERY and since % RETARGET_EVERY == 0 and step <= RETARGET_UNTIL * total_steps


def retargeted_total(step: int, mark: tuple[int, float], now: float, wall: float, budget_s: float) -> int:
    """The steps that fit the budget at the rate since `mark` (step, time), with 3% kept for the last checkpoint."""
    rate = (step - mark[0]) / max(1e-9, now - mark[1])
    return step + max(1, int(rate * (budget_s - wall) * 0.97))


def lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t))


def save_atomic(obj, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def init_weights_from(model: TintaNet, path: str) -> None:
    """Copy matching weights; FiLM layers that gained latent inputs keep the old columns, new ones start at 0."""
    src = torch.load(path, map_location="cpu", weights_only=True)["model"]
    own = model.state_dict()
    for k, v in src.items():
        if k not in own:
            continue
        if own[k].shape == v.shape:
            own[k] = v
        elif own[k].dim() == 2 and own[k].shape[0] == v.shape[0] and own[k].shape[1] > v.shape[1]:
            own[k] = torch.zeros_like(own[k])
            own[k][:, :v.shape[1]] = v
        else:
            raise RuntimeError(f"{path}: weight {k} {tuple(v.shape)} cannot initialise {tuple(own[k].shape)}")
    model.load_state_dict(own, strict=True)


def balance_groups(idx: np.ndarray, names: np.ndarray, power: float) -> np.ndarray:
    """`idx` with each photo group's photos repeated round((largest group / group) ** power) times (at least once)."""
    from trainer.split import group_of
    groups = np.array([group_of(str(names[i])) for i in idx])
    kinds, counts = np.unique(groups, return_counts=True)
    most = counts.max()
    parts = [idx]
    for g, c in zip(kinds, counts):
        times = max(1, int(round((most / c) ** power)))
        parts += [idx[groups == g]] * (times - 1)
    return np.concatenate(parts)


def start_reads_hints(init_from: str) -> bool:
    """Whether the model a run starts from feeds hints to its stem (ModelConfig.stem_hints): a shipped .onnx's card,
    a delta's base card, a checkpoint's model config; True for ImageNet weights (nothing to go by)."""
    def card(onnx_path: str) -> bool:
        return json.loads(Path(onnx_path).with_suffix(".json").read_text()).get("stem_hints", True)
    if not init_from:
        return True
    if init_from.endswith(".onnx"):
        return card(init_from)
    base = delta_base(init_from)
    if base is not None:
        return card(base)
    return torch.load(init_from, map_location="cpu", weights_only=True).get("model_config", {}).get("stem_hints", True)


def delta_base(path: str) -> str | None:
    """The base ONNX model a delta checkpoint (trainer/slim.py) was trained on, checked by SHA-256; None when
    `path` is an ordinary checkpoint."""
    import hashlib

    ck = torch.load(path, map_location="cpu", weights_only=True)
    if "base" not in ck:
        return None
    base = Path(ck["base"])
    if not base.is_file() or hashlib.sha256(base.read_bytes()).hexdigest() != ck["base_sha256"]:
        raise RuntimeError(f"{path}: its base model {base} is missing or is not the one it was trained on")
    return str(base)


def plot_curve(log_path: Path, png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = [json.loads(x) for x in log_path.read_text().splitlines() if x.strip()]
    train = [r for r in rows if r.get("kind") == "train"]
    val = [r for r in rows if r.get("kind") == "val"]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    for key in ("loss", "cls", "reg", "scene", "kl"):
        pts = [(r["step"], r[key]) for r in train if key in r]
        if pts:
            ax[0].plot(*zip(*pts), label=key)
    ax[0].set_xlabel("step"); ax[0].set_yscale("log"); ax[0].set_title("training losses")
    if train:
        ax[0].legend()
    if val:
        ax[1].plot([r["step"] for r in val], [r["ab_rmse"] for r in val], "o-", label="annealed mean")
        if any("ab_reg_rmse" in r for r in val):
            reg = [r for r in val if "ab_reg_rmse" in r]
            ax[1].plot([r["step"] for r in reg], [r["ab_reg_rmse"] for r in reg], "s-", label="regression head")
            ax[1].legend()
        ax[1].set_xlabel("step"); ax[1].set_title("validation ab RMSE")
    fig.tight_layout()
    tmp = png.with_name(png.name + ".tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, png)


class Trainer:
    def __init__(self, cfg: TrainConfig):
        if cfg.crop % 32:
            raise SystemExit(f"--crop {cfg.crop}: must be a multiple of 32 (the network's coarsest stride)")
        self.cfg = cfg
        self._t0 = time.time()
        self._stop = False  # set by SIGTERM (e.g. `timeout`): save at once and end
        self._opt_state = None  # set by _load when resuming; applied once the optimizer exists
        self._critic_state = None  # likewise for the adversarial stage's critic (trainer/adversarial.py)
        self.rank, self.world, self.device = _setup_distributed()
        self.cuda = self.device.type == "cuda"
        self.out = Path(cfg.out)
        if self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
            cfg.save(self.out / "config.json")
        torch.manual_seed(cfg.seed + self.rank)
        random.seed(cfg.seed)
        bins = torch.as_tensor(load_bins(default_bins_path()))
        self.ds = ColorDataset(cfg.data, crop=cfg.crop, scale=(cfg.scale_min, cfg.scale_max),
                               hint_prob=cfg.hint_prob, seed=cfg.seed, train=True, with_seg=cfg.seg_classes > 0,
                               fit=cfg.scale_fit)
        self.val_ds = ColorDataset(cfg.data, crop=cfg.crop, hint_prob=0.0, seed=cfg.seed, train=False)
        self.train_idx, self.val_idx = _split(self.ds.index.names, cfg.val_images, cfg.seed)
        # Photos held in memory: the prior and validation read them in this process. Loader workers start by
        # forkserver, which would pickle every decoded photo to each of them (16-29 s per validation on the H200).
        self.in_memory = in_memory = cfg.in_memory or cfg.device_data
        if in_memory or cfg.min_colourfulness > 0:
            col = self.ds.cache(log=self._say) if in_memory else self.ds.cache(self.train_idx, log=self._say)
            if in_memory:
                self.val_ds.share_cache(self.ds)
            kept, gray, unreadable = usable_photos(self.train_idx, col, cfg.min_colourfulness)
            self._say(f"{len(self.train_idx)} training photos, {gray} near-gray dropped "
                      f"(colourfulness < {cfg.min_colourfulness:g}), {unreadable} unreadable; "
                      f"{len(self.val_idx)} for validation")
            self.train_idx = kept
        ckpt = self.out / "last.pt"
        # ImageNet weights only when nothing else sets the encoder: a machine without the Lite0 package then
        # needs no copy of them to resume or to start from another model.
        # A model whose stem reads no hints stays so (its stem fusion never learned from them, and the engine runs
        # its encoder once per photo); any start can be made so with --stem_hints false.
        stem_hints = cfg.stem_hints and start_reads_hints(cfg.init_from)
        mcfg = ModelConfig(num_bins=len(bins), reg_head=cfg.reg_head, class_head=cfg.class_head,
                           scene_head=cfg.scene_head, seg_classes=cfg.seg_classes, latent_dim=cfg.latent_dim,
                           stem_hints=stem_hints, pretrained=not (cfg.init_from or (cfg.resume and ckpt.exists())))
        self.model = build_model(mcfg, bins).to(self.device)
        self.state = {"step": 0, "epoch": 0, "batch_in_epoch": 0, "total_steps": cfg.max_steps,
                      "wall": 0.0, "prior": None}
        if cfg.resume and ckpt.exists():
            self._load(ckpt)
        else:
            if cfg.init_from.endswith(".onnx"):
                self._init_from_onnx(cfg.init_from, bins)
            elif cfg.init_from:
                base = delta_base(cfg.init_from)
                if base is not None:  # a committed delta (trainer/slim.py): its base model first
                    self._init_from_onnx(base, bins)
                    self.state["delta_totals"] = torch.load(cfg.init_from, map_location="cpu",
                                                            weights_only=True)["delta_totals"]
                init_weights_from(self.model, cfg.init_from)
            self.state["prior"] = self._prior(bins).tolist()
        if cfg.freeze_encoder:
            blocks = len(self.model.encoder._blocks)
            for n, p in self.model.named_parameters():
                p.requires_grad_(not is_frozen(n, cfg.unfreeze_blocks, blocks))
        self.anchor = None
        if cfg.hints_only:
            from trainer.hint_tune import NoHintAnchor, trainable
            if self.model.cfg.stem_hints:
                raise SystemExit("--hints_only: the start's stem reads hints, so its answer to no hints cannot be "
                                 "held by the skips alone (use a model with stem_hints false, tinta-base 1.7 on)")
            for n, p in self.model.named_parameters():
                p.requires_grad_(trainable(n))
            self.anchor = NoHintAnchor(self.model)
        prior = np.asarray(self.state["prior"], np.float32)
        self.class_w = torch.as_tensor(rebalance_weights(prior, cfg.rebalance_lambda), device=self.device)
        self.perceptual = None
        if cfg.w_perc > 0 or cfg.w_sem > 0:
            from trainer.perceptual import PerceptualLoss
            self.perceptual = PerceptualLoss(pooled=cfg.w_sem > 0).to(self.device)
        self.teacher = None
        if cfg.scene_head:
            self.teacher = load_pretrained(EfficientNetLite0()).to(self.device).eval().requires_grad_(False)
        if self.cuda:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net = self.model
        if self.world > 1:
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.cuda else None,
                find_unused_parameters=not cfg.scene_head)
        enc = [p for n, p in self.model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
        rest = [p for n, p in self.model.named_parameters() if not n.startswith("encoder.") and p.requires_grad]
        self.opt = torch.optim.AdamW([{"params": enc, "lr": cfg.lr * cfg.encoder_lr_mult},
                                      {"params": rest, "lr": cfg.lr}], weight_decay=cfg.weight_decay)
        for g in self.opt.param_groups:
            g["base_lr"] = g["lr"]
        if self._opt_state is not None:
            self.opt.load_state_dict(self._opt_state)
        self.critic = self.critic_net = None
        if cfg.w_adv > 0:
            from trainer.adversarial import PatchCritic
            self.critic = PatchCritic(cfg.critic_width).to(self.device)
            self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr, betas=(0.5, 0.999))
            if self._critic_state is not None:
                self.critic.load_state_dict(self._critic_state["model"])
                self.critic_opt.load_state_dict(self._critic_state["opt"])
            self.critic_net = self.critic
            if self.world > 1:
                self.critic_net = torch.nn.parallel.DistributedDataParallel(
                    self.critic, device_ids=[self.device.index] if self.cuda else None)
        if cfg.group_balance > 0:  # after the prior, which should see each photo once
            self.train_idx = balance_groups(self.train_idx, self.ds.index.names, cfg.group_balance)
            self._say(f"photo groups balanced (power {cfg.group_balance:g}): {len(self.train_idx)} draws per epoch")
        if cfg.seg_repeat > 1:
            labelled = self.train_idx[self.ds.index.seg_file_id[self.train_idx] >= 0]
            self.train_idx = np.concatenate([self.train_idx] + [labelled] * (cfg.seg_repeat - 1))
            self._say(f"{len(labelled)} labelled photos drawn {cfg.seg_repeat}x per epoch")
        self.sampler = ResumableSampler(self.train_idx, cfg.batch, self.rank, self.world, cfg.seed)
        workers = 0 if cfg.device_data else cfg.workers
        self.loader = DataLoader(self.ds, batch_size=cfg.batch, sampler=self.sampler, num_workers=workers,
                                 multiprocessing_context=worker_context() if workers else None,
                                 drop_last=True, pin_memory=self.cuda, worker_init_fn=worker_init if workers else None,
                                 prefetch_factor=4 if workers else None, persistent_workers=bool(workers))
        self.log = (self.out / "log.jsonl").open("a") if self.rank == 0 else None
        self.bank = None
        if cfg.device_data:
            from trainer.gpu_data import PhotoBank
            blank = np.zeros((8, 8, 3), np.uint8)  # an unreadable photo keeps its index, never drawn (above)
            photos = [self.ds.cached_rgb(i) if self.ds.cached_rgb(i) is not None else blank for i in range(len(self.ds))]
            labels = None
            if cfg.seg_classes:  # photos without a label map get 'unlabelled' everywhere, which the loss ignores
                labels = [self.ds.cached_seg(i) if self.ds.cached_rgb(i) is not None else None
                          for i in range(len(self.ds))]
            self.bank = PhotoBank(photos, self.device, labels=labels)
            self._say(f"{len(photos)} photos resident on {self.device} ({self.bank.bank.numel() / 2**30:.1f} GiB)")

    def _batches(self):
        """One epoch of batches: from the DataLoader, or made on the device from the photo bank."""
        if self.bank is None:
            yield from self.loader
            return
        cfg = self.cfg
        gen = torch.Generator(device=self.device).manual_seed(cfg.seed * 100003 + self.state["epoch"] * 7919
                                                               + self.state["batch_in_epoch"] + self.rank)
        idx = list(self.sampler)
        for k in range(0, len(idx) - cfg.batch + 1, cfg.batch):
            i = torch.as_tensor(idx[k:k + cfg.batch], device=self.device)
            yield self.bank.batch(i, cfg.crop, (cfg.scale_min, cfg.scale_max), cfg.hint_prob, gen=gen,
                                  fit=cfg.scale_fit)

    def _say(self, msg: str) -> None:
        if self.rank == 0:
            print(f"trainer: {msg}", file=sys.stderr, flush=True)

    def _init_from_onnx(self, path: str, bins: torch.Tensor) -> None:
        """Start from a shipped colorizer: its weights recovered from the ONNX file (trainer/from_onnx.py)."""
        from trainer.from_onnx import onnx_parity, recover

        # recovered as its graph computes (so parity holds), then trained as this run's config says
        net = recover(path, bins.numpy(), dataclasses.replace(self.model.cfg, pretrained=False,
                                                              stem_hints=start_reads_hints(path)))
        diff = onnx_parity(net, path)
        if diff > 1e-2:
            raise RuntimeError(f"{path}: recovered weights differ from the ONNX model by {diff:.3g} ab")
        if not self._frozen_bn():  # BatchNorm will train: give it statistics (from_onnx.unfold_batchnorm)
            from trainer.from_onnx import unfold_batchnorm

            pick = self.train_idx[np.linspace(0, len(self.train_idx) - 1, min(64, len(self.train_idx))).astype(int)]
            unfold_batchnorm(net, torch.stack([self.val_ds[int(i)]["L"] for i in pick]))
        self.model.load_state_dict(net.state_dict(), strict=True)
        self.model.to(self.device)
        self._say(f"initialised from {path} (parity {diff:.1e} ab)")

    def _frozen_bn(self) -> bool:
        return self.cfg.freeze_encoder or self.cfg.hints_only

    def _train_mode(self) -> None:
        self.model.train()
        if self._frozen_bn():
            from trainer.from_onnx import freeze_batchnorm
            freeze_batchnorm(self.model)

    # -- state ------------------------------------------------------------------------------
    def _prior(self, bins: torch.Tensor) -> np.ndarray:
        counts = compute_prior(self.ds, self.train_idx, bins, self.cfg.prior_images // self.world + 1,
                               self.device, 0 if self.in_memory else self.cfg.workers)
        if self.world > 1:
            t = torch.as_tensor(counts, device=self.device)
            dist.all_reduce(t)
            counts = t.cpu().numpy()
        return smoothed_prior(counts, bins.numpy())

    def _load(self, path: Path) -> None:
        ck = torch.load(path, map_location="cpu", weights_only=True)
        saved = ck["config"]
        for key in ("reg_head", "class_head", "scene_head", "seg_classes", "latent_dim", "seed", "batch"):
            if saved[key] != getattr(self.cfg, key):
                raise RuntimeError(f"{path}: cannot resume, {key} was {saved[key]!r}, now {getattr(self.cfg, key)!r}")
        self.model.load_state_dict(ck["model"], strict=True)
        self._opt_state = ck["opt"]
        self._critic_state = ck.get("critic")
        self.state = ck["state"]
        torch.set_rng_state(ck["rng"][self.rank] if self.rank < len(ck["rng"]) else ck["rng"][0])

    def _save(self) -> None:
        if self.rank != 0:
            return
        ck = {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "state": self.state,
              "config": dataclasses.asdict(self.cfg), "model_config": dataclasses.asdict(self.model.cfg),
              "rng": [torch.get_rng_state()], "hardware": hardware()}
        if self.critic is not None:
            ck["critic"] = {"model": self.critic.state_dict(), "opt": self.critic_opt.state_dict()}
        save_atomic(ck, self.out / "last.pt")

    # -- steps ------------------------------------------------------------------------------
    def _losses(self, b: dict[str, torch.Tensor], step: int) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict]:
        cfg = self.cfg
        L, ab = b["L"], b["ab"]
        temp = torch.tensor([0.38], device=self.device)
        # Only the network's input is made crisper or softer; the losses put its chroma on the photo's own L.
        L_in = jitter_detail(L, cfg.detail_jitter, cfg.detail_lo, cfg.detail_hi)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
            out = self.net(L_in, b["hint_ab"], b["hint_mask"], temp, ab_true=ab if cfg.latent_dim else None)
        terms: dict[str, torch.Tensor] = {}
        if cfg.class_head:
            terms["cls"] = cfg.w_cls * losses.class_loss(out["logits"], ab, self.model.bins, self.class_w)
        if cfg.reg_head or not cfg.class_head:
            weights = (losses.rarity_weights(ab, self.model.bins, self.class_w, cfg.reg_rebalance)
                       if cfg.reg_rebalance else None)
            terms["reg"] = cfg.w_reg * losses.regression_loss(out["ab_reg"], ab, weights)
        if cfg.scene_head:
            with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
                t_logits = self.teacher(normalize(b["rgb"]))
            terms["scene"] = cfg.w_scene * losses.scene_loss(out["scene"], losses.teacher_targets(t_logits))
        if cfg.seg_classes:
            terms["seg"] = cfg.w_seg * losses.seg_loss(out["seg"], b["seg"])
        if self.perceptual is not None:
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
                perc, sem = self.perceptual.terms(L, out["ab_reg"], b["rgb"])
            if cfg.w_perc > 0:
                terms["perc"] = cfg.w_perc * perc.float()
            if cfg.w_sem > 0:
                terms["sem"] = cfg.w_sem * sem.float()
        if cfg.w_colour > 0:
            terms["colour"] = cfg.w_colour * losses.colour_loss(L, out["ab_reg"], b["rgb"], cfg.colour_gain)
        if cfg.w_cast > 0:
            terms["cast"] = cfg.w_cast * losses.cast_loss(out["ab_reg"], ab, cfg.colour_gain, cfg.cast_per_crop)
        if self.critic is not None:
            from trainer.adversarial import adv_weight, generator_loss
            w = adv_weight(step, cfg.adv_start, cfg.adv_ramp, cfg.w_adv)
            if w > 0:
                self.critic.requires_grad_(False)  # the generator's step moves only the generator
                with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
                    terms["adv"] = w * generator_loss(self.critic_net(L, out["ab_reg"]).float())
                self.critic.requires_grad_(True)
        stats = {}
        if cfg.latent_dim:
            kl, raw = losses.kl_loss(out["mu"], out["logvar"], cfg.free_bits)
            anneal = min(1.0, step / max(1, cfg.kl_anneal_frac * self.state["total_steps"]))
            terms["kl"] = cfg.w_kl * anneal * kl
            stats["kl_nats"] = raw.detach()
        total = sum(terms.values())
        # Tensors, read only when logged: reading one each step waits for the GPU, so the next step's kernels
        # cannot be queued while this one runs.
        stats.update({k: v.detach() for k, v in terms.items()})
        stats["loss"] = total.detach()
        return total, stats, out

    def _critic_step(self, L: torch.Tensor, ab: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """One critic update on real (L, ab) against the generator's regression colours of the same crops."""
        from trainer.adversarial import critic_loss

        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
            real_s = self.critic_net(L, ab).float()
            fake_s = self.critic_net(L, fake.detach()).float()
        loss = critic_loss(real_s, fake_s)
        self.critic_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.critic_opt.step()
        return {"critic": loss.detach(), "real_score": real_s.detach().mean(), "fake_score": fake_s.detach().mean()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        self.model.eval()
        sub = torch.utils.data.Subset(self.val_ds, self.val_idx)
        se, se_reg, n = 0.0, 0.0, 0
        workers = 0 if self.in_memory else min(2, self.cfg.workers)
        for b in DataLoader(sub, batch_size=64, num_workers=workers,
                            multiprocessing_context=worker_context() if workers else None):
            L, ab = b["L"].to(self.device), b["ab"].to(self.device)
            z = torch.zeros_like(b["hint_ab"]).to(self.device)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cuda):
                out = self.model(L, z, z[:, :1], torch.tensor([0.38], device=self.device))
            se += float(((out["ab"].float() - ab) ** 2).mean(1).sum())
            se_reg += float(((out["ab_reg"].float() - ab) ** 2).mean(1).sum())
            n += ab.shape[0] * ab.shape[2] * ab.shape[3]
        self._train_mode()
        # Both heads: a card may decode either (tinta-base decodes the regression head), and they move apart: a
        # CPU fine-tune left the annealed mean's error level (11.86 vs 11.66) while the regression head's fell.
        return {"ab_rmse": math.sqrt(se / max(n, 1)), "ab_reg_rmse": math.sqrt(se_reg / max(n, 1))}

    def _on_sigterm(self, *_) -> None:
        self._stop = True

    def fit(self) -> None:
        self._train_mode()
        self._say(f"ready to train after {time.time() - self._t0:.0f} s of start-up")
        main = threading.current_thread() is threading.main_thread()
        # `timeout` sends SIGTERM: keep the steps done so far (a device call's limit cut a run without it)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm) if main else None
        try:
            self._fit()
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)

    def _fit(self) -> None:
        cfg, st = self.cfg, self.state
        t_start = time.time() - st["wall"]
        rate_mark = None
        bar = None
        prof = StepProfiler(cfg.profile_steps if self.rank == 0 else 0, self.device, self.out, st["step"], self._say)
        if self.rank == 0:
            from tqdm import tqdm
            bar = tqdm(total=st["total_steps"], initial=st["step"], desc="train", dynamic_ncols=True,
                       disable=not sys.stderr.isatty() and os.environ.get("TINTA_PROGRESS") != "1")
        while st["step"] < st["total_steps"]:
            self.sampler.epoch, self.sampler.start_batch = st["epoch"], st["batch_in_epoch"]
            self.ds.set_epoch(st["epoch"])
            seen, t_rate = 0, time.time()
            t_fetch = time.perf_counter()
            for b in self._batches():
                b = {k: v.to(self.device, non_blocking=True) for k, v in b.items()}
                seen += len(b["L"])
                if self.cuda:
                    b = {k: (v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v)
                         for k, v in b.items()}
                prof.start_step(st["step"], t_fetch)
                f = lr_factor(st["step"], st["total_steps"], min(cfg.warmup, st["total_steps"] // 5 + 1))
                for g in self.opt.param_groups:
                    g["lr"] = g["base_lr"] * f
                loss, stats, out = self._losses(b, st["step"])
                prof.mark("forward")
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                gn = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                prof.mark("backward")
                self.opt.step()
                if self.anchor is not None:
                    stats["anchor_moved"] = self.anchor.restore()
                if self.critic is not None:
                    stats.update(self._critic_step(b["L"], b["ab"], out["ab_reg"]))
                prof.mark("optimizer")  # the adversarial stage's critic step included
                st["step"] += 1
                st["batch_in_epoch"] += 1
                st["wall"] = time.time() - t_start
                if cfg.minutes > 0:
                    rate_mark = self._retarget(rate_mark)
                if bar is not None:
                    bar.total = st["total_steps"]
                    bar.update(1)
                if st["step"] % cfg.log_every == 0:
                    stats = {k: float(v) for k, v in stats.items()}
                    if bar is not None:
                        bar.set_postfix(loss=f"{stats['loss']:.3f}")
                if self.log and st["step"] % cfg.log_every == 0:
                    rate = seen * self.world / max(1e-9, time.time() - t_rate)
                    seen, t_rate = 0, time.time()
                    self._write({"kind": "train", "step": st["step"], "wall": round(st["wall"], 1),
                                 "crops_per_s": round(rate, 1),
                                 "lr": self.opt.param_groups[1]["lr"], "grad_norm": float(gn), **stats})
                if self._stop:
                    self._say(f"stopped by SIGTERM at step {st['step']}; saving without validation")
                    self._save()
                    if bar is not None:
                        bar.close()
                    return
                if st["step"] % cfg.ckpt_every == 0 or st["step"] >= st["total_steps"]:
                    self._checkpoint()
                if st["step"] >= st["total_steps"]:
                    break
                t_fetch = time.perf_counter()
            else:
                st["epoch"] += 1
                st["batch_in_epoch"] = 0
        if bar is not None:
            bar.close()

    def _retarget(self, mark):
        """With a wall-time budget, set total steps from the rate: first over steps 10-40, then every
        RETARGET_EVERY steps from the rate since step 40 while the run is in its first RETARGET_UNTIL (retarget_due)."""
        st = self.state
        if mark is None:  # a new run marks step 10; a resumed one the first step it takes
            return (st["step"], time.time()) if st["step"] >= 10 else None
        if not retarget_due(st["step"], mark[0], st["total_steps"]):
            return mark
        now = time.time()
        total = torch.tensor([retargeted_total(st["step"], mark, now, st["wall"], self.cfg.minutes * 60)],
                             device=self.device)
        if self.world > 1:
            dist.broadcast(total, 0)
        st["total_steps"] = int(total)
        return (st["step"], now) if mark[0] < 40 <= st["step"] else mark  # steps 10-40 were the slow start

    def _checkpoint(self) -> None:
        if self.rank == 0:
            v = self.validate()
            self._write({"kind": "val", "step": self.state["step"], **v})
            self._save()
            plot_curve(self.out / "log.jsonl", self.out / "loss.png")
        if self.world > 1:
            dist.barrier()

    def _write(self, row: dict) -> None:
        self.log.write(json.dumps(row) + "\n")
        self.log.flush()


def hardware() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} x{max(1, int(os.environ.get('WORLD_SIZE', '1')))}"
    cpu = platform.processor() or platform.machine()
    return f"CPU {cpu} ({os.cpu_count()} CPUs, {torch.get_num_threads()} threads used)"


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    t = Trainer(cfg)
    t.fit()
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
