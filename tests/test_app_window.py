"""The real MainWindow driven like a user would (pytest-qt, offscreen)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from app.window import MainWindow
from engine import registry
from engine.registry import Engine, EngineSpec, FillOutput

pytestmark = pytest.mark.gui
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture
def temp_engine():
    """Register test-double engines for one test, removed afterwards."""
    names: list[str] = []

    def add(spec: EngineSpec) -> EngineSpec:
        names.append(spec.name)
        return registry.register(spec)

    yield add
    for name in names:
        registry._REGISTRY.pop(name, None)


def vp(window: MainWindow, x: float, y: float) -> QPoint:
    """Viewport position of image pixel (x, y)."""
    return window.canvas.mapFromScene(QPointF(x, y))


def stroke(qtbot, window: MainWindow, points: list[tuple[float, float]]) -> None:
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=vp(window, *points[0]))
    for p in points[1:]:
        qtbot.mouseMove(viewport, pos=vp(window, *p))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=vp(window, *points[-1]))


def line(x0: float, x1: float, y: float, n: int = 8) -> list[tuple[float, float]]:
    return [(x0 + (x1 - x0) * i / n, y) for i in range(n + 1)]


def test_open_sets_title_and_status(opened: MainWindow, photo: np.ndarray) -> None:
    assert np.array_equal(opened.doc.image, photo)
    assert opened.doc.mask.shape == (240, 320) and not opened.doc.mask.any()
    assert "photo.png" in opened.windowTitle() and "320×240" in opened.windowTitle()
    assert "%" in opened.windowTitle()
    assert "320×240" in opened.status_line.lbl_size.text()
    assert opened.settings.recent_files()[0].endswith("photo.png")


def test_open_bad_file_shows_error(window: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg at all")
    assert not window.open_path(bad)
    assert "broken.jpg" in window.last_error


def test_paint_erase_undo_redo(qtbot, opened: MainWindow) -> None:
    w = opened
    w.canvas.set_brush_size(20)
    stroke(qtbot, w, line(50, 250, 120))
    m = w.doc.mask
    assert (m[120, 55:246] == 255).all()  # along the path
    assert (m[118:123, 60:240] == 255).all()
    assert not m[:105].any() and not m[136:].any()  # brush radius 10 around y = 120
    assert not m[:, :35].any() and not m[:, 265:].any()
    after_paint = m.copy()

    w.masks.set_tool("eraser")
    w.canvas.set_brush_size(30)
    stroke(qtbot, w, line(120, 160, 120, 4))
    m = w.doc.mask
    assert not m[105:136, 125:156].any()
    assert (m[120, 60:100] == 255).all() and (m[120, 180:240] == 255).all()
    after_erase = m.copy()

    w.doc.undo_stack.undo()
    assert np.array_equal(w.doc.mask, after_paint)
    w.doc.undo_stack.undo()
    assert not w.doc.mask.any()
    w.doc.undo_stack.redo()
    assert np.array_equal(w.doc.mask, after_paint)
    w.doc.undo_stack.redo()
    assert np.array_equal(w.doc.mask, after_erase)


def test_mask_ops_and_shortcuts(qtbot, opened: MainWindow, tmp_path: Path) -> None:
    w = opened
    w.doc.set_mask(_box_mask(w, 100, 80, 140, 120), "test")
    w.masks.grow(4)
    assert w.doc.mask[78, 120] == 255 and w.doc.mask[72, 120] == 0
    w.masks.grow(-8)
    assert w.doc.mask[83, 120] == 0 and w.doc.mask[85, 120] == 255
    w.masks.invert()
    assert w.doc.mask[0, 0] == 255 and w.doc.mask[100, 120] == 0
    w.doc.undo_stack.undo()
    assert w.doc.mask[0, 0] == 0
    assert w.save_mask_file(tmp_path / "m.png")
    w.masks.clear()
    assert not w.doc.mask.any()
    assert w.load_mask_file(tmp_path / "m.png")
    assert w.doc.mask[100, 120] == 255 and w.doc.mask[0, 0] == 0
    size = w.canvas.brush_size
    w.canvas.setFocus()
    qtbot.keyClick(w.canvas, Qt.Key.Key_BracketRight)
    assert w.canvas.brush_size > size
    w.canvas.set_zoom(1.0)
    w.acts.zoom_in.trigger()
    assert w.canvas.zoom == pytest.approx(1.25)
    w.acts.actual_size.trigger()
    assert w.canvas.zoom == pytest.approx(1.0)


def test_object_mode_grows_strokes(qtbot, opened: MainWindow) -> None:
    w = opened
    w.brush_panel.object_mode.setChecked(True)
    w.brush_panel.grow.setValue(6)
    w.canvas.set_brush_size(10)
    stroke(qtbot, w, line(100, 200, 100))
    col = w.doc.mask[:, 150]
    assert col[100 - 10] == 255 and col[100 + 10] == 255  # radius 5 + 6 px growth
    assert col[100 - 13] == 0 and col[100 + 13] == 0


def _box_mask(w: MainWindow, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros_like(w.doc.mask)
    m[y0:y1, x0:x1] = 255
    return m


def test_run_telea_changes_only_masked_pixels_and_apply_is_undoable(qtbot, opened: MainWindow) -> None:
    w = opened
    assert w.engine_panel.select("telea")
    w.doc.set_mask(_box_mask(w, 100, 80, 160, 130), "test")
    original = w.doc.image.copy()
    with qtbot.waitSignal(w.result_shown, timeout=15000) as blocker:
        w.acts.run.trigger()
    result = blocker.args[0]
    hole = w.doc.mask > 127
    assert result.engine == "telea"
    assert np.array_equal(result.image[~hole], original[~hole])
    assert (np.abs(result.image[hole].astype(int) - original[hole]).sum(axis=1) > 0).mean() > 0.5
    assert w.canvas.result_item.isVisible() and w.acts.apply.isEnabled()
    w.canvas.set_show_original(True)  # hold-to-compare
    assert not w.canvas.result_item.isVisible()
    w.canvas.set_show_original(False)
    w.split.setValue(50)
    assert w.canvas.result_item.split == pytest.approx(0.5) and w.canvas.split_line.isVisible()
    assert "last run" in w.status_line.lbl_time.text()

    w.apply_result()
    assert np.array_equal(w.doc.image, result.image)
    assert not w.doc.mask.any() and w.pending is None
    w.doc.undo_stack.undo()
    assert np.array_equal(w.doc.image, original) and hole.sum() == (w.doc.mask > 127).sum()
    w.doc.undo_stack.redo()
    assert np.array_equal(w.doc.image, result.image)


def test_empty_mask_does_not_run(opened: MainWindow) -> None:
    assert not opened.run_engine()
    assert "mask is empty" in opened.statusBar().currentMessage()


class _BlockingEngine(Engine):
    """Blocks inside fill until the editor's worker is asked to cancel (or 20 s pass)."""

    def __init__(self, spec: EngineSpec, cancel: threading.Event, entered: threading.Event) -> None:
        super().__init__(spec, "cpu")
        self.cancel, self.entered = cancel, entered

    def fill(self, image, mask, options):
        self.entered.set()
        deadline = time.monotonic() + 20
        while not self.cancel.wait(0.01) and time.monotonic() < deadline:
            pass
        return FillOutput(image.copy())


