"""The open photo's folder as an album: thumbnails for the filmstrip, and sending this photo's settings or colours
to other photos' session files (never to the photos themselves)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from desktop.document import make_preview
from desktop.session import Session, SessionError, load_session, save_session, session_path
from desktop.variants import UNSUPPORTED, variants_supported
from desktop.workers import Job, JobRunner
from engine.io.image import read_image

THUMB_SIDE = 96  # long side of a filmstrip thumbnail, in pixels
SETTINGS = ("size", "vividness", "saturation", "warmth", "restore")  # what "copy settings" sends


@dataclass(frozen=True)
class CarryOutcome:
    """One target of "apply this photo's colours": the hints that found their place there, out of `given`."""
    photo: Path
    hints: tuple
    given: int


def _add_hints(o: CarryOutcome) -> str | None:
    """Put the carried hints into the photo's session, before its own; a one-line problem, or None."""
    spath = session_path(o.photo)
    try:
        session = load_session(spath) if spath.exists() else Session()
        session.hints = list(o.hints) + list(session.hints)
        save_session(o.photo, session)
    except SessionError as exc:
        return str(exc)
    except OSError as exc:
        return f"{spath}: {exc.strerror or exc}"
    return None


def make_thumbnail(path: Path, side: int = THUMB_SIDE) -> np.ndarray:
    """HxWx3 uint8 RGB, long side <= side."""
    return make_preview(read_image(path).pixels, side)


def settings_differ(a: Session, b: Session) -> bool:
    return any(getattr(a, name) != getattr(b, name) for name in SETTINGS)


