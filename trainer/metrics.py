"""Image-quality metrics for colorization: PSNR, SSIM, colourfulness, cast, Frechet feature distance, Lite probes."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import scipy.linalg
from skimage.metrics import structural_similarity

from engine.color import srgb_to_lab

# PSNR of identical images is infinite; capping keeps means over a data set finite and comparable.
PSNR_CAP = 100.0
PROBE_SIDE = 224  # the classifier's training resolution


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"expected two HxWx3 images of one shape, got {a.shape} and {b.shape}")


def psnr(output: np.ndarray, truth: np.ndarray) -> float:
    """PSNR in dB of two HxWx3 uint8 RGB images (peak 255), capped at PSNR_CAP."""
    _check_pair(output, truth)
    mse = float(np.mean((output.astype(np.float64) - truth.astype(np.float64)) ** 2))
    if mse == 0.0:
        return PSNR_CAP
    return float(min(PSNR_CAP, 10.0 * np.log10(255.0 ** 2 / mse)))


def ssim(output: np.ndarray, truth: np.ndarray) -> float:
    """Mean SSIM of two HxWx3 uint8 RGB images (scikit-image, per channel, data_range 255)."""
    _check_pair(output, truth)
    return float(structural_similarity(output, truth, channel_axis=2, data_range=255))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk 2003 colourfulness M of an HxWx3 RGB image in 8-bit units (0 for gray).

    rg = R - G, yb = (R + G) / 2 - B;  M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 * sqrt(mean_rg^2 + mean_yb^2).
    """
    p = rgb.reshape(-1, 3).astype(np.float64)
    rg = p[:, 0] - p[:, 1]
    yb = 0.5 * (p[:, 0] + p[:, 1]) - p[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def mean_ab(rgb: np.ndarray) -> tuple[float, float]:
    """Mean CIE a* and b* of an HxWx3 8-bit RGB image (from a 64 x 64 area-averaged copy: a mean needs no more)."""
    lab = srgb_to_lab(cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA))
    return float(lab[..., 1].mean()), float(lab[..., 2].mean())


def cast(ab: Sequence[tuple[float, float]], ab_true: Sequence[tuple[float, float]]) -> float:
    """A set's systematic cast: the ab distance between the outputs' mean a*/b* over the set and the true photos'
    (issue 10's goal: within 3). Per-photo means in, one number out; a hue error that varies photo to photo cancels."""
    a, t = np.asarray(ab, np.float64).reshape(-1, 2), np.asarray(ab_true, np.float64).reshape(-1, 2)
    if a.shape != t.shape or not len(a):
        raise ValueError(f"cast needs paired, non-empty per-photo means, got {a.shape} and {t.shape}")
    return float(np.hypot(*(a.mean(0) - t.mean(0))))


def row_cast(row: dict) -> float:
    """`cast` of a study row that holds the set's means already (mean_a, mean_b and their *_true)."""
    return cast([(row["mean_a"], row["mean_b"])], [(row["mean_a_true"], row["mean_b_true"])])


