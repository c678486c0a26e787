"""Brush controls: tool, size, hardness, object-removal mode, mask operations."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.canvas import Canvas
from app.settings import Settings


class BrushPanel(QWidget):
    """Controls bound to a :class:`Canvas`; the tool/mask actions come from the window."""

    def __init__(
        self,
        canvas: Canvas,
        settings: Settings,
        tool_actions: list[QAction],
        mask_actions: list[QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.settings = settings
        tools = QHBoxLayout()
        for action in tool_actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            tools.addWidget(button)
        tools.addStretch(1)

        self.size = QSpinBox()
        self.size.setRange(1, 2000)
        self.size.setSuffix(" px")
        self.size.setToolTip("Brush diameter in image pixels ([ / ] or Ctrl+wheel)")
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(1, 400)
        self.size_slider.setToolTip(self.size.toolTip())
        self.hardness = QSlider(Qt.Orientation.Horizontal)
        self.hardness.setRange(0, 100)
        self.hardness.setToolTip(
            "Edge hardness: 100 % = hard edge; lower values fade the edge (pixels over half count as hole)"
        )
        self.hardness_value = QLabel()
        self.hardness_value.setMinimumWidth(self.hardness_value.fontMetrics().horizontalAdvance("100 %") + 4)
        self.object_mode = QCheckBox("Grow strokes by")
        self.object_mode.setToolTip(
            "Grow each stroke by a few pixels so edges, shadows and halos of the object go too (O)"
        )
        self.grow = QSpinBox()
        self.grow.setRange(1, 64)
        self.grow.setSuffix(" px")
        self.grow.setMinimumWidth(self.grow.fontMetrics().horizontalAdvance("64 px") + 48)
        self.size.setMinimumWidth(self.size.fontMetrics().horizontalAdvance("2000 px") + 48)
        self.grow.setToolTip(
            "How far object-removal strokes reach beyond the brush outline (also the margin Select object adds)"
        )

        form = QFormLayout()
        size_row = QHBoxLayout()
        size_row.addWidget(self.size_slider, 1)
        size_row.addWidget(self.size)
        form.addRow("Size", size_row)
        hardness_row = QHBoxLayout()
        hardness_row.addWidget(self.hardness, 1)
        hardness_row.addWidget(self.hardness_value)
        form.addRow("Hardness", hardness_row)
        grow_row = QHBoxLayout()
        grow_row.addWidget(self.object_mode)
        grow_row.addWidget(self.grow)
        form.addRow(grow_row)
        ops = QGridLayout()
        for i, action in enumerate(mask_actions):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            ops.addWidget(button, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addLayout(form)
        layout.addLayout(ops)
        layout.addStretch(1)

        self.size.setValue(int(settings.get("brush/size")))
        self.size_slider.setValue(min(400, self.size.value()))
        self.hardness.setValue(int(settings.get("brush/hardness")))
        self.object_mode.setChecked(bool(settings.get("brush/object_mode")))
        self.grow.setValue(int(settings.get("brush/grow_px")))
        self._push()
        self.size.valueChanged.connect(self._size_from_spin)
        self.size_slider.valueChanged.connect(self.size.setValue)
        self.hardness.valueChanged.connect(self._push)
        self.object_mode.toggled.connect(self._push)
        self.grow.valueChanged.connect(self._push)
        canvas.brush_size_changed.connect(self.size.setValue)

    def _size_from_spin(self, value: int) -> None:
        self.size_slider.blockSignals(True)
        self.size_slider.setValue(min(400, value))
        self.size_slider.blockSignals(False)
        self._push()

    def _push(self, *_: object) -> None:
        c = self.canvas
        c.hardness = self.hardness.value() / 100.0
        self.hardness_value.setText(f"{self.hardness.value()} %")
        c.object_mode = self.object_mode.isChecked()
        c.grow_px = self.grow.value()
        c.set_brush_size(self.size.value())
        self.settings.set("brush/size", self.size.value())
        self.settings.set("brush/hardness", self.hardness.value())
        self.settings.set("brush/object_mode", self.object_mode.isChecked())
        self.settings.set("brush/grow_px", self.grow.value())
