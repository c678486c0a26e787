"""Entry point of the desktop editor: ``inpaint-studio [PHOTO] [--sample [NAME]]``.

``make run`` goes through :mod:`app.launch`, which starts ``inpaint-studio --sample``: the default
bundled sample opened with its mask, so *Run* fills it at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

from engine.console import quiet_on_closed_pipe

if TYPE_CHECKING:
    from app.window import MainWindow


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inpaint-studio",
        description="Inpaint Studio: remove objects from photos and restore old ones.",
        epilog="Other options (e.g. -platform offscreen, -style fusion) are passed on to Qt.",
    )
    parser.add_argument("photo", nargs="?", help="image to open")
    parser.add_argument(
        "--sample", nargs="?", const="", metavar="NAME",
        help="open a bundled sample with its mask (default: the kite; names as in File > Open sample)",
    )  # fmt: skip
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
    elif args.sample is not None and not restored:
        _open_sample(window, args.sample)
    return app.exec()


def _open_sample(window: MainWindow, name: str) -> None:
    from app.samples import default_sample, find_sample, list_samples, open_sample

    sample = find_sample(name) if name else default_sample()
    if sample is None:
        names = ", ".join(s.name for s in list_samples()) or "none"
        print(f"inpaint-studio: no sample {name!r} in resources/samples (there are: {names})", file=sys.stderr)
        return
    open_sample(window, sample)


if __name__ == "__main__":
    raise SystemExit(main())
