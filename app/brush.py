"""Brush maths on the mask (pure numpy, no Qt): paint or erase one stroke segment.

Coordinates are image pixels with pixel (row i, column j) centred at (j + 0.5, i + 0.5), the same as
the canvas scene, so a stroke lands exactly under the outline cursor.
"""

from __future__ import annotations

import cv2
import numpy as np

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


def segment_rect(p0: tuple[float, float], p1: tuple[float, float], radius: float, w: int, h: int) -> Rect | None:
    """Bounding box of a capsule of ``radius`` around p0–p1, clipped to the image; None if empty."""
    x0 = max(0, int(np.floor(min(p0[0], p1[0]) - radius)) - 1)
    y0 = max(0, int(np.floor(min(p0[1], p1[1]) - radius)) - 1)
    x1 = min(w, int(np.ceil(max(p0[0], p1[0]) + radius)) + 1)
    y1 = min(h, int(np.ceil(max(p0[1], p1[1]) + radius)) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def stroke_segment(
    mask: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    radius: float,
    hardness: float = 1.0,
    erase: bool = False,
) -> Rect | None:
    """Paint (or erase) a round brush swept from p0 to p1 into ``mask`` in place.

    mask: uint8 H×W (0 = keep, 255 = hole). ``radius`` in image pixels; ``hardness`` in [0, 1]:
    1 = hard edge, lower values fade the outer ``(1 - hardness) × radius`` linearly (the pipeline
    counts > 127 as hole, so a soft edge shows where the cut-off is without moving it much).
    Painting takes the maximum with the existing mask, erasing the minimum with its complement, so
    overlapping segments of one stroke never accumulate. Returns the changed box or None.
    """
    h, w = mask.shape
    radius = max(0.5, float(radius))
    rect = segment_rect(p0, p1, radius, w, h)
    if rect is None:
        return None
    x0, y0, x1, y1 = rect
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    xs += 0.5
    ys += 0.5
    ax, ay = float(p0[0]), float(p0[1])
    dx, dy = float(p1[0]) - ax, float(p1[1]) - ay
    length2 = dx * dx + dy * dy
    if length2 > 1e-9:
        t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / length2, 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
    else:
        px, py = np.float32(ax), np.float32(ay)
    dist = np.sqrt((xs - px) ** 2 + (ys - py) ** 2)
    soft = (1.0 - float(np.clip(hardness, 0.0, 1.0))) * radius
    if soft < 0.5:
        value = np.where(dist <= radius, 255, 0).astype(np.uint8)
    else:
        value = (np.clip((radius - dist) / soft, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    region = mask[y0:y1, x0:x1]
    if erase:
        np.minimum(region, 255 - value, out=region)
    else:
        np.maximum(region, value, out=region)
    return rect


def union(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Binary hole grown (pixels > 0) or shrunk (< 0) by ``|pixels|`` with a round kernel.

    Returns uint8 H×W with 255 = hole.
    """
    hole = np.where(mask > 127, 255, 0).astype(np.uint8)
    if pixels == 0:
        return hole
    n = abs(int(pixels))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * n + 1, 2 * n + 1))
    return cv2.dilate(hole, kernel) if pixels > 0 else cv2.erode(hole, kernel)
