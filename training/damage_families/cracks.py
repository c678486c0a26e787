"""Crack networks (craquelure): polygonal, branching cracks 1–4 px wide over a region of the print.

Cracks grow from a few seeds as straight runs with kinks (the polygonal look of a cracked emulsion);
each run may branch off at a wide angle, and a run stops where it meets an older crack, so the
cells close. Branches start on their parent and later seeds on an earlier crack, so the network is
connected. Cracks are dark
(dirt in the gap) or bright (the paper showing through, the white craquelure of old portraits).
"""

from __future__ import annotations

import cv2
import numpy as np

from training.damage_families.base import Layer, draw_look, log_uniform, stroke, styled

STEP = 3.0  # px per growth step
BRANCH = 0.1  # chance per step that a crack branches


def _grow(
    rng: np.random.Generator, taken: np.ndarray, start: np.ndarray, angle: float, budget: int, depth: int
) -> list[tuple[np.ndarray, int]]:
    """Runs (float32 K×2 x, y points, depth) of one crack from ``start`` and its branches; ``taken``
    (uint8 H×W, 1 = a crack is there) is updated so later runs stop on it."""
    h, w = taken.shape
    pts = [start.copy()]
    pos = start.astype(np.float64)
    runs: list[tuple[np.ndarray, int]] = []
    kink_every = int(rng.integers(4, 12))
    for i in range(budget):
        if i % kink_every == kink_every - 1:  # polygonal: straight runs joined at kinks
            angle += rng.normal(0, 0.5)
        pos = pos + STEP * np.array([np.cos(angle), np.sin(angle)])
        x, y = int(pos[0]), int(pos[1])
        if not (0 <= x < w and 0 <= y < h):
            break
        pts.append(pos.copy())
        if i > 2 and taken[y, x]:  # met an older crack: the cell closes here
            break
        if depth < 5 and rng.random() < BRANCH:
            side = 1 if rng.random() < 0.5 else -1
            child = angle + side * rng.uniform(0.9, 1.9)
            runs += _grow(rng, taken, pos.copy(), float(child), int(budget * rng.uniform(0.3, 0.7)), depth + 1)
    line = np.array(pts, np.float32)
    if len(line) >= 2:
        cv2.polylines(taken, [np.round(line).astype(np.int32)], False, 1, 2)
        runs.append((line, depth))
    return runs


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """A craquelure network of 1–4 seeds on ``layer``, each crack 1–4 px wide (thinner as it branches)."""
    h, w = layer.shape
    taken = np.zeros((h, w), np.uint8)
    centre = np.array([rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h])
    spread = rng.uniform(0.1, 0.3) * min(h, w)
    runs: list[tuple[np.ndarray, int]] = []
    for k in range(int(rng.integers(1, 5))):
        start = np.clip(centre + rng.normal(0, spread, 2), 0, [w - 1, h - 1])
        if k and runs:  # later seeds start on an earlier crack: one connected network
            line = runs[int(rng.integers(len(runs)))][0]
            start = line[int(rng.integers(len(line)))]
        budget = int(rng.uniform(0.15, 0.45) * max(h, w) / STEP)
        for angle in rng.uniform(0, 2 * np.pi, int(rng.integers(2, 4))):  # arms from the seed
            runs += _grow(rng, taken, start.astype(np.float32), float(angle), budget, 0)
    look = draw_look(rng, layer.mean_colour, contrast=(0.55, 1.0), blur=(0.2, 0.7), noise=(0.0, 0.25))
    top = log_uniform(rng, 1.2, 4.0)
    alpha = np.zeros((h, w), np.float32)
    for line, depth in runs:
        np.maximum(alpha, stroke((h, w), line, max(1.0, top * 0.8**depth)), out=alpha)
    layer.paint(styled(alpha, look, rng), look.colour)