def test_cancel_long_run_keeps_ui_responsive(qtbot, opened: MainWindow, temp_engine) -> None:
    w = opened
    entered = threading.Event()
    temp_engine(
        EngineSpec(
            name="test-blocker",
            display_name="Blocker (test)",
            paper="-",
            native_resolution=0,
            pad_multiple=1,
            loader=lambda spec, device, weights: _BlockingEngine(spec, w.worker.cancel_event, entered),
        )
    )
    w.refresh_engines()
    assert w.engine_panel.select("test-blocker")
    w.doc.set_mask(_box_mask(w, 100, 80, 160, 130), "test")
    original = w.doc.image.copy()
    assert w.run_engine()
    qtbot.waitUntil(entered.is_set, timeout=5000)
    assert w.worker.busy and not w.acts.run.isEnabled() and w.acts.cancel.isEnabled()
    assert w.status_line.progress.isVisible() and w.status_line.cancel_button.isVisible()
    assert not w.run_engine()  # one job at a time
    # The window keeps working while the engine runs: paint and zoom.
    w.canvas.set_brush_size(10)
    stroke(qtbot, w, line(20, 60, 20, 2))
    assert w.doc.mask[20, 40] == 255
    w.acts.zoom_in.trigger()
    with qtbot.waitSignal(w.worker.cancelled, timeout=5000):
        w.acts.cancel.trigger()
    qtbot.waitUntil(lambda: not w.worker.busy, timeout=5000)
    assert w.acts.run.isEnabled() and not w.acts.cancel.isEnabled()
    assert not w.status_line.progress.isVisible()
    assert w.pending is None and not w.canvas.has_result
    assert np.array_equal(w.doc.image, original)
    assert "Cancelled" in w.statusBar().currentMessage()


def test_engine_error_goes_to_dialog(qtbot, opened: MainWindow, temp_engine) -> None:
    from engine.errors import InpaintError

    class Failing(Engine):
        def fill(self, image, mask, options):
            raise InpaintError("weights file broken.safetensors is damaged; re-export it")

    temp_engine(EngineSpec("test-failing", "Failing (test)", "-", 0, 1, lambda s, d, p: Failing(s, d)))
    w = opened
    w.refresh_engines()
    assert w.engine_panel.select("test-failing")
    w.doc.set_mask(_box_mask(w, 10, 10, 30, 30), "test")
    with qtbot.waitSignal(w.worker.finished, timeout=5000):
        w.run_engine()
    assert "broken.safetensors" in w.last_error
    assert w.error_box.isVisible()
    w.error_box.close()


