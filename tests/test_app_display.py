"""The display conversion the worker runs off the GUI thread (app.canvas.rgb_to_display_image)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from app.canvas import rgb_to_display_image


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (37, 61)])
def test_display_image_has_the_same_pixels(qapp, shape: tuple[int, int]) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    image = rgb_to_display_image(rgb[:, ::-1])  # a non-contiguous view, as results can be
    assert image.format() == QImage.Format.Format_RGB32 and (image.width(), image.height()) == shape[::-1]
    want = rgb[:, ::-1]
    for y in range(shape[0]):
        for x in range(shape[1]):
            c = image.pixelColor(x, y)
            assert (c.red(), c.green(), c.blue(), c.alpha()) == (*want[y, x], 255)
