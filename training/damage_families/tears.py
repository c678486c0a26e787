"""Tears and missing corners: jagged holes where the paper is gone (the backing shows: white or
dark), a torn-off corner, or a tear running in from the edge as a thin ragged gap."""

from __future__ import annotations

import cv2
import numpy as np

from training.damage_families.base import Layer, log_uniform, stroke, walk


def _backing(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """float32 H×W×3 RGB in [0, 1]: what shows through the hole — paper (white, cream) or a dark
    album page — with fibre noise."""
    light = rng.random() < 0.7
    colour = rng.uniform(0.85, 0.97, 3) * [1.0, 0.97, 0.9] if light else rng.uniform(0.03, 0.15, 3)
    fibres = rng.normal(0, rng.uniform(0.005, 0.03), (*shape, 1))
    return np.clip(colour + fibres, 0, 1).astype(np.float32)


def _jagged(rng: np.random.Generator, centre: tuple[float, float], radius: float, n: int) -> np.ndarray:
    """int32 N×2 polygon (x, y) around ``centre`` with a torn, irregular outline."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = radius * np.clip(1 + np.cumsum(rng.normal(0, 0.12, n)) * 0.5, 0.4, 1.6)
    return np.round(np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)).astype(
        np.int32
    )


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """One to two of: a missing corner, a hole, a tear from the edge, on ``layer``."""
    h, w = layer.shape
    for _ in range(int(rng.integers(1, 3))):
        alpha = np.zeros((h, w), np.uint8)
        kind = rng.choice(["corner", "hole", "tear"], p=[0.4, 0.25, 0.35])
        if kind == "corner":
            cx, cy = (0.0 if rng.random() < 0.5 else float(w)), (0.0 if rng.random() < 0.5 else float(h))
            cv2.fillPoly(alpha, [_jagged(rng, (cx, cy), rng.uniform(0.08, 0.3) * min(h, w), 40)], 255)
        elif kind == "hole":
            centre = (rng.uniform(0.15, 0.85) * w, rng.uniform(0.15, 0.85) * h)
            cv2.fillPoly(alpha, [_jagged(rng, centre, rng.uniform(0.02, 0.08) * min(h, w), 30)], 255)
        else:  # a ragged gap running in from an edge
            start = (rng.uniform(0.1, 0.9) * w, 0.0) if rng.random() < 0.5 else (0.0, rng.uniform(0.1, 0.9) * h)
            angle = float(np.arctan2(h / 2 - start[1], w / 2 - start[0]) + rng.normal(0, 0.4))
            pts = walk(rng, start, angle, rng.uniform(0.2, 0.6) * min(h, w), 3.0, 0.08)
            widths = log_uniform(rng, 2.0, 8.0)
            alpha = (stroke((h, w), pts, widths) * 255).astype(np.uint8)
        soft = cv2.GaussianBlur(alpha.astype(np.float32) / 255.0, (0, 0), rng.uniform(0.3, 0.8))
        layer.paint(np.clip(soft * 1.2, 0, 1), _backing(rng, (h, w)))
