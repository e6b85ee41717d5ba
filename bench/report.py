"""One benchmark report: runs the bench/ scripts and prints their headline figures and the quality table.

    python bench/report.py [--only engine,desktop,archive,variants] [--eval-quick] [--strokes N] [--json FILE]

Each bench script is run as its own process with `--json FILE` and its figures are read back from that file;
its printed lines go to stderr as it runs. A script that is not there yet (bench/archive.py, bench/variants.py)
is reported as not measured. The quality table is read from the last `python -m trainer.evaluate` report
(runs/eval/eval.md, else the newest runs/*/eval.md), or made afresh with --eval-quick.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_TIMEOUT_S = 1800


@dataclass
class BenchRun:
    """What one bench script gave: figures from its --json file (empty when it failed), and why not."""

    name: str
    figures: dict
    problem: str = ""
    seconds: float = 0.0


@dataclass
class Row:
    """One line of the report: a figure from a bench's JSON, formatted, with the goal it is held to."""

    label: str
    bench: str
    key: str
    fmt: str
    goal: str = ""


ROWS = [
    Row("preview latency, colorize at long side 256 (p50)", "engine", "preview_ms", "{:.0f} ms", "<= 80 ms"),
    Row("preview latency, network only (p50)", "engine", "preview_network_ms", "{:.0f} ms", "<= 50 ms"),
    Row("desktop stroke -> preview (p50)", "desktop", "stroke_p50_ms", "{:.0f} ms", "<= 100 ms"),
    Row("desktop stroke -> preview (p95)", "desktop", "stroke_p95_ms", "{:.0f} ms", "<= 150 ms"),
    Row("12 MP JPEG end to end -> PNG", "engine", "twelve_mp_png_s", "{:.2f} s", "<= 1.5 s"),
    Row("12 MP JPEG end to end -> JPEG", "engine", "twelve_mp_jpg_s", "{:.2f} s", "<= 1.2 s"),
    Row("50 MP peak memory (RSS)", "engine", "fifty_mp_peak_rss_gib", "{:.2f} GiB", "< 2.5 GB"),
    Row("variants cost ratio (N variants vs one colorize)", "variants", "cost_ratio", "{:.2f}x", "<= 2.5x"),
    Row("onnxruntime vs torch eager (speed-up)", "engine", "ort_vs_torch", "{:.2f}x", "> 1x"),
    Row("launch: window shown", "desktop", "launch_shown_s", "{:.2f} s"),
    Row("launch: model loaded, ready", "desktop", "launch_ready_s", "{:.2f} s"),
    Row("archive: files per second", "archive", "files_per_second", "{:.2f} files/s"),
]
BENCHES = ("engine", "desktop", "archive", "variants")
# For bench scripts without --json yet: the figure read from their printed line (first match wins).
PRINTED = {"archive": {"files_per_second": r"([0-9.]+) files/s"},
           "variants": {"cost_ratio": r"\(([0-9.]+)x one colorization"}}


