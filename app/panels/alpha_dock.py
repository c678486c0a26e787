"""DFNet alpha view: the fusion blocks' alpha composition maps of the last run.

``Result.extras["alpha_maps"]`` is a list of float32 h×w×3 arrays in [0, 1], coarsest level first,
each covering the processed box (DFNet §3.2: each fusion block blends its raw completion with the
known image through alpha). Each level is shown auto-contrasted (its own min → 0, max → 1, the
range printed), or on the fixed 0–1 scale, or its channels as RGB; optionally over the photo's
processed box, with the hole's outline. A constant level is named in words, not shown as a flat
colour (engine.alphamaps).
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.alphamaps import LevelInfo, auto_contrast, level_info, level_values

# Viridis anchor colours (0, .25, .5, .75, 1): perceptually ordered, colour-blind safe.
_ANCHORS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float32)
OUTLINE = (255, 40, 40)  # hole outline: red, far from every viridis colour
RENDER_SIDE = 512  # long side (px) the picture is rendered at before the label scales it


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

    MODES = ("Auto-contrast per level", "Fixed scale 0–1", "Channels as RGB")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps: list[np.ndarray] = []
        self.levels: list[LevelInfo] = []
        self.engine = ""
        self.photo: np.ndarray | None = None  # uint8 h×w×3 RGB of the processed box
        self.hole: np.ndarray | None = None  # bool h×w of the processed box
        self.block = QComboBox()
        self.block.setToolTip("Fusion level (1 = coarsest), its resolution and its scale of the processed box")
        self.mode = QComboBox()
        self.mode.addItems(self.MODES)
        self.overlay = QCheckBox("Overlay on the photo")
        self.outline = QCheckBox("Hole outline")
        self.outline.setChecked(True)
        self.image = QLabel("Run an engine with alpha maps (DFNet) to see how each fusion block blends.")
        self.image.setWordWrap(True)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(160, 160)
        self.image.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.legend = QLabel()
        self.legend.setPixmap(_pixmap(np.repeat(false_colour(np.linspace(0, 1, 200)[None, :]), 10, axis=0)))
        self.legend.setScaledContents(True)
        self.legend.setMaximumHeight(10)
        self.legend_lo, self.legend_hi = QLabel("0 known"), QLabel("1 filled")
        self.level_name = QLabel()  # e.g. "level 6 of 6 (finest) · 256×256 · 1/1 of the box"
        self.range = QLabel()  # min/mean/max, or "constant … — this level does not blend"
        self.range.setWordWrap(True)
        self.info = QLabel()
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Level"))
        row.addWidget(self.block, 1)
        toggles = QHBoxLayout()
        toggles.addWidget(self.overlay)
        toggles.addWidget(self.outline)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend_lo)
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(self.legend_hi)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.mode)
        layout.addLayout(toggles)
        layout.addWidget(self.level_name)
        layout.addWidget(self.image, 1)
        layout.addLayout(legend_row)
        layout.addWidget(self.range)
        layout.addWidget(self.info)
        for signal in (self.block.currentIndexChanged, self.mode.currentIndexChanged):
            signal.connect(self._show)
        for box in (self.overlay, self.outline):
            box.toggled.connect(self._show)

    def set_maps(
        self,
        maps: list[np.ndarray],
        engine: str,
        box: tuple[int, int, int, int] | None = None,
        photo: np.ndarray | None = None,
        hole: np.ndarray | None = None,
    ) -> None:
        """New maps (float32 h×w×3 in [0, 1], coarsest first, over ``box`` = (x0, y0, x1, y1)) from
        the last run of ``engine``; ``photo`` (uint8 H×W×3 RGB) and ``hole`` (uint8 H×W, 255 = hole)
        are the whole image, cropped here to the box for the overlay and the outline."""
        self.maps = [np.asarray(m, dtype=np.float32) for m in maps]
        self.engine = engine
        x0, y0, x1, y1 = box if box else (0, 0, *(photo.shape[1::-1] if photo is not None else (0, 0)))
        self.photo = photo[y0:y1, x0:x1] if photo is not None and x1 > x0 else None
        self.hole = (hole[y0:y1, x0:x1] > 0) if hole is not None and x1 > x0 else None
        box_width = (x1 - x0) or None
        self.levels = [level_info(m, i + 1, box_width) for i, m in enumerate(self.maps)]
        self.block.blockSignals(True)
        self.block.clear()
        for lv in self.levels:
            self.block.addItem(f"{lv.index} — {lv.width}×{lv.height}" + (" (constant)" if lv.constant else ""))
        self.block.setCurrentIndex(len(self.maps) - 1)  # finest level: most detail
        self.block.blockSignals(False)
        where = f" for region {box}" if box else ""
        flat = sum(lv.constant for lv in self.levels)
        self.info.setText(
            f"{len(self.maps)} levels from {engine}{where}." + (f" {flat} of them constant." if flat else "")
            if self.maps
            else ""  # a new photo: nothing stale ("0 levels from .")
        )
        if not self.maps:
            self.image.clear()
            self.image.setText("Run an engine with alpha maps (DFNet) to see how each fusion block blends.")
            self.level_name.clear()
            self.range.clear()
            return
        self._show()

    def current_level(self) -> LevelInfo | None:
        i = self.block.currentIndex()
        return self.levels[i] if 0 <= i < len(self.levels) else None

    def _render_size(self, shape: tuple[int, int]) -> tuple[int, int]:
        """(w, h) the picture is rendered at: the box's aspect, long side RENDER_SIDE at most."""
        h, w = self.photo.shape[:2] if self.photo is not None else shape
        f = RENDER_SIDE / max(h, w)
        if self.photo is not None:
            f = min(1.0, f)
        return max(1, round(w * f)), max(1, round(h * f))

    def current_rgb(self) -> np.ndarray | None:
        """The picture shown now: uint8 h×w×3 RGB at the render size, or None (no maps, or a
        constant level, which is named in words instead)."""
        lv = self.current_level()
        if lv is None or lv.constant:
            return None
        m = self.maps[lv.index - 1]
        mode = self.mode.currentIndex()
        if mode == 2 and m.ndim == 3 and m.shape[2] == 3:
            rgb = (np.clip(m, 0, 1) * 255 + 0.5).astype(np.uint8)
        else:
            v = level_values(m)
            rgb = false_colour(auto_contrast(v) if mode == 0 else v)
        size = self._render_size(rgb.shape[:2])
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_NEAREST)  # nearest: the level's true pixels
        if self.overlay.isChecked() and self.photo is not None:
            photo = cv2.resize(self.photo, size, interpolation=cv2.INTER_AREA)
            rgb = ((photo.astype(np.uint16) + rgb) // 2).astype(np.uint8)
        if self.outline.isChecked() and self.hole is not None and self.hole.any():
            hole = cv2.resize(self.hole.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
            contours, _ = cv2.findContours(hole, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            rgb = np.ascontiguousarray(rgb)
            cv2.drawContours(rgb, contours, -1, OUTLINE, 1)
        return rgb

    def _show(self, *_: object) -> None:
        lv = self.current_level()
        if lv is None:
            return
        self.level_name.setText(lv.name(len(self.levels)))
        self.range.setText(lv.describe())
        auto = self.mode.currentIndex() == 0
        self.legend_lo.setText(f"{lv.min:.4f}" if auto else "0 known")
        self.legend_hi.setText(f"{lv.max:.4f}" if auto else "1 filled")
        rgb = self.current_rgb()
        if rgb is None:
            self.image.clear()
            self.image.setText(f"Level {lv.index}: {lv.describe()}.")
            return
        pm = _pixmap(rgb)
        self.image.setPixmap(
            pm.scaled(self.image.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._show()
