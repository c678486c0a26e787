"""The editing view: photo, mask overlay, proposed-mask overlay, pending result, brush cursor.

Scene coordinates are image pixels. Strokes are painted straight into ``Document.mask`` at image
resolution (:mod:`app.brush`) and only the changed box of the overlay is repainted, so painting
stays smooth on 24 MP photos. The overlay draws the mask through an 8-bit colour table: no RGBA
copy of the whole mask is ever made.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from app import brush
from app.canvas_items import MaskItem, ResultItem, color_table, cosmetic_pen, rgb_to_display_image, rgb_to_qimage
from app.document import Document

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "Canvas", "color_table", "rgb_to_display_image", "rgb_to_qimage"]

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0


class Canvas(QGraphicsView):
    """QGraphicsView editing one :class:`Document`'s mask with a brush/eraser."""

    zoom_changed = Signal(float)
    brush_size_changed = Signal(int)
    file_dropped = Signal(str)
    stroke_started = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setScene(QGraphicsScene(self))
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)

        self.image_item = QGraphicsPixmapItem()
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.result_item = ResultItem()
        self.result_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.result_item.setVisible(False)
        self.split_line = QGraphicsLineItem()
        self.split_line.setPen(cosmetic_pen(QColor(255, 255, 255), 2))
        self.split_line.setVisible(False)
        self.mask_item = MaskItem(QColor(255, 40, 40), 0.5)
        self.proposal_item = MaskItem(QColor(40, 200, 255), 0.6)
        self.cursor_outer = QGraphicsEllipseItem()
        self.cursor_outer.setPen(cosmetic_pen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
        self.cursor_item = QGraphicsEllipseItem()
        self.cursor_item.setPen(cosmetic_pen(QColor(0, 0, 0), 1))
        self.cursor_inner = QGraphicsEllipseItem()
        self.cursor_inner.setPen(cosmetic_pen(QColor(255, 255, 255), 1))
        items = (self.image_item, self.result_item, self.split_line, self.mask_item, self.proposal_item)
        for z, item in enumerate((*items, self.cursor_outer, self.cursor_item, self.cursor_inner)):
            item.setZValue(z)
            self.scene().addItem(item)
        for item in (self.cursor_outer, self.cursor_item, self.cursor_inner):
            item.setVisible(False)

        self.tool = "brush"  # or "eraser"
        self.brush_size = 40  # diameter, image pixels
        self.hardness = 1.0
        self.object_mode = False  # grow strokes by grow_px so edges and halos go too
        self.grow_px = 6
        self.show_mask = True
        self.show_original = False  # held compare key

        self._stroke_last: tuple[float, float] | None = None
        self._stroke_rect: brush.Rect | None = None
        self._stroke_before: np.ndarray | None = None
        self._pan_anchor: QPointF | None = None
        self._space = False

        doc.image_replaced.connect(self._on_image_replaced)
        doc.image_changed.connect(self._on_image_changed)
        doc.mask_changed.connect(self._on_mask_changed)

    # -------------------------------------------------------------- document
    def _on_image_replaced(self) -> None:
        self.clear_result()
        self.image_item.setPixmap(QPixmap.fromImage(rgb_to_display_image(self.doc.image)))
        self.mask_item.set_array(self.doc.mask)
        self.proposal_item.set_array(None)
        self.scene().setSceneRect(QRectF(0, 0, *self.doc.size))
        self.fit()

    def _on_image_changed(self) -> None:
        self.image_item.setPixmap(QPixmap.fromImage(rgb_to_display_image(self.doc.image)))
        self.mask_item.set_array(self.doc.mask)

    def _on_mask_changed(self, rect: QRect) -> None:
        self.mask_item.update(QRectF(rect))

    # ------------------------------------------------------------ appearance
    def set_overlay_style(self, color: QColor, opacity: float) -> None:
        self.mask_item.set_style(color, opacity)

    def set_proposal(self, array: np.ndarray | None) -> None:
        """Show a proposed mask (uint8 H×W, 255 = hole) in the proposal colour, or hide it (None)."""
        self.proposal_item.set_array(array)

    def set_mask_visible(self, visible: bool) -> None:
        self.show_mask = visible
        self.mask_item.setVisible(visible)

    def set_result(self, rgb: np.ndarray | None, display: QImage | None = None) -> None:
        """Show a pending result over the photo (uint8 H×W×3 RGB) or remove it (None).

        ``display``: the same image already converted by :func:`rgb_to_display_image` (the worker
        does this off the GUI thread); without it the conversion happens here.
        """
        if rgb is None:
            self.clear_result()
            return
        if display is None or display.size() != QSize(rgb.shape[1], rgb.shape[0]):
            display = rgb_to_display_image(rgb)
        self.result_item.setPixmap(QPixmap.fromImage(display))
        self._update_result_visibility()
        self.set_split(self.result_item.split)

    def clear_result(self) -> None:
        self.result_item.setPixmap(QPixmap())
        self.result_item.setVisible(False)
        self.split_line.setVisible(False)

    @property
    def has_result(self) -> bool:
        return not self.result_item.pixmap().isNull()

    def set_split(self, fraction: float) -> None:
        """Compare slider: the result covers the left ``fraction`` of the photo."""
        self.result_item.split = float(np.clip(fraction, 0.0, 1.0))
        w, h = self.doc.size
        x = w * self.result_item.split
        self.split_line.setLine(x, 0, x, h)
        self.split_line.setVisible(self.has_result and 0.0 < self.result_item.split < 1.0 and not self.show_original)
        self.result_item.update()

    def set_show_original(self, on: bool) -> None:
        """While the compare key is held the original is shown instead of the result."""
        self.show_original = on
        self._update_result_visibility()

    def _update_result_visibility(self) -> None:
        visible = self.has_result and not self.show_original
        self.result_item.setVisible(visible)
        self.split_line.setVisible(visible and 0.0 < self.result_item.split < 1.0)

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = float(np.clip(factor, MIN_ZOOM, MAX_ZOOM))
        self.setTransform(self.transform().fromScale(factor, factor))
        self._after_zoom()

    def zoom_by(self, step: float) -> None:
        self.set_zoom(self.zoom * step)

    def fit(self) -> None:
        w, h = self.doc.size
        if w > 1 and h > 1:
            self.fitInView(QRectF(0, 0, w, h), Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom > 1.0:  # small images: show at 100 %, never blown up by "fit"
                self.set_zoom(1.0)
        self._after_zoom()

    def actual_size(self) -> None:
        center = self.mapToScene(self.viewport().rect().center())
        self.set_zoom(1.0)
        self.centerOn(center)

    def _after_zoom(self) -> None:
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom < 1.0)
        self._update_cursor_item()
        self.zoom_changed.emit(self.zoom)

    # ----------------------------------------------------------------- brush
    def set_brush_size(self, size: int) -> None:
        size = int(np.clip(size, 1, 2000))
        if size != self.brush_size:
            self.brush_size = size
            self.brush_size_changed.emit(size)
        self._update_cursor_item()

    @property
    def paint_radius(self) -> float:
        return self.brush_size / 2 + (self.grow_px if self.object_mode and self.tool == "brush" else 0)

    def _update_cursor_item(self, pos: QPointF | None = None) -> None:
        if pos is None:
            pos = self.cursor_item.rect().center()
        r = self.brush_size / 2
        rect = QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r)
        self.cursor_item.setRect(rect)
        self.cursor_inner.setRect(rect.adjusted(1 / max(self.zoom, 1e-3), 1 / max(self.zoom, 1e-3), 0, 0))
        g = self.paint_radius
        self.cursor_outer.setRect(QRectF(pos.x() - g, pos.y() - g, 2 * g, 2 * g))
        self.cursor_outer.setVisible(self.cursor_item.isVisible() and g > r)

    def _scene_xy(self, pos: QPointF) -> tuple[float, float]:
        p = self.mapToScene(pos.toPoint())
        return p.x(), p.y()

    def _begin_stroke(self, xy: tuple[float, float]) -> None:
        self.stroke_started.emit()
        if not self.show_mask:
            self.set_mask_visible(True)
        self._stroke_before = self.doc.mask.copy()
        self._stroke_rect = None
        self._stroke_last = xy
        self._stroke_to(xy)

    def _stroke_to(self, xy: tuple[float, float]) -> None:
        assert self._stroke_last is not None
        rect = brush.stroke_segment(
            self.doc.mask, self._stroke_last, xy, self.paint_radius, self.hardness, erase=self.tool == "eraser"
        )
        self._stroke_last = xy
        if rect is not None:
            self._stroke_rect = brush.union(self._stroke_rect, rect)
            x0, y0, x1, y1 = rect
            self.doc.mask_changed.emit(QRect(x0, y0, x1 - x0, y1 - y0))

    def _end_stroke(self) -> None:
        if self._stroke_rect is not None and self._stroke_before is not None:
            x0, y0, x1, y1 = self._stroke_rect
            name = "Erase" if self.tool == "eraser" else ("Object stroke" if self.object_mode else "Brush stroke")
            self.doc.push_mask_patch(self._stroke_rect, self._stroke_before[y0:y1, x0:x1], name)
        self._stroke_last = self._stroke_rect = self._stroke_before = None

    @property
    def painting(self) -> bool:
        return self._stroke_last is not None

    # ---------------------------------------------------------------- events
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._pan_anchor = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button == Qt.MouseButton.LeftButton and self.doc.loaded:
            self._begin_stroke(self._scene_xy(event.position()))
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self._pan_anchor is not None:
            delta = pos - self._pan_anchor
            self._pan_anchor = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            return
        xy = self._scene_xy(pos)
        for item in (self.cursor_item, self.cursor_inner):
            item.setVisible(self.doc.loaded)
        self._update_cursor_item(QPointF(*xy))
        if self.painting and event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke_to(xy)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._pan_anchor is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_anchor = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.CrossCursor)
            return
        if self.painting and event.button() == Qt.MouseButton.LeftButton:
            self._stroke_to(self._scene_xy(event.position()))
            self._end_stroke()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        for item in (self.cursor_outer, self.cursor_item, self.cursor_inner):
            item.setVisible(False)
        super().leaveEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.set_brush_size(round(self.brush_size * (1.15**steps)) + (1 if steps > 0 else -1))
        else:
            self.zoom_by(1.25**steps)
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_anchor = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            return
        super().keyReleaseEvent(event)

    def enterEvent(self, event) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.file_dropped.emit(url.toLocalFile())
                event.acceptProposedAction()
                return
