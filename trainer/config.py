"""Training configuration: a dataclass with `--field value` command-line overrides, saved beside checkpoints."""
from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainConfig:
    data: list[str] = field(default_factory=lambda: ["../shared/data/train"])
    out: str = "runs/default"
    # data
    crop: int = 128              # a multiple of 32
    scale_min: float = 1.0
    scale_max: float = 1.6
    scale_fit: bool = False       # True: scale 1 brings the short side to the crop, down as well as up, so crops frame
                                  # a photo as the engine's working size does (trainer.data.base_factor)
    hint_prob: float = 0.5
    val_images: int = 256         # cap on the validation photos scored during training (the split is trainer/split.py)
    min_colourfulness: float = 0.0  # drop near-gray training photos (Hasler-Suesstrunk M below this; ~10 is near gray)
    in_memory: bool = False       # decode every photo once into RAM instead of per crop
    device_data: bool = False     # photos decoded once into the training device's memory; crops, Lab and
                                  # hints made there (trainer/gpu_data.py); not with seg_classes
    prior_images: int = 2000
    detail_jitter: float = 0.0    # >0: this share of crops shown to the network with its fine detail scaled by 1 + a,
                                  # a ~ U(detail_lo, detail_hi) (trainer/detail_jitter.py); targets unchanged
    detail_lo: float = -1.0
    detail_hi: float = 1.5
    # model
    reg_head: bool = True
    class_head: bool = True
    scene_head: bool = True
    seg_classes: int = 0
    seg_repeat: int = 1           # photos with a label map are drawn this many times per epoch, with or without
                                  # seg_classes (406 street frames among 29.5k photos: a batch of 16 is rarely labelled)
    group_balance: float = 0.0   # >0: each photo group drawn (largest group's count / its count) ** this times per
                                  # epoch (0.5: square-root balancing), so the small groups (193 BSDS scenes, ~320
                                  # cities and interiors) weigh more against 9k imagenette photos; 0: as they come
    latent_dim: int = 0
    stem_hints: bool = True       # False: hints enter at the skips only, so the encoder runs once per photo in the
                                  # engine (trainer/model.py); a run from a shipped .onnx takes its card's setting
    # loss weights
    w_reg: float = 1.0
    w_cls: float = 1.0
    w_scene: float = 0.1
    w_seg: float = 0.5
    w_kl: float = 0.02
    free_bits: float = 0.25
    kl_anneal_frac: float = 0.3
    rebalance_lambda: float = 0.5
    reg_rebalance: float = 0.0    # the regression loss weighted per pixel by the class rebalancing weight to this
                                  # power (0: unweighted, as every shipped model so far; 1: as the class loss)
    w_adv: float = 0.0            # >0: a patch critic judges the regression head's colours (trainer/adversarial.py)
    adv_start: int = 300          # steps the critic trains alone on the starting model's output (NoGAN's order)
    adv_ramp: int = 300           # then the generator's adversarial weight rises linearly over this many steps
    critic_lr: float = 2e-4
    critic_width: int = 32
    w_perc: float = 0.0           # >0: a perceptual loss on EfficientNet-Lite1 feature maps (trainer/perceptual.py)
    w_sem: float = 0.0            # >0: Lite1's pooled feature matched too (trainer/perceptual.py, pooled=True)
    w_colour: float = 0.0         # >0: each crop's colourfulness held at the truth's (losses.colour_loss)
    colour_gain: float = 1.0      # the regression gain the colour and cast terms see (the decoding's, e.g. 1.15)
    w_cast: float = 0.0           # >0: the batch's mean tint held at the truth's (losses.cast_loss)
    cast_per_crop: bool = False   # the cast term on each crop's own mean tint, not the batch's
    # optimisation
    batch: int = 32
    lr: float = 1e-3
    encoder_lr_mult: float = 0.3
    freeze_encoder: bool = False  # fine-tune: encoder and stem hints fixed, every BatchNorm in eval mode
    unfreeze_blocks: int = 0      # with freeze_encoder: the encoder's last N blocks and its head conv train too
                                  # (at stride 16-32 they are cheap on a CPU, and they hold the scene semantics)
    hints_only: bool = False      # train only the skips' hint fusions, every automatic colorization held exactly
                                  # as the start gives it (trainer/hint_tune.py); BatchNorm stays in eval mode
    weight_decay: float = 1e-4
    warmup: int = 200
    max_steps: int = 2000
    minutes: float = 0.0          # >0: train for this wall time; steps are set from the measured rate
    grad_clip: float = 1.0
    workers: int = 4
    seed: int = 0
    device: str = "auto"
    # bookkeeping
    log_every: int = 20
    profile_steps: int = 0        # >0: time this many steps by phase, then profile as many (trainer/step_profile.py)
    ckpt_every: int = 500
    resume: bool = True
    init_from: str = ""           # start from another run's weights (.pt), or a shipped colorizer (.onnx + card)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(dataclasses.asdict(self), indent=1))
        tmp.replace(path)


def _parse_bool(s: str) -> bool:
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"not a boolean: {s}")


def parse_config(argv: list[str] | None = None, base: TrainConfig | None = None) -> TrainConfig:
    """Every field is a flag: `--batch 64 --minutes 6 --data a.tar,b.tar --scene_head false`."""
    base = base or TrainConfig()
    ap = argparse.ArgumentParser(description="Train a Tinta colorization model.")
    for f in dataclasses.fields(TrainConfig):
        default = getattr(base, f.name)
        if isinstance(default, bool):
            kind = _parse_bool
        elif isinstance(default, list):
            kind = lambda s: [x for x in s.split(",") if x]  # noqa: E731
        else:
            kind = type(default)
        ap.add_argument(f"--{f.name}", type=kind, default=default)
    return TrainConfig(**vars(ap.parse_args(argv)))


FROZEN = ("encoder.", "stem_hints.")  # what --freeze_encoder keeps as the base model has it


def is_frozen(name: str, unfreeze_blocks: int, n_blocks: int) -> bool:
    """Whether weight `name` stays as the base model has it in a --freeze_encoder fine-tune that also trains the
    encoder's last `unfreeze_blocks` of its `n_blocks` blocks (and then its head conv)."""
    if not name.startswith(FROZEN):
        return False
    if unfreeze_blocks > 0 and name.startswith("encoder."):
        parts = name.split(".")
        if parts[1] in ("_conv_head", "_bn1"):
            return False
        if parts[1] == "_blocks" and int(parts[2]) >= n_blocks - unfreeze_blocks:
            return False
    return True
