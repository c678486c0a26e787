"""Synthetic test photos shared by several test modules."""

from __future__ import annotations

import numpy as np


def gradient_photo(
    h: int, w: int, rng: np.random.Generator, noise: float, offset: float = 0.0, shift: float = 0.0
) -> np.ndarray:
    """uint8 h×w×3: RGB ramps along x, y and the diagonal (+ ``offset``; red + ``shift``) plus
    Gaussian noise of std ``noise`` drawn from ``rng`` — smooth structure with texture."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w * 200 + shift, y / h * 180, (x + y) / (w + h) * 150], axis=2) + offset
    return np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)
