"""Select an object from a box around it: its silhouette by OpenCV GrabCut, as a removal mask.

GrabCut (Rother, Kolmogorov & Blake, SIGGRAPH 2004) models the box's surroundings and its inside
as two colour mixtures and cuts the box along the strongest edges between them: no network, no
download. What it finds is the object as a colour region; a cast shadow that is darker background
usually stays outside (the editor's hint says to add it with the brush).

The cut runs on the box plus a band of background around it, scaled so its long side is at most
:data:`WORK_SIDE` (a 24 MP photo takes a fraction of a second); the mask is scaled back, holes
inside the object are closed, specks far smaller than the object dropped, and the result grown by
``grow`` pixels (the removal margin: edges and halos go too).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.errors import InpaintError

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive), image pixels

#: Long side (px) the cut is computed at; larger boxes are scaled down first.
WORK_SIDE = 640
#: Smallest box side (px) that can hold an object and its edge.
MIN_SIDE = 4
#: Pieces of the cut smaller than this fraction of the largest piece are dropped.
SPECK_FRACTION = 0.05


def parse_box(text: str) -> Box:
    """``"x0,y0,x1,y1"`` -> (x0, y0, x1, y1) integers; raises :class:`InpaintError` when malformed."""
    parts = [p.strip() for p in text.split(",")]
    try:
        x0, y0, x1, y1 = (round(float(p)) for p in parts)
    except ValueError:
        raise InpaintError(f"box {text!r} must be four numbers x0,y0,x1,y1 (e.g. 40,30,200,180)") from None
    return x0, y0, x1, y1


def check_box(box: Box, width: int, height: int) -> Box:
    """``box`` ordered and clipped to a ``width``×``height`` image; :class:`InpaintError` if too small."""
    x0, x1 = sorted((int(box[0]), int(box[2])))
    y0, y1 = sorted((int(box[1]), int(box[3])))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        raise InpaintError(
            f"the box {box} holds less than {MIN_SIDE}×{MIN_SIDE} px of the {width}×{height} photo; "
            "drag a box around the whole object"
        )
    if (x1 - x0) >= width and (y1 - y0) >= height:
        raise InpaintError("the box covers the whole photo: leave some background around the object inside the photo")
    return x0, y0, x1, y1


def select_object(image: np.ndarray, box: Box, grow: int = 0, iterations: int = 5) -> np.ndarray:
    """The object inside ``box`` as a mask.

    image: uint8 H×W×3 RGB. box: (x0, y0, x1, y1) in image pixels, exclusive ends, around the
    object with a little background inside. ``grow``: pixels to dilate the silhouette by (>= 0).
    Returns uint8 H×W, 255 = object (all zero outside the grown box). Raises :class:`InpaintError`
    for a bad image or box. The input is never modified.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InpaintError("image must be a uint8 H×W×3 RGB array")
    if grow < 0:
        raise InpaintError(f"grow {grow} must not be negative")
    h, w = image.shape[:2]
    x0, y0, x1, y1 = check_box(box, w, h)
    # Context: background around the box, so the background model sees more than a thin rim.
    pad = max(8, (max(x1 - x0, y1 - y0)) // 4)
    cx0, cy0, cx1, cy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    crop = image[cy0:cy1, cx0:cx1]
    scale = min(1.0, WORK_SIDE / max(crop.shape[:2]))
    small = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    rx0, ry0 = int(np.floor((x0 - cx0) * scale)), int(np.floor((y0 - cy0) * scale))
    rx1, ry1 = min(sw, int(np.ceil((x1 - cx0) * scale))), min(sh, int(np.ceil((y1 - cy0) * scale)))
    labels = np.zeros((sh, sw), np.uint8)  # cv2.GC_BGD outside the box
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    try:
        cv2.grabCut(bgr, labels, (rx0, ry0, rx1 - rx0, ry1 - ry0), bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    except cv2.error as exc:  # e.g. a box of one flat colour: no mixture to fit
        raise InpaintError(f"could not separate an object in the box {box}: {exc.err or exc}") from None
    fg = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8) * 255
    if scale != 1.0:
        fg = cv2.resize(fg, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR)
        fg = np.where(fg > 127, 255, 0).astype(np.uint8)
    fg = _clean(fg)
    out = np.zeros((h, w), np.uint8)
    out[cy0:cy1, cx0:cx1] = fg
    out[:, :x0] = 0  # nothing outside the box the user drew (before growing)
    out[:, x1:] = 0
    out[:y0] = 0
    out[y1:] = 0
    if grow > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        out = cv2.dilate(out, kernel)
    return out


def _clean(fg: np.ndarray) -> np.ndarray:
    """uint8 {0, 255} silhouette without specks and with its inner holes filled."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if count <= 1:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= SPECK_FRACTION * areas.max())
    fg = np.isin(labels, keep).astype(np.uint8) * 255
    contours, _ = cv2.findContours(fg, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(fg, contours, -1, 255, thickness=cv2.FILLED)  # holes inside the object
    return fg
