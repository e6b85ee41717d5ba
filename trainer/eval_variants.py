"""Score the variant sampler: diversity, best-of-N PSNR, hint fidelity, colourfulness and Frechet distance.

Used by `python -m trainer.evaluate --variants 8 [--spread S] [--update-card]`. Every number goes
through the engine's Colorizer like the app: the deterministic rows are the default model
(tinta-base) and the variant model at z = 0; the sample rows are N variants per photo.
"""
from __future__ import annotations

import json
import os
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.color import hex_to_lab
from trainer import metrics
from trainer.eval_photos import sample_hints

HINTS = 10  # hints per photo for the hint-fidelity check (the evaluate protocol's clicks)


@dataclass
class VariantReport:
    """Means over photos. diversity: mean pairwise per-pixel ab distance (CIE units, working grid);
    psnr_*: dB vs the true photo; hint_error_*: mean |ab - hint ab| at hinted pixels; frechet_samples:
    mean over sample index k of FD({sample k of each photo}, truth), comparable with the others."""

    model: str
    sampler: str
    samples: int
    spread: float
    size: int | None
    images: int
    diversity: float = 0.0
    psnr_base: float = 0.0
    psnr_z0: float = 0.0
    psnr_sample_mean: float = 0.0
    psnr_best_of_n: float = 0.0
    colourfulness_true: float = 0.0
    colourfulness_base: float = 0.0
    colourfulness_z0: float = 0.0
    colourfulness_samples: float = 0.0
    frechet_base: float = 0.0
    frechet_z0: float = 0.0
    frechet_samples: float = 0.0
    hint_error_base: float = 0.0
    hint_error_samples: float = 0.0
    hint_error_samples_max: float = 0.0
    seconds: float = 0.0
    notes: list = field(default_factory=list)
    # the same three on the second judge's features (Lite2, trainer/metrics.py), where its weights are installed
    frechet2_base: float | None = None
    frechet2_z0: float | None = None
    frechet2_samples: float | None = None

    def goals(self) -> dict[str, bool]:
        out = {"diversity >= 10": self.diversity >= 10,
               "best-of-N PSNR >= base + 1 dB": self.psnr_best_of_n >= self.psnr_base + 1.0,
               "samples' Frechet within 15% of base": self.frechet_samples <= 1.15 * self.frechet_base}
        if self.frechet2_samples is not None and self.frechet2_base is not None:
            out["samples' Frechet within 15% of base, second judge"] = \
                self.frechet2_samples <= 1.15 * self.frechet2_base
        return out

    def to_markdown(self) -> str:
        d = asdict(self)
        lines = [f"# Variants: {self.samples} samples of {self.sampler} (spread {self.spread:g}), "
                 f"{self.images} photos, size {self.size or 'card default'}", "",
                 "| measure | value |", "|---|---|"]
        lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |"
                  for k, v in d.items() if k not in ("notes",) and v is not None]
        lines += ["", "Goals: " + ", ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in self.goals().items())]
        return "\n".join(lines + [""] + [f"- {n}" for n in self.notes]) + "\n"


def pairwise_ab(ab: np.ndarray) -> float:
    """ab: N x 2 x h x w -> mean over pairs i < j of the per-pixel Euclidean ab distance."""
    n = len(ab)
    dists = [float(np.sqrt(((ab[i] - ab[j]) ** 2).sum(0)).mean()) for i in range(n) for j in range(i + 1, n)]
    return float(np.mean(dists)) if dists else 0.0


def hint_error(ab_work: np.ndarray, hints, full_shape) -> float:
    """Mean Euclidean ab error at each hint's centre on the working grid (2 x h x w), CIE units."""
    _, h, w = ab_work.shape
    H, W = full_shape[:2]
    errs = []
    for hint in hints:
        cx = min(w - 1, max(0, int((hint.x + 0.5) * w / W)))
        cy = min(h - 1, max(0, int((hint.y + 0.5) * h / H)))
        _, a, b = hex_to_lab(hint.color)
        errs.append(float(np.hypot(ab_work[0, cy, cx] - a, ab_work[1, cy, cx] - b)))
    return float(np.mean(errs)) if errs else 0.0


def evaluate_variants(photos, datasets: dict, n: int = 8, model: str | None = None, provider: str | None = None,
                      size: int | None = None, spread: float | None = None, log=None) -> VariantReport:
    """Score `n` variants per photo (trainer.eval_photos.Photo list) against the deterministic colorizations."""
    from engine.colorizer import Colorizer

    t0 = time.perf_counter()
    log = log or (lambda msg: None)
    col = Colorizer(model=model, provider=provider)
    sampler = col.variant_sampler()
    spread = sampler.spread if spread is None else float(spread)
    zero = np.zeros(sampler.latent_dim, np.float32)
    acc = {k: [] for k in ("div", "pb", "pz", "pm", "pbest", "ct", "cb", "cz", "cs", "hb", "hs", "hsmax")}
    views = {"truth": [], "base": [], "z0": [], "samples": [[] for _ in range(n)]}
    for k, p in enumerate(photos):
        log(f"[{k + 1}/{len(photos)}] {p.dataset}/{p.path.name}")
        key = f"{p.dataset}/{p.path.relative_to(datasets[p.dataset]).as_posix()}"
        seed = zlib.crc32(key.encode("utf-8"))
        base = col.colorize(p.gray, size=size)
        z0 = col.render_z(p.gray, zero, size=size).result
        vs = col.variants(p.gray, n, seed, size=size, spread=spread)
        ps = [metrics.psnr(np.asarray(v.result.rgb), p.rgb) for v in vs]
        acc["div"].append(pairwise_ab(np.stack([v.result.ab_work for v in vs])))
        acc["pb"].append(metrics.psnr(base.rgb, p.rgb))
        acc["pz"].append(metrics.psnr(z0.rgb, p.rgb))
        acc["pm"].append(float(np.mean(ps)))
        acc["pbest"].append(float(np.max(ps)))
        acc["ct"].append(metrics.colourfulness(p.rgb))
        acc["cb"].append(metrics.colourfulness(base.rgb))
        acc["cz"].append(metrics.colourfulness(z0.rgb))
        acc["cs"].append(float(np.mean([metrics.colourfulness(v.result.rgb) for v in vs])))
        views["truth"].append(metrics.probe_view(p.rgb))
        views["base"].append(metrics.probe_view(base.rgb))
        views["z0"].append(metrics.probe_view(z0.rgb))
        for i, v in enumerate(vs):
            views["samples"][i].append(metrics.probe_view(v.result.rgb))
        scale = max(base.work_shape) / max(p.rgb.shape[:2])
        hints = sample_hints(p.rgb, HINTS, key, scale)
        acc["hb"].append(hint_error(col.colorize(p.gray, hints=hints, size=size).ab_work, hints, p.rgb.shape))
        errs = [hint_error(v.result.ab_work, hints, p.rgb.shape)
                for v in col.variants(p.gray, n, seed, hints=hints, size=size, spread=spread)]
        acc["hs"].append(float(np.mean(errs)))
        acc["hsmax"].append(float(np.max(errs)))
    judges = {}
    for variant in metrics.LiteProbe.judges():
        log(f"EfficientNet-Lite{variant} features")
        probe = metrics.LiteProbe(variant)
        truth, _ = probe(views["truth"])
        judges[variant] = [metrics.frechet_distance(probe(im)[0], truth) for im in
                           [views["base"], views["z0"]] + views["samples"]]
    fd = judges[0]
    fd2 = judges.get(2, [None] * (2 + n))
    m = {k: float(np.mean(v)) for k, v in acc.items()}
    return VariantReport(
        model=col.card.name, sampler=sampler.card.name, samples=n, spread=spread, size=size, images=len(photos),
        diversity=m["div"], psnr_base=m["pb"], psnr_z0=m["pz"], psnr_sample_mean=m["pm"],
        psnr_best_of_n=m["pbest"], colourfulness_true=m["ct"], colourfulness_base=m["cb"],
        colourfulness_z0=m["cz"], colourfulness_samples=m["cs"], frechet_base=fd[0],
        frechet_z0=fd[1], frechet_samples=float(np.mean(fd[2:])), frechet2_base=fd2[0], frechet2_z0=fd2[1],
        frechet2_samples=None if fd2[0] is None else float(np.mean(fd2[2:])),
        hint_error_base=m["hb"], hint_error_samples=m["hs"], hint_error_samples_max=m["hsmax"],
        seconds=time.perf_counter() - t0,
        notes=["Diversity and hint error are measured on the working-grid ab (CIE a*, b*) of each result.",
               f"Samples draw z ~ N(0, {spread:g}^2 I); seeds are fixed per photo (CRC32 of its path).",
               f"Hint error: {HINTS} simulated clicks per photo (evaluate's protocol), error at each click's "
               "centre, averaged over clicks; _max is the worst sample's mean per photo, averaged over photos.",
               "Frechet distances use the same photos and the same count (one output per photo) in every row."])


def write(report: VariantReport, out: str | Path) -> list[Path]:
    """variants.json and variants.md in `out`, written atomically."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("variants.json", json.dumps({**asdict(report), "goals": report.goals()}, indent=1)),
                       ("variants.md", report.to_markdown())):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
        paths.append(out / name)
    return paths


def update_card(card_path: Path, report: VariantReport) -> None:
    """Record the report under the variant card's metrics["variants"] (keeping other metrics), atomically."""
    card = json.loads(Path(card_path).read_text(encoding="utf-8"))
    entry = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(report).items() if k != "notes"}
    entry["goals_met"] = report.goals()
    card.setdefault("metrics", {})[f"variants_spread_{report.spread:g}"] = entry
    tmp = Path(card_path).with_name(Path(card_path).name + ".tmp")
    tmp.write_text(json.dumps(card, indent=1), encoding="utf-8")
    os.replace(tmp, card_path)
