"""The session file beside the photo, kept up to date: autosave after edits, save on demand, resume on open, and
no edit lost unasked when the photo is left (another photo, or the window closed).

The undo stack's clean state is "the session file holds these edits": a successful save marks it clean.
"""
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
        self.failure = ""  # why the last save failed, one line naming the file
        editor.undo.indexChanged.connect(self._on_undo_index)

    def _on_undo_index(self, _index: int) -> None:
        self._autosave.start()

    def _on_autosave(self) -> None:
        self.save_now()

    @property
    def unsaved(self) -> bool:
        """The photo has edits the session file does not hold (not yet written, or the write failed)."""
        return self.editor.doc is not None and not self.editor.undo.isClean()

    def save_now(self) -> Path | None:
        """Write the session if the photo has unsaved edits; a failure is only a status message."""
        self._autosave.stop()
        if not self.unsaved:
            return None  # nothing edited since the last save: do not litter the photo's folder
        doc = self.editor.doc
        try:
            path = save_session(doc.path, doc.session())
        except OSError as exc:
            self.failure = f"{session_path(doc.path)}: {exc.strerror or exc}"
            self.editor.statusMessage.emit(f"Could not save the session beside the photo: {exc.strerror or exc}")
            return None
        self.editor.undo.setClean()
        return path

    def save(self) -> Path | None:
        """The user's Save: a failure is an error message."""
        doc = self.editor.doc
        if doc is None:
            return None
        self._autosave.stop()
        try:
            path = save_session(doc.path, doc.session())
        except OSError as exc:
            self.failure = f"{session_path(doc.path)}: {exc.strerror or exc}"
            self.editor.errorRaised.emit("Cannot save session", self.failure)
            return None
        self.editor.undo.setClean()
        self.editor.statusMessage.emit(f"Session saved to {path.name}")
        return path

    def settle(self) -> bool:
        """Before the photo is left: write its unsaved edits; if they cannot be written, ask (editor.ask_unsaved)
        whether to try saving again, discard them or stay. False: stay on the photo."""
        if not self.unsaved:
            return True
        self.save_now()  # what autosave would have done a moment later
        if not self.unsaved:
            return True
        answer = self.editor.ask_unsaved(self.editor.doc.path, self.failure)
        if answer == "discard":
            self._autosave.stop()
            self.editor.undo.setClean()  # the session file keeps what it held
            return True
        if answer == "save":
            return self.save() is not None
        return False

    def offer(self, photo: Path) -> None:
        """Resume the photo's saved session into the just-opened document, if there is one and the user agrees."""
        editor = self.editor
        spath = session_path(photo)
        if not spath.exists() or not editor.ask_resume(spath):
            return
        try:
            session = load_session(spath)
            w, h = editor.doc.full_size
            session.check_fits((h, w), spath)
        except SessionError as exc:
            editor.errorRaised.emit("Cannot resume session", str(exc))
            return
        editor.doc.apply_session(session)
