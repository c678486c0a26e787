"""The exemplar fill's numba kernels, made ready at start-up without stalling the open window.

Every start but the first: numba's cache holds the kernels, and :func:`prepare_kernels` loads them on the
GUI thread before the window shows (about 0.3 s). Loaded on a background thread after the window opened,
as before, the load held the GIL for up to 64 ms at a time while the window was open
(``benchmarks/warm_up.py``), a stall the 50 ms goal of the editor does not allow.

The first start after an install, or after numba, the CPU or ``engine/patch_kernels.py`` changed: compiling
takes about 5 s, so it runs on a daemon thread while the window is open, as before (worst GUI gap 26–29 ms,
``benchmarks/warm_up.py --cold``: numba and its CPU target are already loaded by the cache check). A child process compiling into numba's cache instead kept the
window free, but a fill started while the child was still writing the cache could hang (2 of 3 runs of
``tests/test_app_editor_fixes.py`` after a start-up test on a cold cache; 0 of 6 without the child).
"""

from __future__ import annotations

import threading


def prepare_kernels() -> threading.Thread | None:
    """Load the kernels from numba's cache on this thread and return None, or, when they are not all
    there, start compiling them on a daemon thread and return it. A broken install returns None: its
    error shows on the first fill, where the user can read it."""
    try:
        from engine.texture import load_cached_kernels, warm_up_kernels

        if load_cached_kernels():
            return None
    except Exception:
        return None

    def compile_kernels() -> None:
        try:
            warm_up_kernels()
        except Exception:  # as above: the first fill shows it
            return

    thread = threading.Thread(target=compile_kernels, name="kernel-warm-up", daemon=True)
    thread.start()
    return thread
