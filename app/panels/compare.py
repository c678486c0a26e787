"""Side-by-side comparison of engines on the same image and mask.

A grid with one cell per engine, labelled with its name and seconds; zoom (wheel) and pan (drag)
are synchronised across cells; a click (without dragging) applies that result; the grid can be
exported as one PNG sheet.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.canvas import rgb_to_qimage
from app.icons import icon
from app.worker import CompareEntry
from engine.errors import InpaintError
from engine.imageio import save_image


class SyncView(QGraphicsView):
    """One cell's view; the owning window keeps all views at the same zoom and scroll position."""

    clicked = Signal()
    zoomed = Signal(float)

    def __init__(self, rgb: np.ndarray | None) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        if rgb is not None:
            self.item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgb)))
            self.setSceneRect(QRectF(0, 0, rgb.shape[1], rgb.shape[0]))
        self._press: QPoint | None = None

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoomed.emit(1.25**steps)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if self._press is not None and (event.position().toPoint() - self._press).manhattanLength() < 4:
            self.clicked.emit()
        self._press = None


class CompareCell(QFrame):
    def __init__(self, entry: CompareEntry) -> None:
        super().__init__()
        self.entry = entry
        self.setFrameShape(QFrame.Shape.StyledPanel)
        res = entry.result
        self.title = QLabel(self.label_text)
        self.title.setStyleSheet("font-weight: bold;")
        self.view = SyncView(res.image if res is not None else None)
        self.view.setToolTip("Click to apply this result (undoable); wheel zooms and drag pans all cells")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        if res is None:
            err = QLabel(f"Failed: {entry.error}")
            err.setWordWrap(True)
            layout.addWidget(err)
        layout.addWidget(self.view, 1)

    @property
    def label_text(self) -> str:
        res = self.entry.result
        return (
            f"{self.entry.display_name} — {res.seconds:.2f} s"
            if res is not None
            else f"{self.entry.display_name} — failed"
        )


class CompareWindow(QDialog):
    """Non-modal window holding the comparison grid."""

    apply_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare engines — Inpaint Studio")
        self.setModal(False)
        self.resize(1100, 720)
        self.cells: list[CompareCell] = []
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.export_button = QPushButton(icon("fa5s.file-export"), "Export sheet…")
        self.export_button.setToolTip("Save the grid as one PNG with labels")
        self.export_button.clicked.connect(self._export_dialog)
        self.fit_button = QPushButton(icon("fa5s.expand"), "Fit")
        self.fit_button.setToolTip("Fit every cell to its view")
        self.fit_button.clicked.connect(self.fit_all)
        self.hint = QLabel("Click a result to apply it to the photo.")
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.grid_host, 1)
        layout.addLayout(bar)
        self._syncing = False

    def set_entries(self, entries: list[CompareEntry]) -> None:
        for cell in self.cells:
            cell.setParent(None)
            cell.deleteLater()
        self.cells = [CompareCell(e) for e in entries]
        cols = max(1, math.ceil(math.sqrt(len(self.cells))))
        for i, cell in enumerate(self.cells):
            self.grid.addWidget(cell, i // cols, i % cols)
            view = cell.view
            view.zoomed.connect(self._zoom_all)
            view.horizontalScrollBar().valueChanged.connect(lambda v, src=view: self._sync_scroll(src))
            view.verticalScrollBar().valueChanged.connect(lambda v, src=view: self._sync_scroll(src))
            if cell.entry.result is not None:
                view.clicked.connect(lambda name=cell.entry.name: self.apply_requested.emit(name))
        self.fit_all()

    def fit_all(self) -> None:
        for cell in self.cells:
            cell.view.fitInView(cell.view.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def _zoom_all(self, step: float) -> None:
        for cell in self.cells:
            cell.view.scale(step, step)
        src = self.sender()
        if isinstance(src, SyncView):
            self._sync_scroll(src)

    def _sync_scroll(self, src: SyncView) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            h, v = src.horizontalScrollBar().value(), src.verticalScrollBar().value()
            for cell in self.cells:
                if cell.view is not src:
                    cell.view.setTransform(src.transform())
                    cell.view.horizontalScrollBar().setValue(h)
                    cell.view.verticalScrollBar().setValue(v)
        finally:
            self._syncing = False

    # ----------------------------------------------------------------- export
    def sheet(self, cell_width: int = 480) -> np.ndarray:
        """The grid as one picture: uint8 H×W×3 RGB, each result scaled to ``cell_width`` with its label."""
        done = [c for c in self.cells if c.entry.result is not None]
        if not done:
            raise InpaintError("no results to export")
        h0, w0 = done[0].entry.result.image.shape[:2]
        cw = min(cell_width, w0)
        ch = round(h0 * cw / w0)
        label_h, pad = 28, 6
        cols = max(1, math.ceil(math.sqrt(len(done))))
        rows = math.ceil(len(done) / cols)
        sheet = QImage(cols * (cw + pad) + pad, rows * (ch + label_h + pad) + pad, QImage.Format.Format_RGB888)
        sheet.fill(QColor(255, 255, 255))
        painter = QPainter(sheet)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        font = QFont()
        font.setPixelSize(16)
        painter.setFont(font)
        for i, cell in enumerate(done):
            x = pad + (i % cols) * (cw + pad)
            y = pad + (i // cols) * (ch + label_h + pad)
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(QRectF(x, y, cw, label_h), Qt.AlignmentFlag.AlignVCenter, cell.label_text)
            painter.drawImage(QRectF(x, y + label_h, cw, ch), rgb_to_qimage(cell.entry.result.image))
        painter.end()
        w, h = sheet.width(), sheet.height()
        ptr = sheet.constBits()
        arr = np.frombuffer(ptr, np.uint8, count=sheet.bytesPerLine() * h).reshape(h, sheet.bytesPerLine())
        return arr[:, : w * 3].reshape(h, w, 3).copy()

    def export_sheet(self, path: str | Path) -> Path:
        return save_image(path, self.sheet())

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison sheet", "comparison.png", "PNG (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            self.export_sheet(path)
        except InpaintError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
