"""Mould and water spots: water stains (a soft discoloured patch with a darker tide line at its rim)
and mould or foxing (clusters of small fuzzy brown spots)."""

from __future__ import annotations

import cv2
import numpy as np

from training.damage_families.base import Layer, defect_colour


def _stain(layer: Layer, rng: np.random.Generator) -> None:
    h, w = layer.shape
    radius = rng.uniform(0.05, 0.18) * min(h, w)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # An irregular outline: the radius wobbles with the angle.
    angle = np.arctan2(yy - cy, xx - cx)
    wobble = sum(rng.uniform(0.03, 0.12) * np.cos(k * angle + rng.uniform(0, 2 * np.pi)) for k in (2, 3, 5, 7))
    dist = np.hypot(xx - cx, yy - cy) / (radius * (1 + wobble))
    inside = np.clip((1.0 - dist) * 6, 0, 1) * rng.uniform(0.15, 0.4)
    rim = np.exp(-(((dist - 1.0) / rng.uniform(0.02, 0.06)) ** 2)) * rng.uniform(0.4, 0.8)
    brown = np.array([0.55, 0.4, 0.22], np.float32) * rng.uniform(0.6, 1.1)
    layer.paint(inside.astype(np.float32), np.clip(brown * 1.3, 0, 1))
    layer.paint(rim.astype(np.float32), np.clip(brown * 0.7, 0, 1))


def _mould(layer: Layer, rng: np.random.Generator) -> None:
    h, w = layer.shape
    alpha = np.zeros((h, w), np.float32)
    cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    spread = rng.uniform(0.03, 0.12) * min(h, w)
    for _ in range(int(rng.integers(8, 60))):
        x, y = rng.normal(cx, spread), rng.normal(cy, spread)
        r = rng.uniform(1.0, 5.0)
        cv2.circle(alpha, (int(x), int(y)), max(1, int(r)), float(rng.uniform(0.5, 1.0)), -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.7, 2.0))  # fuzzy edges
    colour = defect_colour(rng, False, np.array([0.6, 0.45, 0.25], np.float32)) + np.float32(rng.uniform(0.1, 0.35))
    layer.paint(np.clip(alpha * rng.uniform(0.6, 1.0), 0, 1), np.clip(colour, 0, 1))


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """1–3 water stains or mould clusters on ``layer``."""
    for _ in range(int(rng.integers(1, 4))):
        (_stain if rng.random() < 0.5 else _mould)(layer, rng)
