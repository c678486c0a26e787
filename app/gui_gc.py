"""Python's cyclic garbage collector, run on the GUI thread only.

CPython runs a collection in whichever thread happens to cross an allocation threshold. In the
editor that is usually the engine worker (building a network allocates thousands of objects), and a
collection there destroys any Qt object that sits in a reference cycle — a closed dialog, a dropped
window, a lambda slot — from the wrong thread, which crashes the process (seen as a segfault in the
worker's ``create_engine`` under "Garbage-collecting" while the GUI thread waited for a result).
The usual remedy for Qt applications (calibre, pyqtgraph, NeXpy do the same) is applied here:
automatic collection is switched off and a timer on the GUI thread collects whenever a generation
is over its threshold, exactly as the interpreter would, only on the right thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

CHECK_MS = 500  # get_count() is a few integers: checking twice a second costs nothing


class GuiThreadCollector(QObject):
    """Owns the timer; parented to the QApplication so it lives (and ticks) as long as the app."""

    def __init__(self, parent: QObject, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.collections = 0  # how many collections this collector ran (for tests and diagnostics)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        gc.disable()
        self._timer.start()

    def check(self) -> int:
        """Collect what is due (:func:`collect_due`); return the number of unreachable objects found."""
        found = collect_due()
        self.collections += found is not None
        return found or 0


def collect_due() -> int | None:
    """Collect the oldest generation whose count is over its threshold, in the calling thread, as
    the interpreter's automatic collection would; return the number of unreachable objects found,
    or None when no generation was due."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = [g for g in range(3) if counts[g] > thresholds[g]]
    return gc.collect(due[-1]) if due else None


def install(app: QCoreApplication | None = None) -> GuiThreadCollector:
    """Switch collection to the GUI thread of ``app`` (default: the running QApplication). Idempotent:
    every window calls it, the application gets one collector."""
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("app.gui_gc.install needs a QApplication")
    found = app.findChild(GuiThreadCollector)
    return found if found is not None else GuiThreadCollector(app)
