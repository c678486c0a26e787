"""Comparison sheets and side-by-side strips (used by ``inpaint compare``, ``run --concat`` and the
editor's comparison grid), and the framing on the edit that the grid and the sheets share."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

OVERLAY_RGB = (255, 40, 40)
#: Box = (x0, y0, x1, y1), half-open, in image pixels.
Box = tuple[int, int, int, int]


def hole_frame(mask: np.ndarray, context: float = 0.25, min_context: int = 48, min_fraction: float = 0.2) -> Box:
    """The view that shows the edit: the bounding box of every hole pixel (uint8 H×W mask > 127)
    grown by ``context`` × its size on each side (at least ``min_context`` px, so the fill's
    surroundings are there to judge it against), widened to the photo's aspect ratio and to at
    least ``min_fraction`` of its width, and shifted/clipped to stay inside it. The whole photo
    when there is no hole. Returns (x0, y0, x1, y1), half-open."""
    h, w = mask.shape[:2]
    ys, xs = np.nonzero(mask > 127)
    if xs.size == 0:
        return (0, 0, w, h)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    pad_x = max(min_context, round((x1 - x0) * context))
    pad_y = max(min_context, round((y1 - y0) * context))
    bw, bh = (x1 - x0) + 2 * pad_x, (y1 - y0) + 2 * pad_y
    # Same aspect as the photo: a thin box (a wire, a pole) would make a sliver of a tile.
    bw = max(bw, round(bh * w / h), round(w * min_fraction))
    bh = max(bh, round(bw * h / w))
    bw, bh = min(bw, w), min(bh, h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    nx0 = int(np.clip(round(cx - bw / 2), 0, w - bw))
    ny0 = int(np.clip(round(cy - bh / 2), 0, h - bh))
    return (nx0, ny0, nx0 + bw, ny0 + bh)


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    """``image[y0:y1, x0:x1]`` (any H×W[×C] array) for ``box`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1]


def hole_contours(mask: np.ndarray) -> list[np.ndarray]:
    """Outlines of the holes (uint8 H×W mask > 127): a list of int32 N×2 (x, y) point arrays."""
    found, _ = cv2.findContours((mask > 127).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1, 2) for c in found]


def draw_outline(image: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int] = (255, 255, 0), width: int = 2):
    """A copy of ``image`` (uint8 H×W×3 RGB) with the holes' outlines drawn in ``rgb``."""
    out = np.ascontiguousarray(image).copy()
    cv2.polylines(out, [c.reshape(-1, 1, 2) for c in hole_contours(mask)], True, rgb, width, cv2.LINE_AA)
    return out


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
