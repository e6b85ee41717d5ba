"""Colour from a reference photo in the app: the matched points join the photo's hints as one undoable step."""
from __future__ import annotations

from pathlib import Path

from desktop.commands import SetHints
from desktop.workers import Job
from engine.hints import Hint
from engine.io.image import read_image


class ReferenceEdits:
    """Runs the engine's matcher (engine/reference.py) off the GUI thread on the open photo's display copy.

    editor: the EditorController (doc, colorizer, undo, runner and signals). Hints land in full-image
    pixels, before the photo's own hints so those win where both fall; the user can then move, recolour
    or delete them like any other.
    """

    def __init__(self, editor) -> None:
        self.editor = editor

    def apply(self, path: str | Path, strength: float = 0.5) -> None:
        editor, doc = self.editor, self.editor.doc
        if doc is None:
            return
        if editor.colorizer is None:
            editor.statusMessage.emit("Waiting for the colorization model…")
            return
        path, colorizer = Path(path), editor.colorizer

        def work(token, progress):
            reference = read_image(path).pixels
            token.check()
            found = colorizer.reference_hints(doc.preview, reference, strength)
            s = 1.0 / doc.scale  # preview pixels -> full-image pixels
            w, h = doc.full_size
            return [Hint(min(w - 1.0, hint.x * s), min(h - 1.0, hint.y * s), hint.color, hint.radius)
                    for hint in found.hints]

        job = Job(work, "reference")
        job.signals.result.connect(lambda hints, d=doc, p=path: self._on_found(d, p, hints))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Cannot take colours from that photo", msg))
        editor.statusMessage.emit(f"Matching {path.name}…")
        editor.runner.start(job)

    def _on_found(self, doc, path: Path, hints: list[Hint]) -> None:
        editor = self.editor
        if doc is not editor.doc:
            return  # another photo was opened meanwhile
        if not hints:
            editor.statusMessage.emit(f"No part of {path.name} matched this photo closely enough; "
                                      "try a photo of the same place or people")
            return
        editor.undo.push(SetHints(doc, tuple(hints) + tuple(doc.hints), f"Colours from {path.name}"))
        editor.statusMessage.emit(f"Took {len(hints)} colours from {path.name}")
