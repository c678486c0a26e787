"""The status bar with a message area that never truncates silently nor overprints.

``QStatusBar.showMessage`` draws its text over the bar's normal widgets and cuts it where the
permanent widgets begin ("Return applies, Esc discards, hold \\ for th…"), and progress text drawn
beside it could overlap it. :class:`MessageBar` shows messages in its own :class:`ElidedLabel`
instead: one line, elided with "…" only when the window is too narrow, the whole text in its tooltip.
``showMessage`` / ``currentMessage`` / ``clearMessage`` keep Qt's meaning (timeout in ms, 0 = until replaced).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width and carries the full text as tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self.setToolTip(text)

    @property
    def elided(self) -> bool:
        """True when the text does not fit and is shown shortened."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def shown_text(self) -> str:
        """The text as painted now (elided to the width)."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), int(align), self.shown_text())


class MessageBar(QStatusBar):
    """Status bar whose temporary messages go to :attr:`message` (stretching, elided, tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = ElidedLabel()
        self.addWidget(self.message, 1)
        self._text = ""
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 - Qt override
        self._text = text
        self.message.setText(text)
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()

    def currentMessage(self) -> str:  # noqa: N802 - Qt override
        return self._text

    def clearMessage(self) -> None:  # noqa: N802 - Qt override
        self._text = ""
        self.message.setText("")
