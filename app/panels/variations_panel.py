"""The Variations strip: the shown fill and the fills from other seeds as thumbnails to pick from.

Each thumbnail shows the edit's frame (:func:`engine.sheet.hole_frame`) of one result. A click
shows that result on the canvas (it becomes the pending result: Return applies it, one undo
step); a double click also applies it; *Apply* applies the picked one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from app.canvas import rgb_to_qimage
from app.icons import icon
from engine.sheet import crop, hole_frame

THUMB = 150  # long side of a thumbnail (logical px)


class Thumb(QToolButton):
    """One result's thumbnail; emits ``double_clicked`` on a double click."""

    double_clicked = Signal()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.double_clicked.emit()
        event.accept()


def thumbnail(rgb: np.ndarray, mask: np.ndarray, side: int = THUMB) -> QImage:
    """The edit's frame of ``rgb`` (uint8 H×W×3 RGB; ``mask`` uint8 H×W, > 127 = hole) as a QImage
    with long side ``side``."""
    part = np.ascontiguousarray(crop(rgb, hole_frame(mask)))
    return rgb_to_qimage(part).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class VariationsPanel(QWidget):
    """Thumbnails in a row; ``picked(index)`` on a click, ``apply_requested(index)`` on a double
    click or *Apply*."""

    picked = Signal(int)
    apply_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbs: list[Thumb] = []
        self.current = -1
        self.row = QHBoxLayout()
        self.row.addStretch(1)
        self.info = QLabel("Run a fill, then Variations (Shift+Return) shows three more from other seeds.")
        self.info.setWordWrap(True)
        self.apply = QPushButton(icon("fa5s.check"), "Apply picked")
        self.apply.setToolTip("Make the picked fill the new image (one undo step; Return does the same)")
        self.apply.setEnabled(False)
        self.apply.clicked.connect(lambda: self.current >= 0 and self.apply_requested.emit(self.current))
        bottom = QHBoxLayout()
        bottom.addWidget(self.info, 1)
        bottom.addWidget(self.apply)
        layout = QVBoxLayout(self)
        layout.addLayout(self.row)
        layout.addLayout(bottom)

    def clear(self) -> None:
        for t in self.thumbs:
            t.setParent(None)
            t.deleteLater()
        self.thumbs = []
        self.current = -1
        self.apply.setEnabled(False)

    def add(self, image: QImage, label: str) -> None:
        """Append a thumbnail (``image`` as made by :func:`thumbnail`) captioned ``label``."""
        i = len(self.thumbs)
        t = Thumb()
        t.setIcon(QPixmap.fromImage(image))
        t.setIconSize(QSize(image.width(), image.height()))
        t.setText(label)
        t.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        t.setCheckable(True)
        t.setToolTip(f"{label}: click to show it on the photo, double-click to apply it")
        t.clicked.connect(lambda _=False, i=i: self.pick(i))
        t.double_clicked.connect(lambda i=i: self.apply_requested.emit(i))
        self.row.insertWidget(i, t)
        self.thumbs.append(t)

    def pick(self, index: int) -> None:
        """Mark thumbnail ``index`` as picked and emit ``picked``."""
        self.mark(index)
        self.picked.emit(index)

    def mark(self, index: int) -> None:
        self.current = index
        for i, t in enumerate(self.thumbs):
            t.setChecked(i == index)
        self.apply.setEnabled(index >= 0)
