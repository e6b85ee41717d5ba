"""Desktop figures: launch-to-ready-window time and stroke-to-preview latency (p50 and p95 over 40 strokes).

    python bench/desktop.py [--photo PATH] [--strokes 40] [--tiny]

Uses the installed default model; --tiny (or no installed model) builds the tiny ONNX test model,
whose network time is negligible, so the latency then measures the app's own overhead.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CHILD = r"""
import time, sys
t0 = time.perf_counter()
from desktop.app import create_app, build_window
from desktop.settings import Settings
from PySide6.QtCore import QSettings
app = create_app()
w = build_window(Settings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
w.show()
app.processEvents()
t_window = time.perf_counter() - t0
while w.ctl.colorizer is None and time.perf_counter() - t0 < 120:
    app.processEvents(); time.sleep(0.002)
print(f"READY {t_window:.3f} {time.perf_counter() - t0:.3f}", flush=True)
"""


def launch_time(env: dict, tmp: Path) -> tuple[float, float, float]:
    """(process start -> window shown, -> model loaded, total wall time incl. interpreter start)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp / "bench.ini")], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    wall = time.perf_counter() - start
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("READY")), None)
    if line is None:
        raise SystemExit(f"bench: the window did not start: {out.stderr.strip()[-300:]}")
    _, shown, ready = line.split()
    return float(shown), float(ready), wall


def stroke_latency(photo: Path, strokes: int, tmp: Path) -> tuple[list[float], list[float], dict]:
    import numpy as np
    from PySide6.QtCore import QSettings
    from desktop.app import build_window, create_app
    from desktop.canvas import Tool
    from desktop.demo import drag, wait_idle
    from desktop.settings import Settings
    from engine.colorizer import Colorizer
    app = create_app()
    colorizer = Colorizer()
    window = build_window(Settings(QSettings(str(tmp / "lat.ini"), QSettings.Format.IniFormat)), colorizer)
    window.ctl.ask_resume = lambda p: False
    window.resize(1400, 900)
    window.show()
    ctl = window.ctl
    ctl.open_path(photo)
    wait_idle(ctl)
    if ctl.doc is None:
        raise SystemExit(f"bench: {window.last_error}")
    w, h = ctl.doc.full_size
    window._on_tool(Tool.BRUSH)
    rng = np.random.default_rng(0)
    latencies, engine_side, refined = [], [], []
    for i in range(strokes):
        window._on_color_chosen("#%06x" % int(rng.integers(0, 1 << 24)))
        y = h * (0.1 + 0.8 * rng.random())
        x0 = w * 0.1 * (1 + 6 * rng.random())
        got = []
        ctl.resultChanged.connect(lambda _rgb: got.append(time.perf_counter()))
        drag(window.canvas, [(x0 + k * w * 0.02, y) for k in range(6)])
        t_release = time.perf_counter()
        end = t_release + 30
        while not got and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)
        window.canvas.viewport().repaint()  # the new pixmap is on screen
        latencies.append(time.perf_counter() - t_release)
        engine_side.append(ctl.render_seconds[-1])
        draft_shape = ctl.result.work_shape
        wait_idle(ctl)
        refined.append(got[-1] - t_release)
        ctl.resultChanged.disconnect()
    info = {"model": colorizer.card.name, "provider": colorizer.provider,
            "preview": f"{ctl.doc.preview.shape[1]}x{ctl.doc.preview.shape[0]}",
            "draft network": "x".join(str(v) for v in reversed(draft_shape)),
            "full network": "x".join(str(v) for v in reversed(ctl.result.work_shape)), "photo": f"{w}x{h}",
            "refined p50": f"{np.median(refined) * 1000:.0f} ms after release"}
    window.close()
    return latencies, engine_side, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", help="photo to edit (default: a historical photo scaled to 2048 px)")
    ap.add_argument("--strokes", type=int, default=40)  # enough that p95 is not simply the slowest stroke
    ap.add_argument("--tiny", action="store_true", help="use the tiny test model")
    ap.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    args = ap.parse_args()
    import numpy as np
    with tempfile.TemporaryDirectory(prefix="tinta-bench-") as d:
        tmp = Path(d)
        from engine.errors import ModelError
        from engine.models import find_card
        try:
            use_tiny = args.tiny or find_card() is None
        except ModelError:
            use_tiny = True
        if use_tiny:
            from engine_fixtures import make_test_model
            os.environ["TINTA_MODELS_DIR"] = str(make_test_model(tmp / "models").parent)
        photo = Path(args.photo) if args.photo else _default_photo(tmp)
        shown, ready, wall = launch_time(dict(os.environ), tmp)
        print(f"launch: window shown {shown:.2f} s, model loaded {ready:.2f} s after start "
              f"({wall:.2f} s wall incl. interpreter start)")
        lat, eng, info = stroke_latency(photo, args.strokes, tmp)
        ms = np.array(lat) * 1000
        print(f"stroke->preview latency over {len(lat)} strokes: p50 {np.percentile(ms, 50):.0f} ms, "
              f"p90 {np.percentile(ms, 90):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms "
              f"(render job p50 {np.median(eng) * 1000:.0f} ms; goal p50 <= 100 ms, p95 <= 150 ms)")
        print("setup: " + ", ".join(f"{k} {v}" for k, v in info.items()) + f", cores {os.cpu_count()}")
    if args.json:
        figures = {"launch_shown_s": shown, "launch_ready_s": ready, "launch_wall_s": wall,
                   "stroke_p50_ms": float(np.percentile(ms, 50)), "stroke_p90_ms": float(np.percentile(ms, 90)),
                   "stroke_p95_ms": float(np.percentile(ms, 95)),
                   "render_p50_ms": float(np.median(eng) * 1000), "tiny_model": use_tiny, **info}
        _write_json(Path(args.json), figures)


def _write_json(path: Path, figures: dict) -> None:
    """Atomic: a temp file in the same folder, then os.replace."""
    import json
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _default_photo(tmp: Path) -> Path:
    import cv2
    from engine.io.image import write_image
    src = sorted((Path(__file__).resolve().parents[2] / "shared/data/historical").glob("*.jpg"))
    if src:
        img = cv2.imread(str(src[0]), cv2.IMREAD_GRAYSCALE)
    else:
        from engine_fixtures import gradient_image
        img = gradient_image(768, 1024)
    s = 2048 / max(img.shape)
    img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_CUBIC)
    path = tmp / "bench-photo.png"
    write_image(path, img)
    return path


if __name__ == "__main__":
    main()
