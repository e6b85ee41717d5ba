"""Editor logic: the window calls these methods and listens to the signals; every slow step is a Job on one runner.

The controller owns what every job shares (the document, the model, the undo stack, the job runner, the
preview result) and the signals; each job lives in a module of its own, which it forwards to:

- opening a photo, loading the model, colorizing the preview: here, with desktop/scheduler.py
- hint and settings edits, the eyedropper: desktop/hint_edits.py
- regions (colour layers and protected areas): desktop/region_edits.py
- variants: desktop/variant_sampling.py
- restoration: desktop/restoration.py
- the session file (autosave, save, resume): desktop/session_keeper.py
- export: desktop/exporter.py
- the folder as an album (filmstrip thumbnails, copy settings, carry colours): desktop/album.py
- the "Where am I unsure?" overlay: desktop/unsure.py
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from desktop import wording
from desktop.album import Album
from desktop.canvas import Tool
from desktop.document import Document, make_preview
from desktop.exporter import Exporter, ExportRequest
from desktop.hint_edits import HintEdits
from desktop.reference_edits import ReferenceEdits
from desktop.region_edits import RegionEdits
from desktop.restoration import Restoration
from desktop.scheduler import PreviewScheduler, RenderInput
from desktop.session_keeper import SessionKeeper
from desktop.settings import Settings
from desktop.variant_sampling import VariantSampling
from desktop.unsure import UnsureOverlay
from desktop.variants import UNSUPPORTED, variants_supported
from desktop.workers import Job, JobRunner
from engine import look, render_job
from engine.io.image import read_image
from engine.restore.pipeline import RestoreOptions

log = logging.getLogger(__name__)
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


def photos_in(folder: Path) -> list[Path]:
    """The folder's photos by name (what the Open dialog's filter shows), hidden files left out."""
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in PHOTO_SUFFIXES), key=lambda p: p.name.lower())


class EditorController(QObject):
    """Owns the document, the undo stack and all jobs; the window only forwards user gestures here."""

    modelReady = Signal(str, str)            # model name, execution provider
    modelFailed = Signal(str)
    documentOpened = Signal(object)          # Document
    resultChanged = Signal(object)           # Hd x Wd x 3 uint8 preview result, or None
    hintsChanged = Signal(list)              # list[Hint], full-image coordinates
    regionsChanged = Signal(object)          # tuple[Region], layer order
    busyChanged = Signal(bool)               # any job running or queued
    statusMessage = Signal(str)
    errorRaised = Signal(str, str)           # title, one-line message
    likelyColors = Signal(list)              # [(hex, probability)] at the last clicked pixel
    colorPicked = Signal(str)                # '#rrggbb' from the eyedropper
    variantsAvailable = Signal(bool, str)    # enabled?, reason when not
    variantsChanged = Signal(list)           # [h x w x 3 uint8 thumbnails, long side <= 200]
    variantHistoryChanged = Signal(list)     # earlier sets, most recent first: [[h x w x 3 uint8 thumbnails]]
    exported = Signal(str)
    recentChanged = Signal(list)
    restoreApplied = Signal(object)          # RestoreOptions now in effect
    uncertaintyChanged = Signal(object, list)  # Hd x Wd x 4 uint8 heat map or None, [(x, y)] suggested hints

    def __init__(self, settings: Settings, colorizer=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.colorizer = colorizer
        self.model_error: str | None = None   # why the model could not be loaded, shown on Colorize
        self.runner = JobRunner(self)
        self.runner.busyChanged.connect(self.busyChanged)
        self.undo = QUndoStack(self)
        self.doc: Document | None = None
        self.result = None                   # ColorizeResult of the preview currently shown
        self._colorized = None               # its rgb before the look and the print's tone
        self._look_job: Job | None = None    # the newest look being made off the GUI thread
        self.ask_resume: Callable[[Path], bool] = lambda path: True
        # Edits that could not be saved, when their photo is left: "save" (try again), "discard" or "cancel".
        self.ask_unsaved: Callable[[Path, str], str] = lambda path, why: "save"
        self.scheduler = PreviewScheduler(self.runner, self._render_input, self)
        self.scheduler.rendered.connect(self._on_rendered)
        self.scheduler.failed.connect(lambda msg: self.errorRaised.emit("Colorization failed", msg))
        self.scheduler.cancelled.connect(lambda: self.statusMessage.emit("Cancelled"))
        self.render_seconds: list[float] = []  # latency log for the bench
        self.edits = HintEdits(self)
        self.reference = ReferenceEdits(self)
        self.region_edits = RegionEdits(self)
        self.variants = VariantSampling(self)
        self.restoration = Restoration(self)
        self.sessions = SessionKeeper(self)
        self.exporter = Exporter(self)
        self.album = Album(self)
        self.unsure = UnsureOverlay(self)
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
        job.cancellable = False  # opening a photo or Esc must never drop the model
        job.signals.result.connect(self._on_model_loaded)
        job.signals.error.connect(self._on_model_error)
        job.signals.cancelled.connect(lambda: self._on_model_error("loading the model was stopped"))
        self.runner.start(job)

    def _on_model_loaded(self, colorizer) -> None:
        self.colorizer = colorizer
        self.model_error = None
        self.scheduler.reset()
        self._announce_model()
        if self.doc is not None and (self.settings.auto_colorize or self.doc.hints):
            self.colorize()

    def _on_model_error(self, message: str) -> None:
        self.model_error = message
        self.modelFailed.emit(message)
        self.statusMessage.emit(f"No colorization model: {message}")
        self.errorRaised.emit("No colorization model",
                              f"The colorization model could not be loaded: {message}\n\n"
                              "Photos can still be opened and restored; colorizing needs a model "
                              "(see Preferences for the execution provider).")

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
        if path.is_dir():
            photos = photos_in(path)
            if not photos:
                self.errorRaised.emit("Cannot open photo", f"No photos in {path}")
                return
            path = photos[0]
        if not self.sessions.settle():
            return  # the user stays with the unsaved edits of the open photo
        self.cancel()  # photo work only: a model still loading goes on
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
        self.sessions.save_now()
        self.undo.clear()
        self.doc = Document(path, replace(picture, pixels=restored.pixels), preview, self)
        self.restoration.opened(picture, opts, restored)
        self.doc.size = self.settings.default_size
        self.doc.hintsChanged.connect(self._on_doc_hints)
        self.doc.regionsChanged.connect(self._on_doc_regions)
        self.doc.settingsChanged.connect(self._on_doc_settings)
        self.doc.lookChanged.connect(self._show_result)
        self.doc.variantChanged.connect(self._on_doc_variant)
        self.doc.restoreChanged.connect(self.restoration.schedule)
        self.result = None
        self.scheduler.reset()
        self.variants.forget()
        self.recentChanged.emit(self.settings.add_recent(path))
        self.settings.last_dir = str(path.parent)
        self.documentOpened.emit(self.doc)
        self.resultChanged.emit(None)
        self.unsure.refresh()
        self.hintsChanged.emit([])
        self.regionsChanged.emit(())
        self.sessions.offer(path)
        resumed = not self.restoration.settled   # a resumed session's own restoration, made now
        h, w = picture.pixels.shape[:2]
        tone = restored.tone
        toned = f", {tone.kind} toning taken out" if tone is not None and tone.toned and opts.detect_tone else ""
        self.statusMessage.emit(f"Opened {path.name} ({w}x{h}, {picture.bit_depth}-bit{toned})")
        self.restoreApplied.emit(opts)
        if resumed:
            self.restoration.follow()  # colorizes when it is done
        elif self.colorizer is not None and (self.settings.auto_colorize or self.doc.hints):
            self.colorize()

    # --- colorize / preview (desktop/scheduler.py) -------------------------------------------------
    def working_long_side(self) -> int:
        if self.doc is not None and self.doc.size:
            return int(self.doc.size)
        return self.colorizer.card.default_long_side if self.colorizer is not None else 512

    def _render_input(self) -> RenderInput | None:
        if self.doc is None:
            return None
        if self.colorizer is None:
            self.statusMessage.emit(f"Cannot colorize: no colorization model ({self.model_error})"
                                    if self.model_error else "Waiting for the colorization model…")
            return None
        return RenderInput(self.doc, self.colorizer, self.working_long_side())

    def colorize(self, draft: bool = False) -> None:
        """Render the preview; draft=True answers an edit fast and is refined at full size after."""
        if self.restoration.stale:
            self.restoration.follow()  # a stopped restoration first; it colorizes when done
            return
        self.scheduler.request(draft)
        if not self.scheduler.idle:
            self.statusMessage.emit("Colorizing…")

    def _on_rendered(self, doc: Document, result, draft: bool) -> None:
        if doc is not self.doc:
            return  # a photo opened meanwhile
        self._colorized = result.rgb  # as the network made it; the look and toning go on top for display
        self.result = replace(result)  # a copy: a variant's own result is shown again later, never re-toned
        self.render_seconds.append(result.seconds)
        self._show_result()
        if not draft:  # a draft's map would be replaced 150 ms later, and would delay the refine behind it
            self.unsure.refresh()
        h, w = result.work_shape
        log.info("%s: %.0f ms, %s %dx%d", result.provider, result.seconds * 1000, "draft" if draft else "network", w, h)
        self.statusMessage.emit(wording.rendered(result.seconds, result.provider, draft))

    def _show_result(self) -> None:
        """The last colorization with the document's look (the engine's, as on export), then the print's tone.

        A look other than neutral takes ~0.15 s at display size on 2 cores, so it is made off the GUI thread
        (a slider drag would stutter); only the newest one is shown."""
        if self.result is None or self.doc is None:
            return
        if self._look_job is not None:
            self._look_job.cancel()
            self._look_job = None
        rgb, saturation, warmth = self._colorized, self.doc.saturation, self.doc.warmth
        if look.is_neutral(saturation, warmth):
            self._set_shown(rgb)
            return
        job = Job(lambda token, progress: look.apply(rgb, saturation, warmth), "look")
        job.signals.result.connect(lambda value, j=job, target=self.result: self._on_look(j, target, value))
        self._look_job = job
        self.runner.start(job)

    def _on_look(self, job: Job, target, rgb) -> None:
        if job is self._look_job and target is self.result:  # not overtaken by a newer look or render
            self._look_job = None
            self._set_shown(rgb)

    def _set_shown(self, rgb) -> None:
        self.result.rgb = self.restoration.tone_back(rgb)
        self.resultChanged.emit(self.result.rgb)

    @property
    def idle(self) -> bool:
        """No job running, queued or due (tests, the demo and the bench wait for this)."""
        return not self.runner.busy and self.scheduler.idle and self.restoration.idle

    def cancel(self) -> None:
        """Drop running work: its result is discarded and the window is free at once."""
        self.scheduler.cancel()
        self.runner.cancel_all()

    def _on_doc_hints(self) -> None:
        self.hintsChanged.emit(list(self.doc.hints))
        self.colorize(draft=True)

    def _on_doc_regions(self) -> None:
        self.regionsChanged.emit(self.doc.regions)
        self.colorize(draft=True)

    def _on_doc_settings(self) -> None:
        self.colorize(draft=True)

    def _on_doc_variant(self) -> None:
        self.colorize()

    def shutdown(self) -> None:
        self.sessions.save_now()
        self.cancel()
        self.runner.cancel_all(everything=True)
        self.album.shutdown()
        self.runner.wait(5000)

    # --- the window's calls, forwarded to each job's module -----------------------------------------
    @property
    def color(self) -> str:
        return self.edits.color

    @property
    def hint_radius(self) -> int:
        return self.edits.hint_radius

    def work_unit(self) -> float:
        return self.edits.work_unit()

    def brush_extent(self) -> float:
        return self.edits.brush_extent()

    def region_radius(self) -> float:
        return self.edits.region_radius()

    def set_color(self, color: str) -> None:
        self.edits.set_color(color)

    def set_hint_radius(self, radius: int) -> None:
        self.edits.set_hint_radius(radius)

    def stroke(self, tool: Tool, points: list) -> None:
        self.edits.stroke(tool, points)

    def clear_hints(self) -> None:
        self.edits.clear_hints()

    def colour_from_reference(self, path, strength: float = 0.5) -> None:
        self.reference.apply(path, strength)

    def recolour_region(self, index: int, color: str) -> None:
        self.region_edits.recolour(index, color)

    def set_region_opacity(self, index: int, opacity: float) -> None:
        self.region_edits.set_opacity(index, opacity)

    def set_region_visible(self, index: int, visible: bool) -> None:
        self.region_edits.set_visible(index, visible)

    def delete_region(self, index: int) -> None:
        self.region_edits.delete(index)

    def set_size(self, size: int | None) -> None:
        self.edits.set_size(size)

    def set_vividness(self, value: float) -> None:
        self.edits.set_vividness(value)

    def set_look(self, name: str, value: float) -> None:
        self.edits.set_look(name, value)

    def pick(self, x: float, y: float) -> None:
        self.edits.pick(x, y)

    def show_uncertainty(self, on: bool) -> None:
        """The "Where am I unsure?" overlay on or off (desktop/unsure.py)."""
        self.unsure.set_on(on)

    def sample_variants(self, n: int = 6, seed: int | None = None, like: int | None = None,
                        spread: float = 0.5, like_set: int = -1) -> None:
        self.variants.sample(n, seed, like, spread, like_set)

    def apply_variant(self, index: int) -> None:
        self.variants.apply(index)

    def apply_earlier_variant(self, k: int, index: int) -> None:
        self.variants.apply_earlier(k, index)

    def clear_variant(self) -> None:
        self.variants.clear()

    @property
    def tone(self):
        """ToneInfo of the original (None unless restoration looked for one)."""
        return self.restoration.tone

    def set_restore(self, opts: RestoreOptions, what: str) -> None:
        """An undoable change of the restoration (`what`: the option the user moved), shown live."""
        self.restoration.edit(opts, what)

    def save_session(self) -> Path | None:
        return self.sessions.save()

    def settle_edits(self) -> bool:
        """Before the photo is left: its edits are saved, or the user chose to discard them (False: stay)."""
        return self.sessions.settle()

    def export(self, request: ExportRequest) -> bool:
        return self.exporter.export(request)
