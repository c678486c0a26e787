"""The largest-photo preference (issue #40) on the real main window: a photo over the limit is refused
with a dialog that says where to raise it; raised in Preferences, the same photo opens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.panels.preferences import MAX_PIXELS_LABEL, PreferencesDialog
from app.window import MainWindow
from engine.errors import ImageTooLarge
from engine.imageio import load_image

pytestmark = pytest.mark.gui


@pytest.fixture
def big_photo(tmp_path: Path) -> Path:
    """A 1100×1000 PNG: 1.1 MP, over a 1 MP limit and under a 2 MP one."""
    y, x = np.mgrid[0:1000, 0:1100]
    rgb = np.stack([x % 256, y % 256, (x + y) % 256], axis=2).astype(np.uint8)
    path = tmp_path / "big.png"
    Image.fromarray(rgb).save(path, compress_level=1)
    return path


def _set_in_preferences(monkeypatch: pytest.MonkeyPatch, window: MainWindow, megapixels: int) -> None:
    """Open File ▸ Preferences…, set the largest photo to ``megapixels`` and press OK."""

    def exec_(dialog: PreferencesDialog) -> int:
        assert dialog.max_megapixels.isVisibleTo(dialog)
        dialog.max_megapixels.setValue(megapixels)
        return 1

    monkeypatch.setattr(PreferencesDialog, "exec", exec_)
    window.acts.prefs.trigger()


def test_default_is_pillows_guard(window: MainWindow) -> None:
    assert window.settings.get("open/max_megapixels") == 0
    assert window.settings.max_pixels() is None  # load_image keeps Pillow's decompression-bomb limit
    dialog = PreferencesDialog(window.settings, window)
    assert dialog.max_megapixels.text().startswith("Default (89 MP)")


def test_photo_over_the_limit_is_refused_until_the_preference_is_raised(
    qtbot, window: MainWindow, big_photo: Path, photo: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = tmp_path / "small.png"
    Image.fromarray(photo).save(small)
    assert window.open_path(small)

    _set_in_preferences(monkeypatch, window, 1)
    assert window.settings.get("open/max_megapixels") == 1 and window.settings.max_pixels() == 1_000_000
    assert not window.open_path(big_photo)
    message = window.last_error
    assert window.error_box is not None and window.error_box.text() == message
    assert "big.png" in message and "too large" in message and "1,000,000 pixels" in message
    assert f"Preferences… ▸ {MAX_PIXELS_LABEL}" in message  # how to raise it, in the editor's own words
    assert "--max-pixels" not in message  # the CLI's option means nothing in the editor
    assert window.doc.source.path == small.resolve()  # the open photo stays
    window.error_box.close()

    _set_in_preferences(monkeypatch, window, 2)
    assert window.open_path(big_photo)
    assert window.doc.source.path == big_photo.resolve() and window.doc.size == (1100, 1000)


def test_the_engine_says_which_limit_refused_the_photo(big_photo: Path) -> None:
    with pytest.raises(ImageTooLarge) as refused:
        load_image(big_photo, max_pixels=1_000_000)
    assert refused.value.limit == 1_000_000 and "--max-pixels" in str(refused.value)
    assert load_image(big_photo, max_pixels=2_000_000).rgb.shape == (1000, 1100, 3)
