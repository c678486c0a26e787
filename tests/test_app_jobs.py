"""app.jobs.Jobs with a document, a canvas, a worker and the engine panel — no main window.

The classical OpenCV engines (Telea, Navier–Stokes) keep these runs well under a second."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.canvas import Canvas
from app.document import Document, Source
from app.feedback import Feedback
from app.jobs import Jobs
from app.panels.engine_panel import EnginePanel
from app.settings import Settings
from app.worker import Worker

pytestmark = pytest.mark.gui


@pytest.fixture
def jobs(qtbot, tmp_path: Path, photo: np.ndarray) -> Iterator[Jobs]:
    window = QMainWindow()
    qtbot.addWidget(window)
    doc = Document()
    canvas = Canvas(doc)
    qtbot.addWidget(canvas)
    worker = Worker(window)
    panel = EnginePanel(Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(panel)
    doc.set_image(photo, Source(None))
    jobs = Jobs(doc, canvas, worker, panel, Feedback(window, window.statusBar()), window)
    yield jobs
    worker.shutdown()


def _box(doc: Document) -> np.ndarray:
    mask = np.zeros(doc.mask.shape, np.uint8)
    mask[100:140, 120:180] = 255
    doc.set_mask(mask, "box")
    return mask > 127


def test_run_shows_a_pending_result_then_apply(qtbot, jobs: Jobs, photo: np.ndarray) -> None:
    doc = jobs.doc
    assert not jobs.run_engine()  # empty mask: nothing to do, and the user is told
    assert "mask is empty" in jobs.feedback.bar.currentMessage()
    hole = _box(doc)
    assert jobs.engines.select("telea")
    changes: list[bool] = []
    jobs.pending_changed.connect(changes.append)
    with qtbot.waitSignal(jobs.started), qtbot.waitSignal(jobs.result_shown, timeout=20000) as blocker:
        assert jobs.run_engine()
        assert not jobs.run_engine()  # one job at a time
    result = blocker.args[0]
    assert jobs.pending is result and result.engine == "telea" and changes == [True]
    assert jobs.canvas.has_result and jobs.last_seconds == result.seconds
    assert np.array_equal(doc.image, photo)  # shown, not applied
    assert "Telea (OpenCV)" in jobs.feedback.bar.currentMessage()
    jobs.apply_result()
    assert jobs.pending is None and changes == [True, False] and not jobs.canvas.has_result
    assert doc.undo_stack.undoText() == "Apply Telea (OpenCV)"
    assert np.array_equal(doc.image[~hole], photo[~hole]) and not np.array_equal(doc.image[hole], photo[hole])


def test_a_result_for_a_changed_photo_is_never_applied(qtbot, jobs: Jobs, photo: np.ndarray) -> None:
    doc = jobs.doc
    _box(doc)
    assert jobs.engines.select("ns")
    with qtbot.waitSignal(jobs.worker.finished, timeout=20000):
        assert jobs.run_engine()
        doc.apply_result(photo[::-1].copy(), "edit meanwhile")  # before the result arrives (event loop)
    assert jobs.pending is None
    assert "changed while the engine ran" in jobs.feedback.bar.currentMessage()
    assert not doc.mask.any()  # an applied edit clears the mask
    # a shown result whose photo changed afterwards: Apply only drops it
    _box(doc)
    with qtbot.waitSignal(jobs.result_shown, timeout=20000):
        assert jobs.run_engine()
    edited = np.zeros_like(photo)
    doc.apply_result(edited, "another edit")
    jobs.apply_result()
    assert jobs.pending is None and np.array_equal(doc.image, edited)


def test_compare_and_apply_from_the_grid(qtbot, jobs: Jobs, photo: np.ndarray, monkeypatch) -> None:
    doc = jobs.doc
    _box(doc)
    with qtbot.waitSignal(jobs.compare_shown, timeout=30000) as blocker:
        assert jobs.compare_engines(["telea", "ns"])
    entries = blocker.args[0]
    assert [e.name for e in entries] == ["telea", "ns"] and all(e.result is not None for e in entries)
    assert jobs.compare_window.isVisible() and "Compared 2 engines" in jobs.feedback.bar.currentMessage()
    jobs.apply_compare("ns")
    assert (
        np.array_equal(doc.image, entries[1].result.image)
        and doc.undo_stack.undoText() == "Apply Navier–Stokes (OpenCV)"
    )
    # Save asks to apply a shown result first; No keeps it pending
    jobs.show_result(entries[0].result)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    jobs.offer_apply()
    assert jobs.pending is entries[0].result
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    jobs.offer_apply()
    assert jobs.pending is None and np.array_equal(doc.image, entries[0].result.image)
    jobs.close()
    assert not jobs.compare_window.isVisible()
