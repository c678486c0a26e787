"""Select object by box in the real main window: drag with the select tool, get an editable proposal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from app.window import MainWindow
from tests.select_support import OBJECT_BOX, object_scene
from tests.test_app_window import line, stroke, vp

pytestmark = pytest.mark.gui


@pytest.fixture
def scene(window: MainWindow, tmp_path: Path) -> tuple[MainWindow, np.ndarray]:
    image, obj = object_scene()
    path = tmp_path / "scene.png"
    Image.fromarray(image).save(path)
    assert window.open_path(path)
    return window, obj


def _drag_box(qtbot, w: MainWindow, box: tuple[int, int, int, int]) -> None:
    viewport = w.canvas.viewport()
    x0, y0, x1, y1 = box
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=vp(w, x0, y0))
    qtbot.mouseMove(viewport, pos=vp(w, (x0 + x1) / 2, (y0 + y1) / 2))
    qtbot.mouseMove(viewport, pos=vp(w, x1, y1))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=vp(w, x1, y1))


def test_a_box_proposes_the_object_as_an_editable_mask(qtbot, scene) -> None:
    w, obj = scene
    qtbot.keyClick(w.canvas, Qt.Key.Key_S)  # the select tool's shortcut
    assert w.canvas.tool == "select" and w.acts.select.isChecked() and not w.acts.brush.isChecked()
    steps = w.doc.undo_stack.count()
    with qtbot.waitSignal(w.selector.proposed, timeout=10000):
        _drag_box(qtbot, w, OBJECT_BOX)
    sel = w.doc.mask > 127
    assert (sel & obj).sum() >= 0.9 * obj.sum()
    assert sel.sum() <= 2 * obj.sum()
    assert w.doc.undo_stack.count() == steps + 1 and w.doc.undo_stack.undoText() == "Select object"
    # Shown in the proposal colour (the preference), with the hint about shadows.
    assert w.canvas.proposal_item.region is not None and w.canvas.proposal_item.region[sel].all()
    assert "Shadows" in w.statusBar().currentMessage() and "brush" in w.statusBar().currentMessage()
    # Editable like any mask: add a shadow with the brush.
    w.acts.brush.trigger()
    w.canvas.set_brush_size(8)
    stroke(qtbot, w, line(100, 200, 200, 4))
    assert w.doc.mask[200, 150] == 255 and w.doc.undo_stack.count() == steps + 2
    # Esc takes the proposal out again, the brush stroke stays.
    w.doc.undo_stack.undo()
    w.escape()
    assert not w.doc.mask.any() and not w.selector.active
    assert w.canvas.proposal_item.region is None


def test_the_proposal_is_grown_by_the_removal_margin(qtbot, scene) -> None:
    w, obj = scene
    w.brush_panel.grow.setValue(3)
    assert w.canvas.grow_px == 3
    w.acts.select.trigger()
    with qtbot.waitSignal(w.selector.proposed, timeout=10000):
        _drag_box(qtbot, w, OBJECT_BOX)
    narrow = (w.doc.mask > 127).sum()
    w.escape()
    w.brush_panel.grow.setValue(10)
    with qtbot.waitSignal(w.selector.proposed, timeout=10000):
        _drag_box(qtbot, w, OBJECT_BOX)
    wide = w.doc.mask > 127
    assert wide.sum() > narrow and wide[obj].all()  # grown past the object's edge all round
    assert "10 px" in w.statusBar().currentMessage()


def test_a_box_too_small_says_so(qtbot, scene) -> None:
    w, _obj = scene
    w.acts.select.trigger()
    _drag_box(qtbot, w, (50, 50, 52, 90))
    assert not w.doc.mask.any() and "drag a box around the whole object" in w.statusBar().currentMessage()
