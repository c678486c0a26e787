"""The Restore panel on the real main window: detect (worker thread) → edit → re-threshold → restore → undo,
and the scratch brush: detect → brush along a missed crack → restore → undo."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app import worker as worker_module
from app.window import MainWindow
from engine.imageio import load_image
from engine.paths import SAMPLES
from tests import hint_support as hs
from tests.gui_support import open_window

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    torch.set_num_threads(1)
    yield from open_window(qtbot, tmp_path)


def _spy_threads(monkeypatch, name: str) -> list[threading.Thread]:
    """Threads ``app.worker.<name>`` runs on from now on (the worker calls the engine through it)."""
    seen: list[threading.Thread] = []
    real = getattr(worker_module, name)

    def spy(*args, **kwargs):
        seen.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, name, spy)
    return seen


@pytest.fixture
def calls(monkeypatch) -> list[threading.Thread]:
    """Threads detect_damage ran on."""
    return _spy_threads(monkeypatch, "detect_damage")


@pytest.fixture
def hint_threads(monkeypatch) -> list[threading.Thread]:
    """Threads the scratch brush's damage_for_hint ran on."""
    return _spy_threads(monkeypatch, "damage_for_hint")


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


def _drag(window: MainWindow, points: np.ndarray) -> None:
    """Press at the first of ``points`` (N×2 image x, y), move through the others with the left
    button held, release at the last: a stroke as a hand paints it."""
    viewport = window.canvas.viewport()

    def send(kind: QEvent.Type, xy: np.ndarray, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        pos = QPointF(_vp(window, float(xy[0]), float(xy[1])))
        event = QMouseEvent(kind, pos, viewport.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, points[0], left, left)
    for a, b in itertools.pairwise(points):
        for t in np.linspace(0.2, 1.0, 5):  # a hand's mouse reports every few pixels
            send(QEvent.Type.MouseMove, a + t * (b - a), none, left)
    send(QEvent.Type.MouseButtonRelease, points[-1], left, none)


def test_detect_scratch_brush_restore_undo(qtbot, window: MainWindow, calls, hint_threads, tmp_path: Path) -> None:
    clean = hs.plain_photo(8)
    line = hs.wandering_path(8)
    damaged, crack = hs.add_crack(clean, line, -40)
    path = tmp_path / "cracked.png"
    Image.fromarray(damaged).save(path)
    assert window.open_path(path)
    panel, ctl, stack = window.restore_panel, window.restorer, window.doc.undo_stack
    assert panel.scratch is not None and panel.scratch.defaultAction() is window.acts.scratch

    with qtbot.waitSignal(ctl.detected, timeout=60000):
        qtbot.mouseClick(panel.detect, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.worker.busy)
    detected = window.doc.mask.copy()

    qtbot.mouseClick(panel.scratch, Qt.MouseButton.LeftButton)  # the panel's button picks the tool
    assert window.canvas.tool == "scratch" and window.acts.scratch.isChecked() and not window.acts.brush.isChecked()
    window.canvas.set_brush_size(30)
    index = stack.index()
    wobble = line + np.random.default_rng(1).integers(-5, 6, line.shape)  # roughly along the crack
    with qtbot.waitSignal(ctl.hinted, timeout=30000) as blocker:  # the stroke's job on the worker
        _drag(window, wobble.astype(np.float64))
    added = blocker.args[0]
    assert hint_threads and threading.main_thread() not in hint_threads  # never on the GUI thread
    qtbot.waitUntil(lambda: not window.worker.busy)
    assert stack.index() == index + 1  # one undo step per stroke
    assert np.count_nonzero(added & (crack > 0)) >= 0.9 * np.count_nonzero(crack)
    assert np.count_nonzero(added) <= 3 * np.count_nonzero(crack)
    near_stroke = np.zeros(crack.shape, np.uint8)
    cv2.polylines(near_stroke, [wobble.astype(np.int32)], False, 255, thickness=34)
    assert not np.any(added & (near_stroke == 0))  # only inside the painted band
    assert not window.canvas.hint.any()  # the band itself is gone once its damage is in
    np.testing.assert_array_equal(window.doc.mask > 127, (detected > 127) | added)
    assert np.all(ctl.proposal[added]) and panel.restore.isEnabled() and window.acts.restore.isEnabled()
    brushed = window.doc.mask.copy()
    stack.undo()
    np.testing.assert_array_equal(window.doc.mask, detected)  # Ctrl+Z takes the stroke back
    stack.redo()
    np.testing.assert_array_equal(window.doc.mask, brushed)

    with qtbot.waitSignal(ctl.restored, timeout=60000):
        qtbot.mouseClick(panel.restore, Qt.MouseButton.LeftButton)
    changed = np.any(window.doc.image != damaged, axis=2)
    assert not changed[brushed == 0].any()
    on_crack = crack > 0
    after = np.abs(window.doc.image[on_crack].astype(int) - clean[on_crack]).mean()
    assert after < 0.3 * np.abs(damaged[on_crack].astype(int) - clean[on_crack]).mean()  # the crack is filled
    stack.undo()
    np.testing.assert_array_equal(window.doc.image, damaged)  # one undo brings the crack back
    np.testing.assert_array_equal(window.doc.mask, brushed)


def test_scratch_brush_before_any_detection_starts_a_proposal(
    qtbot, window: MainWindow, hint_threads, tmp_path: Path
) -> None:
    damaged, crack = hs.add_crack(hs.plain_photo(9), hs.wandering_path(9), 40)  # a bright scratch
    path = tmp_path / "scratched.png"
    Image.fromarray(damaged).save(path)
    assert window.open_path(path)
    window.acts.scratch.trigger()
    window.canvas.set_brush_size(26)
    with qtbot.waitSignal(window.restorer.hinted, timeout=30000):
        _drag(window, hs.wandering_path(9).astype(np.float64))
    assert hint_threads and threading.main_thread() not in hint_threads
    qtbot.waitUntil(lambda: not window.worker.busy)
    mask = window.doc.mask > 127
    assert np.count_nonzero(mask & (crack > 0)) >= 0.9 * np.count_nonzero(crack)
    assert window.restorer.active and "scratch brush" in window.restore_panel.info.text()
    window.escape()  # Esc takes the proposal out again
    assert not window.doc.mask.any() and not window.restorer.active


def _open_cracked(window: MainWindow, tmp_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Open a plain photo with a 40-level crack along a wandering path; (path points, photo, crack mask)."""
    line = hs.wandering_path(9)
    damaged, crack = hs.add_crack(hs.plain_photo(9), line, 40)
    path = tmp_path / "scratched.png"
    Image.fromarray(damaged).save(path)
    assert window.open_path(path)
    return line, damaged, crack


def _hold_stroke_jobs(monkeypatch) -> tuple[threading.Event, list[threading.Thread]]:
    """Make each stroke job wait on the worker until the returned event is set; the list collects the
    threads the jobs ran on."""
    gate, threads = threading.Event(), []
    real = worker_module.damage_for_hint

    def held(*args, **kwargs):
        threads.append(threading.current_thread())
        assert gate.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker_module, "damage_for_hint", held)
    return gate, threads


def test_scratch_brush_runs_on_the_worker_and_queues_a_second_stroke(
    qtbot, window: MainWindow, monkeypatch, tmp_path: Path
) -> None:
    """While a stroke's damage is computed the GUI thread stays free: the stroke's job starts, the
    status bar says so, a second stroke waits for it, and both results arrive through ``hinted``,
    one undo step each."""
    line, _damaged, crack = _open_cracked(window, tmp_path)
    gate, threads = _hold_stroke_jobs(monkeypatch)
    ctl, stack = window.restorer, window.doc.undo_stack
    arrived: list[np.ndarray] = []
    ctl.hinted.connect(arrived.append)
    window.acts.scratch.trigger()
    window.canvas.set_brush_size(26)
    index = stack.index()
    half = len(line) // 2
    first, second = line[: half + 1].astype(np.float64), line[half:].astype(np.float64)

    _drag(window, first)  # returns while the worker is still held: the GUI thread was not blocked
    qtbot.waitUntil(lambda: len(threads) == 1)
    assert threads[0] is not threading.main_thread()
    assert window.worker.busy and window.worker.current.kind == "hint" and ctl.hint_pending
    assert "Scratch brush" in window.statusBar().currentMessage()
    assert window.status_line.progress.isVisible()
    assert not arrived and not window.doc.mask.any() and stack.index() == index

    _drag(window, second)  # the worker is busy: this stroke waits, it is not lost
    assert ctl.waiting is not None and ctl.waiting.any()
    assert "queued" in window.statusBar().currentMessage()

    gate.set()
    qtbot.waitUntil(lambda: len(arrived) == 2, timeout=30000)
    qtbot.waitUntil(lambda: not window.worker.busy and not ctl.hint_pending)
    assert len(threads) == 2 and threading.main_thread() not in threads
    assert stack.index() == index + 2  # one undo step per stroke's job
    mask = window.doc.mask > 127
    on_crack = crack > 0
    assert np.count_nonzero(mask & on_crack) >= 0.9 * np.count_nonzero(on_crack)  # both halves
    for added, part in zip(arrived, (first, second), strict=True):
        near = np.zeros(crack.shape, np.uint8)
        cv2.polylines(near, [part.astype(np.int32)], False, 255, thickness=30)
        assert added.any() and not np.any(added & (near == 0))  # each result from its own stroke
    stack.undo()
    np.testing.assert_array_equal(window.doc.mask > 127, arrived[0])  # Ctrl+Z takes the second back


def test_a_stroke_computed_on_a_changed_image_is_computed_again_and_a_new_photo_drops_it(
    qtbot, window: MainWindow, monkeypatch, photo: np.ndarray, tmp_path: Path
) -> None:
    line, damaged, crack = _open_cracked(window, tmp_path)
    gate, threads = _hold_stroke_jobs(monkeypatch)
    ctl = window.restorer
    arrived: list[np.ndarray] = []
    ctl.hinted.connect(arrived.append)
    window.acts.scratch.trigger()
    window.canvas.set_brush_size(26)

    # The image changes while the stroke computes (an edit applied, then undone): computed again.
    _drag(window, line.astype(np.float64))
    qtbot.waitUntil(lambda: len(threads) == 1)
    window.doc.apply_result(damaged[::-1].copy(), "flip")
    window.doc.undo_stack.undo()
    gate.set()
    qtbot.waitUntil(lambda: len(arrived) == 1, timeout=30000)
    assert len(threads) == 2  # the first result was made on another revision: the stroke ran again
    assert np.count_nonzero(arrived[0] & (crack > 0)) >= 0.9 * np.count_nonzero(crack)
    qtbot.waitUntil(lambda: not window.worker.busy and not ctl.hint_pending)

    # A new photo while a stroke computes: that stroke belonged to the old photo and is dropped.
    gate.clear()
    _drag(window, line.astype(np.float64))
    qtbot.waitUntil(lambda: len(threads) == 3)
    other = tmp_path / "other.png"
    Image.fromarray(damaged[:, ::-1].copy()).save(other)
    window.doc.undo_stack.setClean()  # no "save the changes?" question before the new photo
    assert window.open_path(other)
    gate.set()
    qtbot.waitUntil(lambda: not window.worker.busy, timeout=30000)
    qtbot.wait(50)  # a re-queued stroke would start here
    assert len(threads) == 3 and len(arrived) == 1 and not window.doc.mask.any() and not ctl.hint_pending
