"""The main window: composition of document, canvas, worker, panels, actions and menus."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSlider,
    QToolButton,
    QWidget,
)

from app import brush, samples
from app.canvas import Canvas
from app.document import Document, Source
from app.icons import icon
from app.panels.alpha_dock import AlphaView
from app.panels.brush_panel import BrushPanel
from app.panels.compare import CompareWindow
from app.panels.engine_panel import EnginePanel
from app.panels.preferences import PreferencesDialog
from app.panels.restore_panel import RestorePanel
from app.recovery import Autosaver, Session, read_session
from app.settings import Settings
from app.worker import CompareEntry, Job, Worker
from engine.errors import InpaintError
from engine.imageio import IMAGE_SUFFIXES, load_image, load_mask, save_image
from engine.pipeline import Result
from engine.registry import CAP_ALPHA_MAPS, get_spec
from engine.restore import detect_scratches

OPEN_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;All files (*)"
SAVE_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff);;WebP (*.webp)"


class MainWindow(QMainWindow):
    """The editor. Tests drive it through the same slots the actions call."""

    result_shown = Signal(object)  # engine.pipeline.Result now pending on the canvas
    compare_shown = Signal(object)  # list[CompareEntry]

    def __init__(
        self, settings: Settings | None = None, recovery_folder: Path | None = None, autosave_ms: int = 2000
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.ask_before_close = True
        self._closed = False  # set on close: late signals during teardown must not touch widgets
        self.last_error = ""
        self.pending: Result | None = None
        self.pending_revision = -1
        self.proposal: np.ndarray | None = None
        self.last_seconds: float | None = None
        # No Qt parent: the document must outlive the widgets while they are torn down.
        self.doc = Document()
        self.canvas = Canvas(self.doc)
        self.setCentralWidget(self.canvas)
        self.worker = Worker(self)
        self.autosaver = Autosaver(self.doc, recovery_folder, autosave_ms)
        self.compare_window: CompareWindow | None = None
        self.setAcceptDrops(True)
        self.resize(1280, 820)

        self._make_actions()
        self.engine_panel = EnginePanel(self.settings)
        self.brush_panel = BrushPanel(
            self.canvas,
            self.settings,
            [self.act_brush, self.act_eraser],
            [self.act_grow, self.act_shrink, self.act_invert, self.act_clear, self.act_load_mask, self.act_save_mask],
        )
        self.restore_panel = RestorePanel(self.settings)
        self.alpha_view = AlphaView()
        self._make_menus()
        self._make_toolbar()
        self._make_docks()
        self._make_status()
        self._apply_overlay_settings()
        self._connect()
        self._update_title()
        self._update_actions()
        QApplication.instance().installEventFilter(self)
        geometry = self.settings.get("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.get("window/state")
        if state is not None:
            self.restoreState(state)

    # ---------------------------------------------------------------- actions
    def _action(
        self, text: str, icon_name: str, shortcut: str | list | None, slot, tip: str, checkable: bool = False
    ) -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon(""), text, self)
        keys: list = [] if shortcut is None else (shortcut if isinstance(shortcut, list) else [shortcut])
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        first = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({first})" if first else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        if checkable:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        a = self._action
        self.act_open = a("&Open…", "fa5s.folder-open", QKeySequence.StandardKey.Open, self.open_dialog, "Open a photo")
        self.act_save = a("&Save", "fa5s.save", QKeySequence.StandardKey.Save, self.save, "Save the photo")
        self.act_save_as = a(
            "Save &As…", "fa5s.file-export", "Ctrl+Shift+S", self.save_as, "Save under a new name or format"
        )
        self.act_load_mask = a(
            "Load mask…", "fa5s.file-upload", "Ctrl+Shift+O", self.load_mask_dialog, "Load a mask image (white = fill)"
        )
        self.act_save_mask = a(
            "Save mask…",
            "fa5s.file-download",
            "Ctrl+Alt+S",
            self.save_mask_dialog,
            "Save the mask as a PNG (white = fill)",
        )
        self.act_prefs = a(
            "Preferences…", "fa5s.cog", "Ctrl+,", self.preferences, "Overlay colours, opacity, JPEG quality"
        )
        self.act_quit = a("&Quit", "fa5s.power-off", QKeySequence.StandardKey.Quit, self.close, "Quit Inpaint Studio")
        self.act_undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts(QKeySequence.StandardKey.Undo)
        self.act_undo.setIcon(icon("fa5s.undo"))
        self.act_undo.setToolTip("Undo (Ctrl+Z)")
        self.act_redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_redo.setIcon(icon("fa5s.redo"))
        self.act_redo.setToolTip("Redo (Ctrl+Shift+Z)")
        self.addActions([self.act_undo, self.act_redo])

        self.act_brush = a(
            "Brush", "fa5s.paint-brush", "B", lambda on: on and self.set_tool("brush"), "Paint what to remove", True
        )
        self.act_eraser = a(
            "Eraser", "fa5s.eraser", "E", lambda on: on and self.set_tool("eraser"), "Erase from the mask", True
        )
        self.act_brush.setChecked(True)
        self.act_smaller = a(
            "Smaller brush",
            "",
            "[",
            lambda: self.canvas.set_brush_size(round(self.canvas.brush_size / 1.2)),
            "Brush size down",
        )
        self.act_bigger = a(
            "Bigger brush",
            "",
            "]",
            lambda: self.canvas.set_brush_size(round(self.canvas.brush_size * 1.2) + 1),
            "Brush size up",
        )
        self.act_object = a(
            "Object removal strokes",
            "fa5s.expand-arrows-alt",
            "O",
            self._toggle_object_mode,
            "Grow strokes by a few px so edges and halos go too",
            True,
        )
        self.act_grow = a("Grow", "fa5s.plus-circle", "Ctrl+G", lambda: self.grow_mask(+4), "Grow the mask by 4 px")
        self.act_shrink = a(
            "Shrink", "fa5s.minus-circle", "Ctrl+Shift+G", lambda: self.grow_mask(-4), "Shrink the mask by 4 px"
        )
        self.act_invert = a("Invert", "fa5s.adjust", "Ctrl+I", self.invert_mask, "Invert the mask")
        self.act_clear = a("Clear", "fa5s.trash-alt", "Delete", self.clear_mask, "Clear the mask")
        self.act_show_mask = a(
            "Show mask", "fa5s.eye", "H", self.canvas.set_mask_visible, "Show or hide the mask overlay", True
        )
        self.act_show_mask.setChecked(True)

        self.act_zoom_in = a(
            "Zoom in",
            "fa5s.search-plus",
            [QKeySequence.StandardKey.ZoomIn, "Ctrl+="],
            lambda: self.canvas.zoom_by(1.25),
            "Zoom in",
        )
        self.act_zoom_out = a(
            "Zoom out",
            "fa5s.search-minus",
            QKeySequence.StandardKey.ZoomOut,
            lambda: self.canvas.zoom_by(0.8),
            "Zoom out",
        )
        self.act_fit = a("Fit", "fa5s.compress", "Ctrl+0", self.canvas.fit, "Fit the photo in the window")
        self.act_100 = a("100 %", "fa5s.search", "Ctrl+1", self.canvas.actual_size, "Actual pixels")

        self.act_run = a(
            "Run", "fa5s.play", ["Ctrl+Return", "Ctrl+Enter"], self.run_engine, "Fill the mask with the selected engine"
        )
        self.act_cancel = a("Cancel", "fa5s.stop", None, self.worker.cancel, "Stop the running engine (Esc)")
        self.act_escape = a(
            "Cancel / discard", "", "Esc", self.escape, "Cancel the run, or discard the shown result/proposal"
        )
        self.act_apply = a(
            "Apply",
            "fa5s.check",
            ["Return", "Enter"],
            self.apply_result,
            "Make the shown result the new image (undoable)",
        )
        self.act_discard = a("Discard", "fa5s.times", None, self.discard_result, "Throw away the shown result (Esc)")
        self.act_compare = a(
            "Compare engines…",
            "fa5s.th-large",
            "Ctrl+Shift+Return",
            self.compare_engines_dialog,
            "Run several engines on the same mask and show them side by side",
        )
        self.act_refresh = a(
            "Rescan engines", "fa5s.sync", None, self.refresh_engines, "Look for newly installed weights"
        )
        self.act_detect = a(
            "Detect scratches && dust",
            "mdi6.auto-fix",
            "Ctrl+D",
            lambda: self.detect_scratches(self.restore_panel.value),
            "Propose a mask of scratches and specks (old photos)",
        )
        for act in (self.act_apply, self.act_clear):
            # Plain keys act only while the photo has focus, so they never steal them from text fields.
            self.removeAction(act)
            self.canvas.addAction(act)
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_open)
        self.samples_menu = m.addMenu(icon("fa5s.images"), "Open &sample")  # app.samples fills it
        samples.attach_menu(self.samples_menu, self)
        self.recent_menu = m.addMenu(icon("fa5s.history"), "Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_load_mask, self.act_save_mask])
        m.addSeparator()
        m.addActions([self.act_prefs, self.act_quit])
        m = bar.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_apply, self.act_discard])
        m = bar.addMenu("&Mask")
        m.addActions([self.act_brush, self.act_eraser, self.act_object, self.act_bigger, self.act_smaller])
        m.addSeparator()
        m.addActions([self.act_grow, self.act_shrink, self.act_invert, self.act_clear, self.act_show_mask])
        m = bar.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_100])
        hint = m.addAction("Hold \\ to see the original")
        hint.setEnabled(False)
        self.view_menu = m
        m = bar.addMenu("E&ngine")
        m.addActions([self.act_run, self.act_cancel, self.act_compare, self.act_refresh])
        m = bar.addMenu("&Restore")
        m.addAction(self.act_detect)

    def _make_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.addActions([self.act_open, self.act_save, self.act_undo, self.act_redo])
        tb.addSeparator()
        tb.addActions([self.act_brush, self.act_eraser, self.act_object])
        tb.addSeparator()
        tb.addWidget(self.engine_panel.combo)
        run_button = QToolButton()
        run_button.setDefaultAction(self.act_run)
        run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addWidget(run_button)
        tb.addAction(self.act_cancel)
        tb.addSeparator()
        tb.addActions([self.act_apply, self.act_discard])
        self.split = QSlider(Qt.Orientation.Horizontal)
        self.split.setRange(0, 100)
        self.split.setValue(100)
        self.split.setMaximumWidth(140)
        self.split.setToolTip("Before/after split: result on the left of the line (hold \\ to see the original)")
        self.split.valueChanged.connect(lambda v: self.canvas.set_split(v / 100.0))
        tb.addWidget(QLabel(" Before|After "))
        tb.addWidget(self.split)
        tb.addSeparator()
        tb.addAction(self.act_compare)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def _make_docks(self) -> None:
        self.view_menu.addSeparator()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.brush_dock = self._dock("Brush && mask", "brush-dock", self.brush_panel, right)
        self.engine_dock = self._dock("Engine", "engine-dock", self.engine_panel, right)
        self.restore_dock = self._dock("Restore old photo", "restore-dock", self.restore_panel, right)
        self.alpha_dock = self._dock("Alpha maps (DFNet)", "alpha-dock", self.alpha_view, right)
        self.tabifyDockWidget(self.restore_dock, self.alpha_dock)
        self.restore_dock.raise_()

    def _make_status(self) -> None:
        sb = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setDefaultAction(self.act_cancel)
        self.cancel_button.setVisible(False)
        self.lbl_size = QLabel()
        self.lbl_zoom = QLabel()
        self.lbl_engine = QLabel()
        self.lbl_time = QLabel("last run: —")
        for w in (self.progress_label, self.progress, self.cancel_button):
            sb.addWidget(w)
        for w in (self.lbl_size, self.lbl_zoom, self.lbl_engine, self.lbl_time):
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        d, c, w = self.doc, self.canvas, self.worker
        d.image_replaced.connect(self._on_image_replaced)
        d.image_changed.connect(self._update_title)
        d.undo_stack.cleanChanged.connect(self._update_title)
        d.undo_stack.indexChanged.connect(self._update_actions)
        c.zoom_changed.connect(self._update_title)
        c.file_dropped.connect(self.open_path)
        c.stroke_started.connect(lambda: self.act_show_mask.setChecked(True))
        w.started.connect(self._on_started)
        w.progress.connect(self._on_progress)
        w.result.connect(self._on_result)
        w.error.connect(self._on_error)
        w.cancelled.connect(self._on_cancelled)
        w.finished.connect(self._on_finished)
        self.engine_panel.engine_changed.connect(lambda _n: self._update_status())
        # activated = picked by the user (not a programmatic change): that choice is remembered
        self.engine_panel.combo.activated.connect(
            lambda _i: self.settings.remember_engine(self.engine_panel.current_name())
        )
        self.engine_panel.device.currentIndexChanged.connect(lambda _i: self._update_status())
        self.restore_panel.detect_requested.connect(self.detect_scratches)
        self.restore_panel.accept_requested.connect(self.accept_proposal)
        self.restore_panel.discard_requested.connect(self.discard_proposal)
        self.autosaver.failed.connect(lambda message: self.status(message, 10000))

    # ------------------------------------------------------------ title/status
    def _update_title(self, *_: object) -> None:
        if self._closed:
            return
        if self.doc.source.path is None and not self.doc.loaded:
            self.setWindowTitle("Inpaint Studio")
        else:
            name = self.doc.source.path.name if self.doc.source.path else "untitled"
            w, h = self.doc.size
            self.setWindowTitle(f"{name}[*] — {w}×{h} — {self.canvas.zoom * 100:.0f} % — Inpaint Studio")
        self.setWindowModified(not self.doc.undo_stack.isClean())
        self._update_status()

    def _update_status(self) -> None:
        w, h = self.doc.size
        self.lbl_size.setText(f"{w}×{h} px ({w * h / 1e6:.1f} MP)" if self.doc.loaded else "no photo")
        self.lbl_zoom.setText(f"zoom {self.canvas.zoom * 100:.0f} %")
        spec = self.engine_panel.current_spec()
        self.lbl_engine.setText(f"{spec.display_name if spec else '—'} on {self.engine_panel.device_name.upper()}")
        if self.last_seconds is not None:
            self.lbl_time.setText(f"last run: {self.last_seconds:.2f} s")

    def _update_actions(self, *_: object) -> None:
        if self._closed:
            return
        loaded = self.doc.loaded
        busy = self.worker.busy
        for act in (self.act_save, self.act_save_as, self.act_save_mask, self.act_load_mask, self.act_detect):
            act.setEnabled(loaded)
        self.act_run.setEnabled(loaded and not busy and self.engine_panel.current_spec() is not None)
        self.act_compare.setEnabled(loaded and not busy)
        self.act_cancel.setEnabled(busy)
        self.act_apply.setEnabled(self.pending is not None)
        self.act_discard.setEnabled(self.pending is not None)
        self.split.setEnabled(self.pending is not None)

    def status(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    def show_error(self, title: str, message: str) -> None:
        """Error dialog with the engine's message; window-modal but not blocking the event loop."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_box = box

    def confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(
            self,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ files
    def open_dialog(self) -> None:
        start = str(self.doc.source.path.parent) if self.doc.source.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open photo", start, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo (EXIF rotation applied). Errors go to a dialog; returns success."""
        if not self.doc.undo_stack.isClean() and not self.confirm(
            "Discard changes?", "The current photo has unsaved changes. Open another photo and lose them?"
        ):
            return False
        try:
            loaded = load_image(path)
        except InpaintError as exc:
            self.show_error("Cannot open photo", str(exc))
            return False
        self.worker.cancel()
        self.doc.set_image(loaded.rgb, Source(loaded.path.resolve(), loaded.format, loaded.exif, loaded.icc))
        self.settings.add_recent(str(loaded.path.resolve()))
        if loaded.note:
            self.status(loaded.note, 10000)
        else:
            self.status(f"Opened {loaded.path.name}")
        return True

    def _on_image_replaced(self) -> None:
        self.discard_result()
        self.discard_proposal()
        self.alpha_view.set_maps([], "")
        self._update_title()
        self._update_actions()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for f in files:
            act = self.recent_menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _=False, f=f: self.open_path(f))

    def _suggested_path(self) -> Path:
        src = self.doc.source.path or Path.cwd() / "untitled.png"
        suffix = (
            src.suffix.lower() if src.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp") else ".png"
        )
        return self.doc.save_path or src.with_name(f"{src.stem}-inpainted{suffix}")

    def save(self) -> bool:
        if self.doc.save_path is None:
            return self.save_as()
        return self.save_to(self.doc.save_path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save photo as",
            str(self._suggested_path()),
            SAVE_FILTER,
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".png")
        quality = None
        if path.suffix.lower() in (".jpg", ".jpeg", ".webp"):
            value, ok = QInputDialog.getInt(
                self, "JPEG quality", "Quality (1–100):", int(self.settings.get("save/jpeg_quality")), 1, 100
            )
            if not ok:
                return False
            quality = value
            self.settings.set("save/jpeg_quality", value)
        return self.save_to(path, quality)

    def save_to(self, path: str | Path, quality: int | None = None) -> bool:
        """Write the image (atomic, EXIF/ICC kept). An existing file — above all the original —
        is only replaced after the user confirms."""
        path = Path(path)
        if self.pending is not None and self.confirm("Apply the result?", "Apply the shown result before saving?"):
            self.apply_result()
        if path.exists():
            original = self.doc.source.path is not None and path.resolve() == self.doc.source.path
            text = (
                f"{path.name} is the original photo. Replace it with the edited version? This cannot be undone."
                if original
                else f"{path.name} already exists. Replace it?"
            )
            if not self.confirm("Overwrite?", text):
                self.status("Not saved")
                return False
        try:
            save_image(
                path,
                self.doc.image,
                self.doc.source.exif,
                self.doc.source.icc,
                quality if quality is not None else int(self.settings.get("save/jpeg_quality")),
                png_compression=int(self.settings.get("save/png_compression")),
            )
        except InpaintError as exc:
            self.show_error("Cannot save", str(exc))
            return False
        except OSError as exc:  # save_image turns I/O errors into InpaintError; this is a last resort
            self.show_error("Cannot save", f"could not save {path}: {exc.strerror or exc}")
            return False
        self.doc.save_path = path.resolve()
        self.doc.undo_stack.setClean()
        self.autosaver.clear()  # the work is on disk now
        self.status(f"Saved {path}")
        return True

    def load_mask_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load mask", "", OPEN_FILTER)
        if path:
            self.load_mask_file(path)

    def load_mask_file(self, path: str | Path) -> bool:
        """Load a mask image (white/opaque = fill; gray values are thresholded at > 127, see
        ``engine.imageio.load_mask``). A mask of another size is scaled (nearest neighbour) only
        after the user agrees."""
        path = Path(path)
        try:
            mask = load_mask(path)
            if mask.shape != self.doc.mask.shape:
                (mw, mh), (w, h) = (mask.shape[1], mask.shape[0]), self.doc.size
                if not self.confirm(
                    "Resize mask?",
                    f"The mask {path.name} is {mw}×{mh} px but the photo is {w}×{h} px. "
                    "Scale the mask to the photo's size?",
                ):
                    self.status("Mask not loaded (different size)")
                    return False
                mask = load_mask(path, self.doc.size, resize=True)
        except InpaintError as exc:
            self.show_error("Cannot load mask", str(exc))
            return False
        self.doc.set_mask(mask, "Load mask")
        self.status(f"Loaded mask {path.name}" + ("" if mask.any() else " (it is empty: nothing to fill)"))
        return True

    def save_mask_dialog(self) -> None:
        default = self._suggested_path().with_name(f"{(self.doc.source.path or Path('mask')).stem}-mask.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save mask", str(default), "PNG (*.png)")
        if path:
            self.save_mask_file(path)

    def save_mask_file(self, path: str | Path) -> bool:
        try:
            save_image(path, self.doc.hole())
        except InpaintError as exc:
            self.show_error("Cannot save mask", str(exc))
            return False
        self.status(f"Mask saved to {path}")
        return True

    # --------------------------------------------------------------- recovery
    def offer_recovery(self, answer: bool | None = None) -> bool:
        """If an autosaved session exists (the last run did not close cleanly), ask whether to
        restore it. ``answer`` (or ``INPAINT_STUDIO_RECOVERY=restore|discard``) skips the question.
        Returns True if a session was restored."""
        session = read_session(self.autosaver.folder)
        if session is None:
            return False
        if answer is None:
            choice = os.environ.get("INPAINT_STUDIO_RECOVERY", "").lower()
            if choice in ("restore", "discard"):
                answer = choice == "restore"
            else:
                name = session.source.name if session.source else "an untitled photo"
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.saved_at))
                reply = QMessageBox.question(
                    self,
                    "Restore unsaved work?",
                    f"Inpaint Studio was not closed properly. Unsaved edits of {name} were autosaved at {when}.\n\n"
                    "Restore them? The image, the mask and the applied results come back; the undo history "
                    "does not (the restored edits become a single undo step). No discards them for good.",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.Yes,
                )
                answer = reply == QMessageBox.StandardButton.Yes
        if answer:
            return self.restore_recovery(session)
        self.autosaver.clear()
        self.status("Discarded the autosaved session")
        return False

    def restore_recovery(self, session: Session | None = None) -> bool:
        """Bring back the autosaved image, mask and applied edits (see :mod:`app.recovery`)."""
        session = session or read_session(self.autosaver.folder)
        if session is None:
            return False
        loaded = None
        if session.source is not None:
            try:
                loaded = load_image(session.source)
            except InpaintError:
                loaded = None  # moved or deleted: the autosaved image alone can still be restored
        if loaded is not None and loaded.rgb.shape[:2] == session.mask.shape:
            self.doc.set_image(loaded.rgb, Source(session.source, loaded.format, loaded.exif, loaded.icc))
            if session.image is not None and not np.array_equal(session.image, loaded.rgb):
                self.doc.apply_result(session.image, "Restored edits")  # undo goes back to the original
        elif session.image is not None:
            self.doc.set_image(session.image, Source(session.source))
            self.autosaver.mark_pristine(False)
            self.doc.undo_stack.resetClean()  # unsaved work, even with an empty undo stack
        else:
            self.show_error(
                "Cannot restore",
                f"the photo {session.source} of the autosaved session cannot be read any more "
                "(moved, deleted or changed size); put it back and restart to restore the mask",
            )
            return False
        self.doc.set_mask(session.mask, "Restored mask")
        self.status("Restored the autosaved session (Save to keep it)", 10000)
        return True

    # ------------------------------------------------------------------- mask
    def set_tool(self, tool: str) -> None:
        self.canvas.tool = tool
        self.act_brush.setChecked(tool == "brush")
        self.act_eraser.setChecked(tool == "eraser")
        self.canvas.set_brush_size(self.canvas.brush_size)

    def _toggle_object_mode(self, on: bool) -> None:
        self.brush_panel.object_mode.setChecked(on)

    def grow_mask(self, pixels: int) -> None:
        self.doc.set_mask(brush.grow(self.doc.mask, pixels), "Grow mask" if pixels > 0 else "Shrink mask")

    def invert_mask(self) -> None:
        self.doc.set_mask(np.where(self.doc.mask > 127, 0, 255).astype(np.uint8), "Invert mask")

    def clear_mask(self) -> None:
        self.doc.set_mask(np.zeros_like(self.doc.mask), "Clear mask")

    # ---------------------------------------------------------------- engines
    def refresh_engines(self) -> None:
        self.worker.forget_engines()
        self.engine_panel.refresh()
        self._update_actions()

    def run_engine(self) -> bool:
        """Run the selected engine on the current mask in the worker. False if nothing started."""
        hole = self._hole_to_fill()
        if hole is None:
            return False
        run = self.engine_panel.run_spec()
        return self._submit(Job(self.doc.image, hole, [run], "run", self.doc.revision))

    def _hole_to_fill(self) -> np.ndarray | None:
        """The current hole mask if a job can start now (idle, photo open, mask not empty), else None."""
        if self.worker.busy or not self.doc.loaded:
            return None
        hole = self.doc.hole()
        if not hole.any():
            self.status("Paint over what to remove first (the mask is empty)")
            return None
        return hole

    def _submit(self, job: Job) -> bool:
        """Hand ``job`` to the worker and show the busy state at once (the worker's own
        ``started`` signal arrives through the event loop, possibly after the engine began)."""
        if not self.worker.submit(job):
            return False
        self._on_started(job)
        return True

    def compare_engines_dialog(self) -> None:
        names = self.engine_panel.available_names()
        if len(names) > 1:
            labels = ["All available engines", *[get_spec(n).display_name for n in names]]
            choice, ok = QInputDialog.getItem(self, "Compare engines", "Run:", labels, 0, False)
            if not ok:
                return
            if choice != labels[0]:
                current = self.engine_panel.current_name()
                extra = names[labels.index(choice) - 1]
                names = [current, extra] if current != extra else [current]
        self.compare_engines(names)

    def compare_engines(self, names: list[str] | None = None) -> bool:
        """Run ``names`` (default: every available engine) one after another; show the grid."""
        hole = self._hole_to_fill()
        if hole is None:
            return False
        names = names or self.engine_panel.available_names()
        runs = [self.engine_panel.run_spec(n) for n in names]
        return self._submit(Job(self.doc.image, hole, runs, "compare", self.doc.revision))

    def _on_started(self, job: Job) -> None:
        self.progress.setValue(0)
        self.progress_label.setText("Starting…")
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.setVisible(True)
        self._update_actions()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.progress_label.setText(message)

    def _on_result(self, job: Job, outcome: object) -> None:
        if job.revision != self.doc.revision:
            self.status("The photo changed while the engine ran; that result was discarded")
            return
        if job.kind == "compare":
            entries: list[CompareEntry] = outcome  # type: ignore[assignment]
            if self.compare_window is None:
                self.compare_window = CompareWindow(self)
                self.compare_window.apply_requested.connect(self.apply_compare)
            self.compare_entries = entries
            self.compare_window.set_entries(entries)
            self.compare_window.show()
            self.compare_window.raise_()
            failed = [e for e in entries if e.result is None]
            self.status(f"Compared {len(entries)} engines" + (f"; {len(failed)} failed" if failed else ""))
            self.compare_shown.emit(entries)
            return
        result: Result = outcome  # type: ignore[assignment]
        self.show_result(result, job.display)

    def show_result(self, result: Result, display: QImage | None = None) -> None:
        """Put ``result`` on the canvas as the pending result (Apply / Discard / compare).

        ``display``: ``result.image`` already converted for display by the worker, if available."""
        self.pending = result
        self.pending_revision = self.doc.revision
        self.last_seconds = result.seconds
        self.canvas.set_result(result.image, display)
        self.act_show_mask.setChecked(False)
        spec = get_spec(result.engine)
        if CAP_ALPHA_MAPS in spec.capabilities and result.extras.get("alpha_maps"):
            extras = result.extras
            self.alpha_view.set_maps(
                extras["alpha_maps"], spec.display_name, extras.get("box"), self.doc.image, result.mask
            )
            self.alpha_dock.show()
            self.alpha_dock.raise_()
        self.status(
            f"{spec.display_name}{' + texture' if result.texture > 0 else ''}: {result.seconds:.2f} s, "
            f"{len(result.boxes)} region(s)"
            + (f" — {result.note}" if result.note else "")
            + ". Return applies, Esc discards, hold \\ for the original."
        )
        self._update_status()
        self._update_actions()
        self.result_shown.emit(result)

    def _on_error(self, job: Job, message: str) -> None:
        self.show_error("The engine failed", message)

    def _on_cancelled(self, job: Job) -> None:
        self.status("Cancelled")

    def _on_finished(self, job: Job) -> None:
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.setVisible(False)
        self._update_actions()

    def apply_result(self) -> None:
        if self.pending is None:
            return
        if self.pending_revision == self.doc.revision:
            self.doc.apply_result(self.pending.image, f"Apply {get_spec(self.pending.engine).display_name}")
        self.discard_result()

    def apply_compare(self, name: str) -> None:
        for entry in getattr(self, "compare_entries", []):
            if entry.name == name and entry.result is not None:
                self.show_result(entry.result)
                self.apply_result()
                self.status(f"Applied {entry.display_name} (Ctrl+Z undoes)")
                return

    def discard_result(self) -> None:
        self.pending = None
        self.canvas.clear_result()
        self.act_show_mask.setChecked(True)
        self._update_actions()

    def escape(self) -> None:
        if self.worker.busy:
            self.worker.cancel()
        elif self.pending is not None:
            self.discard_result()
        elif self.proposal is not None:
            self.discard_proposal()

    # ---------------------------------------------------------------- restore
    def detect_scratches(self, sensitivity: float) -> np.ndarray | None:
        if not self.doc.loaded:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            proposal = detect_scratches(self.doc.image, sensitivity)
        except InpaintError as exc:
            self.show_error("Detection failed", str(exc))
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.proposal = proposal
        self.canvas.set_proposal(proposal)
        share = np.count_nonzero(proposal) / proposal.size * 100
        self.restore_panel.set_has_proposal(
            True,
            f"Proposed {share:.2f} % of the photo (blue). Accept adds it to the mask; edit it with the brush/eraser.",
        )
        return proposal

    def accept_proposal(self) -> None:
        if self.proposal is None:
            return
        self.doc.set_mask(np.maximum(self.doc.mask, self.proposal), "Accept scratch proposal")
        self.discard_proposal()

    def discard_proposal(self) -> None:
        self.proposal = None
        self.canvas.set_proposal(None)
        self.restore_panel.set_has_proposal(False)

    # --------------------------------------------------------------- settings
    def _apply_overlay_settings(self) -> None:
        opacity = int(self.settings.get("overlay/opacity")) / 100.0
        self.canvas.set_overlay_style(self.settings.color("overlay/color"), opacity)
        self.canvas.proposal_item.set_style(self.settings.color("overlay/proposal_color"), min(1.0, opacity + 0.2))

    def preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        if dialog.exec():
            dialog.store()
            self._apply_overlay_settings()

    # ----------------------------------------------------------------- events
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Hold Backslash anywhere in this window to see the original instead of the result."""
        et = event.type()
        if (
            et in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
            and isinstance(obj, QWidget)
            and obj.window() is self
            and event.key() == Qt.Key.Key_Backslash
            and not event.isAutoRepeat()
        ):
            self.canvas.set_show_original(et == QEvent.Type.KeyPress)
            return True
        return super().eventFilter(obj, event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            QTimer.singleShot(0, lambda p=urls[0].toLocalFile(): self.open_path(p))
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.ask_before_close and not self.doc.undo_stack.isClean():
            answer = QMessageBox.question(
                self,
                "Unsaved changes",
                "Save the edited photo before closing?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel or (
                answer == QMessageBox.StandardButton.Save and not self.save()
            ):
                event.ignore()
                return
        self._closed = True
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        QApplication.instance().removeEventFilter(self)
        if self.compare_window is not None:
            self.compare_window.close()
        self.worker.shutdown()
        self.autosaver.enabled = False
        self.autosaver.clear()  # a deliberate close: nothing to recover next time
        event.accept()
