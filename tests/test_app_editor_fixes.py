"""The editor as a newcomer meets it (issue #41): exclude brush, before/after, Restore, previews, saving,
no-photo state, status messages — on the real main window."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import save_as
from app.window import MainWindow
from engine.paths import SAMPLES
from engine.pipeline import Result
from tests.gui_support import box_mask
from tests.test_app_window import line, stroke, vp

pytestmark = pytest.mark.gui
MAGENTA = np.array([255, 0, 255])


def _run(qtbot, w: MainWindow, engine: str = "ns") -> None:
    assert w.engine_panel.select(engine)
    with qtbot.waitSignal(w.result_shown, timeout=60000):
        w.acts.run.trigger()


def _magenta(pixels: np.ndarray) -> int:
    return int((np.abs(pixels.astype(int) - MAGENTA).max(axis=1) < 60).sum())


# ------------------------------------------------------------------ exclude from sampling
def test_exclude_brush_reaches_the_engine(qtbot, window: MainWindow, tmp_path: Path) -> None:
    """A colour found only in the excluded area never appears in PatchMatch's fill."""
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(110, 25, (96, 96, 3)), 0, 255).astype(np.uint8)
    image[26:70, 66:80] = MAGENTA  # the only magenta: right of the hole
    path = tmp_path / "strip.png"
    Image.fromarray(image).save(path)
    assert window.open_path(path)
    w = window
    hole = box_mask((96, 96), 30, 30, 66, 66)
    w.doc.set_mask(hole, "paint")
    _run(qtbot, w, "patchmatch")
    assert _magenta(w.pending.image[hole > 0]) > 20  # without the exclusion the strip is copied in
    w.escape()
    w.doc.set_mask(hole, "paint")
    qtbot.keyClick(w.canvas, Qt.Key.Key_X)  # the exclude brush
    assert w.canvas.tool == "exclude" and w.acts.exclude.isChecked()
    w.canvas.set_brush_size(20)
    steps = w.doc.undo_stack.count()
    stroke(qtbot, w, [(73, 20), (73, 45), (73, 76)])
    assert (w.doc.exclude[26:70, 66:80] > 127).all() and not (w.doc.mask[:, 70:] > 127).any()
    assert w.doc.undo_stack.count() == steps + 1  # one undoable stroke
    w.doc.undo_stack.undo()
    assert not w.doc.exclude.any()
    w.doc.undo_stack.redo()
    assert (w.doc.exclude[26:70, 66:80] > 127).all()
    assert w.engine_panel.run_spec().options.exclude is not None
    _run(qtbot, w, "patchmatch")
    assert _magenta(w.pending.image[hole > 0]) == 0
    # Remembered for the document: applying keeps it, the next run is excluded too; a new photo resets it.
    w.apply_result()
    assert (w.doc.exclude[26:70, 66:80] > 127).all()
    w.acts.clear_exclude.trigger()
    assert not w.doc.exclude.any()
    w.doc.undo_stack.undo()
    assert w.doc.exclude.any()


