"""Entry point of the desktop editor (``inpaint-studio [PHOTO]``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QScrollArea


def main(argv: list[str] | None = None) -> int:
    """Open the editor window, optionally on the photo given as the first argument."""
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    window = QMainWindow()
    window.setWindowTitle("Inpaint Studio")
    view = QScrollArea()
    label = QLabel()
    if len(argv) > 1:
        label.setPixmap(QPixmap(str(Path(argv[1]))))
        window.setWindowTitle(f"{Path(argv[1]).name} — Inpaint Studio")
    view.setWidget(label)
    window.setCentralWidget(view)
    window.resize(1200, 800)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
