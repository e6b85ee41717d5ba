"""Restoration in the app: the original as opened, the options in effect and the engine's restored picture.

Restoration always starts again from the original, off the GUI thread, through the engine's own
render_job.restore, so the preview sees what an export renders.
"""
from __future__ import annotations

from dataclasses import replace

from desktop.document import Document, make_preview
from desktop.workers import Job
from engine import render_job
from engine.restore.pipeline import RestoreOptions, tone_back


class Restoration:
    """editor: the EditorController (its doc, runner, scheduler, colorize and signals)."""

    def __init__(self, editor) -> None:
        self.editor = editor
        self.original = None                 # Picture as opened; restoration always starts from it
        self.options = RestoreOptions()      # in effect; by default a toned print's tint is taken out
        self.restored = None                 # engine Restored of the original under `options`

    def opened(self, picture, options: RestoreOptions, restored) -> None:
        """A photo was opened with its default restoration done."""
        self.original, self.options, self.restored = picture, options, restored

    @property
    def tone(self):
        """ToneInfo of the original (None unless restoration looked for one)."""
        return None if self.restored is None else self.restored.tone

    def tone_back(self, rgb):
        """A colorized preview with the toning put back as far as the options keep it."""
        return tone_back(rgb, self.tone, self.options)

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
        job.signals.result.connect(lambda value, d=doc, o=options: self._on_restored(d, o, *value))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Restoration failed", msg))
        editor.statusMessage.emit("Restoring…")
        editor.runner.start(job)

    def _on_restored(self, doc: Document, options: RestoreOptions, restored, preview) -> None:
        editor = self.editor
        if doc is not editor.doc:
            return
        doc.picture, doc.preview = replace(self.original, pixels=restored.pixels), preview
        self.options, self.restored = options, restored
        editor.scheduler.reset()
        editor.restoreApplied.emit(options)
        editor.colorize()
