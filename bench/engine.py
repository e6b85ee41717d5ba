"""Engine benchmark: preview latency, 12 MP end to end, 50 MP peak RSS, ORT vs torch eager (prints figures)."""
from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import providers  # noqa: E402
from engine.colorizer import Colorizer  # noqa: E402
from engine.decoding import Decoding  # noqa: E402
from engine.errors import ModelError  # noqa: E402
from engine.io.image import read_image, write_image  # noqa: E402

# Figures for --json (bench/report.py reads them); the printed lines stay the human-readable record.
FIGURES: dict = {}
SAMPLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "shared/data/eval/Kodak24").glob("*") if p.suffix in (".png", ".jpg"))


def ensure_model(tmp: Path) -> str:
    """Use the installed default model, else build the tiny test model; returns a description."""
    try:
        c = Colorizer()
        return f"installed default model {c.card.name!r}"
    except ModelError:
        sys.path.insert(0, str(ROOT / "tests"))
        from engine_fixtures import make_test_model
        make_test_model(tmp / "models")
        os.environ["TINTA_MODELS_DIR"] = str(tmp / "models")
        return "tiny TEST model from tests/engine_fixtures.py (no default model installed)"


def photo(width: int, height: int) -> np.ndarray:
    """A gray photo of the given size: a Kodak sample resized when available, else smooth noise."""
    if SAMPLES:
        img = cv2.imread(str(SAMPLES[0]), cv2.IMREAD_GRAYSCALE)
    else:
        img = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 256, (480, 640), np.uint8), (0, 0), 3)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_CUBIC)


def _p50(fn, n: int = 20) -> float:
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return float(np.median(t))


def _strokes(shape):
    """Endless hint arrays (hint_ab, hint_mask) for L of `shape`: a 3 x 3 dab at a new place and colour each time."""
    rng = np.random.default_rng(0)
    _, _, h, w = shape
    while True:
        ab, mask = np.zeros((1, 2, h, w), np.float32), np.zeros((1, 1, h, w), np.float32)
        y, x = int(rng.integers(0, h - 3)), int(rng.integers(0, w - 3))
        ab[:, :, y:y + 3, x:x + 3] = rng.uniform(-50, 50, (2, 1, 1))
        mask[:, :, y:y + 3, x:x + 3] = 1
        yield ab, mask


def preview(c: Colorizer) -> None:
    """Preview latency of the default session (cut down to the outputs the card's decoding reads, int8 on the
    CPU when the card has it) against the whole graph (what every run cost before engine/pruning.py) and the
    v0.1 way (annealed mean), interleaved in one run so the ratios hold on a busy machine."""
    img = photo(256, 171)
    L = np.full((1, 1, 192, 256), 50, np.float32)
    strokes = _strokes(L.shape)

    def new_photo(fn):  # each run as if on a photo opened just now: no encoder answer kept (engine/split.py)
        return lambda: (c.forget_encoded(), fn())

    runs = {"colorize": new_photo(lambda: c.colorize(img, size=256)), "network": new_photo(lambda: c.predict(L)),
            # the same photo with the next stroke's hints: what the app's brush waits for
            "network stroke": lambda: c.predict(L, *next(strokes)),
            "network whole": new_photo(lambda: c.predict(L, distribution=True)),
            "network annealed": new_photo(lambda: c.predict(L, decode=Decoding("annealed"))),
            # the card's decoding at the working size alone: what its extra scales (engine/ensemble.py) cost
            "network one size": new_photo(lambda: c.predict(L, decode=dataclasses.replace(c.card.decoding,
                                                                                           scales=())))}
    for fn in runs.values():
        fn()
    times = {k: [] for k in runs}
    for _ in range(5):
        for k, fn in runs.items():
            times[k].append(_p50(fn, 5))
    p50 = {k: float(np.median(v) * 1e3) for k, v in times.items()}
    how = providers.precision_of(c._session)
    outputs = ", ".join(o.name for o in c._session.get_outputs()) if c._session is not None else "sampler"
    FIGURES.update(preview_ms=p50["colorize"], preview_network_ms=p50["network"], precision=how,
                   preview_network_stroke_ms=p50["network stroke"],
                   preview_network_outputs=outputs, preview_network_whole_ms=p50["network whole"],
                   preview_network_annealed_ms=p50["network annealed"], decoding=c.card.decoding.mode,
                   preview_network_one_size_ms=p50["network one size"], scales=list(c.card.decoding.scales))
    print(f"preview (long side 256): colorize p50 {p50['colorize']:.1f} ms (goal <= 80 ms); network only p50 "
          f"{p50['network']:.1f} ms ({how}, computing {outputs} for {c.card.decoding.mode} decoding; goal <= 50 ms), "
          f"{p50['network whole']:.1f} ms with the whole graph and the distribution "
          f"({p50['network'] / p50['network whole']:.2f}x), {p50['network annealed']:.1f} ms decoding the "
          f"annealed mean as v0.1 did")
    print(f"  a stroke on the same photo (new hints): network {p50['network stroke']:.1f} ms "
          f"({p50['network stroke'] / p50['network']:.2f}x; the encoder's answer is kept when the graph's encoder "
          f"reads no hints: {'yes' if getattr(c, '_split', None) else 'no'})")
    if c.card.decoding.scales:
        extra = ", x".join(f"{s:.2f}" for s in c.card.decoding.scales)
        print(f"  the card's scale ensemble (working size and x{extra}): network {p50['network']:.1f} ms against "
              f"{p50['network one size']:.1f} ms at the working size alone "
              f"({p50['network'] / p50['network one size']:.2f}x)")


