"""Main window (view only): menus, toolbar, canvas, docks and status bar wired to the EditorController."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence, QPixmap
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QSlider, QSpinBox, QToolBar, QWidget)

from desktop import help_content, wording
from desktop.canvas import WIDE_TOOLS, Canvas, Tool, dropped_files
from desktop.regions import outline as region_outline
from desktop.colorpanel import ColorPanel
from desktop.controller import EditorController
from desktop.export_dialog import JpegQualityDialog
from desktop.filmstrip import Filmstrip
from desktop.exporter import JPEG_QUALITY, ExportRequest
from desktop.help_dialogs import AboutDialog, ShortcutsDialog
from desktop.prefs import SIZE_TIP, SIZES, PreferencesDialog
from desktop.qimage import array_to_qimage
from desktop.reference_dialog import ReferenceDialog
from desktop.settings import apply_theme
from desktop.variants_panel import VariantsPanel

OPEN_FILTER = "Photos (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp);;All files (*)"
EXPORT_FILTERS = {"PNG, 8-bit (*.png)": (".png", 8), "PNG, 16-bit (*.png)": (".png", 16),
                  "JPEG (*.jpg)": (".jpg", 8), "TIFF, 8-bit (*.tif)": (".tif", 8),
                  "TIFF, 16-bit (*.tif)": (".tif", 16)}
LAYOUT_VERSION = 2  # raise when docks or toolbars change, so an older saved layout is not forced onto them
TOOL_KEYS = {Tool.BRUSH: ("Hint brush", "D"), Tool.ERASER: ("Hint eraser", "E"),
             Tool.REGION_PAINT: ("Paint region", "R"), Tool.REGION_LASSO: ("Lasso region", "L"),
             Tool.PROTECT: ("Protect region", "P"),
             Tool.EYEDROPPER: ("Eyedropper", "I"), Tool.PAN: ("Pan", "H")}


class MainWindow(QMainWindow):
    def __init__(self, controller: EditorController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctl = controller
        self.last_error: tuple[str, str] | None = None
        self.setWindowTitle("Tinta")
        self.setAcceptDrops(True)
        self.resize(1280, 820)
        self.canvas = Canvas(self)
        self.setCentralWidget(self.canvas)
        self.colors = ColorPanel(self)
        self.variants = VariantsPanel(self)
        self._build_actions()
        self._build_toolbar()
        self._build_docks()
        self._build_status()
        self._connect()
        self.ctl.ask_resume = self._ask_resume
        self.ctl.ask_unsaved = self._ask_unsaved
        self._update_recent(self.ctl.settings.recent_files())
        self._tool_before_dropper = Tool.BRUSH  # the eyedropper hands back to it after one pick
        self._on_tool(Tool.BRUSH)
        self._set_doc_actions(False)
        self._restore_layout()

    # --- construction ------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, checkable=False, tip: str | None = None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setCheckable(checkable)
        if tip:
            a.setToolTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)  # shortcuts work even when the menu bar is hidden
        return a

    def _build_actions(self) -> None:
        ctl = self.ctl
        self.act_open = self._action("&Open…", self._on_open, QKeySequence.StandardKey.Open)
        self.act_save = self._action("&Save session", ctl.save_session, QKeySequence.StandardKey.Save)
        self.act_export = self._action("&Export…", self._on_export, "Ctrl+E")
        self.act_prefs = self._action("&Preferences…", self._on_prefs, QKeySequence.StandardKey.Preferences)
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_undo = ctl.undo.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.act_redo = ctl.undo.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence.StandardKey.Redo, QKeySequence("Ctrl+Y")])
        self.act_clear = self._action("&Clear all hints", ctl.clear_hints, "Ctrl+Shift+Del")
        self.act_colorize = self._action("&Colorize", ctl.colorize, "Ctrl+R", tip="Colorize the photo (Ctrl+R)")
        self.act_cancel = self._action("Cancel", ctl.cancel, "Esc", tip="Stop the running job (Esc)")
        self.act_reference = self._action("Colour from &reference photo…", self._on_reference, "Ctrl+Shift+R",
                                          tip="Take colours from a colour photo of the same place or people")
        self.act_fit = self._action("&Fit to window", self.canvas.fit, "Ctrl+0")
        self.act_100 = self._action("&Actual size (100 %)", self.canvas.actual_size, "Ctrl+1")
        self.act_zoom_in = self._action("Zoom &in", lambda: self.canvas.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.act_zoom_out = self._action("Zoom &out", lambda: self.canvas.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.act_compare = self._action("Show &before (B)", self.canvas.set_show_before, "B", checkable=True,
                                        tip="Toggle between the original and the colorized photo (B)")
        self.act_hints = self._action("Show &hints", self.canvas.set_hints_visible, checkable=True)
        self.act_hints.setChecked(True)
        self.act_unsure = self._action("Where am I &unsure?", ctl.show_uncertainty, "U", checkable=True,
                                       tip="Shade where the model is unsure of the colours (yellow = unsure) "
                                           "and ring the places where a hint would help most (U)")
        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[Tool, QAction] = {}
        for tool, (text, key) in TOOL_KEYS.items():
            a = self._action(text, lambda _=False, t=tool: self._on_tool(t), key, checkable=True,
                             tip=f"{text} ({key})")
            self.tool_group.addAction(a)
            self.tool_actions[tool] = a
        self.undo_actions = (self.act_undo, self.act_redo)
        for a in self.undo_actions:
            self.addAction(a)
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        m.addAction(self.act_save)
        m.addAction(self.act_export)
        m.addSeparator()
        m.addAction(self.act_prefs)
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, self.act_clear):
            m.addAction(a)
        m = mb.addMenu("&View")
        for a in (self.act_fit, self.act_100, self.act_zoom_in, self.act_zoom_out, self.act_compare, self.act_hints,
                  self.act_unsure):
            m.addAction(a)
        m = mb.addMenu("&Tools")
        for a in self.tool_actions.values():
            m.addAction(a)
        m = mb.addMenu("&Colorize")
        m.addAction(self.act_colorize)
        m.addAction(self.act_reference)
        m.addAction(self.act_cancel)
        m = mb.addMenu("&Help")
        self.act_shortcuts = m.addAction("&Keyboard shortcuts", self.show_shortcuts)
        self.act_shortcuts.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.addAction(self.act_shortcuts)
        self.act_about = m.addAction("&About Tinta", self.show_about)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        self.addToolBar(tb)
        tb.addAction(self.act_open)
        tb.addAction(self.act_colorize)
        tb.addAction(self.act_cancel)
        tb.addAction(self.act_export)
        tb.addSeparator()
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Hint size ", self))
        self.radius = QSpinBox(self)
        self.radius.setRange(0, 16)
        self.radius.setValue(self.ctl.hint_radius)
        self.radius.setToolTip("Half-size of each hint patch, in network pixels")
        tb.addWidget(self.radius)
        tb.addWidget(QLabel(" Size ", self))
        self.size_box = QComboBox(self)
        for s in SIZES:
            self.size_box.addItem("Model default" if s == 0 else str(s), s)
        self.size_box.setToolTip(SIZE_TIP)
        tb.addWidget(self.size_box)
        tb.addWidget(QLabel(" Vividness ", self))
        self.vivid = QSlider(Qt.Orientation.Horizontal, self)
        self.vivid.setRange(50, 250)
        self.vivid.setValue(100)
        self.vivid.setFixedWidth(110)
        self.vivid.setToolTip("Colour saturation of the model's guess (100 = as trained)")
        tb.addWidget(self.vivid)
        tb.addWidget(QLabel(" Before|After ", self))
        self.split = QSlider(Qt.Orientation.Horizontal, self)
        self.split.setRange(0, 100)
        self.split.setValue(0)
        self.split.setFixedWidth(130)
        self.split.setToolTip("Drag to compare: the original is shown left of the line")
        tb.addWidget(self.split)
        tb.addAction(self.act_compare)
        tb.addAction(self.act_unsure)
        # Vividness applies when the slider is let go (or by keyboard), not at every pixel of a drag.
        self.vivid_timer = QTimer(self, singleShot=True, interval=150)

    def _build_docks(self) -> None:
        from desktop.look_panel import LookPanel
        from desktop.regions_panel import RegionsPanel
        from desktop.restore_panel import RestorePanel

        self.restore = RestorePanel(self)
        self.restore.restoreRequested.connect(self.ctl.set_restore)
        self.look = LookPanel(self)
        self.look.lookRequested.connect(self.ctl.set_look)
        self.regions = RegionsPanel(self)
        docks = {}
        for title, widget, name in (("Colour", self.colors, "colourDock"), ("Look", self.look, "lookDock"),
                                    ("Regions", self.regions, "regionsDock"),
                                    ("Variants", self.variants, "variantsDock"),
                                    ("Restore", self.restore, "restoreDock")):
            dock = QDockWidget(title, self)
            dock.setObjectName(name)
            dock.setWidget(widget)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            docks[name] = dock
        # A tab beside Look, so the column of docks still fits a small screen.
        self.tabifyDockWidget(docks["lookDock"], docks["regionsDock"])
        self.regions_dock = docks["regionsDock"]
        self._build_filmstrip()

    def _build_filmstrip(self) -> None:
        self.filmstrip = Filmstrip(self)
        dock = QDockWidget("Filmstrip", self)
        dock.setObjectName("filmstripDock")
        dock.setWidget(self.filmstrip)
        # Under the photo only: the side docks keep their full height, so the window still fits a small screen.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        album, strip = self.ctl.album, self.filmstrip
        album.folderChanged.connect(strip.set_folder)
        album.thumbnailReady.connect(strip.set_thumbnail)
        album.carryAvailable.connect(strip.set_carry_available)
        album.ask_overwrite = self._ask_overwrite_settings
        strip.openRequested.connect(self.ctl.open_path)
        strip.copySettingsRequested.connect(album.copy_settings)
        strip.carryRequested.connect(album.carry_colours)
        m = self.menuBar().actions()[0].menu()  # File
        self.act_copy_settings = QAction("Copy settings to selected photos", self)
        self.act_copy_settings.triggered.connect(strip.copy.click)
        self.act_carry = QAction("Apply this photo's colours to selected photos", self)
        self.act_carry.triggered.connect(strip.carry.click)
        for a, button in ((self.act_copy_settings, strip.copy), (self.act_carry, strip.carry)):
            m.insertAction(self.act_prefs, a)
            a.setEnabled(button.isEnabled())
        m.insertSeparator(self.act_prefs)
        strip.list.itemSelectionChanged.connect(self._sync_album_actions)
        album.carryAvailable.connect(lambda *_: self._sync_album_actions())

    def _sync_album_actions(self) -> None:
        strip = self.filmstrip
        self.act_copy_settings.setEnabled(strip.copy.isEnabled())
        self.act_carry.setEnabled(strip.carry.isEnabled())
        self.act_carry.setToolTip(strip.carry.toolTip())

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.status_model = QLabel("Loading model…", self)
        self.status_zoom = QLabel("", self)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.hide()
        sb.addPermanentWidget(self.busy_bar)
        sb.addPermanentWidget(self.status_zoom)
        sb.addPermanentWidget(self.status_model)

    def _connect(self) -> None:
        ctl, cv = self.ctl, self.canvas
        ctl.modelReady.connect(self._on_model_ready)
        ctl.modelFailed.connect(self._on_model_failed)
        ctl.documentOpened.connect(self._on_document)
        ctl.resultChanged.connect(self._on_result)
        ctl.hintsChanged.connect(cv.set_hints)
        ctl.regionsChanged.connect(self._on_regions)
        self.regions.selected.connect(self._on_region_selected)
        self.regions.recolourRequested.connect(ctl.recolour_region)
        self.regions.opacityRequested.connect(ctl.set_region_opacity)
        self.regions.visibleRequested.connect(ctl.set_region_visible)
        self.regions.deleteRequested.connect(ctl.delete_region)
        ctl.busyChanged.connect(self._on_busy)
        ctl.statusMessage.connect(lambda m: self.statusBar().showMessage(m, 8000))
        ctl.errorRaised.connect(self.show_error)
        ctl.likelyColors.connect(self.colors.set_likely)
        ctl.uncertaintyChanged.connect(self._on_uncertainty)
        ctl.colorPicked.connect(self._on_color_picked)
        ctl.variantsAvailable.connect(self.variants.set_available)
        ctl.variantsChanged.connect(self.variants.set_variants)
        ctl.variantHistoryChanged.connect(self.variants.set_history)
        self.variants.historyApplyRequested.connect(ctl.apply_earlier_variant)
        ctl.recentChanged.connect(self._update_recent)
        ctl.undo.cleanChanged.connect(lambda clean: self.setWindowModified(not clean))
        ctl.exported.connect(lambda p: self.statusBar().showMessage(f"Exported {p}", 8000))
        cv.strokeFinished.connect(ctl.stroke)
        cv.pointPicked.connect(ctl.pick)
        cv.filesDropped.connect(self._open_dropped)
        cv.zoomChanged.connect(lambda z: self.status_zoom.setText(f"{z * 100:.0f} %"))
        self.colors.colorChosen.connect(self._on_color_chosen)
        self.colors.eyedropperToggled.connect(
            lambda on: self._on_tool(Tool.EYEDROPPER if on else self._tool_before_dropper))
        self.variants.sampleRequested.connect(lambda n: ctl.sample_variants(n))
        self.variants.applyRequested.connect(ctl.apply_variant)
        self.variants.moreLikeRequested.connect(lambda k, i: ctl.sample_variants(like=i, like_set=k))
        self.variants.originalRequested.connect(ctl.clear_variant)
        self.radius.valueChanged.connect(self._on_radius)
        self.size_box.activated.connect(lambda i: ctl.set_size(self.size_box.itemData(i) or None))
        self.vivid.valueChanged.connect(lambda v: self.vivid_timer.start())
        self.vivid_timer.timeout.connect(lambda: ctl.set_vividness(self.vivid.value() / 100.0))
        self.split.valueChanged.connect(lambda v: cv.set_split(v / 100.0))
        cv.splitMoved.connect(self._on_split_dragged)

    # --- slots -------------------------------------------------------------------------------------
    def _on_model_ready(self, name: str, provider: str) -> None:
        self.status_model.setText(wording.model_label(name, provider))
        self.status_model.setToolTip(provider)
        self.act_colorize.setEnabled(self.ctl.doc is not None)

    def _on_model_failed(self, message: str) -> None:
        self.status_model.setText("No model – cannot colorize")
        self.status_model.setToolTip(message)

    def _on_document(self, doc) -> None:
        self.setWindowTitle(f"{doc.path.name}[*] — Tinta")
        self.setWindowModified(False)
        self.canvas.set_photo(QPixmap.fromImage(array_to_qimage(doc.preview)), doc.full_size)
        self.act_compare.setChecked(False)
        self.canvas.set_show_before(False)
        self._set_doc_actions(True)
        self._sync_controls()
        doc.settingsChanged.connect(self._sync_controls)
        doc.lookChanged.connect(self._sync_controls)
        doc.restoreChanged.connect(self._sync_controls)
        self._on_radius(self.radius.value())

    def _sync_controls(self) -> None:
        doc = self.ctl.doc
        if doc is None:
            return
        self.size_box.setCurrentIndex(max(0, self.size_box.findData(doc.size or 0)))
        self.vivid.blockSignals(True)
        self.vivid.setValue(round(doc.vividness * 100))
        self.vivid.blockSignals(False)
        self.look.set_look(doc.saturation, doc.warmth)
        self.restore.set_options(doc.restore)
        self._on_radius(self.radius.value())

    def _on_regions(self, regions) -> None:
        if len(regions) > len(self.regions.regions):
            self.regions_dock.raise_()  # a region was just drawn: show its list
        self.regions.set_regions(regions)

    def _on_region_selected(self, index: int) -> None:
        """Outline the selected region on the photo."""
        regions = self.regions.regions
        if not 0 <= index < len(regions):
            self.canvas.set_outline(None)
            return
        self.canvas.set_outline(QPixmap.fromImage(array_to_qimage(region_outline(regions[index].mask))))

    def _on_result(self, rgb) -> None:
        self.canvas.set_result(None if rgb is None else QPixmap.fromImage(array_to_qimage(rgb)))

    def _on_split_dragged(self, fraction: float) -> None:
        self.split.blockSignals(True)  # the canvas is already there
        self.split.setValue(round(fraction * 100))
        self.split.blockSignals(False)

    def _on_uncertainty(self, heat, places: list) -> None:
        self.canvas.set_uncertainty(None if heat is None else QPixmap.fromImage(array_to_qimage(heat)), places)

    def _on_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.act_cancel.setEnabled(busy)

    def _on_tool(self, tool: Tool) -> None:
        if tool is Tool.EYEDROPPER and self.canvas.tool is not Tool.EYEDROPPER:
            self._tool_before_dropper = self.canvas.tool
        self.canvas.tool = tool
        self.tool_actions[tool].setChecked(True)
        self.colors.dropper.blockSignals(True)
        self.colors.dropper.setChecked(tool is Tool.EYEDROPPER)
        self.colors.dropper.blockSignals(False)
        self._on_radius(self.radius.value())

    def _on_radius(self, value: int) -> None:
        self.ctl.set_hint_radius(value)
        self.canvas.overlay.unit = self.ctl.work_unit()
        wide = self.canvas.tool in WIDE_TOOLS
        self.canvas.brush_radius = self.ctl.region_radius() if wide else self.ctl.brush_extent()

    def _on_color_chosen(self, color: str) -> None:
        self.ctl.set_color(color)
        self.canvas.brush_color = QColor(color)

    def _on_color_picked(self, color: str) -> None:
        self.colors.set_color(color)
        self._on_color_chosen(color)
        if self.canvas.tool is Tool.EYEDROPPER:  # one pick, then back to painting with it
            self._on_tool(self._tool_before_dropper)

    def _set_doc_actions(self, on: bool) -> None:
        for a in (self.act_save, self.act_export, self.act_colorize, self.act_clear, self.act_reference):
            a.setEnabled(on)
        self.act_cancel.setEnabled(self.ctl.runner.busy)

    # --- files -------------------------------------------------------------------------------------
    def _on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open photo", self.ctl.settings.last_dir, OPEN_FILTER)
        if path:
            self.ctl.open_path(path)

    def reference_dialog(self) -> ReferenceDialog:
        """The dialog `_on_reference` runs (tests drive it without a modal loop)."""
        return ReferenceDialog(self.ctl.settings.last_dir, OPEN_FILTER, self)

    def _on_reference(self) -> None:
        dialog = self.reference_dialog()
        if dialog.exec() == ReferenceDialog.DialogCode.Accepted:
            self.ctl.colour_from_reference(dialog.path(), dialog.strength())

    def _update_recent(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for p in paths:
            self.recent_menu.addAction(Path(p).name, lambda p=p: self.ctl.open_path(p)).setToolTip(p)
        self.recent_menu.setEnabled(bool(paths))

    def _on_export(self) -> None:
        doc = self.ctl.doc
        if doc is None:
            return
        suggested = str(doc.path.with_name(doc.path.stem + "-color.png"))
        path, chosen = QFileDialog.getSaveFileName(self, "Export colorized photo", suggested,
                                                   ";;".join(EXPORT_FILTERS))
        if path:
            ext, bits = EXPORT_FILTERS.get(chosen, (".png", 8))
            p = Path(path)
            if p.suffix.lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
                p = p.with_name(p.name + ext)
            quality = JPEG_QUALITY
            if p.suffix.lower() in (".jpg", ".jpeg"):
                quality = self._ask_jpeg_quality()
                if quality is None:
                    return
            self.export_to(p, bits, quality)

    def _ask_jpeg_quality(self) -> int | None:
        """The quality for this JPEG (the last one chosen is offered again); None when cancelled."""
        settings = self.ctl.settings
        dialog = JpegQualityDialog(settings.jpeg_quality, self)
        try:
            if not dialog.exec():
                return None
            settings.jpeg_quality = dialog.quality.value()
            return dialog.quality.value()
        finally:
            dialog.deleteLater()

    def export_to(self, path, bits: int = 8, quality: int = JPEG_QUALITY) -> bool:
        return self.ctl.export(ExportRequest(Path(path), bits, quality))

    def _ask_resume(self, session_file: Path) -> bool:
        answer = QMessageBox.question(self, "Resume editing?",
                                      f"{session_file.name} holds earlier edits of this photo. Load them?")
        return answer == QMessageBox.StandardButton.Yes

    def _ask_overwrite_settings(self, names: list[str]) -> bool:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        answer = QMessageBox.question(self, "Replace their settings?",
                                      f"{shown} already {'has' if len(names) == 1 else 'have'} other settings. "
                                      "Replace them with this photo's look, vividness, size and restoration?")
        return answer == QMessageBox.StandardButton.Yes

    def _ask_unsaved(self, photo: Path, why: str) -> str:
        answer = QMessageBox.warning(
            self, "Unsaved edits",
            f"The edits to {photo.name} are not saved: the session file could not be written.\n{why}\n\n"
            "Save them (try again), discard them, or stay on this photo?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def show_shortcuts(self) -> ShortcutsDialog:
        """Non-blocking, like the error boxes; listed from the actions as they are now."""
        dialog = ShortcutsDialog(help_content.shortcut_rows(self), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        card = None if self.ctl.colorizer is None else self.ctl.colorizer.card
        dialog = AboutDialog(help_content.about(card, self.ctl.model_error), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_prefs(self) -> None:
        dialog = PreferencesDialog(self.ctl.settings, self)
        if dialog.exec():
            dialog.store()
            apply_theme(self.ctl.settings.theme)

    def show_error(self, title: str, message: str) -> None:
        """Window-modal but non-blocking, so background work and tests keep running."""
        self.last_error = (title, message)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # --- drag and drop / close ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = dropped_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self._open_dropped(files)

    def _open_dropped(self, files: list[str]) -> None:
        self.ctl.open_path(files[0])  # one photo is edited at a time: the first one dropped

    def _restore_layout(self) -> None:
        """Where the window, its docks and toolbar were when it was last closed (a bad or old record is ignored)."""
        settings = self.ctl.settings
        if not settings.window_geometry.isEmpty():
            self.restoreGeometry(settings.window_geometry)
        if not settings.window_state.isEmpty():
            self.restoreState(settings.window_state, LAYOUT_VERSION)

    def _save_layout(self) -> None:
        self.ctl.settings.window_geometry = self.saveGeometry()
        self.ctl.settings.window_state = self.saveState(LAYOUT_VERSION)

    def closeEvent(self, event) -> None:
        if not self.ctl.settle_edits():
            event.ignore()
            return
        self._save_layout()
        self.ctl.shutdown()
        self.ctl.settings.sync()
        super().closeEvent(event)
