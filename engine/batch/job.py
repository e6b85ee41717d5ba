"""One batch item: its recipe through engine/render_job.py, the output written with metadata, then its sidecar."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ImageError, TintaError
from ..io.image import read_image
from ..models import file_sha256
from ..recipe import Recipe, Sidecar, read_sidecar, sidecar_path, tinta_version, write_sidecar
from ..render_job import Edit, render, write


@dataclass(frozen=True)
class Item:
    """source: input file; out_folder: where output and sidecar go; base: output name without extension;
    overwrite: replace an existing output that no sidecar of this source claims."""

    source: str
    out_folder: str
    base: str
    overwrite: bool = False


@dataclass(frozen=True)
class Outcome:
    """ok: written; output: its path ('' on failure); error: one-line message; seconds: wall time; pixels: W*H."""

    source: str
    ok: bool
    output: str = ""
    error: str = ""
    seconds: float = 0.0
    pixels: int = 0


def render_item(colorizer, item: Item, recipe: Recipe, should_write=lambda: True) -> Outcome:
    """Render one file; every problem becomes Outcome(ok=False, error=one line). Never raises TintaError.

    `should_write` is asked right before anything is written (a worker whose parent died says no).
    """
    start = time.perf_counter()
    src = Path(item.source)
    try:
        if recipe.model_sha256 != colorizer.card.sha256:
            raise TintaError(f"{src}: recipe needs model sha256 {recipe.model_sha256[:12]}..., "
                             f"the loaded model is {colorizer.card.sha256[:12]}...")
        st = src.stat()
        pic = read_image(src)
        ext = recipe.format or ("tif" if pic.bit_depth == 16 else "png")
        folder = Path(item.out_folder)
        dest = folder / f"{item.base}.{ext}"
        if dest.resolve() == src.resolve():
            raise ImageError(src, f"output {dest} would replace the input; choose another output folder")
        check_not_foreign(src, dest, sidecar_path(folder, src), item.overwrite)
        rendered = render(colorizer, pic, Edit.from_recipe(recipe))
        if not should_write():
            return Outcome(item.source, False, error=f"{src}: stopped before writing")
        folder.mkdir(parents=True, exist_ok=True)
        side = Sidecar(recipe, str(src.resolve()), st.st_size, st.st_mtime_ns, dest.name, "", tinta_version())
        # A claim first (no hash, so never taken as done): if the run dies after the output is written,
        # the next run still knows the file is its own and may replace it.
        write_sidecar(sidecar_path(folder, src), side)
        write(dest, rendered, quality=recipe.quality)
        write_sidecar(sidecar_path(folder, src), replace(side, output_sha256=file_sha256(dest)))
        h, w = rendered.pixels.shape[:2]
        return Outcome(item.source, True, str(dest), seconds=time.perf_counter() - start, pixels=h * w)
    except TintaError as exc:
        return Outcome(item.source, False, error=str(exc), seconds=time.perf_counter() - start)
    except MemoryError:
        return Outcome(item.source, False, error=f"{src}: not enough memory; try fewer --workers or a smaller --size")
    except (ValueError, OSError) as exc:
        msg = getattr(exc, "strerror", None) or str(exc)
        return Outcome(item.source, False, error=f"{src}: {msg}", seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one line per file; the batch goes on
        return Outcome(item.source, False, error=f"{src}: {exc.__class__.__name__}: {exc}",
                       seconds=time.perf_counter() - start)


def check_not_foreign(src: Path, dest: Path, sidecar: Path, overwrite: bool) -> None:
    """ImageError unless dest is absent, claimed by this source's sidecar, or overwrite is allowed."""
    if overwrite or not dest.exists():
        return
    try:
        if read_sidecar(sidecar).output == dest.name:
            return
    except TintaError:
        pass
    raise ImageError(src, f"output {dest} exists and was not written by tinta batch (no recipe sidecar "
                          f"names it); use --overwrite to replace it")


def parent_alive(parent_pid: int):
    """A should_write callback: False once the process that started this worker has gone."""
    return lambda: os.getppid() == parent_pid
