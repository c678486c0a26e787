"""A synthetic scene for object selection: a textured backdrop with one drawn object on it."""

from __future__ import annotations

import cv2
import numpy as np

OBJECT_BOX = (90, 60, 210, 170)  # x0, y0, x1, y1 of a box drawn around the object, with background inside


def object_scene(h: int = 240, w: int = 320, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(image uint8 h×w×3 RGB, object bool h×w): a noisy green-brown gradient with a reddish,
    shaded ellipse-and-square object inside :data:`OBJECT_BOX`."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    back = np.stack([60 + x / w * 60, 110 + y / h * 50, 50 + (x + y) / (w + h) * 30], axis=2)
    image = back + rng.normal(0, 10, back.shape)
    obj = np.zeros((h, w), np.uint8)
    cv2.ellipse(obj, (140, 115), (38, 44), 15, 0, 360, 255, -1)
    cv2.rectangle(obj, (150, 95), (195, 155), 255, -1)
    shade = 0.75 + 0.25 * (x - 100) / 110  # light from the right: not one flat colour
    red = np.stack([200 * shade, 50 * shade, 60 * shade], axis=2) + rng.normal(0, 8, back.shape)
    image = np.where(obj[..., None] > 0, red, image)
    return np.clip(image, 0, 255).astype(np.uint8), obj > 0
