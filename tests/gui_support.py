"""Shared helpers of the editor GUI tests: a shown main window on its own settings file, photos, answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from app.settings import Settings
from app.window import MainWindow


def make_window(qtbot, tmp_path: Path, autosave_ms: int = 2000) -> MainWindow:
    """A shown MainWindow with settings in ``tmp_path`` (2000 ms = the editor's autosave debounce)."""
    settings = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    w = MainWindow(settings, autosave_ms=autosave_ms)
    w.ask_before_close = False
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_window(qtbot, tmp_path: Path, autosave_ms: int = 2000) -> Iterator[MainWindow]:
    """Generator behind the test modules' ``window`` fixture: a shown window, closed afterwards."""
    w = make_window(qtbot, tmp_path, autosave_ms)
    yield w
    w.worker.cancel()
    w.close()


def save_photo(photo: np.ndarray, tmp_path: Path) -> Path:
    """The ``photo`` fixture saved as PNG (what the ``photo_path`` fixtures return)."""
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    return path


def box_mask(shape: tuple[int, int], x0: int, y0: int, x1: int, y1: int, value: int = 255) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    m[y0:y1, x0:x1] = value
    return m


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    """Auto-answer QMessageBox.question; returns the texts asked."""
    asked: list[str] = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked
