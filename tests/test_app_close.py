"""Closing the editor while an engine runs (issue #40): the fill is cancelled, the window goes at once, the
worker's thread ends by itself and the process exits 0 — never "QThread: Destroyed while thread is still
running" (an abort, exit 134)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import worker as worker_module
from app.recovery import recovery_dir
from app.worker import wait_for_workers
from engine import registry
from engine.registry import Engine, EngineSpec, FillOutput
from tests.gui_support import box_mask, make_window

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[1]
STEP_S = 2.0  # how long the engine step below ignores Cancel


class _UninterruptibleEngine(Engine):
    """One long step that never polls Cancel, like a network's pass over a big photo."""

    def __init__(self, spec: EngineSpec, entered: threading.Event, done: threading.Event) -> None:
        super().__init__(spec, "cpu")
        self.entered, self.done = entered, done

    def fill(self, image: np.ndarray, mask: np.ndarray, options: object) -> FillOutput:
        self.entered.set()
        time.sleep(STEP_S)
        self.done.set()
        return FillOutput(image.copy())


@pytest.fixture
def uninterruptible() -> Iterator[tuple[threading.Event, threading.Event]]:
    """Registers the engine "test-uninterruptible" for one test: (entered, done) events of its step."""
    entered, done = threading.Event(), threading.Event()
    spec = EngineSpec(
        "test-uninterruptible",
        "Uninterruptible (test)",
        "-",
        0,
        1,
        lambda s, d, p: _UninterruptibleEngine(s, entered, done),
    )
    registry.register(spec)
    yield entered, done
    registry._REGISTRY.pop(spec.name, None)


def test_closing_mid_fill_cancels_and_returns_at_once(
    qtbot, tmp_path: Path, photo: np.ndarray, uninterruptible: tuple[threading.Event, threading.Event]
) -> None:
    entered, done = uninterruptible
    w = make_window(qtbot, tmp_path, 100)
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    assert w.open_path(path)
    w.refresh_engines()
    assert w.engine_panel.select("test-uninterruptible")
    w.doc.set_mask(box_mask(w.doc.mask.shape, 100, 80, 160, 130), "paint")
    assert w.autosaver.save_now() and w.autosaver.folder.is_dir()
    reported: list[str] = []
    for name in ("result", "error", "cancelled"):
        getattr(w.worker, name).connect(lambda *_a, name=name: reported.append(name))
    assert w.run_engine()
    assert entered.wait(20)

    started = time.monotonic()
    assert w.close()
    assert time.monotonic() - started < STEP_S / 2  # the window did not wait for the engine step
    assert not w.isVisible() and not done.is_set() and w.worker.thread.isRunning()
    assert w.worker.cancel_event.is_set()
    assert not list(recovery_dir().iterdir())  # a deliberate close: its session is gone at once

    qtbot.waitUntil(w.worker.thread.isFinished, timeout=int(STEP_S * 10000))
    assert done.is_set()
    qtbot.wait(100)  # the worker's last signals reach the GUI thread: none may report into the closed window
    assert reported == [] and w.error_box is None and w.pending is None
    wait_for_workers()  # what quitting the application runs: returns at once and lets the ended thread go
    assert w.worker.thread not in worker_module._STOPPING


DRIVER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app import main as entry

    photo = sys.argv[1]
    qapp = QApplication(sys.argv[:1])

    def drive():
        w = next(x for x in QApplication.topLevelWidgets() if type(x).__name__ == "MainWindow")
        w.ask_before_close = False
        assert w.engine_panel.select("dfnet") and w.engine_panel.strategy.findData("full") >= 0
        w.engine_panel.strategy.setCurrentIndex(w.engine_panel.strategy.findData("full"))
        m = np.zeros_like(w.doc.mask); m[300:700, 600:1200] = 255
        w.doc.set_mask(m, "stroke")

        def close_mid_fill(_job):
            assert w.worker.busy
            print("closing mid-fill", flush=True)
            QTimer.singleShot(500, w.close)

        w.worker.started.connect(close_mid_fill)
        assert w.run_engine()

    QTimer.singleShot(0, drive)
    started = time.monotonic()
    status = entry.main(["inpaint-studio", photo])
    print(f"exit {status} after {time.monotonic() - started:.1f} s", flush=True)
    sys.exit(status)
    """
)


@pytest.mark.slow
def test_closing_during_a_real_full_size_fill_exits_0(tmp_path: Path) -> None:
    """DFNet, strategy full, on a 2048×1280 photo (seconds of one network pass on a CPU), closed mid-fill."""
    if not registry.get_spec("dfnet").availability()[0]:
        pytest.skip("no DFNet weights")
    rng = np.random.default_rng(1)
    path = tmp_path / "big.png"
    Image.fromarray(rng.integers(0, 256, (1280, 2048, 3), np.uint8)).save(path)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", INPAINT_STUDIO_RECOVERY="discard")
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "closing mid-fill" in proc.stdout and "exit 0" in proc.stdout
    assert "QThread" not in output and "Traceback" not in output
