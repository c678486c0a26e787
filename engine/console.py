"""Console entry points that behave like Unix tools when their reader goes away.

``inpaint models | head -1``: once ``head`` exits, the next write to the pipe fails with EPIPE.
CPython ignores SIGPIPE, so that surfaces as ``BrokenPipeError`` — a traceback, or "Exception
ignored ... BrokenPipeError" when the failing write is the interpreter's own flush at exit. A Unix
tool stops silently instead, with status 141 (128 + SIGPIPE) as the shell reports it. The recipe is
the one of the Python docs (``signal`` module, "Note on SIGPIPE"): flush inside the guard, and on
EPIPE point stdout/stderr at /dev/null so nothing flushes into the dead pipe again.

Why not ``signal.signal(SIGPIPE, SIG_DFL)``: that would also kill a training process whose peer
socket closes (torch.distributed over gloo) instead of raising an error it can report.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec

P = ParamSpec("P")

#: Exit status of a process ended by SIGPIPE, as the shell reports it.
EXIT_CLOSED_PIPE = 128 + signal.SIGPIPE


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _discard_std_streams() -> None:
    """Send whatever is still buffered, and anything written later, to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            try:
                fd = stream.fileno() if stream is not None else -1
            except (OSError, ValueError):  # replaced by a non-file object (e.g. in tests): nothing to redirect
                continue
            if fd >= 0:
                os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def quiet_on_closed_pipe(main: Callable[P, int]) -> Callable[P, int]:
    """Wrap a console ``main``: a closed stdout/stderr pipe ends it quietly with :data:`EXIT_CLOSED_PIPE`.

    Everything else (return codes, ``SystemExit`` from argparse, other exceptions) passes through.
    """

    @functools.wraps(main)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            try:
                return main(*args, **kwargs)
            finally:
                # Inside the guard: a failing flush at interpreter exit could no longer be caught.
                _flush_std_streams()
        except BrokenPipeError:
            _discard_std_streams()
            return EXIT_CLOSED_PIPE

    return wrapper


#: The distribution name in pyproject.toml.
DISTRIBUTION = "inpaint-studio"


def package_version() -> str:
    """The installed version of Inpaint Studio (``importlib.metadata``), else the ``version`` line of
    the source tree's pyproject.toml (running from a checkout that was never installed), else "unknown"."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        found = None
    return found.group(1) if found else "unknown"