def frechet_distance(feats_a: np.ndarray, feats_b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (NxD and MxD, float).

    d = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 sqrtm(S_a S_b)), the FID formula (Heusel et al. 2017).
    With fewer samples than dimensions (about 120 photos vs 1280 features) the covariances are
    rank-deficient: the formula is still well defined and is computed as is, but the value is
    biased by the sample count, so compare it only between methods scored on the same photos.
    """
    a = np.asarray(feats_a, np.float64)
    b = np.asarray(feats_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"need two NxD feature sets with N >= 2, got {a.shape} and {b.shape}")
    mu = a.mean(0) - b.mean(0)
    ac, bc = a - a.mean(0), b - b.mean(0)
    na, nb = len(a) - 1, len(b) - 1
    tr_a, tr_b = np.sum(ac * ac) / na, np.sum(bc * bc) / nb
    return float(max(0.0, mu @ mu + tr_a + tr_b - 2.0 * trace_sqrt_product(ac, bc)))


def trace_sqrt_product(ac: np.ndarray, bc: np.ndarray) -> float:
    """Tr sqrtm(S_a S_b) for the sample covariances of centred NxD / MxD features.

    S_a S_b = Ac^T Ac Bc^T Bc / (na nb) has the non-zero eigenvalues of M M^T with M = Ac Bc^T /
    sqrt(na nb), so the trace of its root is M's nuclear norm. When N, M < D that NxM problem is
    exact, faster (ms instead of ~5 s for D = 1280) and free of sqrtm's trouble with singular
    matrices; otherwise scipy.linalg.sqrtm on the DxD product, as in pytorch-fid.
    """
    na, nb = len(ac) - 1, len(bc) - 1
    d = ac.shape[1]
    if min(len(ac), len(bc)) < d:
        return float(np.linalg.svd(ac @ bc.T, compute_uv=False).sum() / np.sqrt(na * nb))
    sa, sb = ac.T @ ac / na, bc.T @ bc / nb
    covmean = scipy.linalg.sqrtm(sa @ sb)
    if not np.isfinite(covmean).all():
        ridge = np.eye(d) * 1e-6  # as in pytorch-fid: a tiny ridge makes the root computable
        covmean = scipy.linalg.sqrtm((sa + ridge) @ (sb + ridge))
    # Round-off leaves tiny imaginary parts (the exact eigenvalues are real and >= 0).
    return float(np.real(np.trace(covmean)))


def probe_view(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> the 224x224x3 uint8 view LiteProbe scores (squashed, area-averaged)."""
    return cv2.resize(rgb, (PROBE_SIDE, PROBE_SIDE), interpolation=cv2.INTER_AREA)


class LiteProbe:
    """An ImageNet EfficientNet-Lite as a feature extractor and classifier for output-vs-truth checks.

    Variant 0 (Lite0) is the judge every choice is made by. Variant 2 (Lite2: wider, deeper, trained apart) is a
    second judge no model of ours trains on (the encoder starts from Lite0, the perceptual loss uses Lite1), so a
    gain that shows on Lite0's features alone is a gain at the judge, not in the photos. Both see the same view.
    """

    def __init__(self, variant: int = 0, batch: int = 32):
        import torch

        from trainer.lite0 import LITE_STAGES, EfficientNetLite0, load_pretrained, weights_path

        self._torch = torch
        self.batch = batch
        self.variant = variant
        self.net = load_pretrained(EfficientNetLite0(stages=LITE_STAGES[variant]), weights_path(variant)).eval()

    @staticmethod
    def judges() -> tuple[int, ...]:
        """The variants to score on: Lite0, and Lite2 where its weights are installed."""
        return (0, 2) if LiteProbe.available(2) else (0,)

    @staticmethod
    def available(variant: int) -> bool:
        """Whether the variant's weights are installed (or carried): the second judge is in the train extra."""
        from trainer.lite0 import weights_path
        try:
            return bool(weights_path(variant))
        except RuntimeError:
            return False

    def __call__(self, images: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """images: HxWx3 uint8 RGB of any size (squashed to 224x224, both sides alike).

        Returns (pooled features Nx1280 float64, top-1 ImageNet class N int64).
        """
        from trainer.lite0 import normalize

        torch = self._torch
        feats, top1 = [], []
        for i in range(0, len(images), self.batch):
            chunk = [im if im.shape[:2] == (PROBE_SIDE, PROBE_SIDE) else probe_view(im)
                     for im in images[i:i + self.batch]]
            x = torch.from_numpy(np.stack(chunk)).permute(0, 3, 1, 2).float() / 255.0
            with torch.inference_mode():
                pooled, logits = self.net.head(self.net.features(normalize(x))[-1])
            feats.append(pooled.double().numpy())
            top1.append(logits.argmax(1).numpy())
        if not feats:
            return np.zeros((0, 1280)), np.zeros(0, np.int64)
        return np.concatenate(feats), np.concatenate(top1).astype(np.int64)
