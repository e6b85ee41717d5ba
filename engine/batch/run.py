"""Whole-archive batches: plan (skipping verified outputs), run on worker processes, report.

Resumable: an item is done when its recipe sidecar matches the settings, the model hash and the
source, and the output still has the hash the sidecar recorded.  Outputs and sidecars are written
atomically, the sidecar that records the output's hash last, so a batch killed at any moment loses at
most the files in flight.  A file in the output folder that no sidecar claims is never replaced without
--overwrite.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from filelock import FileLock, Timeout

from ..io.atomic import write_atomic
from .job import Item, Outcome, parent_alive, render_item
from ..errors import TintaError
from ..cli.progress import progress_bar
from ..recipe import Recipe, is_done, sidecar_path

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
REPORT_NAME = "tinta-report.json"
LOCK_NAME = ".tinta-batch.lock"


@dataclass
class Plan:
    """todo: items to render; skipped: sources already done; total: images found; failed: sources whose
    recipe could not be made ({source, error}, e.g. a malformed NAME.hints.json); recipes: source -> Recipe."""

    todo: list[Item]
    skipped: list[str]
    total: int
    failed: list[dict] = field(default_factory=list)
    recipes: dict = field(default_factory=dict)


@dataclass
class Summary:
    """Counts and failures of one run; `report` is the path of the JSON report written."""

    done: int = 0
    skipped: int = 0
    failed: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    pixels: int = 0
    report: str = ""
    report_error: str = ""


def scan(indir: Path, outdir: Path, exclude: Iterable[Path] = ()) -> list[tuple[Path, Path]]:
    """(source, relative folder) for every image under indir (sorted), outdir and `exclude` left out."""
    indir = Path(indir)
    skip = {Path(p).resolve() for p in exclude}
    out_abs = Path(outdir).resolve()
    found = []
    for root, dirs, files in os.walk(indir):
        root_p = Path(root)
        if root_p.resolve() == out_abs:
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(files):
            p = root_p / name
            if p.suffix.lower() in IMAGE_EXTS and not name.startswith(".") and p.resolve() not in skip:
                found.append((p, root_p.relative_to(indir)))
    return found


def plan(indir: Path, outdir: Path, recipe: Recipe, exclude: Iterable[Path] = (),
         recipe_for: Callable[[Path], Recipe] | None = None, overwrite: bool = False) -> Plan:
    """Items still to render.  Outputs are named <stem>.<ext>; where two sources in a folder share a
    stem (scan.jpg, scan.tif) all of them are named <name>.<ext> so nothing collides.  A source whose
    recipe_for raises TintaError fails alone; the others are planned."""
    found = scan(indir, outdir, exclude)
    stems: dict[tuple, int] = defaultdict(int)
    for src, rel in found:
        stems[(rel, src.stem.lower())] += 1
    result = Plan([], [], len(found))
    for src, rel in found:
        folder = Path(outdir) / rel
        base = src.stem if stems[(rel, src.stem.lower())] == 1 else src.name
        try:
            r = recipe_for(src) if recipe_for else recipe
        except TintaError as exc:
            result.failed.append({"source": str(src), "error": str(exc)})
            continue
        if is_done(sidecar_path(folder, src), src, r):
            result.skipped.append(str(src))
        else:
            result.todo.append(Item(str(src), str(folder), base, overwrite))
            result.recipes[str(src)] = r
    return result


# --- local worker processes ------------------------------------------------------------------------
_worker: dict = {}


class WorkerStartError(TintaError):
    """A worker process could not load its Colorizer; the whole batch stops with this one line."""


def _init_worker(model: str | None, provider: str | None, parent: int, cpus: list[int] | None) -> None:
    try:
        if cpus and hasattr(os, "sched_setaffinity"):
            # Each worker gets its share of cores so ONNX Runtime and the renderer size their thread pools to it.
            os.sched_setaffinity(0, cpus)
        from ..colorizer import Colorizer

        _worker["colorizer"] = Colorizer(model, provider, split=False)
        _worker["alive"] = parent_alive(parent)
    except Exception as exc:  # noqa: BLE001 - Pool respawns a worker whose initializer raises, forever
        text = str(exc) if isinstance(exc, TintaError) else f"{exc.__class__.__name__}: {exc}"
        _worker["error"] = "a batch worker could not start: " + (text.splitlines() or [""])[0]


def _run_one(args: tuple[Item, Recipe]) -> Outcome:
    if "error" in _worker:
        raise WorkerStartError(_worker["error"])  # reaches the parent through imap, which then stops the pool
    item, recipe = args
    return render_item(_worker["colorizer"], item, recipe, _worker["alive"])


def _cpu_shares(workers: int) -> list[list[int] | None]:
    if not hasattr(os, "sched_getaffinity"):
        return [None] * workers
    cpus = sorted(os.sched_getaffinity(0))
    if workers >= len(cpus):
        return [[cpus[i % len(cpus)]] for i in range(workers)]
    return [cpus[i::workers] for i in range(workers)]


def run_local(items: list[tuple[Item, Recipe]], workers: int, model: str | None,
              provider: str | None) -> Iterator[Outcome]:
    """Outcomes as they finish, from `workers` spawned processes (each holding one Colorizer).

    One item per task and a bounded number in flight keep memory to one image per worker.
    """
    if not items:
        return
    if workers <= 1:
        from ..colorizer import Colorizer

        colorizer = Colorizer(model, provider, split=False)
        for item, recipe in items:
            yield render_item(colorizer, item, recipe)
        return
    ctx = mp.get_context("spawn")  # fork after onnxruntime/OpenCV threads exist is unsafe
    shares = _cpu_shares(workers)
    # Replacing workers now and then returns memory that fragmentation would otherwise keep.
    with ctx.Pool(workers, initializer=_init_numbered, initargs=(shares, model, provider, os.getpid()),
                  maxtasksperchild=500) as pool:
        yield from pool.imap_unordered(_run_one, items, chunksize=1)


def _init_numbered(shares, model, provider, parent) -> None:
    number = (mp.current_process()._identity or (1,))[0]  # 1, 2, ... also for replacement workers
    _init_worker(model, provider, parent, shares[(number - 1) % len(shares)])


# --- the run -------------------------------------------------------------------------------------
def execute(plan_: Plan, recipe_of: Callable[[Item], Recipe], outcomes_of: Callable, outdir: Path,
            settings: dict, progress: bool = True) -> Summary:
    """Run the plan through `outcomes_of(list[(Item, Recipe)]) -> iterator of Outcome`, then write the report."""
    start = time.perf_counter()
    summary = Summary(skipped=len(plan_.skipped), failed=list(plan_.failed))
    # One status line: rate, ETA and failures; on a terminal it stays when the run ends.
    bar = progress_bar(len(plan_.todo), "{rate_fmt} ETA {remaining} {desc}") if progress and plan_.todo else None
    pairs = [(item, recipe_of(item)) for item in plan_.todo]
    finished = False
    try:
        for out in outcomes_of(pairs):
            if out.ok:
                summary.done += 1
                summary.pixels += out.pixels
            else:
                summary.failed.append({"source": out.source, "error": out.error})
            if bar:
                bar.set_description_str(f"failed {len(summary.failed)}", refresh=False)
                bar.update(1)
        finished = True
    finally:
        if bar:
            bar.close()
        summary.seconds = time.perf_counter() - start
        try:
            summary.report = str(write_report(outdir, summary, settings, plan_.total))
        except TintaError as exc:
            if finished:  # otherwise the error that stopped the run is the one to tell
                summary.report_error = str(exc)
    return summary


def write_report(outdir: Path, summary: Summary, settings: dict, total: int) -> Path:
    """OUTDIR/tinta-report.json (atomic): counts, rate, settings and every failure with its reason."""
    from ..recipe import tinta_version

    path = Path(outdir) / REPORT_NAME
    data = {"tinta": tinta_version(), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "images_found": total,
            "rendered": summary.done, "skipped_done": summary.skipped, "failed": len(summary.failed),
            "seconds": round(summary.seconds, 3),
            "files_per_second": round(summary.done / summary.seconds, 3) if summary.seconds else 0.0,
            "settings": settings, "failures": summary.failed}
    try:
        write_atomic(path, json.dumps(data, indent=1))
    except OSError as exc:
        raise TintaError(f"{path}: cannot write the batch report ({exc.strerror or exc})") from None
    return path


class BatchLock:
    """An exclusive lock on OUTDIR so two batches never write the same folder; stale temp files are
    removed once it is held (they can only be left by a run that was killed).  filelock gives the same
    lock on Windows, macOS and Linux."""

    def __init__(self, outdir: Path):
        self.path = Path(outdir) / LOCK_NAME
        self.lock = FileLock(str(self.path), timeout=0)

    def __enter__(self):
        try:
            self.lock.acquire()
        except Timeout:
            raise TintaError(f"{self.path.parent}: another tinta batch is writing to this folder") from None
        except OSError as exc:
            raise TintaError(f"{self.path.parent}: cannot write to output folder "
                             f"({exc.strerror or exc.__class__.__name__})") from None
        for part in Path(self.path.parent).rglob(".*.part"):
            try:
                part.unlink()
            except OSError:
                pass
        return self

    def __exit__(self, *exc):
        self.lock.release()


def summary_dict(summary: Summary) -> dict:
    return asdict(summary)