def test_engine_combo_disables_unavailable(window: MainWindow, temp_engine) -> None:
    temp_engine(
        EngineSpec(
            "test-learned",
            "Learned (test)",
            "-",
            256,
            8,
            lambda s, d, p: None,
            capabilities=frozenset({registry.CAP_LEARNED}),
            default_weights="no-such-file.safetensors",
        )
    )
    window.refresh_engines()
    model = window.engine_panel.combo.model()
    row = window.engine_panel.combo.findData("test-learned", Qt.ItemDataRole.UserRole)
    item = model.item(row)
    assert not item.isEnabled() and "no-such-file.safetensors" in item.toolTip()
    telea = model.item(window.engine_panel.combo.findData("telea", Qt.ItemDataRole.UserRole))
    assert telea.isEnabled()
    assert not window.engine_panel.select("test-learned")


def test_compare_grid_one_cell_per_engine(qtbot, opened: MainWindow, tmp_path: Path) -> None:
    w = opened
    w.doc.set_mask(_box_mask(w, 100, 80, 160, 130), "test")
    with qtbot.waitSignal(w.compare_shown, timeout=20000) as blocker:
        assert w.compare_engines(["telea", "ns"])
    entries = blocker.args[0]
    grid = w.compare_window
    assert [c.entry.name for c in grid.cells] == ["telea", "ns"]
    assert all(c.entry.result is not None for c in grid.cells)
    assert "Telea" in grid.cells[0].title.text() and grid.cells[0].title.text().endswith(" s")
    # Synchronised zoom: a wheel step on one cell zooms every cell.
    grid.cells[0].view.zoomed.emit(2.0)
    assert grid.cells[1].view.transform().m11() == pytest.approx(grid.cells[0].view.transform().m11())
    sheet_path = grid.export_sheet(tmp_path / "sheet.png")
    sheet = np.asarray(Image.open(sheet_path))
    assert sheet.ndim == 3 and sheet.shape[1] > 2 * 300
    # Clicking a cell applies that engine's result (undoable).
    before = w.doc.image.copy()
    grid.cells[1].view.clicked.emit()
    assert np.array_equal(w.doc.image, entries[1].result.image)
    w.doc.undo_stack.undo()
    assert np.array_equal(w.doc.image, before)


def _exif_jpeg(path: Path) -> None:
    """A 60×40 JPEG stored sideways with EXIF orientation 6 (display rotated 90° clockwise)."""
    arr = np.zeros((40, 60, 3), np.uint8)
    arr[:, :30] = (200, 30, 30)
    im = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    im.save(path, exif=exif.tobytes(), quality=95)


def test_save_keeps_exif_and_refuses_silent_overwrite(opened: MainWindow, tmp_path: Path, monkeypatch) -> None:
    w = opened
    src = tmp_path / "sideways.jpg"
    _exif_jpeg(src)
    assert w.open_path(src)
    assert w.doc.size == (40, 60)  # upright: EXIF rotation applied
    out = tmp_path / "out.jpg"
    assert w.save_to(out, quality=90)
    with Image.open(out) as im:
        assert im.size == (40, 60)
        exif = im.getexif()
        assert exif.get(0x0112, 1) == 1 and exif.get(0x010F) == "TestCam"

    asked: list[str] = []

    def answer(result):
        def question(parent, title, text, *args, **kwargs):
            asked.append(text)
            return result

        return question

    original_bytes = src.read_bytes()
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not w.save_to(src)
    assert src.read_bytes() == original_bytes
    assert "original" in asked[-1]
    assert not w.save_to(out)  # any existing file needs a yes
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    assert w.save_to(src, quality=90)
    assert src.read_bytes() != original_bytes
    assert w.doc.undo_stack.isClean()


def test_screenshot_with_result(qtbot, window: MainWindow) -> None:
    w = window
    sample = Path(__file__).resolve().parents[1] / "resources" / "samples" / "storm.jpg"
    assert w.open_path(sample)
    w.canvas.set_brush_size(60)
    stroke(qtbot, w, line(500, 1000, 420, 10))
    stroke(qtbot, w, [(1150, 200), (1180, 350), (1200, 500)])
    with qtbot.waitSignal(w.result_shown, timeout=20000):
        w.run_engine()
    w.split.setValue(60)
    qtbot.wait(50)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "main_window.png"
    assert w.grab().save(str(path))
    assert path.stat().st_size > 10000
