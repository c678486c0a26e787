"""Side-by-side comparison of engines on the same image and mask.

A grid with one cell per engine, labelled with its name and seconds. Every cell opens framed on
the edit — the holes' bounding box with context around it (:func:`engine.sheet.hole_frame`, the
framing ``inpaint compare --frame hole`` uses) — and *Fit photo* toggles the whole photo; zoom
(wheel, kept under the cursor) and pan (drag) are synchronised across cells; *Hole outline* draws the
hole's edge in every cell; a click (without dragging) applies that result. *Export sheet* writes the
grid as one PNG with :func:`engine.sheet.comparison_sheet`, framed as the grid shows it (the edit's
frame, the whole photo, or the part the user zoomed and panned to), and says where it went.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QGraphicsPathItem,
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
from engine.sheet import Box, comparison_sheet, crop, draw_outline, hole_contours, hole_frame

OUTLINE_RGB = (255, 230, 0)  # yellow: visible on sky, foliage and skin alike


class SyncView(QGraphicsView):
    """One cell's view; the owning window keeps all views at the same zoom and scroll position."""

    clicked = Signal()
    zoomed = Signal(float)
    resized = Signal()
    panned = Signal()  # the user dragged the view (programmatic scrolling does not count)

    def __init__(self, rgb: np.ndarray | None) -> None:
        super().__init__()
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(48, 48, 52))
        # The window keeps the point under the cursor in place itself (keep_at): no anchor of Qt's own.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.anchor: QPointF | None = None  # viewport position of the last wheel step
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # No scroll bars (drag pans): bars that come and go with the zoom would change the viewport's
        # size after a framing, and cells with and without them would not show the same part.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        if rgb is not None:
            self.item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgb)))
            h, w = rgb.shape[:2]
            # Room to pan past the photo's edges, so a zoom can keep any point under the cursor.
            self.setSceneRect(QRectF(-w, -h, 3 * w, 3 * h))
        pen = QPen(QColor(*OUTLINE_RGB), 2)
        pen.setCosmetic(True)  # 2 screen pixels at every zoom
        self.outline = QGraphicsPathItem()
        self.outline.setPen(pen)
        self.outline.setVisible(False)
        self.scene().addItem(self.outline)
        self._press: QPoint | None = None

    def set_outline(self, contours: list[np.ndarray]) -> None:
        """Hole outlines: int32 N×2 (x, y) arrays in image pixels (:func:`engine.sheet.hole_contours`)."""
        path = QPainterPath()
        for c in contours:
            path.moveTo(QPointF(*c[0]))
            for x, y in c[1:]:
                path.lineTo(QPointF(x, y))
            path.closeSubpath()
        self.outline.setPath(path)

    def visible_rect(self) -> QRectF:
        """The part of the scene (image pixels) the viewport shows now."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def keep_at(self, scene: QPointF, view: QPointF) -> None:
        """Scroll so the scene (image) point ``scene`` is at viewport position ``view``."""
        delta = self.mapFromScene(scene) - view.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.resized.emit()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.anchor = event.position()
            self.zoomed.emit(1.25**steps)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        super().mouseMoveEvent(event)
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.panned.emit()

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
    exported = Signal(str)  # path of a sheet just written by Export sheet

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
        self.fit_button = QPushButton(icon("fa5s.expand"), "Fit photo")
        self.fit_button.setCheckable(True)
        self.fit_button.setToolTip("Show the whole photo in every cell (off: frame the edit)")
        self.fit_button.toggled.connect(lambda _on: self.fit_all())
        self.outline_button = QPushButton(icon("fa5s.draw-polygon"), "Hole outline")
        self.outline_button.setCheckable(True)
        self.outline_button.setToolTip("Outline the filled hole in every cell (and in the exported sheet)")
        self.outline_button.toggled.connect(self.set_outline_visible)
        self.hint = QLabel("Click a result to apply it to the photo.")
        bar = QHBoxLayout()
        bar.addWidget(self.hint, 1)
        bar.addWidget(self.outline_button)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.grid_host, 1)
        layout.addLayout(bar)
        self._syncing = False
        self.edit_box: Box | None = None  # the holes' box with context (x0, y0, x1, y1)
        self.photo_size: tuple[int, int] = (0, 0)  # (width, height)
        # Until the user zooms or pans, cells are re-framed whenever they change size (the grid
        # lays them out after it is shown, so a framing done before would be for the wrong size).
        self._auto_frame = True

    def set_entries(self, entries: list[CompareEntry]) -> None:
        for cell in self.cells:
            cell.setParent(None)
            cell.deleteLater()
        self.cells = [CompareCell(e) for e in entries]
        done = [e.result for e in entries if e.result is not None]
        contours: list[np.ndarray] = []
        if done:
            mask = done[0].mask  # every engine filled the same mask
            self.photo_size = (mask.shape[1], mask.shape[0])
            self.edit_box = hole_frame(mask)
            contours = hole_contours(mask)
        cols = max(1, math.ceil(math.sqrt(len(self.cells))))
        for i, cell in enumerate(self.cells):
            self.grid.addWidget(cell, i // cols, i % cols)
            view = cell.view
            view.set_outline(contours)
            view.outline.setVisible(self.outline_button.isChecked())
            view.zoomed.connect(self._zoom_all)
            view.panned.connect(self._stop_auto_frame)
            view.resized.connect(lambda src=view: self._auto_frame and self._frame(src))
            view.horizontalScrollBar().valueChanged.connect(lambda v, src=view: self._sync_scroll(src))
            view.verticalScrollBar().valueChanged.connect(lambda v, src=view: self._sync_scroll(src))
            if cell.entry.result is not None:
                view.clicked.connect(lambda name=cell.entry.name: self.apply_requested.emit(name))
        self.fit_all()

    @property
    def frame_box(self) -> Box:
        """What every cell (and the exported sheet) shows: the edit's box, or with *Fit photo* all of it."""
        w, h = self.photo_size
        if self.fit_button.isChecked() or self.edit_box is None:
            return (0, 0, w, h)
        return self.edit_box

    def fit_all(self) -> None:
        """Frame every cell on :attr:`frame_box` (and follow later cell resizes until the user zooms/pans)."""
        self._auto_frame = True
        for cell in self.cells:
            self._frame(cell.view)

    def _frame(self, view: SyncView) -> None:
        x0, y0, x1, y1 = self.frame_box
        if x1 <= x0 or y1 <= y0:
            return
        self._syncing = True  # a framing's own scrolling is not the user panning
        try:
            view.fitInView(QRectF(x0, y0, x1 - x0, y1 - y0), Qt.AspectRatioMode.KeepAspectRatio)
        finally:
            self._syncing = False

    def set_outline_visible(self, on: bool) -> None:
        for cell in self.cells:
            cell.view.outline.setVisible(on)

    def _zoom_all(self, step: float) -> None:
        """Zoom every cell by ``step``, keeping the point under the cursor (of the cell wheeled) in place."""
        self._auto_frame = False
        src = self.sender()
        if not isinstance(src, SyncView):
            if not self.cells:
                return
            src = self.cells[0].view
        view_pos = src.anchor if src.anchor is not None else QPointF(src.viewport().rect().center())
        src.anchor = None
        scene_pos = src.mapToScene(view_pos.toPoint())
        src.scale(step, step)
        src.keep_at(scene_pos, view_pos)
        self._sync_scroll(src)

    def _stop_auto_frame(self) -> None:
        self._auto_frame = False

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
        """The grid as one picture (uint8 H×W×3 RGB, :func:`engine.sheet.comparison_sheet`): each result
        cropped to :attr:`frame_box` — as the cells show it — with the outline if it is on, and its label."""
        done = [c for c in self.cells if c.entry.result is not None]
        if not done:
            raise InpaintError("no results to export")
        box = self.shown_box
        tiles = []
        for cell in done:
            res = cell.entry.result
            image = draw_outline(res.image, res.mask, OUTLINE_RGB) if self.outline_button.isChecked() else res.image
            tiles.append((cell.label_text, np.ascontiguousarray(crop(image, box))))
        # Tiles as wide as a cell: a small edit box is scaled up, as the cells zoom in on it.
        return comparison_sheet(tiles, tile_width=cell_width, columns=max(1, math.ceil(math.sqrt(len(done)))))

    @property
    def shown_box(self) -> Box:
        """What the cells show now: :attr:`frame_box` until the user zooms or pans, then the part of
        the photo in view (image pixels, clipped to the photo)."""
        w, h = self.photo_size
        if self._auto_frame or not self.cells or w <= 0 or h <= 0:
            return self.frame_box
        r = self.cells[0].view.visible_rect().intersected(QRectF(0, 0, w, h))
        if r.width() < 1 or r.height() < 1:
            return self.frame_box
        return (
            max(0, math.floor(r.left())),
            max(0, math.floor(r.top())),
            min(w, math.ceil(r.right())),
            min(h, math.ceil(r.bottom())),
        )

    def export_sheet(self, path: str | Path) -> Path:
        return save_image(path, self.sheet())

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison sheet", "comparison.png", "PNG (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        try:
            written = self.export_sheet(path)
        except InpaintError as exc:
            QMessageBox.warning(self, "Export failed", str(exc))
            return
        self.hint.setText(f"Exported the sheet to {written}")
        self.exported.emit(str(written))
        QMessageBox.information(self, "Sheet exported", f"Saved the comparison sheet as shown to\n{written}")
