"""Engine runs and comparisons: from the mask to a pending result on the canvas, then Apply or Discard.

:class:`Jobs` submits :class:`app.worker.Job` s to the worker, turns the worker's answers into a pending result
(shown on the canvas, not yet in the document) or the comparison grid, and applies or discards it. It needs the
document, the canvas, the worker, the engine panel (which engine, which options) and a
:class:`app.feedback.Feedback`; the window follows its signals to update actions, docks and the status bar.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QInputDialog, QWidget

from app.canvas import Canvas
from app.document import Document
from app.feedback import Feedback
from app.panels.compare import CompareWindow
from app.panels.engine_panel import EnginePanel
from app.worker import CompareEntry, Job, Worker
from engine.pipeline import Result
from engine.registry import get_spec


class Jobs(QObject):
    """One job at a time; at most one pending result (``pending``), made on document revision
    ``pending_revision`` — Apply writes it only if the photo has not changed since."""

    started = Signal(object)  # Job handed to the worker: show the busy state now (the worker's own comes later)
    pending_changed = Signal(bool)  # a result is now shown on the canvas (True) or gone (False)
    result_shown = Signal(object)  # engine.pipeline.Result now pending on the canvas
    compare_shown = Signal(object)  # list[CompareEntry] now in the comparison grid

    def __init__(
        self, doc: Document, canvas: Canvas, worker: Worker, engines: EnginePanel, feedback: Feedback, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.doc = doc
        self.canvas = canvas
        self.worker = worker
        self.engines = engines
        self.feedback = feedback
        self.parent_widget = parent  # dialogs and the comparison grid belong to it
        self.pending: Result | None = None
        self.pending_revision = -1
        self.last_seconds: float | None = None  # of the last result shown
        self.compare_window: CompareWindow | None = None
        self.compare_entries: list[CompareEntry] = []
        #: job kind -> handler(job, outcome) for jobs other collaborators submit (e.g. "detect")
        self.routes: dict[str, Callable[[Job, object], None]] = {}
        #: job kind -> handler(job) for a result made on an image that has changed since (e.g. the
        #: scratch brush computes the stroke again); kinds not listed are discarded with a status line
        self.stale_routes: dict[str, Callable[[Job], None]] = {}
        worker.result.connect(self._on_result)
        worker.error.connect(lambda _job, message: feedback.show_error("The engine failed", message))
        worker.cancelled.connect(lambda _job: feedback.status("Cancelled"))

    # ----------------------------------------------------------------- submit
    def refresh_engines(self) -> None:
        """Forget loaded engines and rescan for weights (newly installed ones appear in the panel)."""
        self.worker.forget_engines()
        self.engines.refresh()

    def run_engine(self) -> bool:
        """Run the selected engine on the current mask in the worker. False if nothing started."""
        hole = self._hole_to_fill()
        if hole is None:
            return False
        return self.submit(Job(self.doc.image, hole, [self.engines.run_spec()], "run", self.doc.revision))

    def compare_engines_dialog(self) -> None:
        """Ask which engines to compare: all available, or the selected one against one other."""
        names = self.engines.available_names()
        if len(names) > 1:
            labels = ["All available engines", *[get_spec(n).display_name for n in names]]
            choice, ok = QInputDialog.getItem(self.parent_widget, "Compare engines", "Run:", labels, 0, False)
            if not ok:
                return
            if choice != labels[0]:
                current = self.engines.current_name()
                extra = names[labels.index(choice) - 1]
                names = [current, extra] if current != extra else [current]
        self.compare_engines(names)

    def compare_engines(self, names: list[str] | None = None) -> bool:
        """Run ``names`` (default: every available engine) one after another; show the grid."""
        hole = self._hole_to_fill()
        if hole is None:
            return False
        names = names or self.engines.available_names()
        runs = [self.engines.run_spec(n) for n in names]
        return self.submit(Job(self.doc.image, hole, runs, "compare", self.doc.revision))

    def _hole_to_fill(self) -> np.ndarray | None:
        """The current hole mask if a job can start now (idle, photo open, mask not empty), else None."""
        if self.worker.busy or not self.doc.loaded:
            return None
        hole = self.doc.hole()
        if not hole.any():
            self.feedback.status("Paint over what to remove first (the mask is empty)")
            return None
        return hole

    def submit(self, job: Job) -> bool:
        """Hand ``job`` to the worker and show the busy state at once (the worker's own
        ``started`` signal arrives through the event loop, possibly after the engine began)."""
        if not self.worker.submit(job):
            return False
        self.started.emit(job)
        return True

    # ---------------------------------------------------------------- results
    def _on_result(self, job: Job, outcome: object) -> None:
        if job.revision != self.doc.revision:
            if job.kind in self.stale_routes:
                self.stale_routes[job.kind](job)
                return
            self.feedback.status("The photo changed while the engine ran; that result was discarded")
            return
        if job.kind in self.routes:  # jobs another collaborator submitted (restoration: detect, restore)
            self.routes[job.kind](job, outcome)
            return
        if job.kind == "compare":
            entries: list[CompareEntry] = outcome  # type: ignore[assignment]
            if self.compare_window is None:
                self.compare_window = CompareWindow(self.parent_widget)
                self.compare_window.apply_requested.connect(self.apply_compare)
            self.compare_entries = entries
            self.compare_window.set_entries(entries)
            self.compare_window.show()
            self.compare_window.raise_()
            failed = [e for e in entries if e.result is None]
            self.feedback.status(f"Compared {len(entries)} engines" + (f"; {len(failed)} failed" if failed else ""))
            self.compare_shown.emit(entries)
            return
        result: Result = outcome  # type: ignore[assignment]
        self.show_result(result, job.display)

    def show_result(self, result: Result, display: QImage | None = None) -> None:
        """Put ``result`` on the canvas as the pending result (Apply / Discard / compare).

        ``display``: ``result.image`` already converted for display by the worker, if available."""
        self.pending = result
        self.pending_revision = self.doc.revision
        self.last_seconds = result.seconds
        self.canvas.set_result(result.image, display)
        spec = get_spec(result.engine)
        self.feedback.status(
            f"{spec.display_name}{' + texture' if result.texture > 0 else ''}: {result.seconds:.2f} s, "
            f"{len(result.boxes)} region(s)"
            + (f" — {result.note}" if result.note else "")
            + ". Return applies, Esc discards, hold \\ for the original."
        )
        self.pending_changed.emit(True)
        self.result_shown.emit(result)

    def apply_result(self) -> None:
        """Make the pending result the document's image (one undo step), unless the photo changed meanwhile."""
        if self.pending is None:
            return
        if self.pending_revision == self.doc.revision:
            self.doc.apply_result(self.pending.image, f"Apply {get_spec(self.pending.engine).display_name}")
        self.discard_result()

    def offer_apply(self) -> None:
        """Before saving: ask whether the shown result should go into the saved photo."""
        if self.pending is not None and self.feedback.confirm(
            "Apply the result?", "Apply the shown result before saving?"
        ):
            self.apply_result()

    def apply_compare(self, name: str) -> None:
        """Apply the comparison grid's result of engine ``name`` (the grid's Apply button)."""
        for entry in self.compare_entries:
            if entry.name == name and entry.result is not None:
                self.show_result(entry.result)
                self.apply_result()
                self.feedback.status(f"Applied {entry.display_name} (Ctrl+Z undoes)")
                return

    def discard_result(self) -> None:
        self.pending = None
        self.canvas.clear_result()
        self.pending_changed.emit(False)

    def close(self) -> None:
        """The window closes: so does the comparison grid."""
        if self.compare_window is not None:
            self.compare_window.close()
