"""How well a checkpoint's segmentation head labels the validation split's street frames (pixel accuracy, mIoU).

    python -m trainer.seg_check runs/seg/seg/last.pt [--data ../shared/data/train] [--crop 128]

The frames are the labelled photos that trainer/split.py holds out; each is scored on its centre crop (short
side scaled to --crop, as training sees them) against its label map at full crop resolution (255 = unlabelled,
ignored). The majority-class line is what a head that learned nothing would score on accuracy.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from trainer.data import IGNORE  # an unlabelled pixel


@dataclass
class SegScore:
    frames: int
    pixel_accuracy: float
    mean_iou: float
    majority_accuracy: float   # every pixel given the most common class of these frames


def confusion(pred: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """classes x classes counts (rows: truth, columns: prediction) over pixels whose label is not IGNORE."""
    keep = labels != IGNORE
    return np.bincount(labels[keep].astype(np.int64) * classes + pred[keep].astype(np.int64),
                       minlength=classes * classes).reshape(classes, classes)


def score(conf: np.ndarray, frames: int) -> SegScore:
    """Accuracy, mean IoU over the classes present in the truth, and the majority-class accuracy."""
    total = conf.sum()
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    present = conf.sum(1) > 0
    return SegScore(frames, float(inter.sum() / max(total, 1)), float((inter[present] / union[present]).mean()),
                    float(conf.sum(1).max() / max(total, 1)))


def check(net, ds, indices, classes: int) -> SegScore:
    conf = np.zeros((classes, classes), np.int64)
    net.eval()
    with torch.no_grad():
        for i in indices:
            item = ds[int(i)]
            L = item["L"][None]
            z = torch.zeros(1, 2, *L.shape[-2:])
            out = net(L, z, z[:, :1], torch.tensor([0.38]))  # no hints; the temperature does not touch seg
            logits = F.interpolate(out["seg"].float(), size=L.shape[-2:], mode="bilinear", align_corners=False)
            conf += confusion(logits.argmax(1)[0].numpy(), item["seg"].numpy(), classes)
    return score(conf, len(indices))


def main(argv=None) -> int:
    from trainer.data import ColorDataset
    from trainer.export import load_checkpoint
    from trainer.split import validation_mask

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default="../shared/data/train")
    ap.add_argument("--crop", type=int, default=128)
    a = ap.parse_args(argv)
    net, _ = load_checkpoint(a.checkpoint)
    classes = net.cfg.seg_classes
    if not classes:
        print(f"{a.checkpoint}: this model has no segmentation head", file=sys.stderr)
        return 2
    ds = ColorDataset([a.data], crop=a.crop, hint_prob=0.0, train=False, with_seg=True)
    labelled = ds.index.seg_file_id >= 0
    idx = np.flatnonzero(validation_mask(ds.index.names) & labelled)
    s = check(net, ds, idx, classes)
    print(f"{s.frames} held-out labelled frames, {a.crop}-px centre crops: pixel accuracy {s.pixel_accuracy:.3f}, "
          f"mIoU {s.mean_iou:.3f} (every pixel the majority class: accuracy {s.majority_accuracy:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
