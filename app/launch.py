"""``make run``: the editor on a bundled sample, or — without a display — the command-line demo.

``python -m app.launch`` decides what a newcomer's first command can do on this machine:

1. No display (none of ``DISPLAY``, ``WAYLAND_DISPLAY``, ``QT_QPA_PLATFORM`` is set: a server, ssh,
   CI): one line says so, then the demo runs — the default sample's mask filled by every
   available engine into one labelled comparison sheet (``inpaint compare --frame hole``, the
   same code path and sheet as the CLI), and the sheet's path is printed last, on stdout. Exit 0.
2. A display: Qt's platform plugin is checked first (:mod:`app.syslibs`); for missing system
   libraries the one command that installs them is printed, and run with apt-get only as root and
   only when the user agrees: asked on a terminal, or ``--install-system-libs``
   (``make run INSTALL_SYSTEM_LIBS=1``). Then a child process starts Qt on the display and quits. If either
   fails the editor could only abort, so the demo runs instead. Otherwise the editor opens on the
   sample with its mask loaded.

``QT_QPA_PLATFORM=offscreen`` (the tests) counts as a display: the editor starts on Qt's
offscreen plugin, which needs no system libraries.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from app import syslibs
from engine.paths import REPOSITORY, user_data_dir

#: Where the demo writes its sheet: runs/demo in a checkout (git-ignored, like every run's output), the user's
#: data folder when installed from a wheel (never inside site-packages).
DEMO_DIR = REPOSITORY / "runs" / "demo" if REPOSITORY is not None else user_data_dir() / "demo"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.launch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", action="store_true", help="run the command-line demo even with a display")
    parser.add_argument("--sample", default="", help="sample name (default: the kite)")
    parser.add_argument("--engines", default="", help="demo: comma-separated engines (default: every available)")
    parser.add_argument("--output", default="", help=f"demo: sheet path (default: {DEMO_DIR}/compare-<sample>.png)")
    parser.add_argument(
        "--install-system-libs", action="store_true",
        help="as root, install missing Qt system libraries with apt-get without asking (make run INSTALL_SYSTEM_LIBS=1)",
    )  # fmt: skip
    return parser


def run_demo(sample_name: str = "", engines: str = "", output: str | Path = "") -> int:
    """Fill the sample's mask with ``engines`` (all available by default) into one comparison sheet
    framed on the edit; print the sheet's path on stdout. Returns the exit status."""
    from app.samples import default_sample, find_sample  # no Qt: samples imports it lazily
    from engine.cli import main as inpaint_main

    sample = find_sample(sample_name) if sample_name else default_sample()
    if sample is None or sample.mask is None:
        print(
            f"inpaint-studio: no sample {sample_name or '(default)'} with a mask in resources/samples", file=sys.stderr
        )
        return 2
    out = Path(output) if output else DEMO_DIR / f"compare-{sample.name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = ["compare", "--image", str(sample.photo), "--mask", str(sample.mask), "--output", str(out)]
    argv += ["--frame", "hole", *(["--engines", engines] if engines else [])]
    status = inpaint_main(argv)
    if status == 0:
        print(out.resolve())
    return status


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``make run``: see the module docstring. ``env`` defaults to ``os.environ``."""
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    platform = syslibs.platform_for(env)
    if args.demo:
        return run_demo(args.sample, args.engines, args.output)
    if platform is None:
        print(
            "inpaint-studio: no display (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are unset), "
            "so here is the command-line demo instead of the editor",
            flush=True,
        )
        return run_demo(args.sample, args.engines, args.output)
    consent = (lambda _question: True) if args.install_system_libs else syslibs.ask_on_terminal
    if platform in syslibs.PLUGINS and not syslibs.ensure_platform_libs(platform, consent=consent):
        print("inpaint-studio: the editor cannot start without them; running the command-line demo meanwhile")
        return run_demo(args.sample, args.engines, args.output)
    if platform != "offscreen":
        ok, message = syslibs.qt_starts()
        if not ok:  # e.g. a DISPLAY that is set but unreachable: Qt would abort the editor
            print(f"inpaint-studio: Qt cannot open a window here ({message}); running the command-line demo instead")
            return run_demo(args.sample, args.engines, args.output)
    from app.main import main as editor_main  # imports Qt: only now that its plugin can load

    return editor_main(["inpaint-studio", "--sample", args.sample])


if __name__ == "__main__":
    raise SystemExit(main())
