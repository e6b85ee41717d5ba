"""Evaluate the exported ONNX colorizer on colour photos: metrics table, hint sweep vs Levin 2004, plot.

    python -m trainer.evaluate [FOLDERS...] [--model NAME] [--size N] [--limit N] [--hints 0,1,2,...]
                               [--vividness 0.5,2] [--out runs/eval] [--no-levin] [--quick]
    python -m trainer.evaluate --variants 8 [--spread S] [--update-card] ...   (trainer/eval_variants.py)

Each photo is reduced to its L* and shown to the model as an 8-bit gray photo, through the same
engine.colorizer.Colorizer code path as the app; outputs are scored against the true photo.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from engine.errors import TintaError
from engine.hints import Hint
from trainer import metrics
# Photo, find_photos, default_folders and photo_from_rgb are also imported from here (decoding_study, tests).
from trainer.eval_photos import (DEFAULT_ROOT, MAX_SIDE, EvalError, Photo, default_folders, find_photos,  # noqa: F401
                                 photo_from_rgb, sample_hints)
from trainer.eval_report import ALL, EvalReport, Row, SweepPoint, write_report
from trainer.levin import LONG_SIDE as LEVIN_SIDE, levin_colorize

DEFAULT_HINTS = (0, 1, 2, 5, 10, 20, 50, 100)
QUICK_HINTS = (0, 2, 10, 50)
QUICK_LIMIT = 4


def levin_psnrs(photo: Photo, hint_sets: list[list[Hint]], work_scale: float, side: int) -> list[float]:
    """PSNR of Levin et al. from each hint set (a worker task: one photo, all hint counts)."""
    out = []
    for hints in hint_sets:
        rgb = levin_colorize(photo.L, hints, long_side=side, hint_scale=work_scale)
        out.append(metrics.psnr(rgb, photo.rgb))
    return out


class _Scores:
    """Per-photo metrics of one method, plus the small copies the Lite0 probe needs (so full-size
    outputs are never kept)."""

    def __init__(self):
        self.psnr, self.ssim, self.colourfulness, self.ab, self.views = [], [], [], [], []

    def add(self, output: np.ndarray, truth: np.ndarray) -> None:
        self.psnr.append(metrics.psnr(output, truth))
        self.ssim.append(metrics.ssim(output, truth))
        self.colourfulness.append(metrics.colourfulness(output))
        self.ab.append(metrics.mean_ab(output))
        self.views.append(metrics.probe_view(output))


def _rows(method: str, photos: list[Photo], sc: _Scores, truth: _Scores, probe, true_probe,
          second=None, true_second=None) -> list[Row]:
    feats, top1 = probe(sc.views)
    true_feats, true_top1 = true_probe
    feats2 = None if second is None else second(sc.views)[0]
    rows = []
    for ds in list(dict.fromkeys(p.dataset for p in photos)) + [ALL]:
        idx = np.array([i for i, p in enumerate(photos) if ds in (ALL, p.dataset)])
        rows.append(Row(
            dataset=ds, method=method, images=len(idx), psnr=float(np.mean(np.take(sc.psnr, idx))),
            ssim=float(np.mean(np.take(sc.ssim, idx))),
            colourfulness=float(np.mean(np.take(sc.colourfulness, idx))),
            colourfulness_true=float(np.mean(np.take(truth.colourfulness, idx))),
            frechet=metrics.frechet_distance(feats[idx], true_feats[idx]) if len(idx) >= 2 else None,
            top1=float(np.mean(top1[idx] == true_top1[idx])),
            cast=metrics.cast([sc.ab[i] for i in idx], [truth.ab[i] for i in idx]),
            frechet2=metrics.frechet_distance(feats2[idx], true_second[idx])
            if feats2 is not None and len(idx) >= 2 else None))
    return rows


def evaluate(folders=None, model: str | None = None, provider: str | None = None, size: int | None = None,
             limit: int | None = None, hints=DEFAULT_HINTS, vividness=(), levin: bool = True,
             levin_side: int = LEVIN_SIDE, workers: int | None = None, log=None) -> EvalReport:
    """Score the colorizer (and the gray and Levin baselines) on the photos under `folders`.

    folders: paths (default: every folder in DEFAULT_ROOT), one dataset each; model/provider as for
    engine.colorizer.Colorizer; size: working long side (None: the card's); limit: photos per folder;
    hints: hint counts of the sweep (0 is always included; only 0 means no sweep); vividness: extra
    values scored as their own rows; workers: processes for Levin (None: CPU count).
    """
    from engine.colorizer import Colorizer

    t0 = time.perf_counter()
    log = log or (lambda msg: None)
    counts = sorted({int(n) for n in hints} | {0})
    if counts[0] < 0:
        raise EvalError(f"hint counts must be >= 0, got {counts[0]}")
    nonzero = counts[1:]
    colorizer = Colorizer(model=model, provider=provider)  # first: a missing model fails fast
    datasets, photos = find_photos(folders if folders else default_folders(), limit)
    vivid = [1.0] + list(dict.fromkeys(float(v) for v in vividness if float(v) != 1.0))
    label = {v: "model" if v == 1.0 else f"model (vividness {v:g})" for v in vivid}
    scores = {m: _Scores() for m in ["model", "gray"] + [label[v] for v in vivid[1:]]}
    truth = _Scores()
    scales, hint_sets = [], []
    sweep = {(m, n): [] for m in ("model", "model, network only") for n in nonzero}
    hint_err: dict[int, list[float]] = {n: [] for n in nonzero}
    model_time = 0.0
    for k, p in enumerate(photos):
        log(f"[{k + 1}/{len(photos)}] {p.dataset}/{p.path.name}")
        truth.add(p.rgb, p.rgb)
        scores["gray"].add(np.repeat(p.gray[..., None], 3, axis=2), p.rgb)
        for v in vivid:
            t = time.perf_counter()
            res = colorizer.colorize(p.gray, size=size, vividness=v)
            if v == 1.0:
                model_time += time.perf_counter() - t
                scales.append(max(res.work_shape) / max(p.rgb.shape[:2]))
            scores[label[v]].add(np.asarray(res.rgb), p.rgb)
        key = f"{p.dataset}/{p.path.relative_to(datasets[p.dataset]).as_posix()}"
        hint_sets.append([sample_hints(p.rgb, n, key, scales[-1]) for n in nonzero])
        for n, hs in zip(nonzero, hint_sets[-1]):
            job = colorizer.prepare(p.gray, hints=hs, size=size)
            pred = colorizer.predict(job.L_pad[None, None], job.hint_ab, job.hint_mask, job.temperature)
            prob = None if pred.prob is None else pred.prob[0]
            res = colorizer.finish(job, pred.ab[0], prob)
            sweep[("model", n)].append(metrics.psnr(np.asarray(res.rgb), p.rgb))
            # The network alone, before engine/propagate.py pins the hinted pixels to their colours.
            m = job.hint_mask[0, 0] > 0
            hint_err[n].append(float(np.hypot(*(pred.ab[0] - job.hint_ab[0])[:, m]).mean()))
            raw = colorizer.finish(dataclasses.replace(job, hint_ab=None, hint_mask=None), pred.ab[0], prob)
            sweep[("model, network only", n)].append(metrics.psnr(np.asarray(raw.rgb), p.rgb))
    if nonzero:
        sweep[("model", 0)] = sweep[("model, network only", 0)] = scores["model"].psnr
    if levin and nonzero:
        log(f"Levin et al. 2004 on {len(photos)} photos x {len(nonzero)} hint counts")
        workers = workers or min(os.cpu_count() or 1, len(photos))
        args = (photos, hint_sets, scales, [levin_side] * len(photos))
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                results = list(pool.map(levin_psnrs, *args))
        else:
            results = list(map(levin_psnrs, *args))
        sweep[("Levin 2004", 0)] = scores["gray"].psnr  # no hints: Levin's output is the gray image
        for j, n in enumerate(nonzero):
            sweep[("Levin 2004", n)] = [r[j] for r in results]

    log("EfficientNet-Lite0 features")
    probe = metrics.LiteProbe()
    # The second judge, which no model of ours trains on (trainer/metrics.py), where its weights are installed.
    second = metrics.LiteProbe(2) if 2 in metrics.LiteProbe.judges() else None
    report = EvalReport(model=colorizer.card.name, provider=str(colorizer.provider), size=size,
                        datasets=datasets)
    true_probe = probe(truth.views)
    true_second = None if second is None else second(truth.views)[0]
    for method, sc in scores.items():
        report.rows += _rows(method, photos, sc, truth, probe, true_probe, second, true_second)
    order = list(datasets) + [ALL]
    report.rows.sort(key=lambda r: order.index(r.dataset))  # stable: methods keep their order
    report.sweep = _sweep_points(sweep, photos)
    report.hint_error = {n: float(np.mean(v)) for n, v in hint_err.items()}
    report.model_seconds = model_time / len(photos)
    report.seconds = time.perf_counter() - t0
    report.notes = NOTES + [f"Levin et al. solved at long side {levin_side}; its chroma is brought to full "
                            "size by the app's own guided-filter renderer."]
    if any(p.downscaled for p in photos):
        report.notes.append(f"Photos longer than {MAX_SIDE} px were downscaled to {MAX_SIDE} px before scoring.")
    return report


def _sweep_points(sweep: dict, photos: list[Photo]) -> list[SweepPoint]:
    points = []
    for (method, n), vals in sorted(sweep.items(), key=lambda kv: (kv[0][0] != "model", kv[0][1])):
        vals = np.asarray(vals)
        for ds in list(dict.fromkeys(p.dataset for p in photos)) + [ALL]:
            sel = [i for i, p in enumerate(photos) if ds in (ALL, p.dataset)]
            points.append(SweepPoint(method, ds, n, len(sel), float(vals[sel].mean())))
    return points


NOTES = [
    "Inputs are each photo's CIE L* rendered as an 8-bit gray image; outputs are compared with the "
    "true photo in 8-bit RGB (PSNR capped at 100 dB, SSIM from scikit-image over RGB).",
    "Colourfulness is Hasler & Suesstrunk's M (2003); 'true' is the same measure on the photos.",
    "Frechet distance: EfficientNet-Lite0 (ImageNet) pooled 1280-d features, images squashed to "
    "224x224; with fewer photos than dimensions the covariances are rank-deficient, so the value is "
    "only comparable between rows of the same run. Top-1: share of photos whose predicted ImageNet "
    "class on the output equals that on the true photo. Frechet (Lite2): the same on EfficientNet-Lite2's "
    "features, a second judge no model here trains on (the encoder starts from Lite0, the perceptual loss "
    "uses Lite1); settings are chosen on Lite0's.",
    "Hints: simulated clicks at Gaussian-distributed positions (sigma = size/4 around the centre), "
    "each a 3x3 patch on the model's working grid coloured with the mean true colour under it "
    "(Zhang et al. 2017 protocol); sets are nested and fixed per photo; Levin gets the same hints. "
    "At 0 hints Levin is the gray image. 'model, network only' is the network's output before the "
    "engine spreads each hint's residual (engine/propagate.py); hint error is the network's mean ab "
    "distance to the hint colours at the hinted working-grid pixels, before propagation pins them.",
]


def _int_list(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _float_list(text: str) -> list[float]:
    try:
        vals = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if any(v <= 0 for v in vals):
        raise argparse.ArgumentTypeError("vividness values must be positive")
    return vals


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.evaluate", description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="*", help=f"folders of colour photos (default: those in {DEFAULT_ROOT})")
    ap.add_argument("--model", help="model name (default: the default model)")
    ap.add_argument("--provider", help="ONNX Runtime execution provider")
    ap.add_argument("--size", type=int, help="working long side (default: the model card's)")
    ap.add_argument("--limit", type=int, help="at most N photos per folder")
    ap.add_argument("--hints", type=_int_list, help="hint counts, default " + ",".join(map(str, DEFAULT_HINTS)))
    ap.add_argument("--vividness", type=_float_list, default=[], help="extra vividness values to score")
    ap.add_argument("--out", default="runs/eval", help="output folder (default runs/eval)")
    ap.add_argument("--no-levin", action="store_true", help="skip the Levin et al. 2004 baseline")
    ap.add_argument("--levin-side", type=int, default=LEVIN_SIDE, help="Levin solve long side")
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK_LIMIT} photos per folder, hints {','.join(map(str, QUICK_HINTS))}")
    ap.add_argument("--workers", type=int, help="processes for the Levin baseline (default: CPU count)")
    ap.add_argument("--variants", type=int, help="score the variant sampler with N samples per photo instead")
    ap.add_argument("--spread", type=float, help="with --variants: z ~ N(0, S^2 I) (default: the card's)")
    ap.add_argument("--update-card", action="store_true", help="with --variants: store the figures in the card")
    args = ap.parse_args(argv)
    if args.variants is not None:
        return _variants_main(args, ap)
    for opt in ("limit", "size", "levin_side", "workers"):
        if getattr(args, opt) is not None and getattr(args, opt) < 1:
            ap.error(f"--{opt.replace('_', '-')} must be >= 1")
    hints = args.hints if args.hints is not None else (QUICK_HINTS if args.quick else DEFAULT_HINTS)
    limit = args.limit if args.limit is not None else (QUICK_LIMIT if args.quick else None)

    def work():
        report = evaluate(args.folders, model=args.model, provider=args.provider, size=args.size, limit=limit,
                          hints=hints, vividness=args.vividness, levin=not args.no_levin,
                          levin_side=args.levin_side, workers=args.workers, log=_log)
        return report, write_report(report, args.out)
    return _report(work)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _report(work) -> int:
    """Run work() -> (report, written paths); print the report, or one error line and exit status 2."""
    try:
        report, paths = work()
    except (EvalError, TintaError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.to_markdown())
    print("wrote " + ", ".join(map(str, paths)), file=sys.stderr)
    return 0


def _variants_main(args, ap) -> int:
    from trainer import eval_variants

    if args.variants < 2 or (args.spread is not None and args.spread <= 0):
        ap.error("--variants needs N >= 2 and --spread must be positive")
    limit = args.limit if args.limit is not None else (QUICK_LIMIT if args.quick else None)

    def work():
        datasets, photos = find_photos(args.folders if args.folders else default_folders(), limit)
        report = eval_variants.evaluate_variants(photos, datasets, args.variants, args.model, args.provider,
                                                 args.size, args.spread, _log)
        paths = eval_variants.write(report, args.out)
        if args.update_card:
            from engine.colorizer import Colorizer
            eval_variants.update_card(Colorizer(args.model).variant_sampler().card.card_path, report)
        return report, paths
    return _report(work)


if __name__ == "__main__":
    sys.exit(main())
