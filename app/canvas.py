"""The editing view: photo, mask overlay, proposed-mask overlay, pending result, brush cursor.

Tools: "brush" and "eraser" paint the hole; "exclude" paints the exclude-from-sampling layer
(Alt+drag erases it); "select" drags a box and emits :attr:`Canvas.box_drawn` (object selection);
"scratch" paints a band along a scratch on a layer of its own and emits :attr:`Canvas.hint_drawn`
when the stroke ends (the Restore panel's scratch brush, app/restore_controller.py).
Holding the compare key shows the photo as opened (``Document.original``) over everything.
What is shown is colour-managed from the photo's ICC profile (:mod:`app.colour`); "100 %" is one
image pixel per device pixel on high-DPI screens.

Scene coordinates are image pixels. Strokes are painted straight into ``Document.mask`` at image
resolution (:mod:`app.brush`) and only the changed box of the overlay is repainted, so painting
stays smooth on 24 MP photos. The overlay draws the mask through an 8-bit colour table: no RGBA
copy of the whole mask is ever made.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QColorSpace, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from app import brush, colour
from app.canvas_items import MaskItem, ResultItem, color_table, cosmetic_pen, rgb_to_display_image, rgb_to_qimage
from app.document import EXCLUDE, MASK, Document

HINT = "hint"  # the scratch brush's band: the canvas's own layer, never the document's

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "Canvas", "color_table", "rgb_to_display_image", "rgb_to_qimage"]

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0


class Canvas(QGraphicsView):
    """QGraphicsView editing one :class:`Document`'s mask with a brush/eraser."""

    zoom_changed = Signal(float)
    brush_size_changed = Signal(int)
    file_dropped = Signal(str)
    stroke_started = Signal()
    box_drawn = Signal(tuple)  # "select" tool: (x0, y0, x1, y1) image pixels of the dragged box
    hint_drawn = Signal(object)  # "scratch" tool: uint8 H×W band painted by one stroke (255 = band)

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
        self.original_item = QGraphicsPixmapItem()  # the photo as opened, while the compare key is held
        self.original_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.original_item.setVisible(False)
        self.mask_item = MaskItem(QColor(255, 40, 40), 0.5)
        self.exclude_item = MaskItem(QColor(40, 220, 90), 0.45)
        self.proposal_item = MaskItem(QColor(40, 200, 255), 0.6, inside=True)  # proposal part of the mask
        self.hint_item = MaskItem(QColor(255, 200, 40), 0.35)  # the scratch brush's band while it is painted
        self.hint = np.zeros((1, 1), np.uint8)  # that band: uint8 H×W, 255 = painted (a layer of its own)
        self.band_item = QGraphicsRectItem()  # the box being dragged with the select tool
        self.band_item.setPen(cosmetic_pen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine))
        self.band_item.setVisible(False)
        self.cursor_outer = QGraphicsEllipseItem()
        self.cursor_outer.setPen(cosmetic_pen(QColor(255, 255, 255), 1, Qt.PenStyle.DashLine))
        self.cursor_item = QGraphicsEllipseItem()
        self.cursor_item.setPen(cosmetic_pen(QColor(0, 0, 0), 1))
        self.cursor_inner = QGraphicsEllipseItem()
        self.cursor_inner.setPen(cosmetic_pen(QColor(255, 255, 255), 1))
        items = (self.image_item, self.result_item, self.split_line, self.mask_item, self.exclude_item)
        items = (*items, self.proposal_item, self.hint_item, self.original_item, self.band_item)
        for z, item in enumerate((*items, self.cursor_outer, self.cursor_item, self.cursor_inner)):
            item.setZValue(z)
            self.scene().addItem(item)
        for item in (self.cursor_outer, self.cursor_item, self.cursor_inner):
            item.setVisible(False)

        self.tool = "brush"  # or "eraser", "exclude" (exclude-from-sampling layer), "select" (drag a box),
        # "scratch" (a band along a scratch, app/restore_controller.py)
        self.brush_size = 40  # diameter, image pixels
        self.hardness = 1.0
        self.object_mode = False  # grow strokes by grow_px so edges and halos go too
        self.grow_px = 6
        self.show_mask = True
        self.show_original = False  # held compare key

        self._stroke_last: tuple[float, float] | None = None
        self._stroke_rect: brush.Rect | None = None
        self._stroke_before: np.ndarray | None = None
        self._stroke_layer = MASK
        self._stroke_erase = False
        self._band_start: QPointF | None = None
        self._space_colour: QColorSpace | None = None  # the photo's colour space when it needs converting
        self._pan_anchor: QPointF | None = None
        self._space = False

        doc.image_replaced.connect(self._on_image_replaced)
        doc.image_changed.connect(self._on_image_changed)
        doc.mask_changed.connect(self._on_mask_changed)
        doc.exclude_changed.connect(lambda rect: self.exclude_item.update(QRectF(rect)))

    # -------------------------------------------------------------- document
    def _on_image_replaced(self) -> None:
        self.clear_result()
        self._space_colour = colour.photo_space(self.doc.source.icc)
        self.image_item.setPixmap(self._pixmap(self.doc.image))
        self.original_item.setPixmap(QPixmap())  # made when first shown
        self.mask_item.set_array(self.doc.mask)
        self.exclude_item.set_array(self.doc.exclude)
        self.proposal_item.set_array(self.doc.mask)
        self.set_proposal(None)
        self.scene().setSceneRect(QRectF(0, 0, *self.doc.size))
        self.fit()

    def _on_image_changed(self) -> None:
        self.image_item.setPixmap(self._pixmap(self.doc.image))
        self.mask_item.set_array(self.doc.mask)
        self.proposal_item.set_array(self.doc.mask)

    def _on_mask_changed(self, rect: QRect) -> None:
        self.mask_item.update(QRectF(rect))
        self.proposal_item.update(QRectF(rect))

    def _pixmap(self, rgb: np.ndarray, display: QImage | None = None) -> QPixmap:
        """A screen pixmap of uint8 H×W×3 RGB in the photo's colour space (``display``: the same
        pixels already converted by :func:`rgb_to_display_image`)."""
        if display is None or display.size() != QSize(rgb.shape[1], rgb.shape[0]):
            display = rgb_to_display_image(rgb)
        return QPixmap.fromImage(colour.to_display(display, self._space_colour))

    # ------------------------------------------------------------ appearance
    def set_overlay_style(self, color: QColor, opacity: float) -> None:
        self.mask_item.set_style(color, opacity)

    def set_proposal(self, array: np.ndarray | None) -> None:
        """Show the mask's pixels inside a proposal (H×W, nonzero = proposed) in the proposal colour
        and the rest of the mask in the mask colour; None: all of the mask in the mask colour."""
        region = None if array is None else np.asarray(array) > 0
        self.mask_item.set_region(region)
        self.proposal_item.set_region(region)

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
        self.result_item.setPixmap(self._pixmap(rgb, display))
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
        """While the compare key is held the photo as opened (``Document.original``) is shown over
        the current state — the pending result and every applied edit — and the overlays."""
        self.show_original = on and self.doc.loaded
        if self.show_original and self.original_item.pixmap().isNull():
            self.original_item.setPixmap(self._pixmap(self.doc.original))
        self.original_item.setVisible(self.show_original)
        for item in (self.mask_item, self.exclude_item, self.proposal_item):
            item.setOpacity(0.0 if self.show_original else 1.0)
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

    @property
    def pixel_zoom(self) -> float:
        """Device pixels per image pixel (the zoom the user reads: 1.0 = 100 % = actual pixels)."""
        return self.zoom * self.devicePixelRatioF()

    def fit(self) -> None:
        w, h = self.doc.size
        actual = 1.0 / self.devicePixelRatioF()
        if w > 1 and h > 1:
            self.fitInView(QRectF(0, 0, w, h), Qt.AspectRatioMode.KeepAspectRatio)
            if self.zoom > actual:  # small images: show at 100 %, never blown up by "fit"
                self.set_zoom(actual)
        self._after_zoom()

    def actual_size(self) -> None:
        """One image pixel per device pixel (on a 200 % screen: half a logical pixel)."""
        center = self.mapToScene(self.viewport().rect().center())
        self.set_zoom(1.0 / self.devicePixelRatioF())
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

    def _layer(self) -> np.ndarray:
        """The array the current stroke paints: the scratch band or a document layer."""
        return self.hint if self._stroke_layer == HINT else self.doc.layer(self._stroke_layer)

    def _begin_stroke(self, xy: tuple[float, float], erase: bool = False) -> None:
        self._stroke_layer = {"exclude": EXCLUDE, "scratch": HINT}.get(self.tool, MASK)
        self._stroke_erase = self.tool == "eraser" or (self._stroke_layer == EXCLUDE and erase)
        if self._stroke_layer == HINT:
            if self.hint.shape != self.doc.mask.shape:
                self.hint = np.zeros_like(self.doc.mask)
                self.hint_item.set_array(self.hint)
            self.hint_item.setVisible(True)
        if self._stroke_layer != EXCLUDE:  # the scratch brush's damage goes into the mask too
            self.stroke_started.emit()
            if not self.show_mask:
                self.set_mask_visible(True)
        else:
            self.exclude_item.setVisible(True)
        self._stroke_before = None if self._stroke_layer == HINT else self._layer().copy()
        self._stroke_rect = None
        self._stroke_last = xy
        self._stroke_to(xy)

    def _stroke_to(self, xy: tuple[float, float]) -> None:
        assert self._stroke_last is not None
        rect = brush.stroke_segment(
            self._layer(),
            self._stroke_last,
            xy,
            self.paint_radius,
            self.hardness,
            erase=self._stroke_erase,
        )
        self._stroke_last = xy
        if rect is not None:
            self._stroke_rect = brush.union(self._stroke_rect, rect)
            x0, y0, x1, y1 = rect
            if self._stroke_layer == HINT:
                self.hint_item.update(QRectF(x0, y0, x1 - x0, y1 - y0))
            else:
                self.doc.layer_changed(self._stroke_layer).emit(QRect(x0, y0, x1 - x0, y1 - y0))

    def _end_stroke(self) -> None:
        if self._stroke_layer == HINT:
            band, self.hint = self.hint, np.zeros_like(self.hint)  # the next stroke starts empty
            self.hint_item.set_array(self.hint)
            self._stroke_last = self._stroke_rect = None
            if band.any():
                self.hint_drawn.emit(band)
            return
        if self._stroke_rect is not None and self._stroke_before is not None:
            x0, y0, x1, y1 = self._stroke_rect
            if self._stroke_layer == EXCLUDE:
                name = "Un-exclude stroke" if self._stroke_erase else "Exclude-from-sampling stroke"
            elif self.tool == "eraser":
                name = "Erase"
            else:
                name = "Object stroke" if self.object_mode else "Brush stroke"
            self.doc.push_mask_patch(self._stroke_rect, self._stroke_before[y0:y1, x0:x1], name, self._stroke_layer)
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
        if button == Qt.MouseButton.LeftButton and self.doc.loaded and self.tool == "select":
            self._band_start = QPointF(*self._scene_xy(event.position()))
            self.band_item.setRect(QRectF(self._band_start, self._band_start))
            self.band_item.setVisible(True)
            return
        if button == Qt.MouseButton.LeftButton and self.doc.loaded:
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            self._begin_stroke(self._scene_xy(event.position()), erase=alt)
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
        if self._band_start is not None:
            self.band_item.setRect(QRectF(self._band_start, QPointF(*xy)).normalized())
            return
        for item in (self.cursor_item, self.cursor_inner):
            item.setVisible(self.doc.loaded and self.tool != "select")
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
        if self._band_start is not None and event.button() == Qt.MouseButton.LeftButton:
            r = QRectF(self._band_start, QPointF(*self._scene_xy(event.position()))).normalized()
            self._band_start = None
            self.band_item.setVisible(False)
            self.box_drawn.emit((round(r.left()), round(r.top()), round(r.right()), round(r.bottom())))
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
