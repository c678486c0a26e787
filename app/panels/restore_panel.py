"""Old-photo restoration panel: detect scratches & dust, tune the proposal, restore in one click.

The panel only emits requests; :class:`app.restore_controller.RestoreController` runs detection on
the worker thread, owns the proposal and fills it. The *Scratch brush* button is the window's tool
action (Restore ▸ Scratch brush, K): paint roughly along a scratch the detection missed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.engine_names import engine_tooltip, plain_name
from app.icons import icon
from app.settings import Settings
from engine.registry import list_specs

DEFAULT_FILL = "ns"  # Navier–Stokes: the most faithful fill of thin damage in the model card


class RestorePanel(QWidget):
    """Sensitivity slider, Detect, the scratch brush, Restore / Discard and the fill engine.

    ``scratch``: the window's *Scratch brush* tool action, shown as a button here (none: no button)."""

    detect_requested = Signal(float)  # sensitivity 0..1
    sensitivity_changed = Signal(float)  # after the slider settled (re-thresholds a proposal)
    restore_requested = Signal()
    discard_requested = Signal()

    def __init__(self, settings: Settings, scratch: QAction | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.sensitivity = QSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0, 100)
        self.sensitivity.setValue(int(settings.get("restore/sensitivity")))
        self.sensitivity.setToolTip(
            "Higher finds fainter scratches and smaller specks, with more false alarms; "
            "moving it re-draws the proposal without running the detector again"
        )
        self.value_label = QLabel()
        self.detect = QPushButton(icon("mdi6.auto-fix"), "Detect scratches && dust")
        self.detect.setToolTip("Propose a mask of scratches and specks; edit it with the brush/eraser — Ctrl+D")
        self.restore = QPushButton(icon("fa5s.magic"), "Restore")
        self.restore.setToolTip("Fill the mask (the proposal and your edits) with the engine below; one undo step")
        self.discard = QPushButton(icon("fa5s.times"), "Discard")
        self.discard.setToolTip("Take the proposal out of the mask again")
        self.engine = QComboBox()
        self.engine.setToolTip("Engine that fills the damage (Navier–Stokes suits thin scratches and dust)")
        for spec in list_specs():
            if spec.availability()[0]:
                self.engine.addItem(plain_name(spec), spec.name)
                self.engine.setItemData(self.engine.count() - 1, engine_tooltip(spec), Qt.ItemDataRole.ToolTipRole)
        index = self.engine.findData(str(settings.get("restore/engine", DEFAULT_FILL)))
        self.engine.setCurrentIndex(max(0, index if index >= 0 else self.engine.findData(DEFAULT_FILL)))
        self.info = QLabel("Old photos: find scratches and dust automatically, then Restore.")
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Sensitivity"))
        row.addWidget(self.sensitivity, 1)
        row.addWidget(self.value_label)
        fill = QHBoxLayout()
        fill.addWidget(QLabel("Fill with"))
        fill.addWidget(self.engine, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore)
        buttons.addWidget(self.discard)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.detect)
        self.scratch: QToolButton | None = None
        if scratch is not None:
            self.scratch = QToolButton()
            self.scratch.setDefaultAction(scratch)
            self.scratch.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.scratch.setSizePolicy(self.detect.sizePolicy())
            layout.addWidget(self.scratch)
        layout.addLayout(fill)
        layout.addLayout(buttons)
        layout.addWidget(self.info)
        layout.addStretch(1)
        # Re-threshold once the slider rests, not on every pixel of a drag (each one is an undo step).
        self._settle = QTimer(self, singleShot=True, interval=150)
        self._settle.timeout.connect(lambda: self.sensitivity_changed.emit(self.value))
        self.sensitivity.valueChanged.connect(self._on_value)
        self.detect.clicked.connect(lambda: self.detect_requested.emit(self.value))
        self.restore.clicked.connect(self.restore_requested)
        self.discard.clicked.connect(self.discard_requested)
        self.engine.currentIndexChanged.connect(lambda _i: self.settings.set("restore/engine", self.engine_name))
        self._on_value(self.sensitivity.value())
        self.set_has_proposal(False)

    @property
    def value(self) -> float:
        return self.sensitivity.value() / 100.0

    @property
    def engine_name(self) -> str:
        return str(self.engine.currentData() or DEFAULT_FILL)

    def _on_value(self, v: int) -> None:
        self.value_label.setText(f"{v} %")
        self.settings.set("restore/sensitivity", v)
        self._settle.start()

    def set_busy(self, busy: bool) -> None:
        self.detect.setEnabled(not busy)
        if busy:
            self.restore.setEnabled(False)

    def set_has_proposal(self, has: bool, text: str = "") -> None:
        self.restore.setEnabled(has)
        self.discard.setEnabled(has)
        if text:
            self.info.setText(text)
