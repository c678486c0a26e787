"""Variations: the shown fill plus three more from other seeds, computed on the worker, to pick from.

Each variation is one "variation" job on the window's :class:`~app.worker.Worker` (progress bar
and Cancel as for any run), submitted when the previous one finished; the results come back through
:attr:`app.jobs.Jobs.routes`. Seeds follow :func:`engine.pipeline.variation_seeds` (the shown fill
is the first); an engine whose fill does not depend on the seed is said so at once
(:func:`engine.pipeline.seed_matters`). Picking a thumbnail makes that fill the pending result,
so applying it is the same single undo step as applying any run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.panels.variations_panel import VariationsPanel, thumbnail
from app.worker import EngineRun, Job
from engine.errors import InpaintError
from engine.pipeline import Result, seed_matters, variation_seeds
from engine.registry import get_spec

if TYPE_CHECKING:
    from app.window import MainWindow

KIND = "variation"
MORE = 3  # variations beside the shown fill


class Variations(QObject):
    """Runs and keeps the variations of the shown fill; wired to ``panel``."""

    finished = Signal(int)  # how many fills the panel holds once all variations came back

    def __init__(self, window: MainWindow, panel: VariationsPanel) -> None:
        super().__init__(window)
        self.window = window
        self.jobs = window.jobs
        self.panel = panel
        self.results: list[tuple[Result, QImage | None]] = []
        self.queue: list[EngineRun] = []
        self.mask: np.ndarray | None = None  # the hole all variations fill (uint8 H×W, 255 = hole)
        self.running: Job | None = None
        self.cancelled = False  # the last series was cancelled
        self.jobs.routes[KIND] = self._on_result
        window.worker.finished.connect(self._on_finished)
        window.worker.cancelled.connect(self._on_cancelled)
        panel.picked.connect(self.pick)
        panel.apply_requested.connect(self.apply)

    @property
    def busy(self) -> bool:
        return self.running is not None or bool(self.queue)

    def start(self) -> bool:
        """Run :data:`MORE` fills of the shown result's mask from other seeds; False if nothing started."""
        shown = self.jobs.pending
        if shown is None:
            self.window.status("Run a fill first (Ctrl+Return); Variations then shows three more to pick from")
            return False
        if self.window.worker.busy:
            return False
        run = self.window.engine_panel.run_spec(shown.engine)
        engine_options = dict(run.options.engine_options)
        # The panel passes an exemplar engine's own seed as an engine option, which would pin every
        # variation to it: it becomes the run's seed, the first of the series, instead.
        seed = int(engine_options.pop("seed", run.options.seed))
        run = replace(run, options=replace(run.options, seed=seed, engine_options=engine_options))
        spec = get_spec(shown.engine)
        if not seed_matters(spec, run.options):
            self.window.status(
                f"{spec.display_name} gives the same fill for every seed: turn on Photo texture "
                "or use PatchMatch for variations",
                10000,
            )
            return False
        try:
            seeds = variation_seeds(run.options.seed, 1 + MORE)[1:]
        except InpaintError as exc:
            self.window.show_error("Cannot make variations", str(exc))
            return False
        self.queue = [replace(run, options=replace(run.options, seed=s)) for s in seeds]
        self.cancelled = False
        self.mask = shown.mask
        self.results = [(shown, None)]
        self.panel.clear()
        self.panel.add(thumbnail(shown.image, shown.mask), "Shown fill")
        self.panel.mark(0)
        self.panel.info.setText(f"Computing {MORE} variations… (Esc cancels)")
        self.window.variations_dock.show()
        self.window.variations_dock.raise_()
        return self._next()

    def _next(self) -> bool:
        if not self.queue or self.mask is None:
            return False
        run = self.queue.pop(0)
        job = Job(self.window.doc.image, self.mask, [run], KIND, self.window.doc.revision)
        if not self.jobs.submit(job):
            self.queue = []
            return False
        self.running = job
        return True

    def _on_result(self, job: Job, outcome: object) -> None:
        if job is not self.running:  # forgotten meanwhile (reset)
            return
        result: Result = outcome  # type: ignore[assignment]
        self.results.append((result, job.display))
        n = len(self.results) - 1
        self.panel.add(thumbnail(result.image, result.mask), f"Variation {n} (seed {job.runs[0].options.seed})")

    def _on_finished(self, job: Job) -> None:
        if job is not self.running:
            return
        self.running = None
        if self.queue:
            self._next()
            return
        if not self.cancelled:
            self.panel.info.setText(
                "Click a fill to see it on the photo; Return or double-click applies it (one undo step)."
            )
            self.window.status(f"{len(self.results) - 1} variations: click one to see it, Return applies it")
        self.finished.emit(len(self.results))

    def _on_cancelled(self, job: Job) -> None:
        if job is self.running:
            self.queue = []
            self.cancelled = True
            self.panel.info.setText(f"Cancelled: {len(self.results) - 1} variations made.")

    def pick(self, index: int) -> None:
        """Show fill ``index`` (0 = the one shown first) as the pending result."""
        if not 0 <= index < len(self.results):
            return
        result, display = self.results[index]
        if result.mask.shape != self.window.doc.mask.shape:
            return
        self.jobs.show_result(result, display)
        self.panel.mark(index)

    def apply(self, index: int) -> None:
        """Show fill ``index`` and apply it (one undo step)."""
        if not 0 <= index < len(self.results):
            return
        self.pick(index)
        if self.jobs.pending is self.results[index][0]:
            self.jobs.apply_result()

    def reset(self) -> None:
        """Forget the variations (new photo, applied or discarded result)."""
        self.queue = []
        self.running = None
        self.results = []
        self.panel.clear()
        self.panel.info.setText("Run a fill, then Variations (Shift+Return) shows three more from other seeds.")
