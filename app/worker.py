"""Runs engines off the GUI thread.

:class:`Worker` owns a ``QThread``; :meth:`Worker.submit` queues a :class:`Job` (one engine, or
several one after another for the comparison grid). Signals arrive on the GUI thread:
``started(job)``, ``progress(fraction, message)``, ``result(job, outcome)``, ``error(job, message)``,
``cancelled(job)`` and always ``finished(job)`` last. ``outcome`` is an ``engine.pipeline.Result``
for a single run (kinds "run" and "restore"), a list of :class:`CompareEntry` for a comparison and an
``engine.damage.DamageResult`` for a damage detection (kind "detect"; ``job.mask`` is unused) and a
uint8 H×W damage mask for one scratch-brush stroke (kind "hint": ``job.mask`` is the painted band,
``job.found`` the detection whose map guides it, :func:`engine.damage_hint.damage_for_hint`).

Cancel sets :attr:`Worker.cancel_event` (a ``threading.Event``); the pipeline polls it between
regions, and engines that loop for long may poll it too. A step in between (one network pass over a
big photo) cannot be interrupted, so closing a window mid-fill must not wait for it on the GUI thread,
nor may the ``QThread`` be destroyed while it runs (Qt aborts the process): :meth:`Worker.shutdown`
with ``wait=False`` cancels and lets the thread end by itself, kept alive meanwhile, and
:func:`wait_for_workers` — run when the application quits and at interpreter exit — waits for it.
"""

from __future__ import annotations

import atexit
import itertools
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from app.canvas import rgb_to_display_image
from engine.damage import detect_damage
from engine.damage_hint import damage_for_hint
from engine.errors import Cancelled, InpaintError
from engine.pipeline import InpaintOptions, Result, inpaint
from engine.registry import Engine, create_engine, get_spec

_ids = itertools.count(1)


@dataclass
class EngineRun:
    """One engine to run: registry name, device, pipeline options (with engine options inside)."""

    name: str
    device: str = "cpu"
    options: InpaintOptions = field(default_factory=InpaintOptions)


@dataclass
class Job:
    """Image (uint8 H×W×3 RGB) + mask (uint8 H×W, 255 = hole), copied so the user can keep painting."""

    image: np.ndarray
    mask: np.ndarray
    runs: list[EngineRun]
    # "run" (one engine), "compare", "detect" (damage detection), "restore" (a run) or "hint" (the
    # damage inside one scratch-brush band, ``mask``)
    kind: str = "run"
    revision: int = 0  # Document.revision at submit time
    sensitivity: float = 0.5  # "detect" only: engine.damage.detect_damage's sensitivity
    found: Any = None  # "hint" only: the engine.damage.DamageResult whose map guides the brush, or None
    id: int = field(default_factory=lambda: next(_ids))
    # Set by the worker for "run" jobs: the result as a display-ready QImage, converted off the
    # GUI thread (app.canvas.rgb_to_display_image).
    display: Any = None


@dataclass
class CompareEntry:
    """One cell of the comparison: the result, or the error message if that engine failed."""

    name: str
    display_name: str
    result: Result | None
    error: str = ""


class _Runner(QObject):
    """Lives in the worker thread; the slot runs jobs one at a time."""

    started = Signal(object)
    progress = Signal(float, str)
    result = Signal(object, object)
    error = Signal(object, str)
    cancelled = Signal(object)
    finished = Signal(object)

    def __init__(self, cancel_event: threading.Event) -> None:
        super().__init__()
        self.cancel_event = cancel_event
        self.engines: dict[tuple[str, str], Engine] = {}

    def engine(self, name: str, device: str) -> Engine:
        """Engines are cached per (name, device): loading weights once per session, not per run."""
        key = (name, device)
        if key not in self.engines:
            self.engines[key] = create_engine(name, device=device)
        return self.engines[key]

    @Slot(object)
    def run(self, job: Job) -> None:
        # cancel_event is cleared by Worker.submit, not here: a Cancel pressed before the job
        # reached this thread must still count.
        self.started.emit(job)
        try:
            if job.kind == "compare":
                outcome: Any = self._compare(job)
            elif job.kind == "detect":  # outcome: engine.damage.DamageResult
                outcome = detect_damage(
                    job.image, job.sensitivity, progress=self.progress.emit, cancel=self.cancel_event.is_set
                )
            elif job.kind == "hint":  # outcome: uint8 H×W, 255 = damage inside the band
                self.progress.emit(0.0, "Scratch brush: finding the damage along the stroke…")
                outcome = damage_for_hint(job.image, job.mask, job.found)
            else:
                run = job.runs[0]
                outcome = inpaint(
                    job.image,
                    job.mask,
                    self.engine(run.name, run.device),
                    run.options,
                    progress=self.progress.emit,
                    cancel=self.cancel_event.is_set,
                )
                job.display = rgb_to_display_image(outcome.image)
            self.result.emit(job, outcome)
        except Cancelled:
            self.cancelled.emit(job)
        except InpaintError as exc:
            self.error.emit(job, str(exc))
        except Exception as exc:  # a bug in an engine must not kill the editor: show it
            self.error.emit(job, f"unexpected error in the engine: {exc!r}\n\n{traceback.format_exc(limit=6)}")
        finally:
            self.finished.emit(job)

    def _compare(self, job: Job) -> list[CompareEntry]:
        entries: list[CompareEntry] = []
        n = len(job.runs)
        for i, run in enumerate(job.runs):
            spec = get_spec(run.name)

            def report(fraction: float, message: str, i: int = i) -> None:
                self.progress.emit((i + fraction) / n, f"[{i + 1}/{n}] {message}")

            report(0.0, f"{spec.display_name}: starting")
            try:
                res = inpaint(
                    job.image,
                    job.mask,
                    self.engine(run.name, run.device),
                    run.options,
                    progress=report,
                    cancel=self.cancel_event.is_set,
                )
                label = spec.display_name + (" + texture" if res.texture > 0 else "")
                entries.append(CompareEntry(run.name, label, res))
            except InpaintError as exc:
                entries.append(CompareEntry(run.name, spec.display_name, None, str(exc)))
        return entries


