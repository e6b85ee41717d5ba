"""Export requests and their checks; the export itself is engine.render_job's render + write, as the CLI's."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.render_job import at_depth as to_bits  # noqa: F401 - the app's name for the engine's depth change

FORMATS = {".png": (8, 16), ".jpg": (8,), ".jpeg": (8,), ".tif": (8, 16), ".tiff": (8, 16)}


class ExportError(Exception):
    """An export the app refuses or could not finish; one line for a message box."""


@dataclass
class ExportRequest:
    path: Path
    bits: int = 8        # 8 or 16 (16 only for PNG and TIFF)
    quality: int = 95    # JPEG quality


def check_target(request: ExportRequest, original: Path) -> None:
    """Refuse exports that would overwrite the photo or its session, or that the format cannot hold."""
    target = Path(request.path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise ExportError(f"{target}: choose a .png, .jpg or .tif file name")
    if request.bits not in FORMATS[ext]:
        raise ExportError(f"{target}: {ext[1:].upper()} cannot hold {request.bits}-bit colour")
    if _same_file(target, original):
        raise ExportError(f"{target}: refusing to overwrite the original photo; choose another name")
    if target.name.endswith(".tinta.json"):
        raise ExportError(f"{target}: that name is reserved for the editing session")
    if not target.parent.is_dir():
        raise ExportError(f"{target.parent}: folder does not exist")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
