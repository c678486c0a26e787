"""Variations in the real main window: three more fills from other seeds, picked and applied as one undo step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from app.window import MainWindow
from tests.gui_support import box_mask

pytestmark = pytest.mark.gui


@pytest.fixture
def shown(qtbot, window: MainWindow, photo: np.ndarray, tmp_path: Path) -> MainWindow:
    """The photo open, a hole painted, and PatchMatch's fill shown (not applied)."""
    path = tmp_path / "photo.png"
    small = photo[:96, :128]  # PatchMatch in seconds on a shared CPU
    Image.fromarray(small).save(path)
    assert window.open_path(path)
    assert window.engine_panel.select("patchmatch")
    window.doc.set_mask(box_mask(small.shape[:2], 50, 36, 74, 60), "paint")
    with qtbot.waitSignal(window.result_shown, timeout=60000):
        window.acts.run.trigger()
    return window


def test_variations_are_picked_and_applied_as_one_undo_step(qtbot, shown: MainWindow) -> None:
    w = shown
    first = w.pending
    original = w.doc.image.copy()
    assert w.acts.variations.isEnabled()
    with qtbot.waitSignal(w.variations.finished, timeout=120000) as done:
        qtbot.keyClick(w.canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        assert w.worker.busy and w.acts.cancel.isEnabled()  # on the worker, with Cancel
    assert done.args == [4] and len(w.variations_panel.thumbs) == 4 and w.variations_dock.isVisible()
    fills = [r.image for r, _display in w.variations.results]
    assert fills[0] is first.image
    hole = first.mask > 0
    for a in range(4):  # other seeds, other fills; outside the hole all are the photo
        assert np.array_equal(fills[a][~hole], original[~hole])
        for b in range(a + 1, 4):
            assert not np.array_equal(fills[a], fills[b])
    w.variations_panel.thumbs[2].click()
    assert w.pending is w.variations.results[2][0] and w.canvas.has_result
    steps = w.doc.undo_stack.count()
    qtbot.keyClick(w.canvas, Qt.Key.Key_Return)  # Apply
    assert w.doc.undo_stack.count() == steps + 1
    assert np.array_equal(w.doc.image, fills[2]) and w.pending is None
    assert not w.variations_panel.thumbs  # applied: the strip is cleared
    w.acts.undo.trigger()
    assert np.array_equal(w.doc.image, original) and (w.doc.mask > 127).sum() == hole.sum()


def test_double_click_applies_and_an_engine_without_seed_says_so(qtbot, shown: MainWindow) -> None:
    w = shown
    with qtbot.waitSignal(w.variations.finished, timeout=120000):
        w.acts.variations.trigger()
    chosen = w.variations.results[3][0].image
    w.variations_panel.thumbs[3].double_clicked.emit()
    assert np.array_equal(w.doc.image, chosen)
    w.doc.undo_stack.undo()
    # Navier–Stokes fills the same for every seed: said at once, nothing runs.
    assert w.engine_panel.select("ns")
    with qtbot.waitSignal(w.result_shown, timeout=30000):
        w.acts.run.trigger()
    assert not w.variations.start() and not w.worker.busy
    assert "same fill for every seed" in w.statusBar().currentMessage()


def test_cancel_stops_the_variations(qtbot, shown: MainWindow) -> None:
    w = shown
    with qtbot.waitSignal(w.worker.cancelled, timeout=60000):
        assert w.variations.start()
        w.acts.cancel.trigger()  # before the first variation can finish
    qtbot.waitUntil(lambda: not w.worker.busy, timeout=10000)
    assert not w.variations.busy and len(w.variations_panel.thumbs) == 1  # only the shown fill
    assert "Cancelled" in w.variations_panel.info.text()
    assert w.pending is w.variations.results[0][0]  # the shown fill is still there to apply
