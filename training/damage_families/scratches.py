"""Long scratches: bright or dark lines 0.8–6 px wide across much of the print, straight or gently
curved, with hard or soft edges and a strength that fades and returns along them."""

from __future__ import annotations

import numpy as np

from training.damage_families.base import Layer, draw_look, log_uniform, stroke, styled, walk


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """1–5 long scratches on ``layer``."""
    h, w = layer.shape
    diag = float(np.hypot(h, w))
    for _ in range(int(rng.integers(1, 6))):
        width = log_uniform(rng, 0.8, 6.0)
        length = diag * rng.uniform(0.3, 1.1)
        # Most run along the film's transport (near vertical); some at any angle.
        angle = np.pi / 2 + rng.normal(0, 0.2) if rng.random() < 0.6 else rng.uniform(0, np.pi)
        start = (rng.uniform(0, w), rng.uniform(0, h))
        if np.sin(angle) > 0.5:  # near vertical: start at the top so it spans the print
            start = (start[0], rng.uniform(-0.1, 0.3) * h)
        turn = 0.0 if rng.random() < 0.4 else rng.uniform(0.002, 0.02)
        pts = walk(rng, start, float(angle), length, 4.0, turn)
        look = draw_look(rng, layer.mean_colour, contrast=(0.4, 1.0), noise=(0.0, 0.2))
        layer.paint(styled(stroke((h, w), pts, width), look, rng), look.colour)