# ----------------------------------------------------------------------------- before/after
def test_hold_backslash_shows_the_photo_as_opened_after_two_applied_edits(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    y, x = np.mgrid[0:120, 0:160]
    smooth = np.stack([x + 40, y + 60, x // 2 + y // 2 + 30], axis=2).astype(np.uint8)  # 1 px off barely shows
    path = tmp_path / "smooth.png"
    Image.fromarray(smooth).save(path)
    assert window.open_path(path)
    w = window
    for (x0, y0, x1, y1), colour in (((20, 20, 60, 60), (220, 30, 30)), ((100, 50, 140, 90), (30, 30, 220))):
        edit = w.doc.image.copy()
        edit[y0:y1, x0:x1] = colour
        w.jobs.show_result(replace(w.pending or _result(w), image=edit))
        w.acts.apply.trigger()
    assert w.doc.undo_stack.count() == 2 and w.pending is None
    edited = w.doc.image.copy()
    points = [(40, 40), (120, 70)]

    def shown(x: int, y: int) -> np.ndarray:
        w.canvas.viewport().repaint()
        c = w.canvas.viewport().grab().toImage().pixelColor(vp(w, x + 0.5, y + 0.5))
        return np.array([c.red(), c.green(), c.blue()])

    assert all(np.abs(shown(x, y) - edited[y, x]).max() <= 3 for x, y in points)
    qtbot.keyPress(w.canvas, Qt.Key.Key_Backslash)
    assert w.canvas.show_original and w.canvas.original_item.isVisible()
    assert all(np.abs(shown(x, y) - smooth[y, x]).max() <= 3 for x, y in points)
    qtbot.keyRelease(w.canvas, Qt.Key.Key_Backslash)
    assert not w.canvas.original_item.isVisible()
    assert all(np.abs(shown(x, y) - edited[y, x]).max() <= 3 for x, y in points)


def _result(w: MainWindow) -> Result:
    """A stand-in engine result of the open photo (what Apply makes the image)."""
    return Result(w.doc.image, w.doc.hole(), "ns", 0.0, "crop")


# --------------------------------------------------------------------------------- restore
def test_ctrl_d_raises_the_restore_panel_and_the_menu_is_complete(qtbot, opened: MainWindow) -> None:
    w = opened
    w.alpha_dock.raise_()  # the tab that used to hide it
    qtbot.waitUntil(lambda: w.restore_panel.visibleRegion().isEmpty(), timeout=2000)
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Restore")
    assert [a.text() for a in menu.actions()] == [
        "Detect scratches && dust",
        "Scratch brush",
        "Restore",
        "Discard damage proposal",
        "Show damage",
    ]
    assert not w.acts.restore.isEnabled()
    with qtbot.waitSignal(w.restorer.detected, timeout=60000):
        qtbot.keyClick(w.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not w.restore_panel.visibleRegion().isEmpty(), timeout=2000)
    # Enabled once the detection job has ended (the worker reports idle after the result is shown).
    qtbot.waitUntil(lambda: w.acts.restore.isEnabled() and w.acts.discard_damage.isEnabled(), timeout=5000)
    assert "Restore" in w.statusBar().currentMessage()
    if w.doc.mask.any():  # the proposal is drawn in the proposal colour
        assert w.canvas.proposal_item.region is not None


# -------------------------------------------------------------------------------- previews
def test_undo_during_a_preview_discards_it(qtbot, opened: MainWindow) -> None:
    w = opened
    w.canvas.set_brush_size(20)
    stroke(qtbot, w, line(60, 140, 100))
    _run(qtbot, w)
    assert w.canvas.has_result and w.acts.apply.isEnabled()
    w.acts.undo.trigger()
    assert w.pending is None and not w.canvas.has_result and not w.acts.apply.isEnabled()
    assert not w.doc.mask.any()
    image = w.doc.image.copy()
    w.apply_result()  # nothing to apply any more
    assert np.array_equal(w.doc.image, image)


def test_save_prompt_defaults_to_applying(qtbot, opened: MainWindow, tmp_path: Path, monkeypatch) -> None:
    w = opened
    w.doc.set_mask(box_mask(w.doc.mask.shape, 40, 40, 120, 120), "paint")
    _run(qtbot, w)
    fill = w.pending.image
    asked: list[tuple] = []
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Apply]

    def question(parent, title, text, buttons, default):
        asked.append((title, buttons, default))
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    out = tmp_path / "out.png"
    assert not w.save_to(out) and not out.exists() and w.pending is not None  # Cancel: nothing happens
    assert w.save_to(out)
    title, buttons, default = asked[0]
    assert title == "Apply the shown fill?" and default == QMessageBox.StandardButton.Apply  # Enter applies
    for b in (QMessageBox.StandardButton.Apply, QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel):
        assert buttons & b
    assert np.array_equal(np.asarray(Image.open(out)), fill) and w.pending is None
    assert "out.png" in w.windowTitle()  # the title names the file saved to


# --------------------------------------------------------------------------- no photo open
def test_without_a_photo_nothing_acts_on_the_empty_document(qtbot, window: MainWindow) -> None:
    w = window
    a = w.acts
    for act in (a.save, a.save_as, a.invert, a.grow, a.shrink, a.clear, a.detect, a.select, a.exclude, a.run):
        assert not act.isEnabled(), act.text()
    w.masks.invert()
    w.masks.grow(4)
    assert w.doc.undo_stack.isClean() and not w.isWindowModified()
    assert not w.detect_scratches() and not w.run_engine()


# -------------------------------------------------------------------------------- save as
def test_save_as_suggests_the_photos_folder_format_and_filter(
    qtbot, window: MainWindow, photo: np.ndarray, tmp_path: Path, monkeypatch
) -> None:
    src = tmp_path / "pics" / "boats.jpg"
    src.parent.mkdir()
    Image.fromarray(photo).save(src, quality=95)
    assert window.open_path(src)
    seen: list[tuple] = []

    def dialog(parent, caption, start, filters, selected, options=None):
        seen.append((start, filters, selected))
        return str(tmp_path / "pics" / "renamed.png"), selected

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    assert window.files.save_as()
    start, filters, selected = seen[0]
    assert Path(start) == src.with_name("boats-inpainted.jpg")
    assert selected.startswith("JPEG") and selected in filters.split(";;")
    assert "renamed.png" in window.windowTitle() and "boats.jpg" not in window.windowTitle()
    # A bundled sample is not saved back into the application: the user's folder instead.
    moved = save_as.start_path(SAMPLES / "boats-inpainted.jpg")
    assert moved.name == "boats-inpainted.jpg" and moved.parent == save_as.user_folder()


def test_opening_another_photo_offers_save_discard_cancel(
    qtbot, opened: MainWindow, photo: np.ndarray, tmp_path: Path, monkeypatch
) -> None:
    w = opened
    w.doc.set_mask(box_mask(w.doc.mask.shape, 10, 10, 30, 30), "paint")
    other = tmp_path / "other.png"
    Image.fromarray(photo[::-1].copy()).save(other)
    asked: list[tuple] = []

    def question(parent, title, text, buttons, default):
        asked.append((buttons, default))
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    assert w.open_path(other)
    buttons, default = asked[0]
    assert default == QMessageBox.StandardButton.Save and buttons & QMessageBox.StandardButton.Cancel
    assert w.doc.source.path == other.resolve()


# ------------------------------------------------------------------------- status messages
def test_long_status_messages_are_elided_with_the_whole_text_in_the_tooltip(qtbot, opened: MainWindow) -> None:
    w = opened
    w.resize(700, 500)
    text = "PatchMatch: 1.23 s, 1 region(s). Return applies, Esc discards, hold \\ for the original. " * 2
    w.status(text)
    label = w.statusBar().message
    qtbot.waitUntil(lambda: label.width() > 40, timeout=2000)
    assert w.statusBar().currentMessage() == text and label.toolTip() == text
    assert label.elided and label.shown_text().endswith("…")
    assert label.geometry().right() <= w.status_line.progress_label.geometry().left() or not (
        w.status_line.progress_label.isVisible()
    )


def test_about_names_the_version_and_the_weights_licences(qtbot, window: MainWindow) -> None:
    from app.about import about_html

    text = about_html()
    assert "Inpaint Studio" in text and "MIT" in text and "DFNet" in text and "Debian wallpaper" in text
    assert (
        window.acts.about.isEnabled()
        and window.acts.about in next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help").actions()
    )


def test_proposal_colour_preference_is_used(qtbot, opened: MainWindow) -> None:
    w = opened
    w.settings.set("overlay/proposal_color", "#00ff00")
    w._apply_overlay_settings()
    assert (w.canvas.proposal_item.table[255] & 0xFFFFFF) == 0x00FF00


# -------------------------------------------------------------------------------- compare
def test_compare_zoom_stays_under_the_cursor_and_export_is_as_shown(
    qtbot, opened: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    w = opened
    w.doc.set_mask(box_mask(w.doc.mask.shape, 100, 80, 160, 130), "paint")
    with qtbot.waitSignal(w.compare_shown, timeout=30000):
        assert w.compare_engines(["telea", "ns"])
    grid = w.compare_window
    qtbot.waitExposed(grid)
    qtbot.wait(50)
    view = grid.cells[0].view
    cursor = QPointF(view.viewport().width() * 0.8, view.viewport().height() * 0.3)
    under = view.mapToScene(cursor.toPoint())
    view.anchor = cursor  # what a wheel step at ``cursor`` records
    view.zoomed.emit(1.25**3)
    after = view.mapToScene(cursor.toPoint())
    assert abs(after.x() - under.x()) <= 1.5 and abs(after.y() - under.y()) <= 1.5
    assert grid.cells[1].view.visible_rect() == view.visible_rect()
    x0, y0, x1, y1 = grid.shown_box
    shown = view.visible_rect()
    assert abs(x0 - max(0, shown.left())) <= 1 and abs(x1 - min(320, shown.right())) <= 1
    assert abs(y0 - max(0, shown.top())) <= 1 and abs(y1 - min(240, shown.bottom())) <= 1
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "sheet.png"), ""))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: told.append(text))
    with qtbot.waitSignal(grid.exported):
        grid.export_button.click()
    assert (tmp_path / "sheet.png").exists() and "sheet.png" in told[0] and "sheet.png" in grid.hint.text()
    # Applying from the grid makes that engine the current one (toolbar and status name it).
    grid.cells[1].view.clicked.emit()
    assert w.engine_panel.current_name() == "ns"


# ---------------------------------------------------------------------------- engine panel
def test_engine_panel_speaks_plainly_and_shows_its_values(window: MainWindow) -> None:
    panel = window.engine_panel
    ns = panel.combo.findData("ns", Qt.ItemDataRole.UserRole)
    assert panel.combo.itemText(ns) == "Fast smooth (Navier–Stokes)"
    assert "Bertalmio" in panel.combo.itemData(ns, Qt.ItemDataRole.ToolTipRole)  # the paper, in the tooltip
    assert [panel.strategy.itemData(i) for i in range(3)] == ["crop", "resize", "full"]
    assert "fast" in panel.strategy.itemText(0) and panel.about.styleSheet() == ""  # not pale grey
    for spin in (panel.feather, panel.texture_strength):
        assert spin.minimumWidth() > spin.fontMetrics().horizontalAdvance(spin.text())
    window.brush_panel.hardness.setValue(70)
    assert window.brush_panel.hardness_value.text() == "70 %"
