"""app.recovery_offer.RecoveryOffer with a document, an autosaver and feedback — no main window.

A crash is simulated in-process by giving up a session's lock and keeping its files (what a killed process
leaves); tests/test_app_recovery.py kills real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMainWindow, QMessageBox

from app.document import Document, Source
from app.feedback import Feedback
from app.recovery import SESSION_FILE, Autosaver, read_session
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


def _crash(saver: Autosaver) -> None:
    """What a killed process leaves: the session's files, no live lock."""
    saver.enabled = False
    assert saver.session is not None
    saver.session.release(remove=False)


def _sessions(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _edited_session(
    docs: list[Document], root: Path, photo: np.ndarray, source: Path, corner: int = 10
) -> tuple[Autosaver, np.ndarray, np.ndarray]:
    """An edited document autosaved under the recovery root ``root``: (its autosaver, applied image, mask)."""
    doc = Document()
    docs.append(doc)
    saver = Autosaver(doc, root, 60000)
    doc.set_image(photo, Source(source))
    edited = photo.copy()
    edited[corner : corner + 20, corner : corner + 20] = 0
    doc.apply_result(edited, "edit")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[50:70, 60 + corner : 90 + corner] = 255
    doc.set_mask(mask, "paint")
    assert saver.save_now() and saver.folder is not None and read_session(saver.folder) is not None
    return saver, edited, mask


def _crashed_session(
    docs: list[Document], root: Path, photo: np.ndarray, source: Path, corner: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """An edited document autosaved and then abandoned (as by a crash): (applied image, mask)."""
    saver, edited, mask = _edited_session(docs, root, photo, source, corner)
    _crash(saver)
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
    root = tmp_path / "rec"
    _crashed_session(docs, root, photo, tmp_path / "photo.png")
    offer2, window2 = _offer(qtbot, docs, root)
    assert not offer2.offer(answer=False)
    assert _sessions(root) == [] and not offer2.doc.loaded  # its folder is gone (the new window wrote none yet)
    assert window2.statusBar().currentMessage() == "Discarded the autosaved session"
    assert not offer2.offer(answer=True)  # nothing left to offer


def test_live_sessions_are_never_offered_nor_touched(
    qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray, monkeypatch
) -> None:
    """Two windows edit at once, a third starts and closes: each window's session is its own."""
    root = tmp_path / "rec"
    first, _, first_mask = _edited_session(docs, root, photo, tmp_path / "one.png", corner=10)
    second, _, second_mask = _edited_session(docs, root, photo, tmp_path / "two.png", corner=40)
    assert first.folder != second.folder
    first.doc.set_mask(first_mask // 2, "soften")  # autosaving one session leaves the other's files alone
    assert first.save_now() and np.array_equal(read_session(second.folder).mask, second_mask)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: pytest.fail("a live session was offered"))
    monkeypatch.delenv("INPAINT_STUDIO_RECOVERY", raising=False)
    third, _ = _offer(qtbot, docs, root)
    assert not third.offer() and not third.offer(answer=False)
    third.autosaver.close()  # closing an idle window removes no one's session
    second.close()  # nor does closing an edited one remove any but its own
    assert _sessions(root) == [first.folder] and np.array_equal(read_session(first.folder).mask, first_mask // 2)


def test_every_crashed_session_is_offered_newest_first(
    qtbot, docs: list[Document], tmp_path: Path, photo: np.ndarray, monkeypatch
) -> None:
    root = tmp_path / "rec"
    _old_image, old_mask = _crashed_session(docs, root, photo, tmp_path / "old.png", corner=10)
    older = _sessions(root)[0]
    os.utime(older, (1, 1))  # saved long ago
    _new_image, new_mask = _crashed_session(docs, root, photo, tmp_path / "new.png", corner=40)
    asked: list[str] = []

    def question(parent, title, text, buttons, default):
        asked.append(text)
        return QMessageBox.StandardButton.No if len(asked) == 1 else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.delenv("INPAINT_STUDIO_RECOVERY", raising=False)
    offer, _ = _offer(qtbot, docs, root)
    assert offer.offer()  # the newest declined (deleted), the older one restored
    assert ["new.png" in asked[0], "old.png" in asked[1]] == [True, True] and len(asked) == 2
    assert np.array_equal(offer.doc.mask, old_mask) and not np.array_equal(offer.doc.mask, new_mask)
    # the restored session is now this autosaver's: it stays locked while the window lives
    assert offer.autosaver.folder == older and _sessions(root) == [older]
    other, _ = _offer(qtbot, docs, root)
    assert not other.offer(answer=True)
    offer.autosaver.close()
    other.autosaver.close()
    assert _sessions(root) == [] and not list(root.glob("*.lock"))  # clean closes leave nothing


def test_a_damaged_session_is_kept_and_an_empty_one_removed(qtbot, docs: list[Document], tmp_path: Path) -> None:
    root = tmp_path / "rec"
    (root / "damaged").mkdir(parents=True)
    (root / "damaged" / SESSION_FILE).write_text('{"version": 99}')  # e.g. written by a newer version
    (root / "empty").mkdir()
    (root / "empty" / ".mask-1.png.tmp").write_bytes(b"")  # killed during its first write
    offer, _ = _offer(qtbot, docs, root)
    assert not offer.offer(answer=True)
    assert (root / "damaged" / SESSION_FILE).is_file() and not (root / "empty").exists()


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
    _crash(saver)
    source.unlink()
    offer, _ = _offer(qtbot, docs, tmp_path / "rec")
    assert not offer.offer(answer=True)
    assert "cannot be read any more" in offer.feedback.last_error and not offer.doc.loaded
    assert read_session(saver.folder) is not None  # kept: put the photo back and restart to restore it
