"""app.files.Files with a document, settings and feedback only — no main window, no engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from app.document import Document, Source
from app.feedback import Feedback
from app.files import Files
from app.settings import Settings

pytestmark = pytest.mark.gui


class Answers:
    """Scripted answers to QMessageBox.question, recording the titles asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.queue: list[bool] = []
        self.asked: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", self)

    def __call__(self, parent, title, text, buttons, default):
        self.asked.append(title)
        yes = self.queue.pop(0)
        return QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.No


@pytest.fixture
def setup(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    window = QMainWindow()
    qtbot.addWidget(window)
    doc = Document()
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    calls: list[str] = []
    files = Files(
        doc,
        settings,
        Feedback(window, window.statusBar()),
        window,
        before_open=lambda: calls.append("before_open"),
        before_save=lambda: calls.append("before_save"),
        after_save=lambda: calls.append("after_save"),
    )
    return files, doc, calls, Answers(monkeypatch), window


def test_open_calls_back_and_remembers(setup, photo: np.ndarray, tmp_path: Path) -> None:
    files, doc, calls, _, window = setup
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    assert files.open_path(path)
    assert np.array_equal(doc.image, photo) and doc.source.path == path.resolve()
    assert calls == ["before_open"]
    assert files.settings.recent_files()[0] == str(path.resolve())
    assert window.statusBar().currentMessage() == "Opened photo.png"
    menu = QMenu()
    files.fill_recent(menu)
    assert [a.text() for a in menu.actions()] == ["photo.png"] and menu.actions()[0].toolTip() == str(path.resolve())


def test_open_failures_leave_the_document_alone(setup, photo: np.ndarray, tmp_path: Path) -> None:
    files, doc, calls, answers, _ = setup
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    assert not files.open_path(bad)
    assert "broken.jpg" in files.feedback.last_error and calls == [] and not doc.loaded
    menu = QMenu()
    files.fill_recent(menu)
    assert [a.text() for a in menu.actions()] == ["(none)"] and not menu.actions()[0].isEnabled()
    # unsaved edits: opening another photo asks first, and No keeps them
    doc.set_image(photo, Source(tmp_path / "a.png"))
    doc.set_mask(np.full(photo.shape[:2], 255, np.uint8), "paint")
    good = tmp_path / "other.png"
    Image.fromarray(photo[::-1].copy()).save(good)
    answers.queue = [False]
    assert not files.open_path(good)
    assert answers.asked == ["Discard changes?"] and doc.mask.all() and calls == []


def test_save_asks_before_replacing_and_reports(setup, photo: np.ndarray, tmp_path: Path) -> None:
    files, doc, calls, answers, _ = setup
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    assert files.open_path(src)
    calls.clear()
    doc.apply_result(np.zeros_like(photo), "black")
    answers.queue = [False]
    assert not files.save_to(src)  # the original: only after a yes
    assert answers.asked == ["Overwrite?"] and calls == ["before_save"]
    assert np.array_equal(np.asarray(Image.open(src)), photo) and not doc.undo_stack.isClean()
    out = tmp_path / "out.png"
    assert files.save_to(out)
    assert calls == ["before_save", "before_save", "after_save"]
    assert not np.asarray(Image.open(out)).any()
    assert doc.undo_stack.isClean() and doc.save_path == out.resolve()
    assert files.suggested_path() == out.resolve()  # the next Save As starts where the last save went


def test_suggested_path_keeps_known_formats(setup, photo: np.ndarray, tmp_path: Path) -> None:
    files, doc, _, _, _ = setup
    doc.set_image(photo, Source(tmp_path / "holiday.JPG"))
    assert files.suggested_path() == tmp_path / "holiday-inpainted.jpg"
    doc.set_image(photo, Source(tmp_path / "scan.bmp"))
    assert files.suggested_path() == tmp_path / "scan-inpainted.png"


def test_mask_of_another_size_only_after_a_yes(setup, photo: np.ndarray, tmp_path: Path) -> None:
    files, doc, _, answers, _ = setup
    doc.set_image(photo, Source(tmp_path / "p.png"))
    small = np.zeros((120, 160), np.uint8)
    small[:60] = 255
    Image.fromarray(small).save(tmp_path / "small.png")
    answers.queue = [False, True]
    assert not files.load_mask_file(tmp_path / "small.png")
    assert not doc.mask.any()
    assert files.load_mask_file(tmp_path / "small.png")
    assert answers.asked == ["Resize mask?", "Resize mask?"]
    assert doc.mask.shape == (240, 320) and doc.mask[:120].all() and not doc.mask[120:].any()
    assert files.save_mask_file(tmp_path / "m.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "m.png")), doc.hole())


def test_may_close_asks_only_with_unsaved_edits(setup, photo: np.ndarray, tmp_path: Path, monkeypatch) -> None:
    files, doc, calls, _, _ = setup
    buttons: list[QMessageBox.StandardButton] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: buttons.pop(0))
    assert files.may_close()  # nothing open, nothing asked
    doc.set_image(photo, Source(tmp_path / "p.png"))
    doc.set_mask(np.full(photo.shape[:2], 255, np.uint8), "paint")
    buttons[:] = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    assert not files.may_close() and files.may_close() and not buttons
    doc.save_path = tmp_path / "saved.png"  # Save writes there without a dialog
    buttons[:] = [QMessageBox.StandardButton.Save]
    assert files.may_close()
    assert (tmp_path / "saved.png").exists() and doc.undo_stack.isClean() and calls == ["before_save", "after_save"]
