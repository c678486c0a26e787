"""Scene items of the editing view and the numpy → Qt image conversions they use.

Images are uint8 H×W×3 RGB numpy arrays; masks uint8 H×W, > 0 = painted. The mask overlay draws
through an 8-bit colour table, so no RGBA copy of a 24 MP mask is ever made.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QStyleOptionGraphicsItem, QWidget


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """uint8 H×W×3 RGB -> an owning QImage (copied, so the array may change afterwards)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def rgb_to_display_image(rgb: np.ndarray) -> QImage:
    """uint8 H×W×3 RGB -> an owning QImage in Format_RGB32, the raster paint engine's native format.

    ``QPixmap.fromImage`` of such an image shares its data (measured ~0 ms for 24 MP, against
    ~120 ms for an RGB888 image), so building it in the worker thread — QImage, unlike QPixmap, may
    be made off the GUI thread — takes the whole conversion off the event loop.
    """
    h, w = rgb.shape[:2]
    image = QImage(w, h, QImage.Format.Format_RGB32)
    # Convert straight into the QImage's own pixels: OpenCV releases the GIL, while a QImage copy
    # in PySide holds it (~0.2 s for 24 MP, a stall for the GUI thread). RGB32 is 0xffRRGGBB in
    # a little-endian word, i.e. bytes B, G, R, 255 per pixel.
    view = np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)[:, :w]
    out = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGRA, dst=view)
    if out is not view:  # OpenCV allocated instead of writing in place: copy over
        view[...] = out
    return image


def color_table(color: QColor, opacity: float) -> list[int]:
    """256-entry ARGB table: mask value v -> ``color`` at alpha v/255 × opacity."""
    r, g, b = color.red(), color.green(), color.blue()
    return [(round(v * opacity) << 24) | (r << 16) | (g << 8) | b for v in range(256)]


class MaskItem(QGraphicsItem):
    """Draws a uint8 H×W array as a coloured, semi-transparent overlay; repaints exposed parts only.

    ``region`` (bool H×W or None) limits what is drawn: with ``inside`` True only the array's pixels
    inside the region (a proposal drawn in its own colour), with False only those outside it (the
    rest of the mask). No region: all of the array when ``inside`` is False, nothing when True."""

    def __init__(self, color: QColor, opacity: float, inside: bool = False) -> None:
        super().__init__()
        self.array: np.ndarray | None = None
        self.region: np.ndarray | None = None
        self.inside = inside
        self.table = color_table(color, opacity)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def set_region(self, region: np.ndarray | None) -> None:
        self.region = region
        self.update()

    def set_array(self, array: np.ndarray | None) -> None:
        self.prepareGeometryChange()
        self.array = array
        self.update()

    def set_style(self, color: QColor, opacity: float) -> None:
        self.table = color_table(color, opacity)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self.array is None:
            return QRectF()
        return QRectF(0, 0, self.array.shape[1], self.array.shape[0])

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.array is None:
            return
        h, w = self.array.shape
        r = option.exposedRect.toAlignedRect().intersected(QRect(0, 0, w, h))
        if r.isEmpty():
            return
        rows, cols = slice(r.top(), r.bottom() + 1), slice(r.left(), r.right() + 1)
        if self.region is None and self.inside:
            return
        sub = self.array[rows, cols]
        if self.region is not None and self.region.shape == self.array.shape:
            keep = self.region[rows, cols] if self.inside else ~self.region[rows, cols]
            sub = np.where(keep, sub, 0).astype(np.uint8)
        sub = np.ascontiguousarray(sub)
        if not sub.any():
            return
        img = QImage(sub.data, sub.shape[1], sub.shape[0], sub.shape[1], QImage.Format.Format_Indexed8)
        img.setColorTable(self.table)
        painter.drawImage(QPointF(r.left(), r.top()), img)


class ResultItem(QGraphicsPixmapItem):
    """The pending result, shown left of the split position (fraction of the width, 1 = all)."""

    def __init__(self) -> None:
        super().__init__()
        self.split = 1.0

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pm = self.pixmap()
        if pm.isNull():
            return
        w = round(pm.width() * self.split)
        if w > 0:
            painter.drawPixmap(QRectF(0, 0, w, pm.height()), pm, QRectF(0, 0, w, pm.height()))


def cosmetic_pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)  # same on-screen width at every zoom
    return pen
