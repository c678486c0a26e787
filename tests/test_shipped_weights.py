"""Every shipped weights file loads through its engine and fills a real photo; PSNR is pinned.

The pins (``resources/weights/pins.json``) record each engine's PSNR on a fixed crop of the
bundled sample photo with fixed masks. Re-pin after replacing a weights file:
``.venv/bin/python tests/test_shipped_weights.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.imageio import load_image
from engine.metrics import psnr
from engine.paths import BUNDLED_WEIGHTS, SAMPLE_PHOTO
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine
from engine.weights import read_metadata

PINS = BUNDLED_WEIGHTS / "pins.json"
# The damage detector's weights (engine.detectors) fill nothing; tests/test_restore_network.py covers them.
DETECTORS = {"scratch"}
SHIPPED = sorted(p for p in BUNDLED_WEIGHTS.glob("*.safetensors") if p.stem not in DETECTORS)
TOLERANCE_DB = 0.25


def _scenes() -> list[tuple[np.ndarray, np.ndarray]]:
    """Two 512×512 crops of the sample photo (sky, road) with an object hole and stroke holes."""
    photo = load_image(SAMPLE_PHOTO).rgb
    scenes = []
    for y0, x0 in ((60, 200), (420, 700)):
        crop = np.ascontiguousarray(photo[y0 : y0 + 512, x0 : x0 + 512])
        blob = np.zeros((512, 512), np.uint8)
        cv2.ellipse(blob, (260, 250), (90, 120), 20, 0, 360, 255, -1)
        strokes = np.zeros((512, 512), np.uint8)
        for i in range(5):
            cv2.line(strokes, (30 + 90 * i, 20), (480 - 60 * i, 490), 255, 18)
        scenes += [(crop, blob), (crop, strokes)]
    return scenes


def measure(path: Path) -> float:
    """Mean PSNR (dB) of the engine of weights ``path`` over the fixed scenes (crop strategy, texture
    stage off: the pins are of the networks' own output)."""
    engine = create_engine(read_metadata(path)["engine"], weights=path)
    values = []
    for image, mask in _scenes():
        result = inpaint(image, mask, engine, InpaintOptions(texture=0.0))
        assert result.image.dtype == np.uint8 and result.image.shape == image.shape
        np.testing.assert_array_equal(result.image[mask == 0], image[mask == 0])
        values.append(psnr(image, result.image))
    return float(np.mean(values))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_weights_load_and_fill(path: Path) -> None:
    meta = read_metadata(path)
    assert meta["engine"] == path.stem and meta.get("steps", 0) > 0
    card = path.with_suffix(".md")
    assert card.is_file(), f"{path.name} ships without its model card {card.name}"
    value = measure(path)
    assert math.isfinite(value)
    pins = json.loads(PINS.read_text())
    assert path.stem in pins, f"no PSNR pin for {path.name}; run python tests/test_shipped_weights.py"
    assert abs(value - pins[path.stem]) <= TOLERANCE_DB, (value, pins[path.stem])


if __name__ == "__main__":
    PINS.write_text(json.dumps({p.stem: round(measure(p), 3) for p in SHIPPED}, indent=2) + "\n")
    print(PINS.read_text())
