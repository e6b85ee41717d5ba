"""int8 copy of a model for the CPU: static QDQ quantization calibrated on training photos, shipped only if it keeps quality.

    python -m trainer.quantize                       # the default model's card, 256 calibration photos
    python -m trainer.quantize --model tinta-base --calib 256 --per-group 30 [--eval] [--dry-run]

Calibration feeds are training photos (the training side of trainer/split.py, never validation or eval)
at the working sizes the app runs (the card's long side and 256), half of them with simulated hints so
the hint-fusion layers see hint values. The candidate is then scored against the fp32 model through the
engine (Colorizer(precision=...)) on the validation split: PSNR and Frechet distance of the automatic
output, and PSNR with 10 hints. It is written into the card ("int8") only when FD rises by at most
MAX_FD_RISE and PSNR drops by at most MAX_PSNR_DROP dB (issue 13's bounds) and the network at long side 256
takes at most MAX_TIME_RATIO of fp32's time (interleaved p50s in one run); --eval adds an eval report.

Measured on tinta-base (2 cores, AVX-512 VNNI), ab RMSE against fp32 on held-out training crops and time:
everything int8 2.28 ab / 0.81x; all but the stem 0.92 / 0.77x (validation PSNR -2.0 dB: near-neutral photos,
the highest-PSNR ones, show the decoder's 8-bit bias); encoder blocks only (the default here) 0.35 / 0.92-0.97x
(validation PSNR +0.03 dB, FD x1.003). So no int8 copy ships with tinta-base: the one that keeps quality is
not faster enough to carry 11.5 MB more.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from engine.io.atomic import write_atomic
from engine.models import file_sha256, find_card
from trainer import metrics

MAX_FD_RISE = 0.02       # FD(int8) <= 1.02 x FD(fp32)
MAX_PSNR_DROP = 0.1      # dB, on both the automatic and the 10-hint output
MAX_TIME_RATIO = 0.85    # and worth a second file only when it takes at most this share of fp32's time
HINTS = 10
CALIB_SIDES = (192, 256)
# Only the encoder's blocks after the first run in int8. The stem and first block see L* and the hints at
# full precision, and the decoder makes the chroma itself: near-neutral photos (the highest-PSNR ones) show
# any bias there (see the module docstring for what each choice measured).
INT8_NODES = ("/_blocks.", "/_conv_head/")
KEEP_FLOAT = ("/_blocks.0/",)


def calibration_photos(n: int, seed: int = 0, root: Path | None = None) -> list[np.ndarray]:
    """n RGB uint8 photos drawn evenly over groups from the training side of the split (not validation)."""
    from trainer.data import ByteReader, decode_rgb, index_sources
    from trainer.decoding_study import TRAIN_ROOT
    from trainer.split import group_of, validation_mask

    ix = index_sources([root or TRAIN_ROOT])
    train = np.flatnonzero(~validation_mask(ix.names))
    groups: dict[str, list[int]] = {}
    for i in train:
        groups.setdefault(group_of(str(ix.names[i])), []).append(int(i))
    rng = np.random.default_rng(seed)
    per = -(-n // max(1, len(groups)))
    chosen = [i for g in sorted(groups) for i in rng.permutation(groups[g])[:per]]
    reader = ByteReader(ix.files)
    out = []
    for i in rng.permutation(chosen)[:n]:
        rgb = decode_rgb(reader.read(int(ix.file_id[i]), int(ix.offset[i]), int(ix.size[i])))
        if rgb is not None:
            out.append(rgb)
    return out


def calibration_feeds(photos: list[np.ndarray], multiple: int, temperature: float, seed: int = 0):
    """Yields ORT feeds like the engine makes them: L at a working size, padded; every other with hints."""
    from engine.color import srgb_to_lab
    from trainer.hints_sim import random_hints

    rng = np.random.default_rng(seed)
    for k, rgb in enumerate(photos):
        side = CALIB_SIDES[k % len(CALIB_SIDES)]
        H, W = rgb.shape[:2]
        s = side / max(H, W)
        h, w = max(multiple, round(H * s)), max(multiple, round(W * s))
        small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
        lab = srgb_to_lab(small.astype(np.float32) / 255.0)
        hp, wp = -(-h // multiple) * multiple, -(-w // multiple) * multiple
        pad = ((0, hp - h), (0, wp - w))
        L = np.pad(lab[..., 0], pad, mode="reflect")
        hint_ab = np.zeros((hp, wp, 2), np.float32)
        mask = np.zeros((hp, wp), np.float32)
        if k % 2:
            ab, m = random_hints(np.ascontiguousarray(lab[..., 1:]), int(rng.integers(1, 30)), rng)
            hint_ab[:h, :w], mask[:h, :w] = ab, m
        yield {"L": L[None, None].astype(np.float32), "hint_ab": hint_ab.transpose(2, 0, 1)[None].copy(),
               "hint_mask": mask[None, None], "temperature": np.array([temperature], np.float32)}


def quantize(src: Path, dst: Path, feeds, method: str = "minmax", only: tuple[str, ...] = INT8_NODES,
             keep: tuple[str, ...] = KEEP_FLOAT) -> None:
    """Static QDQ int8 (per-channel weights, uint8 activations) of `src` into `dst`, atomically.

    Nodes whose names start with one of `only`, and with none of `keep`, are quantized. Why QDQ and
    per-channel: ORT fuses QDQ pairs around Conv into its int8 kernels (VNNI where the CPU has it), and
    per-channel weight scales keep the depthwise convolutions of EfficientNet accurate."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    import onnx

    with tempfile.TemporaryDirectory(dir=dst.parent) as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        nodes = [n.name for n in onnx.load(str(pre)).graph.node
                 if n.name.startswith(only) and not n.name.startswith(keep)]
        if not nodes:  # an empty list would tell quantize_static to quantize everything
            raise ValueError(f"{src}: no node name starts with {only}")
        out = Path(tmp) / "int8.onnx"
        quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_quantize=nodes,
                        calibrate_method={"minmax": CalibrationMethod.MinMax,
                                          "percentile": CalibrationMethod.Percentile}[method],
                        extra_options={"CalibPercentile": 99.999} if method == "percentile" else None)
        os.replace(out, dst)


