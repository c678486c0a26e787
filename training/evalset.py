"""A fixed evaluation set on disk for ``inpaint eval``: held-out photos + masks of every bucket.

``python -m training evalset --data data/corpus --split resources/corpus/split.txt --out data/evalset``
writes ``images/<name>.png`` (each validation photo scaled so its short side is ``size``, then
centre-cropped to size×size) and ``masks/<bucket>-<i>.png`` (the fixed validation masks of
:func:`training.masks.validation_masks`, ``per_bucket`` per hole-ratio and object bucket). The
stems differ, so ``inpaint eval`` runs every image with every mask.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image, save_image
from training.data import list_images
from training.masks import validation_masks


def _square(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = size / min(h, w)
    rgb = cv2.resize(rgb, (max(size, round(w * scale)), max(size, round(h * scale))), interpolation=cv2.INTER_AREA)
    h, w = rgb.shape[:2]
    y0, x0 = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(rgb[y0 : y0 + size, x0 : x0 + size])


def build_evalset(
    data: str | Path, out: str | Path, split: str | Path | None = None, size: int = 512, per_bucket: int = 1
) -> tuple[int, int]:
    """Write the set; returns (images, masks) written. Images are the split's ``val`` part."""
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    paths = list_images(data, split, subset="val") if split else list_images(data)
    for p in paths:
        save_image(out / "images" / f"{p.stem}.png", _square(load_image(p).rgb, size))
    masks = validation_masks(size, size, per_bucket=per_bucket)
    for i, (bucket, mask) in enumerate(masks):
        name = bucket.replace(" ", "_").replace("%", "pct")
        save_image(out / "masks" / f"{i:02d}-{name}.png", mask)
    return len(paths), len(masks)
