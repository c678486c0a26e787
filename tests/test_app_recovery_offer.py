"""app.recovery_offer.RecoveryOffer with a document, an autosaver and feedback — no main window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.document import Document, Source
from app.feedback import Feedback
from app.recovery import Autosaver, read_session
from app.recovery_offer import RecoveryOffer

pytestmark = pytest.mark.gui


@pytest.fixture
def docs() -> Iterator[list[Document]]:
    """Keeps this test's documents alive until teardown, then quiets them.

    Qt's destructor of a document's undo stack signals the document's autosaver, whose Python side may be gone
    by then (the editor never drops its document before exit, tests do): blocked here, it cannot."""
    kept: list[Document] = []
    yield kept
    for doc in kept:
        doc.undo_stack.blockSignals(True)


def _crashed_session(
    docs: list[Document], folder: Path, photo: np.ndarray, source: Path
) -> tuple[np.ndarray, np.ndarray]:
    """An edited document autosaved and then abandoned (as by a crash): (applied image, mask)."""
    doc = Document()
    docs.append(doc)
    saver = Autosaver(doc, folder, 60000)
    doc.set_image(photo, Source(source))
    edited = photo.copy()
    edited[10:30, 10:30] = 0
    doc.apply_result(edited, "edit")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[50:70, 60:90] = 255
    doc.set_mask(mask, "paint")
    assert saver.save_now() and read_session(folder) is not None
    saver.enabled = False
    return edited, mask


def _offer(qtbot, docs: list[Document], folder: Path) -> tuple[RecoveryOffer, QMainWindow]:
    window = QMainWindow()
    qtbot.addWidget(window)
    doc = Document()
    docs.append(doc)
    return RecoveryOffer(doc, Autosaver(doc, folder, 60000), Feedback(window, window.statusBar())), window


def test_restore_brings_back_edits_as_one_undo_step(
    qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray, monkeypatch
) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo).save(source)
    edited, mask = _crashed_session(docs, tmp_path / "rec", photo, source)
    offer, window = _offer(qtbot, docs, tmp_path / "rec")
    asked: list[tuple[str, QMessageBox.StandardButton]] = []

    def question(parent, title, text, buttons, default):
        asked.append((title, default))
        assert "photo.png" in text
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.delenv("INPAINT_STUDIO_RECOVERY", raising=False)
    assert offer.offer()
    assert asked == [("Restore unsaved work?", QMessageBox.StandardButton.Yes)]  # Enter keeps the work
    doc = offer.doc
    assert np.array_equal(doc.image, edited) and np.array_equal(doc.mask, mask)
    assert doc.source.path == source and "Restored" in window.statusBar().currentMessage()
    doc.undo_stack.undo()  # the mask
    doc.undo_stack.undo()  # the applied edits, as one step
    assert np.array_equal(doc.image, photo)


def test_restore_when_the_source_is_gone(
    qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray, monkeypatch
) -> None:
    source = tmp_path / "gone.png"
    edited, mask = _crashed_session(docs, tmp_path / "rec", photo, source)  # never written: "moved or deleted"
    offer1, _ = _offer(qtbot, docs, tmp_path / "rec")
    monkeypatch.setenv("INPAINT_STUDIO_RECOVERY", "restore")
    assert offer1.offer()
    assert np.array_equal(offer1.doc.image, edited) and np.array_equal(offer1.doc.mask, mask)
    assert not offer1.doc.undo_stack.isClean()  # unsaved work, although nothing is left to undo


def test_declining_discards_the_session(qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray) -> None:
    _crashed_session(docs, tmp_path / "rec", photo, tmp_path / "photo.png")
    offer2, window2 = _offer(qtbot, docs, tmp_path / "rec")
    assert not offer2.offer(answer=False)
    assert read_session(tmp_path / "rec") is None and not offer2.doc.loaded
    assert window2.statusBar().currentMessage() == "Discarded the autosaved session"
    assert not offer2.offer(answer=True)  # nothing left to offer


def test_no_image_and_no_source_is_an_error(
    qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray, monkeypatch
) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo).save(source)
    doc = Document()
    docs.append(doc)
    saver = Autosaver(doc, tmp_path / "rec", 60000)
    doc.set_image(photo, Source(source))
    doc.set_mask(np.full(photo.shape[:2], 255, np.uint8), "paint")  # a mask only: the image is the file's
    assert saver.save_now()
    saver.enabled = False
    source.unlink()
    offer, _ = _offer(qtbot, docs, tmp_path / "rec")
    assert not offer.offer(answer=True)
    assert "cannot be read any more" in offer.feedback.last_error and not offer.doc.loaded