def score(colorizer, photos, log=print) -> dict:
    """{psnr, psnr_hints, frechet, images} of `colorizer` on Photos (trainer.eval_photos), automatic
    output and with HINTS simulated hints, through the engine's full path."""
    from trainer.eval_photos import sample_hints

    auto, hinted, views = [], [], []
    for k, p in enumerate(photos):
        res = colorizer.colorize(p.gray)
        rgb = np.asarray(res.rgb)
        auto.append(metrics.psnr(rgb, p.rgb))
        views.append(metrics.probe_view(rgb))
        scale = max(res.work_shape) / max(p.rgb.shape[:2])
        hs = sample_hints(p.rgb, HINTS, f"{p.dataset}/{p.path}", scale)
        hinted.append(metrics.psnr(np.asarray(colorizer.colorize(p.gray, hints=hs).rgb), p.rgb))
    return {"images": len(photos), "psnr": float(np.mean(auto)), "psnr_hints": float(np.mean(hinted)),
            "views": views}


def compare(card, int8_path: Path, photos, log=print) -> dict:
    """fp32 vs the int8 candidate on `photos`, each through Colorizer with that precision; FD on one probe."""
    from engine.colorizer import Colorizer

    with tempfile.TemporaryDirectory() as tmp:
        # A private copy of the card naming the candidate, so the engine runs it exactly as it would ship.
        raw = dict(card.raw, int8={"file": int8_path.name, "sha256": file_sha256(int8_path)})
        for f in (card.path, int8_path):
            os.symlink(f.resolve(), Path(tmp) / f.name)
        (Path(tmp) / card.card_path.name).write_text(json.dumps(raw))
        env = {k: os.environ.get(k) for k in ("TINTA_MODELS_DIR", "TINTA_SHIPPED_MODELS")}
        os.environ.update(TINTA_MODELS_DIR=tmp, TINTA_SHIPPED_MODELS="0")
        try:
            res = {}
            for how in ("fp32", "int8"):
                log(f"{how}: {len(photos)} photos")
                col = Colorizer(card.name, provider="cpu", precision=how)
                res[how] = score(col, photos, log)
        finally:
            for k, v in env.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    probe = metrics.LiteProbe()
    truth = probe([metrics.probe_view(p.rgb) for p in photos])
    for how in res:
        res[how]["frechet"] = metrics.frechet_distance(probe(res[how].pop("views"))[0], truth[0])
    d = {"fd_ratio": res["int8"]["frechet"] / max(res["fp32"]["frechet"], 1e-9),
         "psnr_change": res["int8"]["psnr"] - res["fp32"]["psnr"],
         "psnr_hints_change": res["int8"]["psnr_hints"] - res["fp32"]["psnr_hints"]}
    d["within_bounds"] = bool(d["fd_ratio"] <= 1 + MAX_FD_RISE and d["psnr_change"] >= -MAX_PSNR_DROP
                              and d["psnr_hints_change"] >= -MAX_PSNR_DROP)
    return {**{k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()},
            "fp32": {k: round(v, 4) for k, v in res["fp32"].items()},
            "int8": {k: round(v, 4) for k, v in res["int8"].items()}}


