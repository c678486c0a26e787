"""The exemplar fill's numba kernels, made ready at start-up without stalling the open window.

Every start but the first: numba's cache holds the kernels, and :func:`prepare_kernels` loads them on the
GUI thread before the window shows (about 0.3 s). Loaded on a background thread after the window opened,
as before, the load held the GIL for up to 64 ms at a time while the window was open
(``benchmarks/warm_up.py``), a stall the 50 ms goal of the editor does not allow.

The first start after an install, or after numba, the CPU or ``engine/patch_kernels.py`` changed: compiling
takes about 6 s, so a child process compiles the kernels into numba's cache instead and the window opens at
once; this process loads them on its first fill with photo texture, on the worker thread (a fill started
before the child is done compiles them itself, as every fill did before the warm-up existed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import engine

#: What the child runs: the warm-up, which compiles every kernel a fill uses into numba's cache.
CHILD_CODE = "from engine.texture import warm_up_kernels; warm_up_kernels()"


def prepare_kernels() -> subprocess.Popen[bytes] | None:
    """Load the kernels from numba's cache on this thread and return None, or, when they are not all
    there, start the child that compiles them and return it (nothing is loaded here then). A broken
    install returns None too: its error shows on the first fill, where the user can read it."""
    try:
        from engine.texture import load_cached_kernels

        if load_cached_kernels():
            return None
    except Exception:
        return None
    # The project's root on the child's path, as on ours (a source checkout run without installing).
    root = str(Path(engine.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD_CODE],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
