"""Entry point of the desktop editor: ``inpaint-studio [PHOTO] [--sample [NAME]]``.

``make run`` goes through :mod:`app.launch`, which starts ``inpaint-studio --sample``: the default
bundled sample opened with its mask, so *Run* fills it at once.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.kernel_warm_up import prepare_kernels
from engine.console import quiet_on_closed_pipe
from engine.paths import ICON_PNG

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
    parser.add_argument(
        "--install-desktop", action="store_true",
        help="add Inpaint Studio with its icon to your desktop's application menu (for this user), then exit",
    )  # fmt: skip
    return parser


@quiet_on_closed_pipe  # `inpaint-studio --help | head -1` ends quietly, as Unix tools do
def main(argv: list[str] | None = None) -> int:
    """Open the editor window, optionally on the photo given as the first argument."""
    argv = list(sys.argv if argv is None else argv)
    # Known arguments only: the rest (and argv[0]) are Qt's.
    args, _qt_args = build_parser().parse_known_args(argv[1:])
    if args.install_desktop:
        from app.desktop import install_desktop_entry

        for path in install_desktop_entry():
            print(path)
        return 0
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Inpaint Studio")
    app.setOrganizationName("InpaintStudio")
    # The window's icon, and the name that ties its windows to the menu entry (Wayland's app id).
    app.setWindowIcon(QIcon(str(ICON_PNG)))
    app.setDesktopFileName("inpaint-studio")
    from app.window import MainWindow  # after QApplication: widgets need it

    window = MainWindow()
    # Before the window shows: loading them once it is open stalled it (app/kernel_warm_up.py).
    compiling = prepare_kernels()
    window.show()
    restored = window.offer_recovery()  # after a crash: the autosaved session first
    windows = [window, *_recover_in_more_windows(window)] if restored else [window]
    if args.photo and not restored:
        window.open_path(args.photo)
    elif args.sample is not None and not restored:
        _open_sample(window, args.sample)
    status = app.exec()
    del windows  # kept referenced until here: a window without a reference would be deleted at once
    del compiling  # a daemon thread: one still compiling ends with the process (the next start compiles again)
    return status


def _recover_in_more_windows(first: MainWindow) -> list[MainWindow]:
    """Several windows crashed (one process each) left a session each: one window per further session.

    ``first`` has restored one; each new window offers the rest until one is restored into it. A window
    that restored nothing (the rest declined) is closed again."""
    from app.recovery_offer import count_dead_sessions
    from app.window import MainWindow

    more: list[MainWindow] = []
    while count_dead_sessions(first.autosaver.root):
        window = MainWindow()
        window.show()
        if not window.offer_recovery():
            window.close()
            break
        more.append(window)
    return more


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