def time_ratio(fp32: Path, int8: Path, rounds: int = 5, runs: int = 5) -> float:
    """p50 time of `int8` over `fp32`'s on a 256 x 192 input, the two interleaved so load hits both alike."""
    import onnxruntime as ort

    from engine.providers import physical_cores

    def session(path):
        o = ort.SessionOptions()
        o.intra_op_num_threads = physical_cores()
        o.log_severity_level = 3
        return ort.InferenceSession(str(path), o, providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(0)
    feeds = {"L": (rng.random((1, 1, 192, 256)) * 100).astype(np.float32),
             "hint_ab": np.zeros((1, 2, 192, 256), np.float32), "hint_mask": np.zeros((1, 1, 192, 256), np.float32),
             "temperature": np.array([0.38], np.float32)}
    sessions = [session(fp32), session(int8)]
    names = [o.name for o in sessions[0].get_outputs() if o.name != "ab"]
    times: list[list[float]] = [[], []]
    for s in sessions:
        s.run(names, feeds)
    for _ in range(rounds):
        for k, s in enumerate(sessions):
            for _ in range(runs):
                t0 = time.perf_counter()
                s.run(names, feeds)
                times[k].append(time.perf_counter() - t0)
    return float(np.median(times[1]) / np.median(times[0]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="card name (default: the default model)")
    ap.add_argument("--calib", type=int, default=256, help="calibration photos (training side of the split)")
    ap.add_argument("--method", choices=("minmax", "percentile"), default="minmax")
    ap.add_argument("--per-group", type=int, default=30, help="validation photos per group for the check")
    ap.add_argument("--eval", action="store_true", help="also report on ../shared/data/eval (chooses nothing)")
    ap.add_argument("--dry-run", action="store_true", help="measure, but leave the card and model folder as they are")
    a = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.time()
    card = find_card(a.model)
    if card.files:
        log(f"{card.card_path}: multi-file (variant) models are not quantized")
        return 2
    from trainer.decoding_study import validation_photos

    log(f"calibrating on {a.calib} training photos ({a.method})")
    calib = calibration_photos(a.calib)
    dst = card.path.with_name(card.path.stem + ".int8.onnx")
    cand = dst.with_name(dst.stem + ".candidate.onnx")
    quantize(card.path, cand, calibration_feeds(calib, card.multiple, card.default_temperature), a.method)
    log(f"candidate {cand.name}: {cand.stat().st_size / 2**20:.1f} MiB")
    ratio = time_ratio(card.path, cand)
    log(f"int8 takes {ratio:.2f}x fp32's time")
    val = compare(card, cand, validation_photos(per_group=a.per_group), log)
    report = {"validation": val, "time_ratio": round(ratio, 3)}
    if a.eval:
        from trainer.eval_photos import default_folders, find_photos
        report["eval"] = compare(card, cand, find_photos(default_folders())[1], log)
    print(json.dumps(report, indent=1))
    fast = ratio <= MAX_TIME_RATIO
    if not val["within_bounds"] or not fast or a.dry_run:
        cand.unlink()
        log("not shipped: " + ("--dry-run" if a.dry_run else "quality loss on validation is above the bounds"
                               if not val["within_bounds"] else f"not faster enough ({ratio:.2f}x > {MAX_TIME_RATIO})"))
        return 0 if a.dry_run else 1
    os.replace(cand, dst)
    raw = json.loads(card.card_path.read_text(encoding="utf-8"))
    raw["int8"] = {"file": dst.name, "sha256": file_sha256(dst),
                   "made_by": f"python -m trainer.quantize --calib {a.calib} --method {a.method}",
                   "calibration": f"{len(calib)} training photos (training side of trainer/split.py) at long "
                                  f"sides {', '.join(map(str, CALIB_SIDES))}, half with simulated hints",
                   "bounds": {"max_fd_rise": MAX_FD_RISE, "max_psnr_drop_db": MAX_PSNR_DROP,
                              "max_time_ratio": MAX_TIME_RATIO}, "time_ratio": round(ratio, 3),
                   "quality": {k: v for k, v in report.items() if k != "time_ratio"}}
    write_atomic(card.card_path, json.dumps(raw, indent=1))
    log(f"wrote {dst.name} and its entry in {card.card_path} ({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
