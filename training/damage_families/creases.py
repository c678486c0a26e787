"""Creases and folds: a light line and a dark line side by side along a long, nearly straight fold
(the ridge catches the light, its flank is in shadow), sometimes with the emulsion cracked along it."""

from __future__ import annotations

import numpy as np

from training.damage_families.base import Layer, defect_colour, draw_look, log_uniform, stroke, styled, walk


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """1–2 creases on ``layer``."""
    h, w = layer.shape
    diag = float(np.hypot(h, w))
    base = layer.mean_colour
    for _ in range(int(rng.integers(1, 3))):
        angle = float(rng.uniform(0, np.pi))
        start = (rng.uniform(0, w), rng.uniform(0, h))
        pts = walk(rng, start, angle, diag * rng.uniform(0.5, 1.2), 5.0, rng.uniform(0.0, 0.01))
        pts = np.vstack([walk(rng, start, angle + np.pi, diag * 0.6, 5.0, 0.005)[::-1], pts])
        width = log_uniform(rng, 1.5, 5.0)
        normal = np.array([-np.sin(angle), np.cos(angle)], np.float32)
        offset = normal * width * rng.uniform(0.9, 1.3) * (1 if rng.random() < 0.5 else -1)
        light = draw_look(rng, base, bright=True, contrast=(0.45, 0.9), hard=0.3, noise=(0.0, 0.2))
        dark = draw_look(rng, base, bright=False, contrast=(0.35, 0.8), hard=0.3, noise=(0.0, 0.2))
        ridge = styled(stroke((h, w), pts, width), light, rng)
        shadow = styled(stroke((h, w), pts + offset, width * rng.uniform(0.8, 1.5)), dark, rng)
        layer.paint(ridge, light.colour)
        layer.paint(shadow * (1 - ridge), dark.colour)  # the shadow never covers the ridge
        if rng.random() < 0.3:  # the emulsion cracked along the fold: a thin bright line on the ridge
            layer.paint(stroke((h, w), pts, 1.0) * rng.uniform(0.5, 0.9), defect_colour(rng, True, base))
