"""Old-photo restoration in the editor: detect on the worker thread, propose, re-threshold, restore.

Flow (issue #19):

1. *Detect* submits a "detect" job to the window's :class:`~app.worker.Worker` (progress bar and
   Cancel as for any engine run); the GUI thread never runs the detector.
2. The proposal is merged into the document's mask as one undo step, so it shows as the mask
   overlay and the brush and eraser edit it like any mask.
3. Moving the sensitivity slider re-thresholds the cached probability map
   (:meth:`engine.damage.DamageResult.rethreshold`) without running the network again; the user's
   brush and eraser edits since the proposal are carried over to the new proposal.
4. The *Scratch brush* (the canvas's "scratch" tool): one stroke painted roughly along a scratch the
   detection missed is turned into that scratch's damage pixels (:func:`engine.damage_hint.damage_for_hint`,
   with the detection's map when there is one, the ridge test alone before any
   detection) by a "hint" job on the worker — about 2.5 s for a stroke across a 24 MP photo, so never
   on the GUI thread — and added to the proposal as ONE undo step per job when it comes back
   (:attr:`RestoreController.hinted`). Strokes painted while the worker is busy (a stroke, a detection,
   a fill) wait, merged into one band, and start as soon as it is free: none is lost. A result made on
   an image that changed meanwhile (an undo) is computed again on the current one.
   Re-thresholding and a new detection keep what the brush added.
5. *Restore* fills the mask with the panel's engine on the worker and applies the result directly
   as ONE undo step (:meth:`app.document.Document.apply_result`): Ctrl+Z brings back the original
   pixels and the proposal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.worker import EngineRun, Job
from engine.damage import DamageResult
from engine.pipeline import InpaintOptions, Result
from engine.registry import get_spec

if TYPE_CHECKING:
    from app.window import MainWindow


class RestoreController(QObject):
    """Owns the damage proposal of the open photo; wired to the window's Restore panel."""

    detected = Signal(object)  # engine.damage.DamageResult, after its proposal went into the mask
    restored = Signal(object)  # engine.pipeline.Result, after it was applied
    hinted = Signal(object)  # bool H×W: the damage one scratch-brush stroke added to the proposal

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.doc = window.doc
        self.panel = window.restore_panel
        self.found: DamageResult | None = None
        self.base: np.ndarray | None = None  # the mask before the proposal went in (bool H×W)
        self.proposal: np.ndarray | None = None  # the proposal now in the mask (bool H×W)
        self.brushed: np.ndarray | None = None  # what the scratch brush added to it (bool H×W)
        self.waiting: np.ndarray | None = None  # scratch-brush bands not yet handed to the worker (uint8 H×W)
        self.hint_jobs: set[int] = set()  # ids of the stroke jobs started on this photo
        self.doc.image_replaced.connect(self._forget_strokes)
        window.canvas.hint_drawn.connect(self.add_hint)
        self.panel.detect_requested.connect(self.detect)
        self.panel.sensitivity_changed.connect(self.rethreshold)
        self.panel.restore_requested.connect(self.restore)
        self.panel.discard_requested.connect(self.discard)
        window.worker.started.connect(lambda _job: self.panel.set_busy(True))
        window.worker.finished.connect(lambda _job: self._idle())
        window.worker.error.connect(self._on_error)

    @property
    def active(self) -> bool:
        return self.proposal is not None

    @property
    def hint_pending(self) -> bool:
        """True while a scratch-brush stroke is computing on the worker or waiting for it."""
        job = self.window.worker.current
        return self.waiting is not None or (job is not None and job.kind == "hint")

    def _idle(self) -> None:
        self.panel.set_busy(False)
        self.panel.set_has_proposal(self.active)
        if self.waiting is not None:  # after the window's own handlers of this job's end
            QTimer.singleShot(0, self._start_hint)

    # ----------------------------------------------------------------- detect
    def detect(self, sensitivity: float | None = None) -> bool:
        """Start detection on the worker; False if nothing started (no photo, worker busy)."""
        if not self.doc.loaded or self.window.worker.busy:
            return False
        s = self.panel.value if sensitivity is None else float(sensitivity)
        empty = np.zeros(self.doc.mask.shape, np.uint8)
        job = Job(self.doc.image, empty, [], "detect", self.doc.revision, sensitivity=s)
        return self.window.jobs.submit(job)

    def on_result(self, job: Job, outcome: object) -> None:
        """The window routes "detect" and "restore" results here (already checked to be current)."""
        if job.kind == "detect":
            self._show(outcome)  # type: ignore[arg-type]
        elif job.kind == "restore":
            self._apply(outcome)  # type: ignore[arg-type]
        elif job.kind == "hint":
            self._add_damage(np.asarray(outcome) > 127)

    def _show(self, found: DamageResult) -> None:
        brushed = self.brushed
        if self.active:  # a new detection replaces the previous proposal, not the user's own mask
            self.discard()
        self.found = found
        self.base = self.doc.mask > 127
        self.proposal = (
            found.rethreshold(found.sensitivity) > 127 if found.probability is not None else found.mask > 127
        )
        if brushed is not None and brushed.shape == self.proposal.shape:  # the scratch brush's strokes stay
            self.brushed = brushed
            self.proposal |= brushed
        self.doc.set_mask(self._mask(self.base | self.proposal), f"Damage proposal ({found.detector})")
        self.window.canvas.set_proposal(self.proposal)  # drawn in the proposal colour
        self.panel.set_has_proposal(True, self._describe())
        self.window.acts.show_mask.setChecked(True)
        self.window.status(
            f"Damage detection: {found.note}, {found.seconds:.2f} s. Edit the proposal with the brush/eraser, "
            "then Restore (Ctrl+Shift+D); Esc discards it"
        )
        self.detected.emit(found)

    def _describe(self) -> str:
        assert self.proposal is not None
        share = np.count_nonzero(self.proposal) / self.proposal.size * 100
        if self.found is None:
            return f"Proposed {share:.2f} % of the photo with the scratch brush. Detect adds the rest; then Restore."
        how = (
            "the damage detector network; the slider re-draws it at once"
            if self.found.detector == "network"
            else "the classical detector (no network weights installed); Detect again after moving the slider"
        )
        return f"Proposed {share:.2f} % of the photo with {how}. Edit it with the brush/eraser, then Restore."

    @staticmethod
    def _mask(hole: np.ndarray) -> np.ndarray:
        return hole.astype(np.uint8) * 255

    def rethreshold(self, sensitivity: float) -> bool:
        """Re-draw the proposal at ``sensitivity`` from the cached probabilities, keeping the user's
        edits; False when there is nothing to re-threshold (no proposal or classical detector)."""
        if self.found is None or self.found.probability is None or self.proposal is None or self.base is None:
            return False
        current = self.doc.mask > 127
        before = self.base | self.proposal
        added, erased = current & ~before, before & ~current  # brush and eraser edits since the proposal
        proposal = self.found.rethreshold(sensitivity) > 127
        if self.brushed is not None:
            proposal |= self.brushed
        new = ((self.base | proposal) | added) & ~erased
        self.proposal = proposal
        self.doc.set_mask(self._mask(new), f"Damage proposal at {round(sensitivity * 100)} %")
        self.window.canvas.set_proposal(proposal)
        self.panel.set_has_proposal(True, self._describe())
        return True

    def discard(self) -> None:
        """Take the proposal out of the mask (back to what the user had painted before it)."""
        if self.base is not None and self.doc.loaded and self.base.shape == self.doc.mask.shape:
            self.doc.set_mask(self._mask(self.base), "Discard damage proposal")
        self.reset()

    def reset(self) -> None:
        """Forget the proposal without touching the mask (new photo, applied result)."""
        if self.proposal is not None:
            self.window.canvas.set_proposal(None)
        self.found = self.base = self.proposal = self.brushed = None
        self.panel.set_has_proposal(False)

    # ---------------------------------------------------------- scratch brush
    def add_hint(self, band: np.ndarray) -> bool:
        """Find the damage inside one scratch-brush stroke (``band``: uint8 H×W, > 0 = painted) on the
        worker; :meth:`on_result` adds it to the proposal as one undo step and emits :attr:`hinted`.
        Returns at once: True when the stroke's job started or waits for the worker (merged with other
        waiting strokes), False when there is no photo or the band does not fit it."""
        if not self.doc.loaded or band.shape != self.doc.mask.shape:
            return False
        painted = (np.asarray(band) > 0).astype(np.uint8) * np.uint8(255)
        self.waiting = painted if self.waiting is None else np.maximum(self.waiting, painted)
        if not self._start_hint():
            self.window.status("Scratch brush: stroke queued; it is added once the current job ends", 0)
        return True

    def _start_hint(self) -> bool:
        """Hand the waiting strokes to the worker as one "hint" job; False when none wait or the worker is busy."""
        band = self.waiting
        if band is None or not self.doc.loaded or band.shape != self.doc.mask.shape:
            self.waiting = None
            return False
        if self.window.worker.busy:
            return False
        found = self.found if self.found is not None and self.found.probability is not None else None
        job = Job(self.doc.image, band, [], "hint", self.doc.revision, found=found)
        if not self.window.jobs.submit(job):
            return False
        self.waiting = None
        self.hint_jobs.add(job.id)
        self.window.status("Scratch brush: finding the damage along the stroke…", 0)
        return True

    def on_stale_hint(self, job: Job) -> None:
        """A stroke's result came back after the image changed (an undo): compute it again on this image
        (not after a new photo: its strokes belonged to the previous one)."""
        if job.id in self.hint_jobs and job.mask.shape == self.doc.mask.shape:
            self.waiting = job.mask if self.waiting is None else np.maximum(self.waiting, job.mask)
            QTimer.singleShot(0, self._start_hint)

    def _on_error(self, job: Job, message: str) -> None:
        """A stroke's job failed (the window shows the dialog): the status line stops saying it computes."""
        if job.kind == "hint":
            self.window.status(f"Scratch brush: that stroke failed ({message.splitlines()[0]})", 10000)

    def _forget_strokes(self) -> None:
        """A new photo: strokes painted on the previous one are dropped."""
        self.waiting = None
        self.hint_jobs.clear()

    def _add_damage(self, added: np.ndarray) -> bool:
        """Add ``added`` (bool H×W, the damage a stroke found) to the proposal as one undo step; False
        when the band held no scratch (the mask is left alone)."""
        if added.shape != self.doc.mask.shape:
            return False
        if not added.any():
            self.window.status("Scratch brush: no scratch found in that band; paint along it, or use the brush (B)")
            return False
        if self.proposal is None or self.base is None:  # the brush starts a proposal of its own
            self.base = self.doc.mask > 127
            self.proposal = np.zeros_like(self.base)
        self.brushed = added if self.brushed is None else self.brushed | added
        self.proposal = self.proposal | added
        self.doc.set_mask(self._mask((self.doc.mask > 127) | added), "Scratch brush")
        self.window.canvas.set_proposal(self.proposal)
        self.panel.set_has_proposal(True, self._describe())
        self.window.status(
            f"Scratch brush: {np.count_nonzero(added)} px of damage added to the proposal; Restore (Ctrl+Shift+D) fills it"
        )
        self.hinted.emit(added)
        return True

    # ---------------------------------------------------------------- restore
    def restore(self) -> bool:
        """Fill the current mask with the panel's engine on the worker; False if nothing started."""
        if not self.doc.loaded or self.window.worker.busy:
            return False
        hole = self.doc.hole()
        if not hole.any():
            self.window.status("Nothing to restore: Detect first, or paint over the damage")
            return False
        run = EngineRun(self.panel.engine_name, self.window.engine_panel.device_name, InpaintOptions())
        return self.window.jobs.submit(Job(self.doc.image, hole, [run], "restore", self.doc.revision))

    def _apply(self, result: Result) -> None:
        name = get_spec(result.engine).display_name
        self.doc.apply_result(result.image, f"Restore old photo ({name})")  # one undo step
        self.reset()
        self.panel.set_has_proposal(False, f"Restored with {name} in {result.seconds:.2f} s. Ctrl+Z undoes it.")
        self.window.status(f"Restored {len(result.boxes)} region(s) with {name} (Ctrl+Z undoes)")
        self.restored.emit(result)
