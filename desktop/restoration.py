"""Restoration in the app: the original as opened, the options asked for and in effect, the engine's restored picture.

Each change of the Restore dock is an undoable step on the document (desktop/commands.py SetRestore); the
restoration follows it live: after RESTORE_DELAY_MS of quiet it is remade from the original, off the GUI
thread, through the engine's own render_job.restore (so the preview sees what an export renders), and only
the newest one asked for is shown.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer

from desktop.commands import SetRestore
from desktop.document import Document, make_preview
from desktop.workers import Job
from engine import render_job
from engine.restore.pipeline import RestoreOptions, tone_back

RESTORE_DELAY_MS = 250   # a slider drag restores once the hand pauses, not at every step
LABELS = {"detect_tone": "Detect toned prints", "detone": "Remove toning", "keep_tone": "Keep tone",
          "clean_dust": "Clean dust", "dust_sensitivity": "Dust sensitivity", "denoise": "Denoise",
          "local_contrast": "Local contrast", "reset": "Reset restoration"}


class Restoration:
    """editor: the EditorController (its doc, runner, undo, scheduler, colorize and signals)."""

    def __init__(self, editor) -> None:
        self.editor = editor
        self.original = None                 # Picture as opened; restoration always starts from it
        self.options = RestoreOptions()      # in effect; by default a toned print's tint is taken out
        self.restored = None                 # engine Restored of the original under `options`
        self._job: Job | None = None         # the newest restoration being made
        self._failed: RestoreOptions | None = None  # the last options whose restoration failed
        self._due = QTimer(editor, singleShot=True, interval=RESTORE_DELAY_MS)
        self._due.timeout.connect(self.follow)

    def opened(self, picture, options: RestoreOptions, restored) -> None:
        """A photo was opened with its default restoration done."""
        self._due.stop()
        self._job = self._failed = None
        self.original, self.options, self.restored = picture, options, restored

    @property
    def idle(self) -> bool:
        """Nothing due (a running restoration is the runner's)."""
        return not self._due.isActive()

    @property
    def settled(self) -> bool:
        """The restored picture is the one the document asks for."""
        doc = self.editor.doc
        return doc is None or (doc.restore == self.options and self.restored is not None)

    @property
    def stale(self) -> bool:
        """The document asks for another restoration and none is due or being made (one was stopped, by Esc)."""
        doc = self.editor.doc
        return (not self.settled and self._job is None and not self._due.isActive()
                and doc.restore != self._failed)

    @property
    def tone(self):
        """ToneInfo of the original (None unless restoration looked for one)."""
        return None if self.restored is None else self.restored.tone

    def tone_back(self, rgb):
        """A colorized preview with the toning put back as far as the options keep it."""
        return tone_back(rgb, self.tone, self.options)

    def edit(self, options: RestoreOptions, what: str) -> None:
        """The user changed the restoration (`what`: the option moved, or "reset"): one undoable step."""
        doc = self.editor.doc
        if doc is not None and options != doc.restore:
            self.editor.undo.push(SetRestore(doc, options, what, f"Change restoration: {LABELS.get(what, what)}"))

    def schedule(self) -> None:
        """The document's restoration changed (an edit, undo, redo, a resumed session): remake it soon."""
        self._due.start()

    def follow(self) -> None:
        """Remake the restoration the document asks for now, unless it is the one shown."""
        self._due.stop()
        doc = self.editor.doc
        if doc is None:
            return
        if self._job is not None:
            self._job.cancel()
            self._job = None
        if doc.restore == self.options and self.restored is not None:
            return  # back to what is shown (an undo during a drag)
        self.apply(doc.restore)

    def apply(self, options: RestoreOptions) -> None:
        """Restore the original's luminance off the GUI thread (the engine's own restoration, as on export),
        then show and colorize the result."""
        editor = self.editor
        if editor.doc is None:
            return
        doc, original = editor.doc, self.original

        def work(token, progress):
            restored = render_job.restore(original, options)
            token.check()
            return restored, make_preview(restored.pixels)

        job = Job(work, "restore")
        job.signals.result.connect(lambda value, j=job, d=doc, o=options: self._on_restored(j, d, o, *value))
        job.signals.error.connect(lambda msg, j=job, o=options: self._on_failed(j, o, msg))
        job.signals.finished.connect(lambda j=job: self._on_finished(j))
        self._job = job
        editor.statusMessage.emit("Restoring…")
        editor.runner.start(job)

    def _on_failed(self, job: Job, options: RestoreOptions, message: str) -> None:
        if job is self._job:
            self._failed = options  # not tried again at every colorize; a change of the options tries anew
            self.editor.errorRaised.emit("Restoration failed", message)

    def _on_finished(self, job: Job) -> None:
        if job is self._job:  # stopped (Esc) or failed: nothing is being made any more
            self._job = None

    def _on_restored(self, job: Job, doc: Document, options: RestoreOptions, restored, preview) -> None:
        editor = self.editor
        if job is not self._job or doc is not editor.doc:
            return  # overtaken by a newer restoration or another photo
        self._job = None
        doc.picture, doc.preview = replace(self.original, pixels=restored.pixels), preview
        self.options, self.restored = options, restored
        editor.scheduler.reset()
        editor.restoreApplied.emit(options)
        editor.colorize(draft=True)