def _stream(name: str, cmd: list[str], log) -> tuple[int, list[str]]:
    """Run cmd, echoing its output to `log` line by line; (exit status, all lines)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in proc.stdout:
        log(f"  [{name}] {line.rstrip()}")
        lines.append(line.rstrip())
    return proc.wait(timeout=BENCH_TIMEOUT_S), lines


def _from_printed(name: str, lines: list[str]) -> dict:
    found = {}
    for key, pattern in PRINTED.get(name, {}).items():
        m = next((m for m in (re.search(pattern, ln) for ln in lines) if m), None)
        if m:
            found[key] = float(m.group(1))
    return found


def run_bench(name: str, extra: list[str], log) -> BenchRun:
    """Run bench/<name>.py --json TMP; its output streams to `log` (stderr) line by line. A script that
    does not take --json yet is run again without it and its figures are read from its printed lines."""
    script = ROOT / "bench" / f"{name}.py"
    if not script.is_file():
        return BenchRun(name, {}, f"bench/{name}.py is not there")
    with tempfile.TemporaryDirectory(prefix=f"tinta-report-{name}-") as d:
        out = Path(d) / "figures.json"
        start = time.perf_counter()
        try:
            rc, lines = _stream(name, [sys.executable, str(script), "--json", str(out), *extra], log)
            if rc == 2 and any("unrecognized arguments: --json" in ln for ln in lines[-3:]):
                rc, lines = _stream(name, [sys.executable, str(script), *extra], log)
                if rc == 0:
                    figures = _from_printed(name, lines)
                    return BenchRun(name, figures, "" if figures else "no --json, and no figure in its output",
                                    time.perf_counter() - start)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return BenchRun(name, {}, f"could not run: {exc}", time.perf_counter() - start)
        seconds = time.perf_counter() - start
        if rc != 0:
            why = next((t for t in reversed(lines) if t), f"exit status {rc}")
            return BenchRun(name, {}, f"failed ({why[:160]})", seconds)
        try:
            figures = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            return BenchRun(name, {}, f"wrote no readable --json file ({exc.__class__.__name__})", seconds)
    return BenchRun(name, figures if isinstance(figures, dict) else {}, "", seconds)


def figure_table(runs: dict[str, BenchRun]) -> list[str]:
    lines = ["| Figure | Value | Goal | Source |", "|---|---|---|---|"]
    for row in ROWS:
        run = runs.get(row.bench)
        if run is None:
            value = "not run (--only)"
        elif run.problem:
            value = f"not measured: {run.problem}"
        elif isinstance(run.figures.get(row.key), (int, float)):
            value = row.fmt.format(run.figures[row.key])
        else:
            value = f"not measured: bench/{row.bench}.py gave no '{row.key}'"
        lines.append(f"| {row.label} | {value} | {row.goal} | bench/{row.bench}.py |")
    return lines


def setup_lines(runs: dict[str, BenchRun]) -> list[str]:
    known = {r.key for r in ROWS}
    lines = []
    for name, run in runs.items():
        extra = {k: v for k, v in run.figures.items() if k not in known}
        if extra:
            lines.append(f"- {name}: " + ", ".join(f"{k} {_short(v)}" for k, v in extra.items()))
        if run.seconds:
            lines.append(f"- {name}: ran in {run.seconds:.0f} s")
    return lines


def _short(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def latest_eval_md() -> Path | None:
    preferred = ROOT / "runs" / "eval" / "eval.md"
    if preferred.is_file():
        return preferred
    found = sorted((ROOT / "runs").glob("*/eval.md"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def run_quick_eval(out_dir: Path, log) -> Path | None:
    cmd = [sys.executable, "-m", "trainer.evaluate", "--quick", "--out", str(out_dir)]
    log("  [evaluate] " + " ".join(cmd[1:]))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=BENCH_TIMEOUT_S)
    if proc.returncode != 0:
        log("  [evaluate] failed: " + (proc.stderr.strip().splitlines() or ["no message"])[-1])
        return None
    return out_dir / "eval.md"


def quality_lines(md_path: Path) -> list[str]:
    """The eval report's title, summary line, the no-hint table's 'all' rows and the hint sweep table."""
    text = md_path.read_text(encoding="utf-8").splitlines()
    out = [f"From {md_path.relative_to(ROOT) if md_path.is_relative_to(ROOT) else md_path} "
           f"(written {time.strftime('%Y-%m-%d %H:%M', time.localtime(md_path.stat().st_mtime))}):", ""]
    title = next((ln for ln in text if ln.startswith("# ")), None)
    if title:
        out.append(f"Model report: {title[2:]}")
        summary = next((ln for ln in text[text.index(title) + 1:] if ln.strip()), "")
        if summary and not summary.startswith("#"):
            out += [summary, ""]
    section = None
    for ln in text:
        if ln.startswith("## "):
            section = ln[3:].strip()
            if section.lower().startswith(("automatic", "psnr")):
                out += ["", f"### {section}", ""]
            continue
        if not ln.startswith("|") or section is None:
            continue
        if section.lower().startswith("automatic"):
            cells = [c.strip() for c in ln.strip("|").split("|")]
            if cells[0] in ("Dataset", "all") or set(cells[0]) <= {"-", ":"}:
                out.append(ln)
        elif section.lower().startswith("psnr"):
            out.append(ln)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated subset of {', '.join(BENCHES)}")
    ap.add_argument("--eval-quick", action="store_true",
                    help="run `python -m trainer.evaluate --quick` now instead of reading the last eval.md")
    ap.add_argument("--no-eval", action="store_true", help="leave the quality table out")
    ap.add_argument("--strokes", type=int, help="strokes for bench/desktop.py (its default: 20)")
    ap.add_argument("--json", metavar="FILE", help="also write every bench's figures to FILE as JSON")
    args = ap.parse_args(argv)
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BENCHES]
    if unknown:
        ap.error(f"unknown bench {', '.join(unknown)} (choose from {', '.join(BENCHES)})")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    runs: dict[str, BenchRun] = {}
    for name in chosen:
        log(f"report: running bench/{name}.py")
        extra = ["--strokes", str(args.strokes)] if name == "desktop" and args.strokes else []
        runs[name] = run_bench(name, extra, log)
    lines = ["# Tinta benchmark report", "",
             f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} logical CPUs, Python {sys.version.split()[0]}",
             "", *figure_table(runs), ""]
    setup = setup_lines(runs)
    if setup:
        lines += ["Setup:", *setup, ""]
    if not args.no_eval:
        lines += ["## Quality", ""]
        with tempfile.TemporaryDirectory(prefix="tinta-report-eval-") as d:
            md = run_quick_eval(Path(d), log) if args.eval_quick else latest_eval_md()
            if md is None or not md.is_file():
                lines.append("No evaluation report: run `python -m trainer.evaluate` (writes runs/eval/eval.md) "
                             "or pass --eval-quick.")
            else:
                lines += quality_lines(md)
    print("\n".join(lines))
    if args.json:
        data = {name: {"figures": r.figures, "problem": r.problem, "seconds": r.seconds} for name, r in runs.items()}
        path = Path(args.json)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
