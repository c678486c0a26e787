"""DFNet alpha view: the fusion blocks' alpha composition maps of the last run, in false colour.

``Result.extras["alpha_maps"]`` is a list of float32 h×w×3 arrays in [0, 1], coarsest block first
(DFNet §3.2: each fusion block blends its raw completion with the known image through alpha).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

# Viridis anchor colours (0, .25, .5, .75, 1): perceptually ordered, colour-blind safe.
_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float32)


def false_colour(values: np.ndarray) -> np.ndarray:
    """float H×W in [0, 1] -> uint8 H×W×3 RGB through a viridis-like ramp."""
    v = np.clip(np.nan_to_num(values.astype(np.float32)), 0.0, 1.0) * (len(_ANCHORS) - 1)
    lo = np.floor(v).astype(np.int32).clip(0, len(_ANCHORS) - 2)
    t = (v - lo)[..., None]
    rgb = _ANCHORS[lo] * (1 - t) + _ANCHORS[lo + 1] * t
    return (rgb + 0.5).astype(np.uint8)


def _pixmap(rgb: np.ndarray) -> QPixmap:
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class AlphaView(QWidget):
    """Content of the "Alpha maps" dock."""

    MODES = ("False colour (mean of channels)", "Channels as RGB")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps: list[np.ndarray] = []
        self.engine = ""
        self.block = QComboBox()
        self.block.setToolTip("Fusion block (1 = coarsest)")
        self.mode = QComboBox()
        self.mode.addItems(self.MODES)
        self.image = QLabel("Run an engine with alpha maps (DFNet) to see how each fusion block blends.")
        self.image.setWordWrap(True)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(160, 160)
        self.image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.legend = QLabel()
        self.legend.setPixmap(_pixmap(np.repeat(false_colour(np.linspace(0, 1, 200)[None, :]), 10, axis=0)))
        self.legend.setScaledContents(True)
        self.legend.setMaximumHeight(10)
        self.info = QLabel()
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Block"))
        row.addWidget(self.block, 1)
        legend_row = QHBoxLayout()
        legend_row.addWidget(QLabel("0 known"))
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(QLabel("1 filled"))
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.mode)
        layout.addWidget(self.image, 1)
        layout.addLayout(legend_row)
        layout.addWidget(self.info)
        self.block.currentIndexChanged.connect(self._show)
        self.mode.currentIndexChanged.connect(self._show)

    def set_maps(self, maps: list[np.ndarray], engine: str, box: tuple[int, int, int, int] | None = None) -> None:
        """New maps (float32 h×w×3 in [0, 1], coarsest first) from the last run of ``engine``."""
        self.maps = [np.asarray(m, dtype=np.float32) for m in maps]
        self.engine = engine
        self.block.blockSignals(True)
        self.block.clear()
        for i, m in enumerate(self.maps):
            self.block.addItem(f"{i + 1} — {m.shape[1]}×{m.shape[0]}")
        self.block.setCurrentIndex(len(self.maps) - 1)  # finest block: most detail
        self.block.blockSignals(False)
        where = f" for region {box}" if box else ""
        self.info.setText(f"{len(self.maps)} blocks from {engine}{where}.")
        self._show()

    def current_rgb(self) -> np.ndarray | None:
        """The picture shown now: uint8 h×w×3 RGB, or None."""
        i = self.block.currentIndex()
        if not 0 <= i < len(self.maps):
            return None
        m = self.maps[i]
        if m.ndim == 2:
            m = m[..., None]
        if self.mode.currentIndex() == 0 or m.shape[2] != 3:
            return false_colour(m.mean(axis=2))
        return (np.clip(m, 0, 1) * 255 + 0.5).astype(np.uint8)

    def _show(self, *_: object) -> None:
        rgb = self.current_rgb()
        if rgb is None:
            return
        pm = _pixmap(rgb)
        size = self.image.size()
        self.image.setPixmap(
            pm.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._show()
