"""Mask operations of the Mask menu and the brush tool choice, on a document and its canvas.

Every change is one undo step on the document (``Document.set_mask``). The mask is uint8 H×W, 255 = hole.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from app import brush
from app.canvas import Canvas
from app.document import Document


class MaskTools(QObject):
    """Grow, shrink, invert and clear the mask; pick the brush or the eraser and its size."""

    tool_changed = Signal(str)  # "brush", "eraser", "select", "exclude" or "scratch": the actions follow

    def __init__(self, doc: Document, canvas: Canvas, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.canvas = canvas

    def set_tool(self, tool: str) -> None:
        """``tool``: "brush" paints the hole, "eraser" removes from it, "select" drags a box around an
        object (app.object_select), "exclude" paints where fills must not sample from, "scratch" paints
        a band along a scratch whose damage pixels join the damage proposal (app.restore_controller)."""
        self.canvas.tool = tool
        self.tool_changed.emit(tool)
        self.canvas.set_brush_size(self.canvas.brush_size)  # redraws the cursor for the tool

    def smaller_brush(self) -> None:
        self.canvas.set_brush_size(round(self.canvas.brush_size / 1.2))

    def bigger_brush(self) -> None:
        self.canvas.set_brush_size(round(self.canvas.brush_size * 1.2) + 1)  # +1: small brushes grow too

    def grow(self, pixels: int) -> None:
        """Grow the hole by ``pixels`` (negative: shrink). Nothing happens without a photo."""
        if not self.doc.loaded:
            return
        self.doc.set_mask(brush.grow(self.doc.mask, pixels), "Grow mask" if pixels > 0 else "Shrink mask")

    def invert(self) -> None:
        if not self.doc.loaded:  # inverting the empty document's 1×1 mask would mark it changed
            return
        self.doc.set_mask(np.where(self.doc.mask > 127, 0, 255).astype(np.uint8), "Invert mask")

    def clear(self) -> None:
        if not self.doc.loaded:
            return
        self.doc.set_mask(np.zeros_like(self.doc.mask), "Clear mask")
