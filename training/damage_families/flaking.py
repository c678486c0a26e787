"""Emulsion flaking: irregular flakes where the image layer came off and the paper base shows,
with sharp, broken edges, clustered (flaking spreads from where it started)."""

from __future__ import annotations

import cv2
import numpy as np

from training.damage_families.base import Layer


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """1–3 clusters of 3–25 flakes (3–40 px) on ``layer``."""
    h, w = layer.shape
    paper = np.array([0.94, 0.91, 0.84], np.float32) * rng.uniform(0.9, 1.03)
    for _ in range(int(rng.integers(1, 4))):
        alpha = np.zeros((h, w), np.uint8)
        cx, cy = rng.uniform(0.05, 0.95) * w, rng.uniform(0.05, 0.95) * h
        spread = rng.uniform(0.02, 0.1) * min(h, w)
        for _ in range(int(rng.integers(3, 26))):
            x, y = rng.normal(cx, spread), rng.normal(cy, spread)
            size = float(np.exp(rng.uniform(np.log(1.5), np.log(20.0))))
            n = int(rng.integers(5, 10))
            angles = np.sort(rng.uniform(0, 2 * np.pi, n))
            radii = size * rng.uniform(0.4, 1.0, n)  # sharp, broken outline
            poly = np.stack([x + radii * np.cos(angles), y + radii * np.sin(angles)], 1)
            cv2.fillPoly(alpha, [np.round(poly).astype(np.int32)], 255)
        edge = cv2.GaussianBlur(alpha.astype(np.float32) / 255.0, (0, 0), 0.5)
        tone = paper + rng.normal(0, 0.015, (h, w, 1)).astype(np.float32)
        layer.paint(np.clip(edge * rng.uniform(0.8, 1.0), 0, 1), np.clip(tone, 0, 1))
