"""Every command of the editor as a ``QAction`` (text, icon, shortcuts, tips), and the menus and toolbar.

:class:`Actions` only builds and enables the actions; what they do is wired by the window through
:meth:`Actions.connect`, so this module needs neither the document nor the engines and a test can build it on a
bare ``QWidget``. Shortcuts live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMenuBar, QSlider, QToolButton, QWidget

from app.icons import icon

Keys = QKeySequence.StandardKey | str | list | None


class Menus(NamedTuple):
    """The menus other parts fill: samples (app.samples), recent files (app.files) and View (the docks)."""

    samples: QMenu
    recent: QMenu
    view: QMenu


class Actions:
    """The editor's actions, owned by ``owner`` (the main window) so their shortcuts work in all of it.

    ``canvas``: the photo view; Return (Apply) and Delete (Clear) act only while it has focus, so these plain
    keys never steal them from text fields."""

    def __init__(self, owner: QWidget, undo_stack: QUndoStack, canvas: QWidget) -> None:
        self.owner = owner
        a = self._make
        self.open = a("&Open…", "fa5s.folder-open", QKeySequence.StandardKey.Open, "Open a photo")
        self.save = a("&Save", "fa5s.save", QKeySequence.StandardKey.Save, "Save the photo")
        self.save_as = a("Save &As…", "fa5s.file-export", "Ctrl+Shift+S", "Save under a new name or format")
        self.load_mask = a("Load mask…", "fa5s.file-upload", "Ctrl+Shift+O", "Load a mask image (white = fill)")
        self.save_mask = a("Save mask…", "fa5s.file-download", "Ctrl+Alt+S", "Save the mask as a PNG (white = fill)")
        self.prefs = a("Preferences…", "fa5s.cog", "Ctrl+,", "Overlay colours, opacity, JPEG quality")
        self.quit = a("&Quit", "fa5s.power-off", QKeySequence.StandardKey.Quit, "Quit Inpaint Studio")
        self.undo = undo_stack.createUndoAction(owner, "&Undo")
        self.undo.setShortcuts(QKeySequence.StandardKey.Undo)
        self.undo.setIcon(icon("fa5s.undo"))
        self.undo.setToolTip("Undo (Ctrl+Z)")
        self.redo = undo_stack.createRedoAction(owner, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.setIcon(icon("fa5s.redo"))
        self.redo.setToolTip("Redo (Ctrl+Shift+Z)")
        owner.addActions([self.undo, self.redo])

        self.brush = a("Brush", "fa5s.paint-brush", "B", "Paint what to remove", True)
        self.eraser = a("Eraser", "fa5s.eraser", "E", "Erase from the mask", True)
        self.select = a(
            "Select object",
            "fa5s.vector-square",
            "S",
            "Drag a box around an object: its outline is proposed as the mask (add shadows with the brush)",
            True,
        )
        self.exclude = a(
            "Exclude from sampling",
            "fa5s.ban",
            "X",
            "Paint where the fill must not copy from (another person, a shadow); Alt+drag erases",
            True,
        )
        self.scratch = a(
            "Scratch brush",
            "fa5s.band-aid",
            "K",
            "Paint roughly along a scratch or crack the detection missed: its damage pixels join the proposal",
            True,
        )
        self.brush.setChecked(True)
        self.smaller = a("Smaller brush", "", "[", "Brush size down")
        self.bigger = a("Bigger brush", "", "]", "Brush size up")
        self.object = a(
            "Object removal strokes",
            "fa5s.expand-arrows-alt",
            "O",
            "Grow strokes by a few px so edges and halos go too",
            True,
        )
        self.grow = a("Grow", "fa5s.plus-circle", "Ctrl+G", "Grow the mask by 4 px")
        self.shrink = a("Shrink", "fa5s.minus-circle", "Ctrl+Shift+G", "Shrink the mask by 4 px")
        self.invert = a("Invert", "fa5s.adjust", "Ctrl+I", "Invert the mask")
        self.clear = a("Clear", "fa5s.trash-alt", "Delete", "Clear the mask")
        self.clear_exclude = a(
            "Clear exclusion", "fa5s.eraser", "Ctrl+Shift+X", "Let the fill sample from anywhere again"
        )
        self.show_mask = a("Show mask", "fa5s.eye", "H", "Show or hide the mask overlay", True)
        self.show_mask.setChecked(True)

        self.zoom_in = a("Zoom in", "fa5s.search-plus", [QKeySequence.StandardKey.ZoomIn, "Ctrl+="], "Zoom in")
        self.zoom_out = a("Zoom out", "fa5s.search-minus", QKeySequence.StandardKey.ZoomOut, "Zoom out")
        self.fit = a("Fit", "fa5s.compress", "Ctrl+0", "Fit the photo in the window")
        self.actual_size = a("100 %", "fa5s.search", "Ctrl+1", "Actual pixels")

        self.run = a("Run", "fa5s.play", ["Ctrl+Return", "Ctrl+Enter"], "Fill the mask with the selected engine")
        self.cancel = a("Cancel", "fa5s.stop", None, "Stop the running engine (Esc)")
        self.escape = a("Cancel / discard", "", "Esc", "Cancel the run, or discard the shown result/proposal")
        self.apply = a("Apply", "fa5s.check", ["Return", "Enter"], "Make the shown result the new image (undoable)")
        self.discard = a("Discard", "fa5s.times", None, "Throw away the shown result (Esc)")
        self.variations = a(
            "Variations",
            "fa5s.clone",
            ["Shift+Return", "Shift+Enter"],
            "Three more fills of the same mask from other seeds, to pick from",
        )
        self.compare = a(
            "Compare engines…",
            "fa5s.th-large",
            "Ctrl+Shift+Return",
            "Run several engines on the same mask and show them side by side",
        )
        self.refresh = a("Rescan engines", "fa5s.sync", None, "Look for newly installed weights")
        self.detect = a(
            "Detect scratches && dust", "mdi6.auto-fix", "Ctrl+D", "Propose a mask of scratches and specks (old photos)"
        )
        self.restore = a(
            "Restore", "fa5s.magic", "Ctrl+Shift+D", "Fill the proposed damage and your edits; one undo step"
        )
        self.discard_damage = a("Discard damage proposal", "fa5s.times", None, "Take the proposal out of the mask")
        self.show_damage = a(
            "Show damage", "fa5s.eye", None, "Show or hide the proposed damage (proposal colour)", True
        )
        self.show_damage.setChecked(True)
        self.about = a("About Inpaint Studio", "fa5s.info-circle", None, "Version, licences of the weights and data")
        for act in (self.apply, self.clear, self.variations):
            owner.removeAction(act)
            canvas.addAction(act)
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

    def _make(self, text: str, icon_name: str, keys: Keys, tip: str, checkable: bool = False) -> QAction:
        action = QAction(icon(icon_name), text, self.owner)
        shortcuts: list = [] if keys is None else (keys if isinstance(keys, list) else [keys])
        if shortcuts:
            action.setShortcuts([QKeySequence(k) for k in shortcuts])
        first = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({first})" if first else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        self.owner.addAction(action)
        return action

    def connect(self, slots: Mapping[str, Callable]) -> None:
        """Wire actions by attribute name: a checkable action calls ``slot(checked)`` when toggled, any other
        ``slot()`` when triggered. Unknown names raise ``AttributeError`` (a typo must not silently do nothing)."""
        for name, slot in slots.items():
            action = getattr(self, name)
            if not isinstance(action, QAction):
                raise AttributeError(f"Actions has no action named {name!r}")
            if action.isCheckable():
                action.toggled.connect(slot)
            else:
                action.triggered.connect(lambda _=False, s=slot: s())

    def show_tool(self, tool: str) -> None:
        """Check the action of ``tool`` ("brush", "eraser", "select", "exclude" or "scratch") and uncheck the others."""
        for name in ("brush", "eraser", "select", "exclude", "scratch"):
            getattr(self, name).setChecked(tool == name)

    def update(self, loaded: bool, busy: bool, can_run: bool, has_result: bool, has_proposal: bool = False) -> None:
        """Enable what makes sense now: a photo is open, the engine is busy, the selected engine is
        available, a result is shown (Apply/Discard/Variations), a damage proposal is up (Restore)."""
        photo = (self.save, self.save_as, self.save_mask, self.load_mask, self.detect, self.select, self.exclude)
        photo = (*photo, self.scratch)
        mask_ops = (self.grow, self.shrink, self.invert, self.clear, self.clear_exclude, self.brush, self.eraser)
        for act in (*photo, *mask_ops, self.fit, self.actual_size, self.zoom_in, self.zoom_out):
            act.setEnabled(loaded)
        self.run.setEnabled(loaded and not busy and can_run)
        self.compare.setEnabled(loaded and not busy)
        self.cancel.setEnabled(busy)
        self.apply.setEnabled(has_result)
        self.discard.setEnabled(has_result)
        self.variations.setEnabled(has_result and not busy)
        self.detect.setEnabled(loaded and not busy)
        self.restore.setEnabled(loaded and not busy and has_proposal)
        self.discard_damage.setEnabled(has_proposal)

    def build_menus(self, bar: QMenuBar) -> Menus:
        m = bar.addMenu("&File")
        m.addAction(self.open)
        samples_menu = m.addMenu(icon("fa5s.images"), "Open &sample")
        recent_menu = m.addMenu(icon("fa5s.history"), "Open &Recent")
        m.addActions([self.save, self.save_as])
        m.addSeparator()
        m.addActions([self.load_mask, self.save_mask])
        m.addSeparator()
        m.addActions([self.prefs, self.quit])
        m = bar.addMenu("&Edit")
        m.addActions([self.undo, self.redo])
        m.addSeparator()
        m.addActions([self.apply, self.discard])
        m = bar.addMenu("&Mask")
        m.addActions([self.brush, self.eraser, self.select, self.exclude, self.object, self.bigger, self.smaller])
        m.addSeparator()
        m.addActions([self.grow, self.shrink, self.invert, self.clear, self.clear_exclude, self.show_mask])
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_in, self.zoom_out, self.fit, self.actual_size])
        hint = view_menu.addAction("Hold \\ to see the photo as opened")
        hint.setEnabled(False)
        m = bar.addMenu("E&ngine")
        m.addActions([self.run, self.variations, self.cancel, self.compare, self.refresh])
        m = bar.addMenu("&Restore")
        m.addActions([self.detect, self.scratch, self.restore, self.discard_damage, self.show_damage])
        m = bar.addMenu("&Help")
        m.addAction(self.about)
        return Menus(samples_menu, recent_menu, view_menu)

    def build_toolbar(self, window: QMainWindow, engine_combo: QWidget) -> QSlider:
        """The main toolbar; returns its before/after split slider (0..100, 100 = all result)."""
        tb = window.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.addActions([self.open, self.save, self.undo, self.redo])
        tb.addSeparator()
        tb.addActions([self.brush, self.eraser, self.select, self.exclude, self.object])
        tb.addSeparator()
        tb.addWidget(engine_combo)
        run_button = QToolButton()
        run_button.setDefaultAction(self.run)
        run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addWidget(run_button)
        tb.addAction(self.cancel)
        tb.addSeparator()
        tb.addActions([self.apply, self.discard, self.variations])
        split = QSlider(Qt.Orientation.Horizontal)
        split.setRange(0, 100)
        split.setValue(100)
        split.setMaximumWidth(140)
        split.setToolTip("Before/after split: result on the left of the line (hold \\ to see the original)")
        tb.addWidget(QLabel(" Before|After "))
        tb.addWidget(split)
        tb.addSeparator()
        tb.addAction(self.compare)
        return split
