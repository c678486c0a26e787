"""Shared test setup: headless Qt, few torch threads, isolated weights folders."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from app.window import MainWindow


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the real user's weights folder and settings."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread() -> Iterator[None]:
    """Once a window has moved garbage collection to the GUI thread (app/gui_gc.py), tests that
    never spin the event loop would not collect at all: collect what is due after each test."""
    yield
    if not gc.isenabled():
        from app.gui_gc import collect_due

        collect_due()


@pytest.fixture
def photo() -> np.ndarray:
    """A synthetic 'photo': smooth gradients plus texture, uint8 240×320×3 RGB."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:240, 0:320].astype(np.float32)
    base = np.stack([x / 320 * 200, y / 240 * 180, (x + y) / 560 * 150], axis=2) + 30
    img = base + rng.normal(0, 12, base.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    """The real main window, shown, with its own settings file (a module may override it)."""
    from tests.gui_support import open_window  # Qt loads only for the tests that ask for a window

    yield from open_window(qtbot, tmp_path)


@pytest.fixture
def opened(window: MainWindow, photo: np.ndarray, tmp_path: Path) -> MainWindow:
    """``window`` with :func:`photo` opened from a PNG file."""
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    assert window.open_path(path)
    return window
