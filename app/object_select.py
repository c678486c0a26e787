"""Select object: a box dragged with the select tool becomes a proposed mask of the object's outline.

The outline comes from :func:`engine.select.select_object` (GrabCut, bounded work size: a fraction
of a second on the GUI thread), grown by the brush panel's removal margin. Like the damage proposal
of :mod:`app.restore_controller`, it is merged into the document's mask as ONE undo step and shown in
the proposal colour (:meth:`app.canvas.Canvas.set_proposal`) so the brush and eraser edit it like any
mask; *Esc* takes it out again (back to what was painted before), *Run* fills it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from app.canvas import Canvas
from app.document import Document
from app.feedback import Feedback
from engine.errors import InpaintError
from engine.select import Box, select_object

HINT = (
    "Proposed the object's outline (proposal colour), grown by {grow} px. Shadows and reflections are yours "
    "to add with the brush (B); Run (Ctrl+Return) fills it, Esc takes it out."
)


class ObjectSelect(QObject):
    """Owns the object proposal of the open photo; ``grow()``: the removal margin in px now."""

    proposed = Signal(object)  # bool H×W: the proposal now in the mask

    def __init__(
        self, doc: Document, canvas: Canvas, feedback: Feedback, grow: Callable[[], int], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.canvas = canvas
        self.feedback = feedback
        self.grow = grow
        self.base: np.ndarray | None = None  # the mask before the proposal went in (bool H×W)
        self.proposal: np.ndarray | None = None  # the proposed object (bool H×W)
        canvas.box_drawn.connect(self.select_box)
        doc.image_replaced.connect(self.reset)
        doc.image_changed.connect(self.reset)

    @property
    def active(self) -> bool:
        return self.proposal is not None

    def select_box(self, box: Box) -> bool:
        """Propose the object inside ``box`` (x0, y0, x1, y1 image pixels); False when nothing was found."""
        if not self.doc.loaded:
            return False
        grow = max(0, int(self.grow()))
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            found = select_object(self.doc.image, box, grow=grow) > 0
        except InpaintError as exc:
            self.feedback.status(f"Select object: {exc}", 10000)
            return False
        finally:
            QApplication.restoreOverrideCursor()
        if not found.any():
            self.feedback.status("Select object: no object found in that box; drag a box closer around it", 10000)
            return False
        if self.active:  # a new box adds its object to the proposal; the mask under it stays the base
            found |= self.proposal  # type: ignore[operator]
        else:
            self.base = self.doc.mask > 127
        self.proposal = found
        self.doc.set_mask(np.where(self.base | found, 255, 0).astype(np.uint8), "Select object")  # type: ignore[operator]
        self.canvas.set_proposal(found)
        self.feedback.status(HINT.format(grow=grow), 15000)
        self.proposed.emit(found)
        return True

    def discard(self) -> None:
        """Take the proposal out of the mask (back to what the user had painted before it)."""
        if self.base is not None and self.base.shape == self.doc.mask.shape:
            self.doc.set_mask(np.where(self.base, 255, 0).astype(np.uint8), "Discard object proposal")
        self.reset()

    def reset(self) -> None:
        """Forget the proposal without touching the mask (new photo, applied result)."""
        if self.proposal is not None:
            self.canvas.set_proposal(None)
        self.base = self.proposal = None
