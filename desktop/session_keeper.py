"""The session file beside the photo, kept up to date: autosave after edits, save on demand, resume on open."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer

from desktop.session import SessionError, load_session, save_session, session_path

AUTOSAVE_MS = 800


class SessionKeeper:
    """editor: the EditorController (its doc, undo stack, ask_resume and signals)."""

    def __init__(self, editor) -> None:
        self.editor = editor
        self._autosave = QTimer(editor, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self._on_autosave)
        editor.undo.indexChanged.connect(self._on_undo_index)

    def _on_undo_index(self, _index: int) -> None:
        self._autosave.start()

    def _on_autosave(self) -> None:
        self.save_now()

    def save_now(self) -> Path | None:
        """Write the session if the photo was edited; a failure is only a status message."""
        self._autosave.stop()
        doc = self.editor.doc
        if doc is None or self.editor.undo.count() == 0:
            return None  # nothing edited: do not litter the photo's folder
        try:
            return save_session(doc.path, doc.session())
        except OSError as exc:
            self.editor.statusMessage.emit(f"Could not save the session beside the photo: {exc.strerror or exc}")
            return None

    def save(self) -> Path | None:
        """The user's Save: a failure is an error message."""
        doc = self.editor.doc
        if doc is None:
            return None
        try:
            path = save_session(doc.path, doc.session())
        except OSError as exc:
            self.editor.errorRaised.emit("Cannot save session", f"{session_path(doc.path)}: {exc.strerror or exc}")
            return None
        self.editor.statusMessage.emit(f"Session saved to {path.name}")
        return path

    def offer(self, photo: Path) -> None:
        """Resume the photo's saved session into the just-opened document, if there is one and the user agrees."""
        editor = self.editor
        spath = session_path(photo)
        if not spath.exists() or not editor.ask_resume(spath):
            return
        try:
            session = load_session(spath)
            w, h = editor.doc.full_size
            outside = [x for x in session.hints if not (0 <= x.x < w and 0 <= x.y < h)]
            if outside:
                raise SessionError(f"{spath}: {len(outside)} hint(s) lie outside this {w}x{h} photo")
        except SessionError as exc:
            editor.errorRaised.emit("Cannot resume session", str(exc))
            return
        editor.doc.apply_session(session)
