"""Event-loop probes of benchmarks/gui.py: waiting without blocking, named time spans, a heartbeat
timer that records event-loop gaps, and a paint watcher on a widget. Times in seconds
(``time.perf_counter``) unless a name says ms."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QPointF, Qt, QTimer, SignalInstance
from PySide6.QtGui import QMouseEvent, QRegion
from PySide6.QtWidgets import QApplication, QWidget


def wait_ms(ms: float) -> None:
    """Run the event loop for ``ms`` milliseconds (timers, posted events and repaints happen)."""
    if ms < 1:
        return
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(loop.quit)
    timer.start(round(ms))
    loop.exec()
    timer.stop()


def wait_for(signals: list[SignalInstance], timeout_s: float) -> tuple[int, tuple[Any, ...]] | None:
    """Run the event loop until one of ``signals`` fires: (its index, its arguments), or None on timeout."""
    loop = QEventLoop()
    fired: list[tuple[int, tuple[Any, ...]]] = []
    slots: list[Callable[..., None]] = []
    for i, signal in enumerate(signals):

        def slot(*args: Any, i: int = i) -> None:
            fired.append((i, args))
            loop.quit()

        signal.connect(slot)
        slots.append(slot)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(round(timeout_s * 1000))
    if not fired:
        loop.exec()
    timer.stop()
    for signal, slot in zip(signals, slots, strict=True):
        signal.disconnect(slot)
    return fired[0] if fired else None


class Spans:
    """Wall-clock (start, end) of instrumented slots, by name."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float]] = []

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.spans.append((name, start, time.perf_counter()))

        return timed

    def named(self, name: str, since: float = 0.0) -> list[tuple[float, float]]:
        return [(s, e) for n, s, e in self.spans if n == name and s >= since]


class Heartbeat(QObject):
    """A precise timer on the GUI thread; ``ticks`` are the perf_counter times its slot ran."""

    def __init__(self, interval_ms: int) -> None:
        super().__init__()
        self.ticks: list[float] = []
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())


class PaintWatch(QObject):
    """Counts paint events of a widget and keeps their rectangles; can wait for the next one."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        self.regions: list[QRegion] = []
        self.loop: QEventLoop | None = None
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.regions.append(QRegion(event.region()))
            if self.loop is not None:
                self.loop.quit()  # exec() returns once this paint (and the flush) has finished
        return False

    def wait_next(self, since: int, timeout_ms: int = 2000) -> bool:
        """Run the event loop until a paint event after ``since`` paints has been handled."""
        if self.count > since:
            return True
        self.loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(self.loop.quit)
        timer.start(timeout_ms)
        self.loop.exec()
        timer.stop()
        self.loop = None
        return self.count > since


# ----------------------------------------------------------------- statistics / printing
def ms(seconds: float) -> float:
    return seconds * 1000.0


def verdict(value_ms: float, target_ms: float) -> str:
    return f"target ≤ {target_ms:.0f} ms: {'met' if value_ms <= target_ms else 'MISSED'}"


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


# ----------------------------------------------------------------- window set-up


# ----------------------------------------------------------------- records
@dataclass
class StallRun:
    worst_ms: float
    median_gap_ms: float
    engine_s: float
    by_phase: dict[str, float] = field(default_factory=dict)  # worst gap attributed to each phase
    worst_phase: str = ""
    submit_ms: float = 0.0  # MainWindow.run_engine on the GUI thread
    show_ms: float = 0.0  # MainWindow._on_result on the GUI thread


@dataclass
class Segment:
    latency_ms: float  # delivery -> painted
    handler_ms: float  # sendEvent (the canvas's mouse handler) alone
    due_ms: float  # input due -> painted
    area: int  # repainted viewport pixels (bounding box of the first paint after the event)
    painted: bool
    covered: bool  # that paint covered the mask box the event changed (mapped to the viewport)
    start: float  # perf_counter: when the input was due (or delivered, if that was earlier)
    end: float  # perf_counter: paint finished


def send_mouse(viewport: QWidget, kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    global_pos = QPointF(viewport.mapToGlobal(pos))
    event = QMouseEvent(kind, pos, global_pos, button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)
