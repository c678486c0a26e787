"""The scan a family's damage is drawn on: sepia, grey, faded or colour, with grain, then JPEG.

The ageing itself is :func:`training.damage.age_photo` (fading, lifted blacks, tone, softness, clumped
film grain); *faded* adds a second, stronger fade with a yellowed base, as prints left in daylight.
JPEG artefacts are applied by :func:`jpeg` to the damaged scan and to the undamaged reference alike,
so a restoration is scored against what a scan of the undamaged print would have looked like.
"""

from __future__ import annotations

import cv2
import numpy as np

from training.damage import age_photo

SCANS = ("sepia", "grey", "faded", "colour")
_TONE = {"sepia": "sepia", "grey": "grey", "faded": "cast", "colour": "none"}
JPEG_CHANCE = 0.5  # share of scans saved as JPEG
JPEG_QUALITY = (60, 95)


def age(rgb: np.ndarray, rng: np.random.Generator, scan: str) -> np.ndarray:
    """The undamaged old print of ``rgb`` (uint8 H×W×3 RGB) as ``scan`` (one of :data:`SCANS`):
    uint8 H×W×3 RGB, same size."""
    if scan not in _TONE:
        raise ValueError(f"unknown scan {scan!r}; one of {', '.join(SCANS)}")
    aged = age_photo(rgb, rng, tone=_TONE[scan])
    if scan != "faded":
        return aged
    img = aged.astype(np.float32) / 255.0
    contrast, lift = rng.uniform(0.45, 0.7), rng.uniform(0.1, 0.25)
    img = lift + (1 - lift) * (0.5 + (img - 0.5) * contrast)
    img *= np.array([1.0, rng.uniform(0.93, 1.0), rng.uniform(0.78, 0.92)], np.float32)  # yellowed
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    """``rgb`` (uint8 H×W×3 RGB) through a JPEG round trip at ``quality`` (1–100): uint8 H×W×3 RGB."""
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def draw_jpeg(rng: np.random.Generator) -> int | None:
    """A JPEG quality for this scan, or None for a lossless one."""
    return int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1)) if rng.random() < JPEG_CHANCE else None
