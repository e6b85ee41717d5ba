"""bench/report.py: the figure table, figures read from printed lines, the quality excerpt of an eval.md."""
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
report = importlib.util.module_from_spec(_spec)
sys.modules["bench_report"] = report  # dataclasses look their module up there
_spec.loader.exec_module(report)

EVAL_MD = """# Tinta evaluation: model `tinta-base`

16 photos in 2 datasets; provider CPUExecutionProvider.

## Automatic colorization (no hints)

| Dataset | Method | Photos | PSNR (dB) |
|---|---|---|---|
| Kodak24 | model | 8 | 17.33 |
| all | model | 16 | 17.89 |
| all | gray | 16 | 19.21 |

## PSNR (dB) vs number of ground-truth hints, all photos

| Hints | model |
|---|---|
| 0 | 17.89 |
| 10 | 19.74 |

## Notes

| not | a table we want |
"""


def test_figure_table_formats_figures_and_says_what_is_missing():
    runs = {"engine": report.BenchRun("engine", {"preview_ms": 61.4, "ort_vs_torch": 2.345}),
            "archive": report.BenchRun("archive", {}, "bench/archive.py is not there")}
    table = "\n".join(report.figure_table(runs))
    assert "| 61 ms | <= 80 ms |" in table and "| 2.35x |" in table
    assert "not measured: bench/archive.py is not there" in table
    assert "not measured: bench/engine.py gave no 'twelve_mp_png_s'" in table
    assert "desktop stroke -> preview (p50) | not run (--only)" in table


def test_figures_are_read_from_printed_lines_of_scripts_without_json():
    lines = ["12 MP JPEG: 6 files, 2 workers: 20.5 s, 0.29 files/s (process start-up included)"]
    assert report._from_printed("archive", lines) == {"files_per_second": 0.29}
    lines = ["8 variants:    1.932 s  (1.50x one colorization; goal <= 2.5x: met)"]
    assert report._from_printed("variants", lines) == {"cost_ratio": 1.5}
    assert report._from_printed("variants", ["nothing here"]) == {}


def test_quality_excerpt_keeps_the_all_rows_and_the_hint_sweep(tmp_path):
    md = tmp_path / "eval.md"
    md.write_text(EVAL_MD, encoding="utf-8")
    text = "\n".join(report.quality_lines(md))
    assert "| all | model | 16 | 17.89 |" in text and "| all | gray | 16 | 19.21 |" in text
    assert "Kodak24" not in text and "not | a table" not in text
    assert "| 10 | 19.74 |" in text and "16 photos in 2 datasets" in text