GOAL_12MP = {"png": 1.5, "jpg": 1.2}  # issue 13, end to end on 2 cores


def twelve_mp(c: Colorizer, tmp: Path) -> None:
    src = tmp / "12mp.jpg"
    cv2.imwrite(str(src), cv2.cvtColor(photo(4000, 3000), cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    for ext in ("png", "jpg"):
        t0 = time.perf_counter()
        pic = read_image(src)
        t1 = time.perf_counter()
        res = c.colorize(pic.pixels, size=512)
        t2 = time.perf_counter()
        write_image(tmp / f"out.{ext}", res.rgb)
        t3 = time.perf_counter()
        FIGURES[f"twelve_mp_{ext}_s"] = t3 - t0
        print(f"12 MP JPEG -> {ext}: {t3 - t0:.2f} s (read {t1 - t0:.2f}, colorize {t2 - t1:.2f} "
              f"[network+upsample], write {t3 - t2:.2f}) (goal <= {GOAL_12MP[ext]} s)")


def rss_child(path: str, out: str) -> None:
    c = Colorizer(split=False)  # as `tinta colorize` opens it
    pic = read_image(path)
    res = c.colorize(pic.pixels, size=512)
    write_image(out, res.rgb)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def fifty_mp(tmp: Path) -> None:
    src = tmp / "50mp.jpg"
    img = photo(8660, 5774)
    cv2.imwrite(str(src), cv2.merge([img, img, img]), [cv2.IMWRITE_JPEG_QUALITY, 90])
    del img
    t = time.perf_counter()
    run = subprocess.run([sys.executable, __file__, "--rss-child", str(src), str(tmp / "50mp.png")],
                         capture_output=True, text=True, env=os.environ)
    if run.returncode:
        print("50 MP: child failed:", run.stderr.strip().splitlines()[-1:])
        return
    kb = int(run.stdout.strip().splitlines()[-1])
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    FIGURES.update(fifty_mp_peak_rss_gib=kb * scale / 2**30, fifty_mp_s=time.perf_counter() - t)
    print(f"50 MP RGB JPEG (read, colorize at 512, write PNG): peak RSS {kb * scale / 2**30:.2f} GiB, "
          f"{time.perf_counter() - t:.1f} s (goal < 2.5 GB)")


def torch_ratio(tmp: Path) -> None:
    """The trainer's network (untrained weights) in torch eager vs its ONNX export in onnxruntime as the engine opens
    it (softmax in plain ops), 256 x 256."""
    try:
        import torch
        from trainer.export import ColorizerGraph, export_onnx
        from trainer.model import build_model
    except Exception as exc:  # trainer or torch not importable here
        print(f"onnxruntime vs torch eager: skipped ({exc.__class__.__name__}: {exc})")
        return
    try:
        import onnxruntime as ort

        from engine.providers import physical_cores
        torch.set_num_threads(physical_cores())
        net = build_model().eval()
        graph = ColorizerGraph(net)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter from the exporter
            export_onnx(net, tmp / "trainer_net.onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = physical_cores()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        import onnx

        from engine.graph_rewrite import softmax_in_plain_ops
        model = onnx.load(str(tmp / "trainer_net.onnx"))
        softmax_in_plain_ops(model)  # as the engine opens every model (engine/graph_rewrite.py)
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        shape = (1, 1, 256, 256)
        args = (torch.full(shape, 50.0), torch.zeros(1, 2, 256, 256), torch.zeros(shape), torch.tensor([0.38]))
        feeds = dict(zip(("L", "hint_ab", "hint_mask", "temperature"), (a.numpy() for a in args)))
        eager, onnx_rt = [], []
        with torch.inference_mode():
            graph(*args)
            sess.run(None, feeds)
            for _ in range(10):
                s = time.perf_counter()
                graph(*args)
                eager.append(time.perf_counter() - s)
                s = time.perf_counter()
                sess.run(None, feeds)
                onnx_rt.append(time.perf_counter() - s)
        te, to = np.median(eager), np.median(onnx_rt)
        FIGURES.update(torch_eager_ms=float(te * 1e3), onnxruntime_ms=float(to * 1e3), ort_vs_torch=float(te / to))
        print(f"trainer network 256x256 p50: torch eager {te * 1e3:.1f} ms, onnxruntime {to * 1e3:.1f} ms "
              f"(onnxruntime is {te / to:.2f}x faster)")
    except Exception as exc:
        print(f"onnxruntime vs torch eager: skipped ({exc.__class__.__name__}: {str(exc)[:200]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rss-child", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    ap.add_argument("--preview-only", action="store_true", help="only the preview latency")
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        which = ensure_model(tmp)
        c = Colorizer()
        print(f"model: {which}; provider {c.provider}; {os.cpu_count()} logical CPUs")
        FIGURES.update(model=which, provider=c.provider, cpus=os.cpu_count())
        preview(c)
        if args.preview_only:
            return
        twelve_mp(Colorizer(split=False), tmp)  # as `tinta colorize` opens it: each photo once
        fifty_mp(tmp)
        torch_ratio(tmp)
    if args.json:
        write_json(Path(args.json), FIGURES)


def write_json(path: Path, figures: dict) -> None:
    """Atomic: a temp file in the same folder, then os.replace."""
    import json
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
