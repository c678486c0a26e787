"""The main window: composition only. It builds the document, canvas, worker, panels and docks, and the
collaborators that do the work — :mod:`app.actions` (actions, menus, toolbar), :mod:`app.files` (open/save),
:mod:`app.masks`, :mod:`app.jobs` (run/compare), :mod:`app.object_select` (select object),
:mod:`app.variations`, :mod:`app.recovery_offer`, :mod:`app.statusline`, :mod:`app.feedback` — and wires
their signals. Its public methods are the slots tests and app.samples call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, SignalInstance
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox, QWidget

from app import gui_gc, prompts, samples
from app.about import AboutDialog
from app.actions import Actions
from app.canvas import Canvas
from app.document import EXCLUDE, Document
from app.engine_names import plain_name
from app.feedback import Feedback
from app.files import Files
from app.jobs import Jobs
from app.masks import MaskTools
from app.message_bar import MessageBar
from app.object_select import ObjectSelect
from app.panels.alpha_dock import AlphaView
from app.panels.brush_panel import BrushPanel
from app.panels.compare import CompareWindow
from app.panels.engine_panel import EnginePanel
from app.panels.preferences import PreferencesDialog
from app.panels.restore_panel import RestorePanel
from app.panels.variations_panel import VariationsPanel
from app.recovery import Autosaver
from app.recovery_offer import RecoveryOffer
from app.restore_controller import RestoreController
from app.settings import Settings
from app.statusline import StatusLine
from app.variations import Variations
from app.worker import Worker
from engine.pipeline import Result
from engine.registry import CAP_ALPHA_MAPS, get_spec


class MainWindow(QMainWindow):
    """The editor. Tests drive it through the same slots the actions call."""

    def __init__(
        self, settings: Settings | None = None, recovery_folder: Path | None = None, autosave_ms: int = 2000
    ) -> None:
        super().__init__()
        gui_gc.install()  # before the worker thread starts: no collection may run there (app/gui_gc.py)
        self.settings = settings or Settings()
        self.ask_before_close = True
        self._closed = False  # set on close: late signals during teardown must not touch widgets
        self._followed_compare: CompareWindow | None = None  # the comparison grid whose Apply picks the engine
        # No Qt parent: the document must outlive the widgets while they are torn down.
        self.doc = Document()
        self.canvas = Canvas(self.doc)
        self.setCentralWidget(self.canvas)
        self.worker = Worker(self)
        self.autosaver = Autosaver(self.doc, recovery_folder, autosave_ms)
        self.setAcceptDrops(True)
        self.resize(1280, 820)

        self.setStatusBar(MessageBar())  # messages elided with a tooltip, never cut off or overprinted
        self.feedback = Feedback(self, self.statusBar())
        self.recovery = RecoveryOffer(self.doc, self.autosaver, self.feedback, self.settings.max_pixels())
        self.acts = a = Actions(self, self.doc.undo_stack, self.canvas)
        self.masks = MaskTools(self.doc, self.canvas, self)
        self.engine_panel = EnginePanel(self.settings)
        self.jobs = Jobs(self.doc, self.canvas, self.worker, self.engine_panel, self.feedback, self)
        self.files = Files(
            self.doc,
            self.settings,
            self.feedback,
            self,
            before_open=self.worker.cancel,
            before_save=self._before_save,
            after_save=self._after_save,
        )
        self.engine_panel.exclude_source = self.doc.exclusion  # the exclude brush reaches every run
        mask_actions = [a.grow, a.shrink, a.invert, a.clear, a.clear_exclude, a.load_mask, a.save_mask]
        tools = [a.brush, a.eraser, a.select, a.exclude]
        self.brush_panel = BrushPanel(self.canvas, self.settings, tools, mask_actions)
        self.selector = ObjectSelect(self.doc, self.canvas, self.feedback, self.brush_panel.grow.value, self)
        self.restore_panel = RestorePanel(self.settings, a.scratch)
        self.alpha_view = AlphaView()
        self.variations_panel = VariationsPanel()
        menus = a.build_menus(self.menuBar())
        self.samples_menu, self.recent_menu, self.view_menu = menus
        samples.attach_menu(self.samples_menu, self)
        self.recent_menu.aboutToShow.connect(lambda: self.files.fill_recent(self.recent_menu))
        self.split = a.build_toolbar(self, self.engine_panel.combo)
        self.split.valueChanged.connect(lambda v: self.canvas.set_split(v / 100.0))
        self._connect_actions()
        self._make_docks()
        self.status_line = StatusLine(self.statusBar(), a.cancel)
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

    def _connect_actions(self) -> None:
        c, m = self.canvas, self.masks
        m.tool_changed.connect(self.acts.show_tool)
        self.acts.connect(
            {
                "open": self.files.open_dialog,
                "save": self.files.save,
                "save_as": self.files.save_as,
                "load_mask": self.files.load_mask_dialog,
                "save_mask": self.files.save_mask_dialog,
                "prefs": self.preferences,
                "quit": self.close,
                "brush": lambda on: on and m.set_tool("brush"),
                "eraser": lambda on: on and m.set_tool("eraser"),
                "select": lambda on: on and m.set_tool("select"),
                "exclude": lambda on: on and m.set_tool("exclude"),
                "scratch": lambda on: on and m.set_tool("scratch"),
                "clear_exclude": lambda: self.doc.set_mask(np.zeros_like(self.doc.exclude), "Clear exclusion", EXCLUDE),
                "smaller": m.smaller_brush,
                "bigger": m.bigger_brush,
                "object": self.brush_panel.object_mode.setChecked,
                "grow": lambda: m.grow(+4),
                "shrink": lambda: m.grow(-4),
                "invert": m.invert,
                "clear": m.clear,
                "show_mask": c.set_mask_visible,
                "zoom_in": lambda: c.zoom_by(1.25),
                "zoom_out": lambda: c.zoom_by(0.8),
                "fit": c.fit,
                "actual_size": c.actual_size,
                "run": self.jobs.run_engine,
                "cancel": self.worker.cancel,
                "escape": self.escape,
                "apply": self.jobs.apply_result,
                "discard": self.jobs.discard_result,
                "compare": self.jobs.compare_engines_dialog,
                "refresh": self.refresh_engines,
                "detect": lambda: self.detect_scratches(self.restore_panel.value),
                "restore": lambda: self.restorer.restore(),
                "discard_damage": lambda: self.restorer.discard(),
                "show_damage": c.proposal_item.setVisible,
                "variations": lambda: self.variations.start(),
                "about": self.about,
            }
        )
        for act in (self.acts.undo, self.acts.redo):  # undo during a preview discards the preview
            act.triggered.connect(lambda _=False: self.jobs.pending is not None and self.jobs.discard_result())

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
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.variations_dock = self._dock("Variations", "variations-dock", self.variations_panel, bottom)
        self.variations_dock.hide()  # shown by Variations

    def _connect(self) -> None:
        d, c, w = self.doc, self.canvas, self.worker
        d.image_replaced.connect(self._on_image_replaced)
        d.image_changed.connect(self._update_title)
        d.undo_stack.cleanChanged.connect(self._update_title)
        d.undo_stack.indexChanged.connect(self._update_actions)
        c.zoom_changed.connect(self._update_title)
        c.file_dropped.connect(self.open_path)
        c.stroke_started.connect(lambda: self.acts.show_mask.setChecked(True))
        w.started.connect(lambda _job: self._show_busy(True))
        w.progress.connect(self.status_line.set_progress)
        w.finished.connect(lambda _job: self._show_busy(False))
        j = self.jobs
        j.started.connect(lambda _job: self._show_busy(True))
        j.pending_changed.connect(self._on_pending)
        j.result_shown.connect(self._show_alpha)
        self.engine_panel.engine_changed.connect(lambda _n: self._update_status())
        # activated = picked by the user (not a programmatic change): that choice is remembered
        self.engine_panel.combo.activated.connect(
            lambda _i: self.settings.remember_engine(self.engine_panel.current_name())
        )
        self.engine_panel.device.currentIndexChanged.connect(lambda _i: self._update_status())
        self.restorer = RestoreController(self)  # Restore panel: detection on the worker, proposal, fill
        for kind in ("detect", "restore", "hint"):
            j.routes[kind] = self.restorer.on_result
        j.stale_routes["hint"] = self.restorer.on_stale_hint
        self.restorer.restored.connect(self._on_restored)
        self.restorer.detected.connect(lambda _found: self._update_actions())
        self.restorer.hinted.connect(lambda _added: self._update_actions())
        self.variations = Variations(self, self.variations_panel)
        d.image_changed.connect(self.variations.reset)
        j.compare_shown.connect(lambda _entries: self._follow_compare())
        self.autosaver.failed.connect(lambda message: self.status(message, 10000))

    # ------------------------------------------------------------ title/status
    def _update_title(self, *_: object) -> None:
        if self._closed:
            return
        if self.doc.source.path is None and not self.doc.loaded:
            self.setWindowTitle("Inpaint Studio")
        else:
            path = self.doc.save_path or self.doc.source.path  # after Save As: the new name
            name = path.name if path else "untitled"
            w, h = self.doc.size
            self.setWindowTitle(f"{name}[*] — {w}×{h} — {self.canvas.pixel_zoom * 100:.0f} % — Inpaint Studio")
        self.setWindowModified(not self.doc.undo_stack.isClean())
        self._update_status()

    def _update_status(self) -> None:
        spec = self.engine_panel.current_spec()
        self.status_line.show_info(
            self.doc.size if self.doc.loaded else None,
            self.canvas.pixel_zoom,
            plain_name(spec) if spec else "—",
            self.engine_panel.device_name,
            self.jobs.last_seconds,
        )

    def _update_actions(self, *_: object) -> None:
        if self._closed:
            return
        has_result = self.jobs.pending is not None
        can_run = self.engine_panel.current_spec() is not None
        self.acts.update(self.doc.loaded, self.worker.busy, can_run, has_result, self.restorer.active)
        self.split.setEnabled(has_result)

    def status(self, text: str, ms: int = 6000) -> None:
        self.feedback.status(text, ms)

    def show_error(self, title: str, message: str) -> None:
        self.feedback.show_error(title, message)

    @property
    def last_error(self) -> str:
        return self.feedback.last_error

    @property
    def error_box(self) -> QMessageBox | None:
        return self.feedback.error_box

    # ------------------------------------------------------------------ files
    def open_path(self, path: str | Path) -> bool:
        """Open a photo (see :meth:`app.files.Files.open_path`); returns success."""
        return self.files.open_path(path)

    def save_to(self, path: str | Path, quality: int | None = None) -> bool:
        """Save the photo to ``path``; False (and nothing written) without a photo open."""
        if not self.doc.loaded:
            self.status("No photo open: nothing to save")
            return False
        return self.files.save_to(path, quality)

    def load_mask_file(self, path: str | Path) -> bool:
        return self.files.load_mask_file(path)

    def save_mask_file(self, path: str | Path) -> bool:
        return self.files.save_mask_file(path)

    def _before_save(self) -> bool:
        """Before any save: a shown fill is applied (the default), discarded, or the save cancelled (False)."""
        if self.jobs.pending is None:
            return True
        answer = prompts.apply_before_save(self)
        if answer == "apply":
            self.jobs.apply_result()
        elif answer == "discard":
            self.jobs.discard_result()
        return answer != "cancel"

    def _after_save(self) -> None:
        self.autosaver.clear()
        self._update_title()  # Save As: the title names the new file

    def _on_image_replaced(self) -> None:
        self.jobs.discard_result()
        self.restorer.reset()
        self.variations.reset()
        self.alpha_view.set_maps([], "")
        self._update_title()
        self._update_actions()

    # --------------------------------------------------------------- recovery
    def offer_recovery(self, answer: bool | None = None) -> bool:
        """Offer the session a crash left behind (see :meth:`app.recovery_offer.RecoveryOffer.offer`)."""
        return self.recovery.offer(answer)

    # ---------------------------------------------------------------- engines
    def refresh_engines(self) -> None:
        self.jobs.refresh_engines()
        self._update_actions()

    def run_engine(self) -> bool:
        """Run the selected engine on the current mask (see :class:`app.jobs.Jobs`). False if nothing started."""
        return self.jobs.run_engine()

    def compare_engines(self, names: list[str] | None = None) -> bool:
        return self.jobs.compare_engines(names)

    def apply_result(self) -> None:
        self.jobs.apply_result()

    @property
    def pending(self) -> Result | None:
        """The result shown on the canvas, not yet applied."""
        return self.jobs.pending

    @property
    def compare_window(self) -> CompareWindow | None:
        return self.jobs.compare_window

    @property
    def result_shown(self) -> SignalInstance:
        return self.jobs.result_shown

    @property
    def compare_shown(self) -> SignalInstance:
        return self.jobs.compare_shown

    def _show_busy(self, busy: bool) -> None:
        self.status_line.show_busy(busy)
        self._update_actions()

    def _on_restored(self, result: Result) -> None:
        self.jobs.last_seconds = result.seconds  # "last run" counts restorations too
        self._update_status()
        self._update_actions()

    def _follow_compare(self) -> None:
        """Applying a result from the comparison grid makes its engine the current one (toolbar, status)."""
        window = self.jobs.compare_window
        if window is not None and window is not self._followed_compare:
            window.apply_requested.connect(self.engine_panel.select)
            self._followed_compare = window

    def about(self) -> None:
        """Help ▸ About: version, licences of the weights and data."""
        AboutDialog(self).exec()

    def _on_pending(self, shown: bool) -> None:
        self.acts.show_mask.setChecked(not shown)  # the result is what to look at; painting shows the mask again
        if shown:
            self._update_status()  # its time
        self._update_actions()

    def _show_alpha(self, result: Result) -> None:
        spec = get_spec(result.engine)
        if CAP_ALPHA_MAPS in spec.capabilities and result.extras.get("alpha_maps"):
            extras = result.extras
            self.alpha_view.set_maps(
                extras["alpha_maps"], spec.display_name, extras.get("box"), self.doc.image, result.mask
            )
            self.alpha_dock.show()
            self.alpha_dock.raise_()

    def escape(self) -> None:
        if self.worker.busy:
            self.worker.cancel()
        elif self.jobs.pending is not None:
            self.jobs.discard_result()
        elif self.selector.active:
            self.selector.discard()
        elif self.restorer.active:
            self.restorer.discard()

    # ---------------------------------------------------------------- restore
    def detect_scratches(self, sensitivity: float | None = None) -> bool:
        """Detect scratches & dust on the worker (app.restore_controller); False if nothing started.
        The Restore panel comes to the front: its slider, Restore and Discard are the next steps."""
        if self.doc.loaded:
            self.restore_dock.show()
            self.restore_dock.raise_()
        return self.restorer.detect(sensitivity)

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
        if self.ask_before_close and not self.files.may_close():
            event.ignore()
            return
        self._closed = True
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.sync()
        QApplication.instance().removeEventFilter(self)
        self.jobs.close()
        # Cancelled, a running fill still ends its current engine step (one network pass over a big photo can
        # take a minute): the window goes now and the worker's thread ends by itself (app/worker.py).
        self.worker.shutdown(wait=False)
        self.autosaver.close()  # a deliberate close: this window's session and its lock go
        event.accept()
