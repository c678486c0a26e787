"""Comparison sheets and side-by-side strips (used by ``inpaint compare`` and ``run --concat``)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

OVERLAY_RGB = (255, 40, 40)


def mask_overlay(image: np.ndarray, mask: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """uint8 H×W×3 RGB with the hole (mask > 127) tinted red at ``opacity``."""
    out = image.astype(np.float32)
    hole = mask > 127
    out[hole] = out[hole] * (1 - opacity) + np.array(OVERLAY_RGB, np.float32) * opacity
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def concat_strip(original: np.ndarray, mask: np.ndarray, result: np.ndarray) -> np.ndarray:
    """original | mask (white = hole) | result, side by side: uint8 H×3W×3 RGB."""
    mask_rgb = np.repeat(np.where(mask > 127, 255, 0).astype(np.uint8)[..., None], 3, axis=2)
    return np.concatenate([original, mask_rgb, result], axis=1)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def comparison_sheet(tiles: list[tuple[str, np.ndarray]], tile_width: int = 480, columns: int = 3) -> np.ndarray:
    """Grid of labelled images: ``tiles`` is [(label, uint8 H×W×3 RGB), ...]; all are scaled to
    ``tile_width`` px wide (aspect kept) with the label in a bar above. Returns uint8 RGB."""
    if not tiles:
        raise ValueError("no tiles to lay out")
    h0, w0 = tiles[0][1].shape[:2]
    tile_h = max(1, round(h0 * tile_width / w0))
    bar = max(22, tile_width // 18)
    columns = max(1, min(columns, len(tiles)))
    rows = (len(tiles) + columns - 1) // columns
    gap = 6
    sheet = Image.new("RGB", (columns * (tile_width + gap) + gap, rows * (tile_h + bar + gap) + gap), (32, 32, 36))
    draw = ImageDraw.Draw(sheet)
    font = _font(int(bar * 0.65))
    for i, (label, img) in enumerate(tiles):
        r, c = divmod(i, columns)
        x = gap + c * (tile_width + gap)
        y = gap + r * (tile_h + bar + gap)
        # Pillow's built-in font lacks typographic dashes: draw them as hyphens.
        draw.text((x + 6, y + bar * 0.15), label.replace("–", "-").replace("—", "-"), fill=(235, 235, 235), font=font)
        sheet.paste(Image.fromarray(img).resize((tile_width, tile_h), Image.LANCZOS), (x, y + bar))
    return np.asarray(sheet)
