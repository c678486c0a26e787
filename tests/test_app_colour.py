"""Colour management on screen: an AdobeRGB photo is shown with its colours, not washed out."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from PySide6.QtGui import QColorSpace

from app.colour import photo_space
from app.window import MainWindow

pytestmark = pytest.mark.gui


def adobe_rgb_photo(srgb: np.ndarray, path: Path) -> bytes:
    """Write ``srgb`` (uint8 H×W×3) converted to AdobeRGB values with the AdobeRGB profile embedded; returns it."""
    adobe = QColorSpace(QColorSpace.NamedColorSpace.AdobeRgb).iccProfile().data()
    to_adobe = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(adobe)), "RGB", "RGB"
    )
    ImageCms.applyTransform(Image.fromarray(srgb), to_adobe).save(path, icc_profile=adobe)
    return adobe


def test_an_adobe_rgb_photo_is_shown_in_its_colours(window: MainWindow, tmp_path: Path) -> None:
    srgb = np.zeros((60, 90, 3), np.uint8)
    srgb[:, :30] = (230, 30, 30)  # saturated red, green and blue: AdobeRGB stores them paler
    srgb[:, 30:60] = (40, 200, 60)
    srgb[:, 60:] = (30, 60, 220)
    path = tmp_path / "adobe.png"
    adobe = adobe_rgb_photo(srgb, path)
    assert photo_space(adobe) is not None and photo_space(None) is None
    assert window.open_path(path)
    stored = window.doc.image  # the file's own values: what engines see and saving writes
    assert np.abs(stored.astype(int) - srgb).max() > 15  # shown raw, these would look washed out
    assert window.doc.source.icc == adobe
    shown = window.canvas.image_item.pixmap().toImage()
    for x in (15, 45, 75):
        c = shown.pixelColor(x, 30)
        assert np.abs(np.array([c.red(), c.green(), c.blue()]) - srgb[30, x]).max() <= 4, (x, c.name())


def test_an_srgb_photo_is_shown_unchanged(window: MainWindow, tmp_path: Path, photo: np.ndarray) -> None:
    path = tmp_path / "plain.png"
    Image.fromarray(photo).save(path, icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert window.open_path(path)
    shown = window.canvas.image_item.pixmap().toImage()
    c = shown.pixelColor(100, 50)
    assert np.abs(np.array([c.red(), c.green(), c.blue()]) - photo[50, 100]).max() <= 1
