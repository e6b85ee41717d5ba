"""Editor logic: open, colorize off-thread, hint edits with undo, session autosave, export, variants.

The window calls these methods and listens to the signals; every slow step is a Job on one runner.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from desktop import tools
from desktop.canvas import Tool
from desktop.commands import SetHints, SetSetting, SetVariant
from desktop.document import Document, VariantChoice, make_preview
from desktop.exporter import ExportError, ExportRequest, check_target
from desktop.scheduler import PreviewScheduler, RenderInput
from desktop.session import SessionError, load_session, save_session, session_path
from desktop.settings import Settings
from desktop.variants import UNSUPPORTED, edit_of, preview_hints, variants_supported
from desktop.workers import Job, JobRunner
from engine import render_job
from engine.errors import TintaError
from engine.imageio import read_image
from engine.restore_pipeline import RestoreOptions, tone_back

log = logging.getLogger(__name__)
AUTOSAVE_MS = 800


class EditorController(QObject):
    """Owns the document, the undo stack and all jobs; the window only forwards user gestures here."""

    modelReady = Signal(str, str)            # model name, execution provider
    modelFailed = Signal(str)
    documentOpened = Signal(object)          # Document
    resultChanged = Signal(object)           # Hd x Wd x 3 uint8 preview result, or None
    hintsChanged = Signal(list)              # list[Hint], full-image coordinates
    busyChanged = Signal(bool)               # any job running or queued
    statusMessage = Signal(str)
    errorRaised = Signal(str, str)           # title, one-line message
    likelyColors = Signal(list)              # [(hex, probability)] at the last clicked pixel
    colorPicked = Signal(str)                # '#rrggbb' from the eyedropper
    variantsAvailable = Signal(bool, str)    # enabled?, reason when not
    variantsChanged = Signal(list)           # [Hd x Wd x 3 uint8 thumbnails' sources]
    exported = Signal(str)
    recentChanged = Signal(list)
    restoreApplied = Signal(object)          # RestoreOptions now in effect

    def __init__(self, settings: Settings, colorizer=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.colorizer = colorizer
        self.runner = JobRunner(self)
        self.runner.busyChanged.connect(self.busyChanged)
        self.undo = QUndoStack(self)
        self.doc: Document | None = None
        self.result = None                   # ColorizeResult of the preview currently shown
        self.color = "#c04030"
        self.hint_radius = settings.hint_radius
        self.ask_resume: Callable[[Path], bool] = lambda path: True
        self.scheduler = PreviewScheduler(self.runner, self._render_input, self)
        self.scheduler.rendered.connect(self._on_rendered)
        self.scheduler.failed.connect(lambda msg: self.errorRaised.emit("Colorization failed", msg))
        self.scheduler.cancelled.connect(lambda: self.statusMessage.emit("Cancelled"))
        self._variants: list = []
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self._on_autosave)
        self.undo.indexChanged.connect(self._on_undo_index)
        self.render_seconds: list[float] = []  # latency log for the bench
        self.original = None                 # Picture as opened; restoration always starts from it
        self.restore_opts = RestoreOptions()  # in effect; by default a toned print's tint is taken out
        self.restored = None                 # engine Restored of the original under restore_opts
        if colorizer is not None:
            QTimer.singleShot(0, self._announce_model)

    # --- model -----------------------------------------------------------------------------------
    def load_model(self, provider: str | None = None) -> None:
        """Create the Colorizer off the GUI thread (ORT session start-up can take seconds).

        `provider` overrides the saved preference for this run only.
        """
        from engine.colorizer import Colorizer
        provider = provider or self.settings.provider
        job = Job(lambda token, progress: Colorizer(provider=provider), "load model")
        job.signals.result.connect(self._on_model_loaded)
        job.signals.error.connect(self._on_model_error)
        self.runner.start(job)

    def _on_model_loaded(self, colorizer) -> None:
        self.colorizer = colorizer
        self.scheduler.reset()
        self._announce_model()
        if self.doc is not None and (self.settings.auto_colorize or self.doc.hints):
            self.colorize()

    def _on_model_error(self, message: str) -> None:
        self.modelFailed.emit(message)
        self.errorRaised.emit("No colorization model", message)

    def _announce_model(self) -> None:
        c = self.colorizer
        self.modelReady.emit(c.card.name, c.provider)
        ok = variants_supported(c)
        self.variantsAvailable.emit(ok, "" if ok else UNSUPPORTED)

    # --- open --------------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Open a photo: decoding, the default restoration (toned prints) and the display copy are made
        off-thread (big scans take seconds)."""
        path = Path(path)
        self.cancel()
        opts = RestoreOptions()

        def work(token, progress):
            picture = read_image(path)
            token.check()
            restored = render_job.restore(picture, opts)
            token.check()
            return picture, opts, restored, make_preview(restored.pixels)

        job = Job(work, "open")
        job.signals.result.connect(lambda value, p=path: self._on_opened(p, *value))
        job.signals.error.connect(lambda msg, p=path: self._on_open_failed(p, msg))
        self.statusMessage.emit(f"Opening {path.name}…")
        self.runner.start(job)

    def _on_open_failed(self, path: Path, message: str) -> None:
        self.errorRaised.emit("Cannot open photo", message)
        resolved = str(path.resolve())
        if resolved in self.settings.recent_files():
            self.settings.remove_recent(resolved)
            self.recentChanged.emit(self.settings.recent_files())

    def _on_opened(self, path: Path, picture, opts, restored, preview) -> None:
        self._save_now()
        self.undo.clear()
        self.doc = Document(path, replace(picture, pixels=restored.pixels), preview, self)
        self.original, self.restore_opts, self.restored = picture, opts, restored
        self.doc.size = self.settings.default_size
        self.doc.hintsChanged.connect(self._on_doc_hints)
        self.doc.settingsChanged.connect(self._on_doc_settings)
        self.doc.variantChanged.connect(self._on_doc_variant)
        self.result = None
        self.scheduler.reset()
        self._variants = []
        self.variantsChanged.emit([])
        self.recentChanged.emit(self.settings.add_recent(path))
        self.settings.last_dir = str(path.parent)
        self.documentOpened.emit(self.doc)
        self.resultChanged.emit(None)
        self.hintsChanged.emit([])
        self._offer_session(path)
        h, w = picture.pixels.shape[:2]
        tone = restored.tone
        toned = f", {tone.kind} toning taken out" if tone is not None and tone.toned and opts.detect_tone else ""
        self.statusMessage.emit(f"Opened {path.name} ({w}x{h}, {picture.bit_depth}-bit{toned})")
        self.restoreApplied.emit(opts)
        if self.colorizer is not None and (self.settings.auto_colorize or self.doc.hints):
            self.colorize()

    def _offer_session(self, photo: Path) -> None:
        spath = session_path(photo)
        if not spath.exists() or not self.ask_resume(spath):
            return
        try:
            session = load_session(spath)
            w, h = self.doc.full_size
            outside = [x for x in session.hints if not (0 <= x.x < w and 0 <= x.y < h)]
            if outside:
                raise SessionError(f"{spath}: {len(outside)} hint(s) lie outside this {w}x{h} photo")
        except SessionError as exc:
            self.errorRaised.emit("Cannot resume session", str(exc))
            return
        self.doc.apply_session(session)

    # --- colorize / preview ------------------------------------------------------------------------
    def working_long_side(self) -> int:
        if self.doc is not None and self.doc.size:
            return int(self.doc.size)
        return self.colorizer.card.default_long_side if self.colorizer is not None else 512

    def _render_input(self) -> RenderInput | None:
        if self.doc is None:
            return None
        if self.colorizer is None:
            self.statusMessage.emit("Waiting for the colorization model…")
            return None
        return RenderInput(self.doc, self.colorizer, self.working_long_side())

    def colorize(self, draft: bool = False) -> None:
        """Render the preview; draft=True answers an edit fast and is refined at full size after."""
        self.scheduler.request(draft)
        if not self.scheduler.idle:
            self.statusMessage.emit("Colorizing…")

    def _on_rendered(self, doc: Document, result, draft: bool) -> None:
        if doc is not self.doc:
            return  # a photo opened meanwhile
        result.rgb = tone_back(result.rgb, self.tone, self.restore_opts)
        self.result = result
        self.render_seconds.append(result.seconds)
        self.resultChanged.emit(result.rgb)
        h, w = result.work_shape
        kind = "draft" if draft else "network"
        self.statusMessage.emit(f"{result.provider} · {result.seconds * 1000:.0f} ms · {kind} {w}x{h}")

    @property
    def idle(self) -> bool:
        """No job running, queued or due (tests, the demo and the bench wait for this)."""
        return not self.runner.busy and self.scheduler.idle

    def cancel(self) -> None:
        """Drop running work: its result is discarded and the window is free at once."""
        self.scheduler.cancel()
        self.runner.cancel_all()

    def _on_doc_hints(self) -> None:
        self.hintsChanged.emit(list(self.doc.hints))
        self.colorize(draft=True)

    def _on_doc_settings(self) -> None:
        self.colorize(draft=True)

    def _on_doc_variant(self) -> None:
        self.colorize()

    # --- edits -------------------------------------------------------------------------------------
    def work_unit(self) -> float:
        """Full-image pixels per working pixel (hint radii are in working pixels)."""
        if self.doc is None:
            return 1.0
        w, h = self.doc.full_size
        long_side = self.doc.size or (self.colorizer.card.default_long_side if self.colorizer else 512)
        return max(w, h) / long_side

    def brush_extent(self) -> float:
        return tools.brush_extent(self.hint_radius, self.work_unit())

    def region_radius(self) -> float:
        return tools.wide_radius(self.hint_radius, self.work_unit())

    def set_color(self, color: str) -> None:
        self.color = color.lower()

    def set_hint_radius(self, radius: int) -> None:
        self.hint_radius = int(radius)
        self.settings.hint_radius = self.hint_radius

    def stroke(self, tool: Tool, points: list) -> None:
        """Turn a finished canvas gesture into one undoable edit."""
        doc = self.doc
        if doc is None or not points:
            return
        if tool is Tool.BRUSH:
            self.show_likely(*points[0])
        edit = tools.stroke_edit(tool, points, doc.hints, self.color, self.hint_radius, doc.full_size,
                                 self.work_unit())
        if edit is not None:
            self.undo.push(SetHints(doc, edit.hints, edit.label))
        elif tool in (Tool.REGION_PAINT, Tool.REGION_LASSO):
            self.statusMessage.emit("That region is empty; draw a larger area")

    def clear_hints(self) -> None:
        if self.doc is not None and self.doc.hints:
            self.undo.push(SetHints(self.doc, (), "Clear all hints"))

    def set_size(self, size: int | None) -> None:
        if self.doc is not None and size != self.doc.size:
            self.undo.push(SetSetting(self.doc, "size", size, "Change working size"))

    def set_vividness(self, value: float) -> None:
        if self.doc is not None and abs(value - self.doc.vividness) > 1e-6:
            self.undo.push(SetSetting(self.doc, "vividness", float(value), "Change vividness"))

    def pick(self, x: float, y: float) -> None:
        """Eyedropper: take the current result's colour at full-image (x, y) and show likely colours."""
        if self.doc is None or self.result is None:
            return
        px, py = self._preview_xy(x, y)
        if px is None:
            return
        r, g, b = (int(v) for v in self.result.rgb[py, px, :3])
        self.set_color(f"#{r:02x}{g:02x}{b:02x}")
        self.colorPicked.emit(self.color)
        self.show_likely(x, y)

    def show_likely(self, x: float, y: float) -> None:
        if self.result is None or self.result.prob is None or self.colorizer is None:
            self.likelyColors.emit([])
            return
        px, py = self._preview_xy(x, y)
        if px is None:
            return
        try:
            self.likelyColors.emit(self.colorizer.likely_colors(self.result, px, py, k=5))
        except (TintaError, ValueError) as exc:
            self.likelyColors.emit([])
            self.statusMessage.emit(str(exc))

    def _preview_xy(self, x: float, y: float):
        rgb = self.result.rgb
        w, h = self.doc.full_size
        if not (0 <= x < w and 0 <= y < h):
            return None, None
        return min(rgb.shape[1] - 1, int(x * rgb.shape[1] / w)), min(rgb.shape[0] - 1, int(y * rgb.shape[0] / h))

    # --- variants ----------------------------------------------------------------------------------
    def sample_variants(self, n: int = 6, seed: int | None = None, like: int | None = None,
                        spread: float = 0.5) -> None:
        if self.doc is None or self.colorizer is None or not variants_supported(self.colorizer):
            return
        doc, colorizer = self.doc, self.colorizer
        hints = preview_hints(doc, list(doc.hints))
        base = self._variants[like] if like is not None and like < len(self._variants) else None
        seed = int(np.random.default_rng().integers(0, 2**31 - 1)) if seed is None else seed

        def work(token, progress):
            if base is not None:
                return list(colorizer.more_like(base, spread))
            return list(colorizer.variants(doc.preview, n, seed, hints=hints))

        job = Job(work, "variants")
        job.signals.result.connect(lambda vs, d=doc: self._on_variants(d, vs))
        job.signals.error.connect(lambda msg: self.errorRaised.emit("Variants failed", msg))
        self.statusMessage.emit("Sampling variants…")
        self.runner.start(job)

    def _on_variants(self, doc: Document, variants: list) -> None:
        if doc is not self.doc:
            return
        self._variants = variants
        self.variantsChanged.emit([v.result.rgb for v in variants])

    def apply_variant(self, index: int) -> None:
        if self.doc is None or not 0 <= index < len(self._variants):
            return
        v = self._variants[index]
        self.undo.push(SetVariant(self.doc, VariantChoice.of(v), f"Apply variant {index + 1}"))

    def clear_variant(self) -> None:
        if self.doc is not None and self.doc.variant is not None:
            self.undo.push(SetVariant(self.doc, None, "Back to the model's colours"))

    # --- restoration -------------------------------------------------------------------------------
    @property
    def tone(self):
        """ToneInfo of the original (None unless restoration looked for one)."""
        return None if self.restored is None else self.restored.tone

    def apply_restore(self, opts) -> None:
        """Restore the original's luminance off the GUI thread (the engine's own restoration, as on export),
        then show and colorize the result."""
        if self.doc is None:
            return
        doc, original = self.doc, self.original

        def work(token, progress):
            restored = render_job.restore(original, opts)
            token.check()
            return restored, make_preview(restored.pixels)

        job = Job(work, "restore")
        job.signals.result.connect(lambda value, d=doc, o=opts: self._on_restored(d, o, *value))
        job.signals.error.connect(lambda msg: self.errorRaised.emit("Restoration failed", msg))
        self.statusMessage.emit("Restoring…")
        self.runner.start(job)

    def _on_restored(self, doc: Document, opts, restored, preview) -> None:
        if doc is not self.doc:
            return
        doc.picture, doc.preview = replace(self.original, pixels=restored.pixels), preview
        self.restore_opts, self.restored = opts, restored
        self.scheduler.reset()
        self.restoreApplied.emit(opts)
        self.colorize()

    # --- session -----------------------------------------------------------------------------------
    def _on_undo_index(self, _index: int) -> None:
        self._autosave.start()

    def _on_autosave(self) -> None:
        self._save_now()

    def _save_now(self) -> Path | None:
        self._autosave.stop()
        if self.doc is None or self.undo.count() == 0:
            return None  # nothing edited: do not litter the photo's folder
        try:
            return save_session(self.doc.path, self.doc.session())
        except OSError as exc:
            self.statusMessage.emit(f"Could not save the session beside the photo: {exc.strerror or exc}")
            return None

    def save_session(self) -> Path | None:
        if self.doc is None:
            return None
        try:
            path = save_session(self.doc.path, self.doc.session())
        except OSError as exc:
            self.errorRaised.emit("Cannot save session", f"{session_path(self.doc.path)}: {exc.strerror or exc}")
            return None
        self.statusMessage.emit(f"Session saved to {path.name}")
        return path

    def shutdown(self) -> None:
        self._save_now()
        self.cancel()
        self.runner.wait(5000)

    # --- export ------------------------------------------------------------------------------------
    def export(self, request: ExportRequest) -> bool:
        """Check the target now (message at once), render at full resolution off-thread, write atomically."""
        if self.doc is None:
            return False
        if self.colorizer is None:
            self.errorRaised.emit("Cannot export", "the colorization model is not loaded yet")
            return False
        try:
            check_target(request, self.doc.path)
        except ExportError as exc:
            self.errorRaised.emit("Cannot export", str(exc))
            return False
        colorizer, original, restored = self.colorizer, self.original, self.restored
        edit = edit_of(self.doc, colorizer, self.restore_opts)

        def work(token, progress):
            # The CLI's path: the same pixels, profile, EXIF/XMP and provenance note as `tinta colorize`.
            rendered = render_job.render(colorizer, original, edit, restored)
            token.check()  # a cancelled export writes nothing
            return render_job.write(request.path, rendered, request.quality, request.bits)

        job = Job(work, "export")
        job.signals.result.connect(lambda p: (self.exported.emit(str(p)),
                                              self.statusMessage.emit(f"Exported {Path(p).name}")))
        job.signals.error.connect(lambda msg: self.errorRaised.emit("Export failed", msg))
        job.signals.cancelled.connect(lambda: self.statusMessage.emit("Export cancelled"))
        self.statusMessage.emit("Exporting at full resolution…")
        self.runner.start(job)
        return True