#: Threads of workers shut down without waiting, with their runners, until they have ended: only then may
#: they be destroyed (a QThread destroyed while running aborts; a runner deleted mid-job crashes).
_STOPPING: dict[QThread, _Runner] = {}


def _forget_ended() -> None:
    for thread in [t for t in _STOPPING if t.isFinished()]:
        del _STOPPING[thread]


def wait_for_workers() -> None:
    """Block until every worker thread shut down without waiting has ended (each was cancelled, so
    this is the rest of one engine step at most). Connected to the application's ``aboutToQuit``."""
    for thread in list(_STOPPING):
        thread.wait()
    _STOPPING.clear()


# Scripts and tests that never run the event loop quit without aboutToQuit.
atexit.register(wait_for_workers)


class Worker(QObject):
    """Front object on the GUI thread. Only one job runs at a time (:attr:`busy`)."""

    started = Signal(object)
    progress = Signal(float, str)
    result = Signal(object, object)
    error = Signal(object, str)
    cancelled = Signal(object)
    finished = Signal(object)
    _submit = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()
        self.thread = QThread()
        self.thread.setObjectName("inpaint-worker")
        self.runner = _Runner(self.cancel_event)
        self.runner.moveToThread(self.thread)
        self._submit.connect(self.runner.run)
        self.runner.started.connect(self.started)
        self.runner.progress.connect(self.progress)
        self.runner.result.connect(self.result)
        self.runner.error.connect(self.error)
        self.runner.cancelled.connect(self.cancelled)
        self.runner.finished.connect(self._on_finished)
        self.current: Job | None = None
        self._stopped = False
        app = QCoreApplication.instance()
        if app is not None:
            # Quitting with this worker's window still open (app.quit()): stop it all the same. Workers
            # whose windows are gone already are in _STOPPING.
            app.aboutToQuit.connect(self.shutdown)
            app.aboutToQuit.connect(wait_for_workers)
        _forget_ended()
        self.thread.start()

    @property
    def busy(self) -> bool:
        return self.current is not None

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False if another job is still running."""
        if self.busy:
            return False
        self.current = job
        self.cancel_event.clear()
        self._submit.emit(job)
        return True

    def cancel(self) -> None:
        if self.busy:
            self.cancel_event.set()

    def forget_engines(self) -> None:
        """Drop cached engines (e.g. after new weights were installed). Only when idle."""
        if not self.busy:
            self.runner.engines.clear()

    def _on_finished(self, job: Job) -> None:
        self.current = None
        self.finished.emit(job)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel any job and stop the thread (window close); nothing is reported after this.

        ``wait``: block until the thread has ended. Without it (a window closing mid-fill) the thread
        ends once the running engine step returns, and :func:`wait_for_workers` waits for it at exit."""
        self.cancel_event.set()
        if not self._stopped:  # a second disconnect would warn
            self._stopped = True
            for runner_signal, own in (
                (self.runner.started, self.started),
                (self.runner.progress, self.progress),
                (self.runner.result, self.result),
                (self.runner.error, self.error),
                (self.runner.cancelled, self.cancelled),
            ):
                runner_signal.disconnect(own)
        self.thread.quit()  # the thread's event loop ends after the job in progress, if any
        if wait:
            self.thread.wait()
        elif self.thread.isRunning():
            _STOPPING[self.thread] = self.runner
