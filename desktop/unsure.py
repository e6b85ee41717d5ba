""""Where am I unsure?": the model's uncertainty over the preview, made off the GUI thread, kept up with each result."""
from __future__ import annotations

from desktop.workers import Job
from engine import uncertainty

SUGGESTIONS = 3  # places ringed on the map: enough to choose from, few enough to read


class UnsureOverlay:
    """Computes the heat map (H x W x 4 uint8 RGBA at the preview's size) and the suggested hint places
    for the editor's current result whenever the overlay is on; editor: the EditorController."""

    def __init__(self, editor) -> None:
        self.editor = editor
        self.on = False
        self._job: Job | None = None

    def set_on(self, on: bool) -> None:
        self.on = bool(on)
        if self.on:
            self.refresh()
        else:
            self._drop_job()
            self.editor.uncertaintyChanged.emit(None, [])

    def refresh(self) -> None:
        """A new result (or the overlay was just turned on): make its map, dropping an older one in the making."""
        editor = self.editor
        if not self.on:
            return
        self._drop_job()
        result, colorizer, doc = editor.result, editor.colorizer, editor.doc
        if result is None or colorizer is None or doc is None:
            editor.uncertaintyChanged.emit(None, [])
            return
        if not colorizer.can_explain(result):
            editor.uncertaintyChanged.emit(None, [])
            editor.statusMessage.emit("This colouring has no colour distribution (a variant, or a model without a "
                                     "class head), so it cannot show where it is unsure")
            return
        hints = list(doc.hints)
        scale = result.rgb.shape[1] / doc.full_size[0]  # full-image pixels -> preview pixels

        def work(token, progress):
            heat = uncertainty.heat_rgba(colorizer.uncertainty(result))
            token.check()
            shown = [type(h)(h.x * scale, h.y * scale, h.color, h.radius) for h in hints]
            places = [(s.x / scale, s.y / scale) for s in colorizer.suggest_hints(result, SUGGESTIONS, shown)]
            return heat, places

        job = Job(work, "uncertainty")
        job.signals.result.connect(lambda value, j=job, r=result: self._on_done(j, r, *value))
        job.signals.error.connect(lambda msg, j=job: self._on_error(j, msg))
        self._job = job
        editor.runner.start(job)

    def _drop_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _on_done(self, job: Job, result, heat, places) -> None:
        if job is not self._job or result is not self.editor.result or not self.on:
            return  # overtaken by a newer result, or turned off meanwhile
        self._job = None
        self.editor.uncertaintyChanged.emit(heat, places)

    def _on_error(self, job: Job, message: str) -> None:
        if job is self._job:
            self._job = None
            self.editor.statusMessage.emit(f"Cannot show where the model is unsure: {message}")

