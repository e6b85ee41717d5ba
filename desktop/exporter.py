"""Export: requests, their checks, and the job, which is engine.render_job's render + write, as the CLI's."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from desktop.variants import edit_of
from desktop.workers import Job
from engine import render_job
from engine.render_job import at_depth as to_bits  # noqa: F401 - the app's name for the engine's depth change

JPEG_QUALITY = 92  # the app's default JPEG quality for export
FORMATS = {".png": (8, 16), ".jpg": (8,), ".jpeg": (8,), ".tif": (8, 16), ".tiff": (8, 16)}


class ExportError(Exception):
    """An export the app refuses or could not finish; one line for a message box."""


@dataclass
class ExportRequest:
    path: Path
    bits: int = 8        # 8 or 16 (16 only for PNG and TIFF)
    quality: int = JPEG_QUALITY    # 1..100, JPEG only


def check_target(request: ExportRequest, original: Path) -> None:
    """Refuse exports that would overwrite the photo or its session, or that the format cannot hold."""
    target = Path(request.path)
    ext = target.suffix.lower()
    if ext not in FORMATS:
        raise ExportError(f"{target}: choose a .png, .jpg or .tif file name")
    if ext in (".jpg", ".jpeg") and not 1 <= int(request.quality) <= 100:
        raise ExportError(f"{target}: JPEG quality must be between 1 and 100, got {request.quality}")
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


class Exporter:
    """Exports the editor's document at full resolution (editor: the EditorController: its doc, colorizer,
    restoration, runner and signals)."""

    def __init__(self, editor) -> None:
        self.editor = editor

    def export(self, request: ExportRequest) -> bool:
        """Check the target now (message at once), render at full resolution off-thread, write atomically."""
        editor = self.editor
        if editor.doc is None:
            return False
        if editor.colorizer is None:
            editor.errorRaised.emit("Cannot export", "the colorization model is not loaded yet")
            return False
        try:
            check_target(request, editor.doc.path)
        except ExportError as exc:
            editor.errorRaised.emit("Cannot export", str(exc))
            return False
        colorizer, restoration = editor.colorizer, editor.restoration
        # The restoration the document asks for: the preview's when it is made, else made here (still due).
        original = restoration.original
        restored = restoration.restored if restoration.settled else None
        edit = edit_of(editor.doc, colorizer, editor.doc.restore)

        def work(token, progress):
            # The CLI's path: the same pixels, profile, EXIF/XMP and provenance note as `tinta colorize`.
            rendered = render_job.render(colorizer, original, edit, restored)
            token.check()  # a cancelled export writes nothing
            return render_job.write(request.path, rendered, request.quality, request.bits)

        job = Job(work, "export")
        job.signals.result.connect(self._on_exported)
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Export failed", msg))
        job.signals.cancelled.connect(lambda: editor.statusMessage.emit("Export cancelled"))
        editor.statusMessage.emit("Exporting at full resolution…")
        editor.runner.start(job)
        return True

    def _on_exported(self, path) -> None:
        self.editor.exported.emit(str(path))
        self.editor.statusMessage.emit(f"Exported {Path(path).name}")
