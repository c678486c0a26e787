"""Synthetic scratches and the rough bands a hand paints along them (scratch-hint tests)."""

from __future__ import annotations

import cv2
import numpy as np


def plain_photo(seed: int, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """uint8 H×W×3 RGB: a sepia-ish gradient with soft blobs and grain, no thin structures."""
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 110 + 60 * (xx / w) + 20 * np.sin(yy / 37.0)
    blobs = cv2.GaussianBlur(rng.normal(0, 40, (h, w)).astype(np.float32), (0, 0), 9)
    luma = base + blobs + rng.normal(0, 4, (h, w))
    rgb = np.stack([luma * 1.08, luma * 0.97, luma * 0.82], axis=2)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def wandering_path(seed: int, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """int32 N×2 (x, y): a wandering line across the photo."""
    rng = np.random.default_rng(seed + 100)
    h, w = size
    xs = np.linspace(20, w - 20, 12)
    ys = h / 2 + np.cumsum(rng.normal(0, 9, 12))
    return np.stack([xs, ys], axis=1).round().astype(np.int32)


def add_crack(photo: np.ndarray, line: np.ndarray, delta: int) -> tuple[np.ndarray, np.ndarray]:
    """(damaged photo, crack mask uint8 H×W 255/0): a 2 px line ``delta`` grey levels off the photo."""
    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.polylines(mask, [line.astype(np.int32)], False, 255, thickness=2)
    out = photo.astype(np.int16)
    out[mask > 0] += delta
    return np.clip(out, 0, 255).astype(np.uint8), mask


def rough_band(line: np.ndarray, seed: int, width: int = 30, shape: tuple[int, int] = (240, 320)) -> np.ndarray:
    """uint8 H×W 255/0: what a hand paints along ``line``: a ``width`` px band, off by a few px."""
    rng = np.random.default_rng(seed + 200)
    wobble = line + rng.integers(-6, 7, line.shape)
    band = np.zeros(shape, np.uint8)
    cv2.polylines(band, [wobble.astype(np.int32)], False, 255, thickness=width)
    return band
