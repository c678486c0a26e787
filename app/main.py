"""Entry point of the desktop editor: ``inpaint-studio [PHOTO]`` (``make run`` opens the sample photo)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def main(argv: list[str] | None = None) -> int:
    """Open the editor window, optionally on the photo given as the first argument."""
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Inpaint Studio")
    app.setOrganizationName("InpaintStudio")
    from app.window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    window.show()
    photos = [a for a in argv[1:] if not a.startswith("-")]
    restored = window.offer_recovery()  # after a crash: the autosaved session first
    if photos and not restored:
        window.open_path(photos[0])
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
