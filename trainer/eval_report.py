"""The evaluation report: result dataclasses, markdown tables, JSON and the hint-sweep plot, written atomically."""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

ALL = "all"  # the dataset label of rows pooled over every folder


@dataclass
class Row:
    """Automatic colorization (no hints) of one method on one dataset; None where not computable."""

    dataset: str
    method: str
    images: int
    psnr: float                    # dB, mean over photos, RGB 8-bit
    ssim: float                    # mean over photos
    colourfulness: float           # Hasler-Suesstrunk M of the outputs, mean over photos
    colourfulness_true: float      # the same for the true photos
    frechet: float | None          # Lite0 pooled-feature Frechet distance, outputs vs true photos
    top1: float                    # share of photos whose Lite0 top-1 class equals the true photo's
    cast: float | None = None      # ab distance of the set's mean a*/b* from the true photos' (metrics.cast)
    frechet2: float | None = None  # the same Frechet distance on the second judge's features (Lite2), if installed


@dataclass
class SweepPoint:
    """Mean PSNR of one method given `hints` simulated ground-truth hints, on one dataset."""

    method: str
    dataset: str
    hints: int
    images: int
    psnr: float


@dataclass
class EvalReport:
    model: str
    provider: str
    size: int | None               # working long side asked for (None: the card's default)
    datasets: dict[str, str]       # dataset label -> folder
    rows: list[Row] = field(default_factory=list)
    sweep: list[SweepPoint] = field(default_factory=list)
    seconds: float = 0.0           # whole evaluation
    model_seconds: float = 0.0     # mean colorize() time per photo, no hints
    hint_error: dict[int, float] = field(default_factory=dict)  # hints -> network's mean ab error at them
    notes: list[str] = field(default_factory=list)

    def row(self, method: str, dataset: str = ALL) -> Row | None:
        return next((r for r in self.rows if r.method == method and r.dataset == dataset), None)

    def sweep_psnr(self, method: str, dataset: str = ALL) -> dict[int, float]:
        return {p.hints: p.psnr for p in self.sweep if p.method == method and p.dataset == dataset}

    def to_dict(self) -> dict:
        return _finite(asdict(self))

    def to_markdown(self) -> str:
        lines = [f"# Tinta evaluation: model `{self.model}`", "",
                 f"{self.row('model').images} photos in {len(self.datasets)} datasets "
                 f"({', '.join(self.datasets)}); provider {self.provider}; working long side "
                 f"{self.size or 'card default'}; {self.model_seconds:.3f} s per photo (no hints); "
                 f"whole run {self.seconds:.0f} s.", "",
                 "## Automatic colorization (no hints)", "", rows_table(self.rows)]
        if self.sweep:
            lines += ["", "## PSNR (dB) vs number of ground-truth hints, all photos", "",
                      sweep_table(self.sweep)]
        if self.hint_error:
            lines += ["", "## The network's own hint error (mean ab distance at the hints, before propagation)", "",
                      "| Hints | " + " | ".join(str(n) for n in self.hint_error) + " |",
                      "|---|" + "---|" * len(self.hint_error),
                      "| ab error | " + " | ".join(f"{v:.2f}" for v in self.hint_error.values()) + " |"]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _finite(obj):
    """JSON has no NaN/inf: those become None."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _fmt(v, digits: int) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}f}"


def rows_table(rows: list[Row]) -> str:
    if len({r.dataset for r in rows} - {ALL}) == 1:
        rows = [r for r in rows if r.dataset != ALL]  # one dataset: the pooled rows would repeat it
    head = ("| Dataset | Method | Photos | PSNR (dB) | SSIM | Colourfulness | Colourfulness (true) "
            "| Cast (ab) | Frechet (Lite0) | Frechet (Lite2) | Top-1 agreement |")
    out = [head, "|" + "---|" * 11]
    for r in rows:
        out.append(f"| {r.dataset} | {r.method} | {r.images} | {_fmt(r.psnr, 2)} | {_fmt(r.ssim, 4)} "
                   f"| {_fmt(r.colourfulness, 1)} | {_fmt(r.colourfulness_true, 1)} | {_fmt(r.cast, 1)} "
                   f"| {_fmt(r.frechet, 2)} | {_fmt(r.frechet2, 2)} | {_fmt(r.top1, 3)} |")
    return "\n".join(out)


def sweep_table(points: list[SweepPoint], dataset: str = ALL) -> str:
    methods = list(dict.fromkeys(p.method for p in points))
    table = {(p.method, p.hints): p.psnr for p in points if p.dataset == dataset}
    counts = sorted({p.hints for p in points})
    out = ["| Hints | " + " | ".join(methods) + " |", "|" + "---|" * (len(methods) + 1)]
    for n in counts:
        out.append(f"| {n} | " + " | ".join(_fmt(table.get((m, n)), 2) for m in methods) + " |")
    return "\n".join(out)


def _atomic_write(path: Path, write) -> None:
    """Write through a temp file in the same folder, then os.replace, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plot_sweep(report: EvalReport, fh) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for method in dict.fromkeys(p.method for p in report.sweep):
        pts = sorted(report.sweep_psnr(method).items())
        ax.plot([n for n, _ in pts], [v for _, v in pts], marker="o", label=method)
    gray = report.row("gray")
    if gray is not None:
        ax.axhline(gray.psnr, color="gray", linestyle="--", label="gray (no colour)")
    # symlog keeps 0 hints on the axis while spreading 1..100 as on a log axis.
    counts = sorted({p.hints for p in report.sweep})
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.set_xlim(-0.1, counts[-1] * 1.15)
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("simulated ground-truth hints")
    ax.set_ylabel("PSNR (dB), mean over photos")
    ax.set_title(f"{report.model}: {report.row('model').images} photos")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(fh, format="png")
    plt.close(fig)


def write_report(report: EvalReport, out_dir) -> list[Path]:
    """Writes eval.md, eval.json and (when there is a sweep) hints.png into out_dir; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "eval.md", out / "eval.json"]
    _atomic_write(paths[0], lambda fh: fh.write(report.to_markdown().encode("utf-8")))
    text = json.dumps(report.to_dict(), indent=2, allow_nan=False)
    _atomic_write(paths[1], lambda fh: fh.write((text + "\n").encode("utf-8")))
    if report.sweep:
        paths.append(out / "hints.png")
        _atomic_write(paths[2], lambda fh: plot_sweep(report, fh))
    return paths