class Album(QObject):
    """editor: the EditorController. The folder follows the open photo; thumbnails are made on a runner of their
    own (one thread), so a long render never holds up the strip, and kept in memory while the file is unchanged."""

    folderChanged = Signal(list, object)      # [Path] photos of the folder, the open one (Path)
    thumbnailReady = Signal(object, object)   # Path, HxWx3 uint8
    carryAvailable = Signal(bool, str)        # enabled?, why not

    def __init__(self, editor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.photos: list[Path] = []
        self.current: Path | None = None
        self.thumbs = JobRunner(self)
        self._cache: dict[Path, tuple[int, np.ndarray]] = {}   # path -> (mtime_ns, thumbnail)
        self._pending: dict[Path, Job] = {}
        self.carry_error: str | None = "Waiting for the colorization model…"
        # Asked before another photo's differing settings are replaced: (photo names) -> go ahead?
        self.ask_overwrite: Callable[[list[str]], bool] = lambda names: True
        editor.documentOpened.connect(lambda doc: self.show_folder(doc.path))
        editor.modelReady.connect(lambda *_: self._check_carry())

    # --- the filmstrip -----------------------------------------------------------------------------
    def show_folder(self, photo: Path) -> None:
        from desktop.controller import photos_in

        photo = Path(photo)
        try:
            photos = photos_in(photo.parent)
        except OSError as exc:
            self.editor.statusMessage.emit(f"Cannot list {photo.parent}: {exc.strerror or exc}")
            photos = [photo]
        if photo not in photos:
            photos.append(photo)
        for path, job in list(self._pending.items()):
            if path not in photos:
                job.cancel()
                del self._pending[path]
        self.photos, self.current = photos, photo
        self.folderChanged.emit(photos, photo)
        for path in photos:
            self._thumbnail(path)

    def _thumbnail(self, path: Path) -> None:
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return
        cached = self._cache.get(path)
        if cached is not None and cached[0] == mtime:
            self.thumbnailReady.emit(path, cached[1])
            return
        if path in self._pending:
            return
        job = Job(lambda token, progress: make_thumbnail(path), "thumbnail")
        job.signals.result.connect(lambda rgb, p=path, m=mtime: self._on_thumbnail(p, m, rgb))
        job.signals.finished.connect(lambda p=path, j=job: self._pending.pop(p, None) if self._pending.get(p) is j
                                     else None)
        self._pending[path] = job
        self.thumbs.start(job)

    def _on_thumbnail(self, path: Path, mtime: int, rgb: np.ndarray) -> None:
        self._cache[path] = (mtime, rgb)
        self.thumbnailReady.emit(path, rgb)

    @property
    def thumbnails_done(self) -> bool:
        return not self.thumbs.busy

    def shutdown(self) -> None:
        self.thumbs.cancel_all(everything=True)
        self.thumbs.wait(5000)

    def targets(self, selected) -> list[Path]:
        """The selected photos other than the open one, in folder order."""
        chosen = {Path(p) for p in selected}
        return [p for p in self.photos if p in chosen and p != self.current]

    # --- copy settings (Lightroom's sync) ----------------------------------------------------------
    def copy_settings(self, selected) -> None:
        """Write the open photo's look, vividness, size and restoration into each selected photo's session
        (its hints, regions and variant are kept). The sessions are read, and then written, by jobs; between
        the two the GUI asks before replacing settings that differ."""
        doc, editor = self.editor.doc, self.editor
        targets = self.targets(selected)
        if doc is None or not targets:
            editor.statusMessage.emit("Select other photos in the filmstrip first (Ctrl- or Shift-click)")
            return
        mine = doc.session()

        def read(token, progress):
            sessions, bad = {}, []
            for photo in targets:
                spath = session_path(photo)
                try:
                    sessions[photo] = load_session(spath) if spath.exists() else None
                except SessionError as exc:
                    bad.append(str(exc))
            return sessions, bad

        job = Job(read, "read sessions")
        job.signals.result.connect(lambda value, d=doc, m=mine: self._on_sessions_read(d, m, *value))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Settings not copied", msg))
        editor.runner.start(job)

    def _on_sessions_read(self, doc, mine, sessions: dict, bad: list) -> None:
        editor = self.editor
        differ = [p.name for p, s in sessions.items() if s is not None and settings_differ(s, mine)]
        if differ and not self.ask_overwrite(differ):
            editor.statusMessage.emit("Settings not copied")
            return

        def write(token, progress):
            written, failed = 0, list(bad)
            for photo, session in sessions.items():
                session = session or Session()
                for name in SETTINGS:
                    setattr(session, name, getattr(mine, name))
                try:
                    save_session(photo, session)
                    written += 1
                except OSError as exc:
                    failed.append(f"{session_path(photo)}: {exc.strerror or exc}")
            return written, failed

        job = Job(write, "write sessions")
        job.signals.result.connect(lambda value, name=doc.path.name: self._on_sessions_written(name, *value))
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Settings not copied", msg))
        editor.runner.start(job)

    def _on_sessions_written(self, name: str, written: int, failed: list) -> None:
        editor = self.editor
        if failed:
            editor.errorRaised.emit("Some settings were not copied", "\n".join(failed))
        editor.statusMessage.emit(f"Copied the settings of {name} to {written} photo{'' if written == 1 else 's'}")

    # --- apply this photo's colours (issue 12's album tool) ----------------------------------------
    def _check_carry(self) -> None:
        """Carrying needs the variant model's encoder: the card says whether there is one (as for the Variants
        panel); the carry job itself loads it, so a model start never queues ahead of the first colorize."""
        colorizer = self.editor.colorizer
        if colorizer is not None:
            self._on_carry_checked(None if variants_supported(colorizer) else f"Needs a model with a variant "
                                   f"sampler: {UNSUPPORTED}")

    def _on_carry_checked(self, error: str | None) -> None:
        self.carry_error = error
        self.carryAvailable.emit(error is None, error or "")

    def carry_colours(self, selected) -> None:
        """Carry the open photo's hints onto each selected photo (off the GUI thread, Esc stops it); they join
        that photo's session before its own hints, once all are done."""
        editor, doc = self.editor, self.editor.doc
        targets = self.targets(selected)
        if doc is None or not targets:
            editor.statusMessage.emit("Select other photos in the filmstrip first (Ctrl- or Shift-click)")
            return
        if self.carry_error is not None:
            editor.statusMessage.emit(self.carry_error)
            return
        if not doc.hints:
            editor.statusMessage.emit(f"{doc.path.name} has no hints to carry")
            return
        colorizer, source, hints = editor.colorizer, doc.picture.pixels, list(doc.hints)

        def work(token, progress):
            out = []
            for i, photo in enumerate(targets):
                progress(i / len(targets))
                token.check()
                target = read_image(photo).pixels
                token.check()
                carried = colorizer.carry_hints(source, hints, target)
                out.append(CarryOutcome(photo, tuple(carried.hints), len(hints)))
            token.check()  # stopped before the end: no session is touched
            return [(o, _add_hints(o)) for o in out]

        job = Job(work, "carry colours")
        job.signals.progress.connect(
            lambda f: editor.statusMessage.emit(
                f"Carrying colours to {targets[min(len(targets) - 1, round(f * len(targets)))].name} "
                f"({min(len(targets), round(f * len(targets)) + 1)} of {len(targets)})… Esc stops"))
        job.signals.result.connect(self._on_carried)
        job.signals.error.connect(lambda msg: editor.errorRaised.emit("Cannot carry the colours", msg))
        job.signals.cancelled.connect(lambda: editor.statusMessage.emit("Colours not carried: stopped"))
        editor.runner.start(job)

    def _on_carried(self, results: list) -> None:
        """(outcome, problem or None) per photo, sessions already written by the job."""
        editor = self.editor
        done = [o for o, problem in results if problem is None]
        bad = [problem for _, problem in results if problem is not None]
        if bad:
            editor.errorRaised.emit("Some colours were not carried", "\n".join(bad))
        if done:
            first, rest = done[0], done[1:]
            parts = [f"{len(first.hints)} of {first.given} hints to {first.photo.name}"]
            parts += [f"{len(o.hints)} of {o.given} to {o.photo.name}" for o in rest]
            editor.statusMessage.emit("Carried " + ", ".join(parts))
