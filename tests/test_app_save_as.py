"""Save As lists HEIC/HEIF and AVIF where the installed plugins write them, and starts on the filter
matching the suggested name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features
from PySide6.QtWidgets import QFileDialog

from app import save_as
from app.window import MainWindow
from engine.imagesave import heif_available

pytestmark = pytest.mark.gui


def test_the_list_follows_what_can_be_written() -> None:
    labels = [label for label, _ in save_as.SAVE_TYPES]
    assert labels[:4] == ["PNG", "JPEG", "TIFF", "WebP"]
    assert ("AVIF" in labels) == features.check("avif")
    assert ("HEIC/HEIF" in labels) == heif_available()
    # Without a plugin its format is left out, and its files are suggested in the first type.
    without = save_as.save_types(lambda suffix: suffix not in (".heic", ".avif"))
    assert [label for label, _ in without] == ["PNG", "JPEG", "TIFF", "WebP"]
    assert save_as.filter_for(Path("x.heic"), without) == "PNG (*.png)"
    everything = save_as.save_types(lambda _suffix: True)
    assert save_as.filter_for(Path("x.HEIF"), everything) == "HEIC/HEIF (*.heic *.heif)"
    assert save_as.filter_for(Path("x.avif"), everything) == "AVIF (*.avif)"


@pytest.mark.parametrize(
    ("suffix", "label", "available"),
    [
        (".heic", "HEIC/HEIF", heif_available()),
        (".avif", "AVIF", features.check("avif")),
    ],
)
def test_save_as_offers_the_photos_own_format(
    window: MainWindow,
    photo: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    suffix: str,
    label: str,
    available: bool,
) -> None:
    if not available:
        pytest.skip(f"this installation cannot write {suffix} (plugin missing)")
    src = tmp_path / f"phone{suffix}"
    Image.fromarray(photo).save(src, quality=90)
    assert window.open_path(src)
    seen: list[tuple[str, str, str]] = []
    out = tmp_path / f"saved{suffix}"

    def dialog(parent, caption, start, filters, selected, options=None):
        seen.append((start, filters, selected))
        return str(out), selected

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    assert window.files.save_as()
    start, filters, selected = seen[0]
    assert Path(start).name == f"phone-inpainted{suffix}"
    entries = filters.split(";;")
    assert selected in entries and selected.startswith(label) and f"*{suffix}" in selected
    assert any(e.startswith("AVIF") for e in entries) and any(e.startswith("HEIC/HEIF") for e in entries)
    with Image.open(out) as saved:
        assert saved.size == (photo.shape[1], photo.shape[0])
