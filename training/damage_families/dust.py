"""Dust and hair: specks (round or oval, 1–7 px, bright or dark) scattered over the scan, and a few
hairs and lint threads (thin, wiggly, 0.8–2 px)."""

from __future__ import annotations

import cv2
import numpy as np

from training.damage_families.base import SS, Layer, draw_look, stroke, styled, walk


def _speck(layer: Layer, rng: np.random.Generator) -> None:
    """One speck, drawn in its own small window (a full-frame layer per speck would be slow)."""
    h, w = layer.shape
    r = float(rng.uniform(0.5, 3.5))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    pad = int(r * 3) + 3
    x0, y0, x1, y1 = max(0, int(cx) - pad), max(0, int(cy) - pad), min(w, int(cx) + pad + 1), min(h, int(cy) + pad + 1)
    if x1 <= x0 or y1 <= y0:
        return
    canvas = np.zeros(((y1 - y0) * SS, (x1 - x0) * SS), np.uint8)
    axes = (max(1, round(r * SS * rng.uniform(0.6, 1.4))), max(1, round(r * SS * rng.uniform(0.6, 1.4))))
    cv2.ellipse(canvas, (round((cx - x0) * SS), round((cy - y0) * SS)), axes, rng.uniform(0, 180), 0, 360, 255, -1)
    blob = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    look = draw_look(rng, layer.mean_colour, contrast=(0.55, 1.0), noise=(0.0, 0.0), along=(0.0, 0.0))
    layer.paint(styled(blob, look, rng), look.colour, (y0, y1, x0, x1))


def draw(layer: Layer, rng: np.random.Generator) -> None:
    """10–100 specks per 512² of scan and 0–5 hairs on ``layer``."""
    h, w = layer.shape
    for _ in range(int(rng.integers(10, 101) * h * w / 512**2)):
        _speck(layer, rng)
    for _ in range(int(rng.integers(0, 6))):
        start = (rng.uniform(0, w), rng.uniform(0, h))
        pts = walk(rng, start, rng.uniform(0, 2 * np.pi), rng.uniform(20, 120), 2.0, rng.uniform(0.05, 0.3))
        look = draw_look(rng, layer.mean_colour, bright=bool(rng.random() < 0.3), contrast=(0.5, 1.0), hard=0.6)
        layer.paint(styled(stroke((h, w), pts, rng.uniform(0.8, 2.0)), look, rng), look.colour)
