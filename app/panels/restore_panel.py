"""Old-photo restoration: detect scratches & dust, review the proposal, accept or discard."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from app.icons import icon
from app.settings import Settings


class RestorePanel(QWidget):
    """Buttons emit requests; the window runs the detector and owns the proposal."""

    detect_requested = Signal(float)  # sensitivity 0..1
    accept_requested = Signal()
    discard_requested = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.sensitivity = QSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0, 100)
        self.sensitivity.setValue(int(settings.get("restore/sensitivity")))
        self.sensitivity.setToolTip("Higher finds fainter scratches and smaller specks, with more false alarms")
        self.value_label = QLabel()
        self.detect = QPushButton(icon("mdi6.auto-fix"), "Detect scratches && dust")
        self.detect.setToolTip("Propose a mask of thin lines and specks (shown in blue) — Ctrl+D")
        self.accept = QPushButton(icon("fa5s.check"), "Accept")
        self.accept.setToolTip("Add the proposal to the mask (undoable); then edit it with the brush/eraser")
        self.discard = QPushButton(icon("fa5s.times"), "Discard")
        self.discard.setToolTip("Forget the proposal")
        self.info = QLabel("Old photos: find scratches and dust automatically.")
        self.info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Sensitivity"))
        row.addWidget(self.sensitivity, 1)
        row.addWidget(self.value_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept)
        buttons.addWidget(self.discard)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.detect)
        layout.addLayout(buttons)
        layout.addWidget(self.info)
        layout.addStretch(1)
        self.sensitivity.valueChanged.connect(self._on_value)
        self.detect.clicked.connect(lambda: self.detect_requested.emit(self.value))
        self.accept.clicked.connect(self.accept_requested)
        self.discard.clicked.connect(self.discard_requested)
        self._on_value(self.sensitivity.value())
        self.set_has_proposal(False)

    @property
    def value(self) -> float:
        return self.sensitivity.value() / 100.0

    def _on_value(self, v: int) -> None:
        self.value_label.setText(f"{v} %")
        self.settings.set("restore/sensitivity", v)

    def set_has_proposal(self, has: bool, text: str = "") -> None:
        self.accept.setEnabled(has)
        self.discard.setEnabled(has)
        if text:
            self.info.setText(text)
