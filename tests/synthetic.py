"""Synthetic test photos shared by several test modules."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def gradient_photo(
    h: int, w: int, rng: np.random.Generator, noise: float, offset: float = 0.0, shift: float = 0.0
) -> np.ndarray:
    """uint8 h×w×3: RGB ramps along x, y and the diagonal (+ ``offset``; red + ``shift``) plus
    Gaussian noise of std ``noise`` drawn from ``rng`` — smooth structure with texture."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w * 200 + shift, y / h * 180, (x + y) / (w + h) * 150], axis=2) + offset
    return np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8)


def gradient_photo_folder(folder: Path, count: int, h: int, w: int, seed: int, noise: float, shift_step: float) -> Path:
    """Write ``count`` :func:`gradient_photo` PNGs ``photo{i}.png`` (red shifted by ``shift_step`` × i,
    noise from one generator seeded ``seed``) into the existing ``folder``; returns it."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        cv2.imwrite(str(folder / f"photo{i}.png"), gradient_photo(h, w, rng, noise=noise, shift=shift_step * i))
    return folder


def blurred_photo_folder(folder: Path, count: int = 3, seed: int = 0) -> Path:
    """Create ``folder`` with ``count`` 150×120 PNGs of blurred noise (a tiny training corpus); returns it."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        noise = rng.integers(0, 255, (120, 150, 3), np.uint8)
        cv2.imwrite(str(folder / f"p{i}.png"), cv2.GaussianBlur(noise, (0, 0), 4))
    return folder
