"""`tinta-desktop` entry point: builds the application and window, or runs the headless demo story."""
from __future__ import annotations

import argparse
import logging
import sys
import time

APP_NAME = "Tinta"
ORG_NAME = "Tinta"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="tinta-desktop", description="Colorize old black-and-white photos.")
    # Several photos: a file manager's "Open with" on a selection (the desktop entry's %F); the first opens.
    p.add_argument("photos", nargs="*", metavar="photo", help="photo (or folder) to open")
    p.add_argument("--demo", metavar="IMAGE", help="run the scripted demo story on IMAGE and quit")
    p.add_argument("--screenshots", metavar="DIR", help="with --demo: save a PNG of the window at each step")
    p.add_argument("--reference", metavar="PHOTO", help="with --demo: a colour photo of the same scene for the "
                   "story's Colour from reference photo step")
    p.add_argument("--provider", help="execution provider for this run (cpu, cuda, directml, coreml)")
    args = p.parse_args(argv)
    args.photo = args.photos[0] if args.photos else None
    return args


def create_app(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setWindowIcon(app_icon())
    # Ties the windows to tinta.desktop (the .deb's desktop entry): the Wayland app id, the dock's icon.
    app.setDesktopFileName("tinta")
    return app


def app_icon():
    """Tinta's icon at every size rendered from resources/icons/tinta.svg (packaging/make_icons.py); PNGs, so
    no SVG plugin is needed."""
    from importlib.resources import files
    from PySide6.QtGui import QIcon
    icon = QIcon()
    for png in sorted(files("resources").joinpath("icons").iterdir(), key=lambda p: p.name):
        if png.name.startswith("tinta-") and png.name.endswith(".png"):
            icon.addFile(str(png))
    return icon


def build_window(settings=None, colorizer=None, load_model: bool = True, provider: str | None = None):
    """The controller + window pair; the model loads in the background unless one is given."""
    from desktop.controller import EditorController
    from desktop.mainwindow import MainWindow
    from desktop.settings import Settings
    controller = EditorController(settings or Settings(), colorizer=colorizer)
    window = MainWindow(controller)
    if colorizer is None and load_model:
        controller.load_model(provider)
    return window


def install_excepthook(window) -> None:
    """A bug in a slot becomes a logged traceback and a one-line message, never a dead window."""
    log = logging.getLogger("desktop")

    def hook(kind, value, tb):
        log.error("unexpected error", exc_info=(kind, value, tb))
        text = (str(value).strip().splitlines() or [kind.__name__])[0]
        window.show_error("Unexpected error", f"{kind.__name__}: {text}")

    sys.excepthook = hook


def install_file_open_handler(window) -> None:
    """macOS hands a photo opened from Finder ("Open With", a drop on the Dock icon) to the running app as a
    QFileOpenEvent, not on the command line; such a photo opens in `window`."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    class _Filter(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.FileOpen and event.file():
                window.ctl.open_path(event.file())
                return True
            return False

    window.file_open_filter = _Filter(window)  # a child of the window: removed with it
    QApplication.instance().installEventFilter(window.file_open_filter)


def launch(args: argparse.Namespace, settings=None):
    """What `tinta-desktop [PHOTO]` does before the event loop: the shown window, with the model
    loading in the background and PHOTO (or a folder's first photo) opening beside it."""
    from desktop.settings import Settings, apply_theme
    settings = settings or Settings()
    apply_theme(settings.theme)
    from engine.io import quiet
    quiet.set_enabled(False)  # the app's own warnings must not vanish while a worker decodes a scan
    window = build_window(settings, provider=args.provider)
    install_excepthook(window)
    window.show()
    install_file_open_handler(window)
    if args.photo:
        window.ctl.open_path(args.photo)
    return window


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if (args.screenshots or args.reference) and not args.demo:
        print(f"tinta-desktop: {'--screenshots' if args.screenshots else '--reference'} needs --demo IMAGE",
              file=sys.stderr)
        return 2
    from desktop.platform_check import xcb_problem
    problem = xcb_problem()
    if problem:
        print(f"tinta-desktop: error: {problem}", file=sys.stderr)
        return 1
    app = create_app(sys.argv[:1])
    if args.demo:
        from desktop.settings import Settings, apply_theme
        apply_theme(Settings().theme)
        from desktop.demo import run_demo
        return run_demo(app, args.demo, args.screenshots, build_window, args.provider, args.reference)
    window = launch(args)  # noqa: F841 - kept alive for the event loop
    logging.getLogger(__name__).info("window ready in %.2f s", time.perf_counter() - started)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
