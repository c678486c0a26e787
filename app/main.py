"""Entry point of the desktop editor: ``inpaint-studio [PHOTO]`` (``make run`` opens the sample photo)."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from engine.console import quiet_on_closed_pipe


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint-studio",
        description="Inpaint Studio: remove objects from photos and restore old ones.",
        epilog="Other options (e.g. -platform offscreen, -style fusion) are passed on to Qt.",
    )
    parser.add_argument("photo", nargs="?", help="image to open")
    return parser


@quiet_on_closed_pipe  # `inpaint-studio --help | head -1` ends quietly, as Unix tools do
def main(argv: list[str] | None = None) -> int:
    """Open the editor window, optionally on the photo given as the first argument."""
    argv = list(sys.argv if argv is None else argv)
    # Known arguments only: the rest (and argv[0]) are Qt's.
    args, _qt_args = build_parser().parse_known_args(argv[1:])
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Inpaint Studio")
    app.setOrganizationName("InpaintStudio")
    from app.window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    window.show()
    restored = window.offer_recovery()  # after a crash: the autosaved session first
    if args.photo and not restored:
        window.open_path(args.photo)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
