"""`tinta-desktop --demo IMAGE --screenshots DIR`: the editing story, scripted and headless, with screenshots."""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget

from desktop.canvas import Tool


def wait_idle(controller, timeout: float = 60.0) -> bool:
    """Process events until no job is running or queued; False on timeout."""
    app = QApplication.instance()
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        if controller.idle:
            app.processEvents()
            return True
        time.sleep(0.005)
    return False


def view_point(canvas, x: float, y: float) -> QPoint:
    """Viewport pixel of full-image pixel (x, y)."""
    return canvas.mapFromScene(QPointF(x, y))


def drag(canvas, points: list[tuple[float, float]], button=Qt.MouseButton.LeftButton) -> None:
    """Press, move through and release at full-image points on the canvas, as a user would."""
    vp = canvas.viewport()
    pts = [view_point(canvas, x, y) for x, y in points]
    QTest.mousePress(vp, button, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, button, Qt.KeyboardModifier.NoModifier, pts[-1])


class Story:
    """Runs the steps on a window and saves DIR/NN-step.png after each one."""

    def __init__(self, window, shots: Path | None) -> None:
        self.window, self.ctl, self.shots = window, window.ctl, shots
        self.n = 0
        self.log: list[str] = []

    def step(self, name: str) -> None:
        wait_idle(self.ctl)
        self.n += 1
        line = f"{self.n:02d} {name}: {self.window.statusBar().currentMessage() or self.window.status_model.text()}"
        self.log.append(line)
        print(line, flush=True)
        if self.shots is not None:
            self.window.grab().save(str(self.shots / f"{self.n:02d}-{name}.png"))


def run_story(window, photo: Path, shots: Path | None, export_dir: Path, reference: Path | None = None) -> list[str]:
    ctl, cv = window.ctl, window.canvas
    story = Story(window, shots)
    wait_idle(ctl)
    story.step("ready")
    ctl.open_path(photo)
    wait_idle(ctl)
    if ctl.doc is None:
        raise RuntimeError(window.last_error[1] if window.last_error else f"cannot open {photo}")
    story.step("opened-colorized")
    w, h = ctl.doc.full_size
    cv.set_zoom(cv.zoom() * 1.6)
    cv.centerOn(w * 0.5, h * 0.5)
    story.step("zoomed")
    cv.fit()
    window._on_tool(Tool.BRUSH)
    window.colors.set_color("#2a62c8")
    window._on_color_chosen("#2a62c8")
    drag(cv, [(w * 0.2 + i * w * 0.03, h * 0.3) for i in range(8)])
    story.step("hint-stroke")
    window._on_tool(Tool.EYEDROPPER)
    drag(cv, [(w * 0.6, h * 0.6)])
    story.step("eyedropper-likely-colours")
    window._on_tool(Tool.REGION_LASSO)
    window.colors.set_color("#3c8a3c")
    window._on_color_chosen("#3c8a3c")
    drag(cv, [(w * 0.55, h * 0.7), (w * 0.9, h * 0.7), (w * 0.9, h * 0.95), (w * 0.55, h * 0.95)])
    story.step("region-lasso")
    ctl.undo.undo()
    story.step("undo")
    ctl.undo.redo()
    story.step("redo")
    # Protect: a painted area keeps the colours it has; a hint next to it stops at its edge.
    window._on_tool(Tool.PROTECT)
    drag(cv, [(w * 0.1 + i * w * 0.02, h * 0.75) for i in range(10)])
    window._on_tool(Tool.BRUSH)
    window.colors.set_color("#c8302a")
    window._on_color_chosen("#c8302a")
    drag(cv, [(w * 0.15 + i * w * 0.02, h * 0.86) for i in range(6)])
    story.step("protect-and-hint")
    # Restoration is an edit like the others: it previews live and undoes.
    window.restore.denoise.setValue(40)
    window.restore.local_contrast.setValue(30)
    story.step("restoration")
    ctl.undo.undo()
    ctl.undo.undo()
    story.step("restoration-undone")
    if window.variants.isEnabled():
        window.variants.sample.click()
        wait_idle(ctl)
        dock = window.findChild(QDockWidget, "variantsDock")
        window.resizeDocks([dock], [560], Qt.Orientation.Vertical)  # as a user would drag the dock taller
        story.step("variants")
        if window.variants.buttons:
            window.variants.buttons[0].click()
            story.step("variant-applied")
    window.split.setValue(50)
    story.step("before-after-split")
    window.split.setValue(0)
    window.act_compare.trigger()
    story.step("before-toggle")
    window.act_compare.trigger()
    out = export_dir / (photo.stem + "-demo.png")
    window.export_to(out, 8)
    story.step("exported")
    story.log.append(f"export: {out}")
    if reference is not None:
        ctl.colour_from_reference(reference, 0.5)
        story.step("colour-from-reference")
    ctl.clear_variant()  # a variant's colouring has no colour distribution to be unsure with
    window.act_unsure.trigger()
    wait_idle(ctl)
    story.step("where-am-i-unsure")
    window.act_unsure.trigger()
    return story.log


def run_demo(app, image: str, screenshots: str | None, build_window, provider: str | None = None,
             reference: str | None = None) -> int:
    """Works on a copy of IMAGE in a temporary folder so the session file lands there, not beside it.

    build_window(settings, provider=...) makes the window (desktop.app's, passed in so that this module
    never imports the entry point that imports it).
    """
    from desktop.settings import Settings
    src = Path(image)
    if not src.is_file():
        print(f"tinta-desktop: {image}: file does not exist", file=sys.stderr)
        return 2
    if reference is not None and not Path(reference).is_file():
        print(f"tinta-desktop: {reference}: file does not exist", file=sys.stderr)
        return 2
    shots = Path(screenshots) if screenshots else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tinta-demo-") as tmp:
        work = Path(tmp) / src.name
        shutil.copyfile(src, work)
        settings = Settings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window = build_window(settings, provider=provider)
        window.ctl.ask_resume = lambda path: False
        window.ctl.ask_unsaved = lambda path, why: "discard"  # a scripted story never waits on a question
        window.resize(1600, 1200)
        window.show()
        try:
            run_story(window, work, shots, shots or Path(tmp), None if reference is None else Path(reference))
        except Exception as exc:  # the demo reports one line, like the rest of the app
            print(f"tinta-desktop: demo failed: {exc}", file=sys.stderr)
            return 1
        finally:
            window.close()
        if window.last_error:
            print(f"tinta-desktop: demo showed an error: {window.last_error[1]}", file=sys.stderr)
            return 1
    return 0
