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
    # unsaved edits: opening another photo asks first (Save/Discard/Cancel), and cancelling keeps them
    doc.set_image(photo, Source(tmp_path / "a.png"))
    doc.set_mask(np.full(photo.shape[:2], 255, np.uint8), "paint")
    good = tmp_path / "other.png"
    Image.fromarray(photo[::-1].copy()).save(good)
    answers.queue = [False]
    assert not files.open_path(good)
    assert answers.asked == ["Unsaved changes"] and doc.mask.all() and calls == []  # No = Cancel


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


def test_save_keeps_depth_alpha_and_metadata_of_the_photo(setup, tmp_path: Path) -> None:
    """Issue #40: the editor saves through the same round trip as `inpaint run`: a 16-bit RGBA PNG
    stays 16-bit RGBA; pixels the user did not change keep their 16-bit values; alpha is untouched."""
    import cv2

    files, doc, _, _, _ = setup
    rng = np.random.default_rng(1)
    native = rng.integers(0, 65536, (40, 50, 4), dtype=np.uint16)
    native[..., 3] = 65535
    native[:10, :, 3] = 20000  # a half-transparent band
    src = tmp_path / "deep.png"
    cv2.imwrite(str(src), native[..., [2, 1, 0, 3]])
    assert files.open_path(src)
    edited = doc.image.copy()
    edited[5:20, 10:30] = (200, 40, 90)
    doc.apply_result(edited, "paint")
    out = tmp_path / "deep-out.png"
    assert files.save_to(out)
    saved = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., [2, 1, 0, 3]]
    assert saved.dtype == np.uint16 and saved.shape == native.shape
    changed = np.zeros((40, 50), bool)
    changed[5:20, 10:30] = True
    np.testing.assert_array_equal(saved[~changed], native[~changed])
    np.testing.assert_array_equal(saved[..., 3], native[..., 3])
    assert np.all(saved[changed][:, :3] % 257 == 0)


def test_save_as_jpeg_offers_the_photos_own_quality(setup, photo: np.ndarray, tmp_path: Path, monkeypatch) -> None:
    """Issue #40: Save As JPEG of a JPEG starts at the photo's own quality; keeping it keeps its exact
    quantization tables and subsampling (Pillow's quality="keep"), another value is used as asked."""
    from PIL import JpegImagePlugin
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    files, doc, _, _, _ = setup
    src = tmp_path / "p.jpg"
    Image.fromarray(photo).save(src, quality=67, subsampling=1)
    assert files.open_path(src)
    edited = doc.image.copy()
    edited[:20, :20] = 0
    doc.apply_result(edited, "paint")
    offered: list[int] = []
    answers = [67, 40]

    def get_int(parent, title, label, value, low, high):
        offered.append(value)
        return answers.pop(0), True

    monkeypatch.setattr(QInputDialog, "getInt", get_int)
    for name in ("same.jpg", "q40.jpg"):
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name, **k: (str(tmp_path / n), ""))
        assert files.save_as()
    assert offered == [67, 67]
    with Image.open(src) as a, Image.open(tmp_path / "same.jpg") as b, Image.open(tmp_path / "q40.jpg") as c:
        assert b.quantization == a.quantization and JpegImagePlugin.get_sampling(b) == 1
        assert c.quantization != a.quantization
