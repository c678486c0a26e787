"""The Restore panel on the real main window: detect (worker thread) → edit → re-threshold → restore → undo."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from app import worker as worker_module
from app.window import MainWindow
from engine.imageio import load_image
from engine.paths import SAMPLES
from tests.gui_support import open_window

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    torch.set_num_threads(1)
    yield from open_window(qtbot, tmp_path)


@pytest.fixture
def calls(monkeypatch) -> list[threading.Thread]:
    """Threads detect_damage ran on (the worker calls it through app.worker)."""
    seen: list[threading.Thread] = []
    real = worker_module.detect_damage

    def spy(*args, **kwargs):
        seen.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "detect_damage", spy)
    return seen


def _vp(window: MainWindow, x: float, y: float) -> QPoint:
    return window.canvas.mapFromScene(QPointF(x, y))


def test_detect_edit_rethreshold_restore_undo(qtbot, window: MainWindow, calls, tmp_path: Path) -> None:
    # A 480×320 crop of the old-photo sample keeps the test fast; two scratches and specks cross it.
    path = tmp_path / "old.png"
    Image.fromarray(load_image(SAMPLES / "old_pier.jpg").rgb[0:320, 0:480]).save(path)
    assert window.open_path(path)
    original = window.doc.image.copy()
    panel, ctl = window.restore_panel, window.restorer
    assert panel.engine_name == "ns" and not panel.restore.isEnabled()

    with qtbot.waitSignal(ctl.detected, timeout=60000) as blocker:
        qtbot.mouseClick(panel.detect, Qt.MouseButton.LeftButton)
    found = blocker.args[0]
    assert calls and all(t is not threading.main_thread() for t in calls)  # never on the GUI thread
    assert found.detector == "network" and "network" in panel.info.text()
    np.testing.assert_array_equal(window.doc.mask, found.mask)  # the proposal is the mask overlay
    assert panel.restore.isEnabled()
    qtbot.waitUntil(lambda: not window.worker.busy)

    # Edit: the brush adds a stroke the detector did not propose.
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=_vp(window, 400, 300))
    qtbot.mouseMove(viewport, pos=_vp(window, 460, 300))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=_vp(window, 460, 300))
    assert window.doc.mask[300, 430] == 255 and found.mask[300, 430] == 0
    edited = window.doc.mask.copy()

    # Re-threshold from the slider: no second detection, the proposal grows, the edit stays.
    with qtbot.waitSignal(panel.sensitivity_changed, timeout=3000):
        panel.sensitivity.setValue(95)
    assert len(calls) == 1
    assert np.count_nonzero(window.doc.mask) > np.count_nonzero(edited)
    assert window.doc.mask[300, 430] == 255
    hole = window.doc.mask.copy()

    undo_index = window.doc.undo_stack.index()
    with qtbot.waitSignal(ctl.restored, timeout=60000):
        qtbot.mouseClick(panel.restore, Qt.MouseButton.LeftButton)
    assert window.doc.undo_stack.index() == undo_index + 1  # one undo step
    changed = np.any(window.doc.image != original, axis=2)
    assert changed.any() and not changed[hole == 0].any()  # only the mask was filled
    assert not window.doc.mask.any()

    window.doc.undo_stack.undo()
    np.testing.assert_array_equal(window.doc.image, original)  # one undo brings the original pixels back
    np.testing.assert_array_equal(window.doc.mask, hole)


def test_cancel_stops_detection_and_leaves_the_mask(qtbot, window: MainWindow, calls, tmp_path: Path) -> None:
    path = tmp_path / "old.jpg"
    Image.fromarray(load_image(SAMPLES / "old_pier.jpg").rgb).save(path)  # 1600×1000: 8 tiles
    assert window.open_path(path)
    assert window.detect_scratches(0.5)
    assert window.status_line.cancel_button.isVisible()
    window.worker.cancel()
    with qtbot.waitSignal(window.worker.cancelled, timeout=60000):
        pass
    assert not window.doc.mask.any() and not window.restorer.active


def test_line_check_toggle_redraws_the_proposal_without_detecting_again(
    qtbot, window: MainWindow, calls, tmp_path: Path
) -> None:
    # The near deck of the old-photo sample: plank gaps the network marks in dashes, the verifier drops.
    path = tmp_path / "deck.png"
    Image.fromarray(load_image(SAMPLES / "old_pier.jpg").rgb[680:1000, 400:880]).save(path)
    assert window.open_path(path)
    panel, ctl = window.restore_panel, window.restorer
    assert panel.lines.isChecked()  # on by default
    with qtbot.waitSignal(ctl.detected, timeout=60000) as blocker:
        qtbot.mouseClick(panel.detect, Qt.MouseButton.LeftButton)
    found = blocker.args[0]
    assert found.verified and "picture lines left out" in panel.info.text()
    qtbot.waitUntil(lambda: not window.worker.busy)
    checked = window.doc.mask.copy()

    panel.lines.setChecked(False)  # every detection: the plank dashes come back
    unchecked = window.doc.mask.copy()
    assert np.count_nonzero(unchecked) > np.count_nonzero(checked) + 300
    assert not np.any((checked > 0) & (unchecked == 0))
    assert "picture lines left out" not in panel.info.text()
    assert window.settings.get("restore/line_check") is False
    panel.lines.setChecked(True)
    np.testing.assert_array_equal(window.doc.mask, checked)
    assert len(calls) == 1  # the network ran once; the toggle only re-drew the cached maps
