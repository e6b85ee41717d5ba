"""GPU machine check: the engine really runs on the GPU provider, in fp16, and agrees with the CPU; then benchmarks.

    pip install -e '.[gpu]'          # after `pip uninstall onnxruntime`: the two wheels share one package name
    python packaging/gpu_check.py [--provider cuda|directml] [--photo PATH] [--no-bench] [--preload]

Checks (exit status 1 when one fails, each printed as `ok` or `FAIL` with its figures):
  1. the provider is offered by onnxruntime and a default Colorizer() picks it (not a silent CPU fallback);
  2. on that provider the session runs the fp16 copy (engine/precision.py), and with TINTA_PRECISION=fp32 the
     fp32 model;
  3. GPU fp32 vs CPU fp32 network outputs agree tightly, GPU fp16 vs CPU fp32 within the fp16 tolerance of
     tests/test_fp16.py, and full colorized photos differ by at most a few 8-bit levels;
  4. network time at the default working size on CPU, GPU fp32 and GPU fp16 (p50 of 20 runs);
then (unless --no-bench) `python bench/report.py --only engine,desktop --no-eval`, which uses the GPU by default.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AB_FP32_MAX = 0.05     # a*b* units: GPU vs CPU in fp32 differ only by kernel summation order
AB_FP16_MAX, AB_FP16_MEAN = 1.0, 0.1  # as tests/test_fp16.py (measured on CPU: max 0.25, mean 0.034)
RGB_LEVELS_MAX = 4     # 8-bit levels, full photo after guided upsampling


def _photo(path: str | None) -> np.ndarray:
    import cv2
    candidates = [Path(path)] if path else [ROOT.parent / "shared/data/historical/Marilyn.jpg",
                                            *sorted((ROOT / "resources" / "samples").glob("*.jpg"))]
    for p in candidates:
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        if img is not None:
            print(f"photo: {p} ({img.shape[1]}x{img.shape[0]})")
            return img
    if path:
        raise SystemExit(f"gpu_check: {path}: not a readable image")
    print("photo: generated 1024x768 ramp")
    y, x = np.mgrid[0:768, 0:1024]
    return (30 + 180 * x / 1024 + 30 * y / 768).astype(np.uint8)


def _colorizer(provider: str | None, precision: str):
    from engine import providers
    from engine.colorizer import Colorizer
    os.environ["TINTA_PRECISION"] = precision
    c = Colorizer(provider=provider)
    return c, providers.precision_of(c._session)


def _net_ms(c, L) -> float:
    c.predict(L)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        c.predict(L)
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", default="cuda", help="provider to check: cuda (default) or directml")
    ap.add_argument("--photo", help="gray photo for the agreement check")
    ap.add_argument("--no-bench", action="store_true", help="skip bench/report.py")
    ap.add_argument("--preload", action="store_true",
                    help="call onnxruntime.preload_dlls() first (CUDA/cuDNN from the nvidia-* pip wheels)")
    args = ap.parse_args()
    import onnxruntime as ort

    from engine.color import luminance
    from engine.providers import canonical
    if args.preload:
        ort.preload_dlls()
    want = canonical(args.provider)
    failures = 0

    def check(ok: bool, text: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {text}", flush=True)

    print(f"onnxruntime {ort.__version__} ({ort.get_device()}); available: {', '.join(ort.get_available_providers())}")
    check(want in ort.get_available_providers(), f"{want} is offered by this onnxruntime build")
    if failures:
        print("gpu_check: install onnxruntime-gpu (pip install -e '.[gpu]', after pip uninstall onnxruntime)")
        return 1
    gpu16, p16 = _colorizer(None, "auto")
    check(gpu16.provider == want, f"Colorizer() with no provider named runs on {gpu16.provider}")
    check(p16 == "fp16", f"auto precision on {gpu16.provider} is {p16} (want fp16)")
    gpu32, p32 = _colorizer(args.provider, "fp32")
    check(gpu32.provider == want and p32 == "fp32", f"TINTA_PRECISION=fp32 gives {gpu32.provider}, {p32}")
    auto_cpu, pc = _colorizer("cpu", "auto")
    check(auto_cpu.provider == "CPUExecutionProvider" and pc == "fp32", f"auto precision on the CPU is {pc}")
    cpu, _ = _colorizer("cpu", "fp32")  # the reference

    img = _photo(args.photo)
    h, w = cpu.working_shape(img.shape)
    m = cpu.card.multiple
    import cv2
    L = luminance(cv2.resize(img, ((w // m) * m, (h // m) * m), interpolation=cv2.INTER_AREA))[None, None]
    ref = cpu.predict(L)
    for name, c, lim_max, lim_mean in (("GPU fp32", gpu32, AB_FP32_MAX, AB_FP32_MAX),
                                       ("GPU fp16", gpu16, AB_FP16_MAX, AB_FP16_MEAN)):
        d = np.abs(c.predict(L).ab - ref.ab)
        check(d.max() < lim_max and d.mean() < lim_mean,
              f"{name} vs CPU fp32, network ab: max {d.max():.4f}, mean {d.mean():.5f} (limits {lim_max}, {lim_mean})")
        rgb = np.abs(c.colorize(img).rgb.astype(int) - cpu.colorize(img).rgb.astype(int))
        check(rgb.max() <= RGB_LEVELS_MAX, f"{name} vs CPU, colorized photo: max {rgb.max()} levels, "
                                           f"mean {rgb.mean():.3f} (limit {RGB_LEVELS_MAX})")
    t_cpu, t32, t16 = _net_ms(cpu, L), _net_ms(gpu32, L), _net_ms(gpu16, L)
    print(f"network {L.shape[3]}x{L.shape[2]} p50: CPU {t_cpu:.1f} ms, GPU fp32 {t32:.1f} ms, GPU fp16 {t16:.1f} ms "
          f"(fp16 {t32 / t16:.2f}x fp32)")
    os.environ.pop("TINTA_PRECISION", None)
    if not args.no_bench:
        rc = subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), "--only", "engine,desktop",
                             "--no-eval"], cwd=ROOT).returncode
        check(rc == 0, f"bench/report.py exit status {rc}")
    print(f"gpu_check: {'all checks passed' if not failures else f'{failures} check(s) failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
