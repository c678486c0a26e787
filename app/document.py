"""The open photo: image + mask + history.

``Document.image`` is uint8 H×W×3 RGB; ``Document.mask`` is uint8 H×W where 0 = keep and larger
values = hole (soft brushes leave values between; the pipeline treats > 127 as hole).
``Document.exclude`` (uint8 H×W, > 127 = never copy from here) is the exclude-from-sampling layer
the engines get as ``InpaintOptions.exclude``; it is edited like the mask, kept across applied
results and reset with a new photo. ``Document.original`` is the photo as opened (before/after).
Every change goes through a ``QUndoCommand`` on ``Document.undo_stack``: mask strokes store only
the bounding-box patch before/after (cheap on 24 MP photos), applied results store both images.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRect, Signal, SignalInstance
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.pipeline import check_mask

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels
MASK, EXCLUDE = "mask", "exclude"  # the two paintable layers


@dataclass
class Source:
    """Where the photo came from and what must travel with it when saving."""

    path: Path | None
    format: str | None = None
    exif: bytes | None = None
    icc: bytes | None = None


class Document(QObject):
    """Image + mask + undo stack. Signals carry the changed region so views repaint only that."""

    image_replaced = Signal()  # new image (size may change): views rebuild
    image_changed = Signal()  # same size, new pixels (applied result, undo of it)
    mask_changed = Signal(QRect)  # region of the mask that changed (image pixels)
    exclude_changed = Signal(QRect)  # region of the exclude-from-sampling layer that changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((1, 1, 3), np.uint8)
        self.mask = np.zeros((1, 1), np.uint8)
        self.exclude = np.zeros((1, 1), np.uint8)
        self.original = self.image  # the photo as opened: uint8 H×W×3 RGB, never modified
        self.source = Source(None)
        self.save_path: Path | None = None  # where Save writes (None: ask)
        self.revision = 0  # bumped on every image change; stale worker results are detected with it
        self.undo_stack = QUndoStack(self)

    # ----------------------------------------------------------------- loading
    @property
    def loaded(self) -> bool:
        return self.source.path is not None or self.image.shape[:2] != (1, 1)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]

    def set_image(self, rgb: np.ndarray, source: Source) -> None:
        """Replace everything (new photo): empty mask, empty history."""
        self.image = np.ascontiguousarray(rgb)
        self.mask = np.zeros(rgb.shape[:2], np.uint8)
        self.exclude = np.zeros(rgb.shape[:2], np.uint8)
        self.original = self.image  # arrays are replaced, never written in place: no copy needed
        self.source = source
        self.save_path = None
        self.revision += 1
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.image_replaced.emit()

    def full_rect(self) -> QRect:
        return QRect(0, 0, self.image.shape[1], self.image.shape[0])

    def layer(self, name: str) -> np.ndarray:
        """The paintable layer ``name``: :data:`MASK` (the hole) or :data:`EXCLUDE`; uint8 H×W."""
        return self.exclude if name == EXCLUDE else self.mask

    def exclusion(self) -> np.ndarray | None:
        """The exclude-from-sampling layer for ``InpaintOptions.exclude`` (uint8 H×W, > 127 = never a
        source), or None when nothing is excluded."""
        return self.exclude.copy() if self.exclude.any() else None

    def hole(self) -> np.ndarray:
        """Binary mask as the engines see it: uint8 H×W, 255 = hole, 0 = keep."""
        return check_mask(self.mask)  # one pass; np.where made a 24 MP int64 temporary (~60 ms)

    # ------------------------------------------------------------ mask editing
    def push_mask_patch(self, rect: Rect, before: np.ndarray, text: str, layer: str = MASK) -> None:
        """Record that ``layer`` inside ``rect`` changed from ``before`` to its current content.

        The caller already modified the layer; the command's first redo is a no-op.
        """
        x0, y0, x1, y1 = rect
        after = self.layer(layer)[y0:y1, x0:x1].copy()
        if np.array_equal(before, after):
            return
        self.undo_stack.push(MaskPatchCommand(self, rect, before.copy(), after, text, layer))

    def set_mask(self, new_mask: np.ndarray, text: str, layer: str = MASK) -> None:
        """Replace the whole of ``layer`` as one undoable step (grow, shrink, invert, clear, load, accept)."""
        new_mask = np.ascontiguousarray(new_mask, dtype=np.uint8)
        target = self.layer(layer)
        if new_mask.shape != target.shape or np.array_equal(new_mask, target):
            return
        before = target.copy()
        target[...] = new_mask
        h, w = target.shape
        self.undo_stack.push(MaskPatchCommand(self, (0, 0, w, h), before, new_mask.copy(), text, layer))
        self.layer_changed(layer).emit(self.full_rect())

    def layer_changed(self, layer: str) -> SignalInstance:
        """The signal that tells views ``layer`` changed (``mask_changed`` or ``exclude_changed``)."""
        return self.exclude_changed if layer == EXCLUDE else self.mask_changed

    def _write_mask(self, rect: Rect, patch: np.ndarray, layer: str = MASK) -> None:
        x0, y0, x1, y1 = rect
        self.layer(layer)[y0:y1, x0:x1] = patch
        self.layer_changed(layer).emit(QRect(x0, y0, x1 - x0, y1 - y0))

    # ----------------------------------------------------------- image editing
    def apply_result(self, result_image: np.ndarray, text: str = "Apply result") -> None:
        """Make ``result_image`` (uint8 H×W×3 RGB, same size) the image and clear the mask; undoable."""
        if result_image.shape != self.image.shape:
            raise ValueError("result size differs from the image")
        self.undo_stack.push(ImageCommand(self, result_image.copy(), np.zeros_like(self.mask), text))

    def _write_image(self, image: np.ndarray, mask: np.ndarray) -> None:
        self.image = image
        self.mask[...] = mask
        self.revision += 1
        self.image_changed.emit()
        self.mask_changed.emit(self.full_rect())


class MaskPatchCommand(QUndoCommand):
    """One stroke (or whole-mask operation): the patch before and after, inside ``rect``."""

    def __init__(
        self, doc: Document, rect: Rect, before: np.ndarray, after: np.ndarray, text: str, layer: str = MASK
    ) -> None:
        super().__init__(text)
        self.doc, self.rect, self.before, self.after, self.layer = doc, rect, before, after, layer
        self._first = True

    def redo(self) -> None:
        if self._first:  # already applied while painting
            self._first = False
            return
        self.doc._write_mask(self.rect, self.after, self.layer)

    def undo(self) -> None:
        self.doc._write_mask(self.rect, self.before, self.layer)


class ImageCommand(QUndoCommand):
    """Replace image and mask together (an applied result)."""

    def __init__(self, doc: Document, image: np.ndarray, mask: np.ndarray, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self.new = (image, mask)
        self.old = (doc.image, doc.mask.copy())

    def redo(self) -> None:
        self.doc._write_image(*self.new)

    def undo(self) -> None:
        self.doc._write_image(*self.old)
