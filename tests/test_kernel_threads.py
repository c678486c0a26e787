"""The exemplar fill's parallel kernels and threads (engine/patch_kernels.py): the editor fills on a worker
thread, so the kernels must run on a threading layer that tolerates that, and never two launches at once."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

from engine.texture import synthesize

ROOT = Path(__file__).resolve().parents[1]


def _has_tbb() -> bool:
    try:
        importlib.metadata.version("tbb")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _scene() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
    mask = np.zeros((96, 96), np.uint8)
    mask[30:66, 30:66] = 255
    return image, mask


def test_kernels_run_on_tbb_when_the_wheel_is_installed() -> None:
    """Not OpenMP: there the editor's second fill on its worker thread hung. The ``tbb`` wheel lives in
    the environment's lib/, which the loader does not search by itself."""
    image, mask = _scene()
    synthesize(image, mask)
    layer = numba.threading_layer()
    if os.environ.get("NUMBA_THREADING_LAYER"):
        pytest.skip("the threading layer is set by NUMBA_THREADING_LAYER")
    assert layer == ("tbb" if _has_tbb() else "workqueue"), layer


def test_two_threads_filling_at_once_on_the_work_queue() -> None:
    """numba's work queue aborts the process when two threads launch kernels at the same time; the
    launches are serialised, so two concurrent fills finish and equal a single fill."""
    script = textwrap.dedent(
        """
        import threading
        import numpy as np
        import numba
        from engine.texture import synthesize
        from tests.test_kernel_threads import _scene
        image, mask = _scene()
        alone = synthesize(image, mask)
        out = {}
        def run(k):
            for _ in range(2):
                out[k] = synthesize(image, mask)
        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert numba.threading_layer() == "workqueue"
        assert all(np.array_equal(out[k], alone) for k in range(2))
        print("ok")
        """
    )
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_warm_up_compiles_every_kernel_a_fill_uses() -> None:
    """After :func:`warm_up_kernels` (what the editor runs at start-up), a real 256² guided fill and a
    plain one compile nothing more. In a fresh process: this one's kernels may be compiled already."""
    script = textwrap.dedent(
        """
        import numpy as np
        import engine.patch_kernels as pk
        from engine.texture import synthesize, warm_up_kernels
        kernels = [pk.search.__wrapped__, pk.vote.__wrapped__, pk.onion_peel.__wrapped__, pk.rescore]
        assert [len(k.signatures) for k in kernels] == [0, 0, 0, 0]
        warm_up_kernels()
        after = [len(k.signatures) for k in kernels]
        rng = np.random.default_rng(1)
        image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
        mask = np.zeros((256, 256), np.uint8)
        mask[40:200, 60:180] = 255
        synthesize(image, mask, np.full_like(image, 128))
        synthesize(image, mask)
        assert after == [1, 1, 1, 1] and [len(k.signatures) for k in kernels] == after
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_start_up_loads_cached_kernels_or_compiles_them_on_a_daemon_thread(tmp_path: Path) -> None:
    """The editor's start-up (app.kernel_warm_up.prepare_kernels), in fresh processes on an empty numba
    cache: the first start compiles the four kernels on a daemon thread (into the cache); the next loads
    them all from that cache on its own thread, before the window would show, and starts no thread."""
    script = textwrap.dedent(
        """
        import engine.patch_kernels as pk
        from app.kernel_warm_up import prepare_kernels
        kernels = [pk.search.__wrapped__, pk.vote.__wrapped__, pk.onion_peel.__wrapped__, pk.rescore]
        thread = prepare_kernels()
        if thread is not None:
            assert thread.daemon and thread.name == "kernel-warm-up"
            thread.join(timeout=240)
            assert not thread.is_alive()
        print("thread" if thread is not None else "loaded", [len(k.signatures) for k in kernels])
        """
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))

    def start() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    assert start() == "thread [1, 1, 1, 1]"
    assert start() == "loaded [1, 1, 1, 1]"
