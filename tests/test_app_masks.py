"""app.masks.MaskTools on a document and a canvas only — no main window."""

from __future__ import annotations

import numpy as np
import pytest

from app.canvas import Canvas
from app.document import Document, Source
from app.masks import MaskTools

pytestmark = pytest.mark.gui


@pytest.fixture
def tools(qtbot, photo: np.ndarray) -> MaskTools:
    doc = Document()
    canvas = Canvas(doc)
    qtbot.addWidget(canvas)
    doc.set_image(photo, Source(None))
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[80:120, 100:140] = 255
    doc.set_mask(mask, "box")
    return MaskTools(doc, canvas)


def test_grow_shrink_invert_clear_are_undo_steps(tools: MaskTools) -> None:
    doc = tools.doc
    start = doc.undo_stack.index()
    tools.grow(4)
    assert doc.mask[77, 120] == 255 and doc.mask[75, 120] == 0 and doc.undo_stack.undoText() == "Grow mask"
    tools.grow(-8)
    assert doc.mask[83, 120] == 0 and doc.mask[85, 120] == 255 and doc.undo_stack.undoText() == "Shrink mask"
    before = doc.mask.copy()
    tools.invert()
    assert np.array_equal(doc.mask, np.where(before > 127, 0, 255).astype(np.uint8))
    tools.clear()
    assert not doc.mask.any() and doc.undo_stack.index() == start + 4
    for _ in range(4):
        doc.undo_stack.undo()
    assert doc.mask[80:120, 100:140].all() and doc.mask.sum() == 40 * 40 * 255


def test_tool_and_brush_size(qtbot, tools: MaskTools) -> None:
    canvas = tools.canvas
    with qtbot.waitSignal(tools.tool_changed) as blocker:
        tools.set_tool("eraser")
    assert blocker.args == ["eraser"] and canvas.tool == "eraser"
    canvas.set_brush_size(10)
    tools.bigger_brush()
    assert canvas.brush_size == 13  # round(10 * 1.2) + 1
    tools.smaller_brush()
    assert canvas.brush_size == 11  # round(13 / 1.2)
