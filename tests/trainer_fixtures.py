"""Test helpers for the trainer: a small random TintaNet that looks trained, exported to ONNX, and a photo shard."""
from __future__ import annotations

import io
import tarfile

import cv2
import numpy as np
import torch

from trainer import bins as B
from trainer.model import ModelConfig, build_model

TABLE = B.load_bins(B.default_bins_path())
SMALL = dict(pretrained=False, decoder_channels=(32, 24, 16, 8))


def small_net(batchnorm: bool = True, std: float = 0.02):
    """A small random TintaNet whose zero-initialised layers (FiLM, hint fusion) are made to matter and, with
    `batchnorm`, whose BatchNorm statistics are not the identity (as after training)."""
    torch.manual_seed(0)
    net = build_model(ModelConfig(**SMALL), TABLE)
    if batchnorm:
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
    for m in net.modules():
        if isinstance(m, torch.nn.Linear) or (isinstance(m, torch.nn.Conv2d) and not m.weight.abs().sum()):
            torch.nn.init.normal_(m.weight, std=std)
    return net.eval()


def write_shard(path, n: int = 24, labelled: int = 0) -> None:
    """n synthetic colour photos (a disc on a flat colour) in a tar shard; the first 3 are near-gray.
    The last `labelled` photos also get a label map (`<name>.seg.png`: disc 1, background 0)."""
    rng = np.random.default_rng(1)
    with tarfile.open(path, "w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        for i in range(n):
            img = np.zeros((72, 96, 3), np.uint8)
            img[:] = rng.integers(0, 255, 3)
            cv2.circle(img, (48, 36), 20, tuple(int(v) for v in rng.integers(0, 255, 3)), -1)
            if i < 3:
                img[:] = img[..., :1]
            add(f"synthetic/img{i:03d}.jpg", cv2.imencode(".jpg", img)[1].tobytes())
            if i >= n - labelled:
                seg = np.zeros((72, 96), np.uint8)
                cv2.circle(seg, (48, 36), 20, 1, -1)
                add(f"synthetic/img{i:03d}.seg.png", cv2.imencode(".png", seg)[1].tobytes())
