"""How the editor talks back: status-bar messages, error dialogs and yes/no questions.

The collaborators of :class:`app.window.MainWindow` (files, jobs, recovery, ...) take a :class:`Feedback`
instead of the whole window, so each can be built in a test with a bare ``QWidget`` and a ``QStatusBar``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget


class Feedback:
    """Messages for the user. ``parent``: the window dialogs are modal to; ``bar``: where status text goes."""

    def __init__(self, parent: QWidget, bar: QStatusBar) -> None:
        self.parent = parent
        self.bar = bar
        self.last_error = ""  # the message of the last error dialog (tests and bug reports read it)
        self.error_box: QMessageBox | None = None

    def status(self, text: str, ms: int = 6000) -> None:
        self.bar.showMessage(text, ms)

    def show_error(self, title: str, message: str) -> None:
        """Error dialog with the engine's message; window-modal but not blocking the event loop."""
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self.parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.error_box = box

    def confirm(self, title: str, text: str) -> bool:
        """Ask a yes/no question (No is the default); True for Yes."""
        answer = QMessageBox.question(
            self.parent,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes
