"""Compositing: paste-back, feathering, classical prefills and Poisson blending.

All images are uint8 H×W×3 RGB; masks uint8 H×W with > 127 = hole.
"""

from __future__ import annotations

import cv2
import numpy as np


def feather_alpha(mask: np.ndarray, feather: int) -> np.ndarray:
    """float32 H×W weight of the fill: 1 inside the hole, falling linearly to 0 at ``feather`` px
    outside it (0 beyond). ``feather = 0`` gives the hard hole mask."""
    hole = mask > 127
    if feather <= 0:
        return hole.astype(np.float32)
    # Distance (px) of every known pixel to the nearest hole pixel.
    dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
    return np.clip(1.0 - dist / float(feather + 1), 0.0, 1.0).astype(np.float32)


def paste(original: np.ndarray, filled: np.ndarray, mask: np.ndarray, feather: int = 0) -> np.ndarray:
    """Composite ``filled`` into ``original``: hole pixels from ``filled``, the rest from ``original``.

    With ``feather > 0`` a band of that many pixels outside the hole is blended too; pixels farther
    away are always exactly ``original``. Returns a new uint8 H×W×3 array.
    """
    if feather <= 0:
        return np.where((mask > 127)[..., None], filled, original)
    alpha = feather_alpha(mask, feather)[..., None]
    mixed = original.astype(np.float32) * (1.0 - alpha) + filled.astype(np.float32) * alpha
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def telea_prefill(image: np.ndarray, mask: np.ndarray, radius: int = 1) -> np.ndarray:
    """OpenCV fast-marching (Telea) fill of the hole; GLCIC's official post-processing uses radius 1."""
    return cv2.inpaint(np.ascontiguousarray(image), (mask > 127).astype(np.uint8) * 255, radius, cv2.INPAINT_TELEA)


#: Classical fills a learned engine can start from (weights metadata ``config["prefill"]``).
PREFILLS = {"ns": cv2.INPAINT_NS, "telea": cv2.INPAINT_TELEA}


def classical_prefill(image: np.ndarray, mask: np.ndarray, method: str = "ns", radius: int = 5) -> np.ndarray:
    """OpenCV fill of the hole (``method`` "ns" = Navier–Stokes, "telea"); uint8 H×W×3 in and out.

    Radius 5 is the classical engines' default, so a residual network on this prefill starts from
    exactly what the Navier–Stokes engine gives. Only known pixels are read: the hole's old content
    never reaches the result.
    """
    if method not in PREFILLS:
        raise ValueError(f"unknown prefill {method!r}; known: {', '.join(PREFILLS)}")
    hole = (mask > 127).astype(np.uint8) * 255
    return cv2.inpaint(np.ascontiguousarray(image), hole, radius, PREFILLS[method])


def poisson_band(mask: np.ndarray) -> np.ndarray:
    """Pixels :func:`poisson_blend` may change: the hole dilated by 1 px (the clone border)."""
    hole = (mask > 127).astype(np.uint8)
    return cv2.dilate(hole, np.ones((3, 3), np.uint8)) > 0


def poisson_blend(image: np.ndarray, completed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """GLCIC §3.4 post-processing: Telea-prefill the hole of ``image``, then Poisson-clone the
    network's ``completed`` hole region onto it (``cv2.seamlessClone``, NORMAL_CLONE, centred on
    the mask's bounding box, as the official code does).

    Only the hole and a 1-px band around it (:func:`poisson_band`) can change; everything else is
    restored from ``image`` afterwards. Returns uint8 H×W×3 RGB.
    """
    hole = (mask > 127).astype(np.uint8) * 255
    if not hole.any():
        return image.copy()
    h, w = hole.shape
    base = telea_prefill(image, hole, 1)
    # seamlessClone needs the source region strictly inside the destination: clear the outer ring.
    clone_mask = cv2.dilate(hole, np.ones((3, 3), np.uint8))
    clone_mask[0, :] = clone_mask[-1, :] = 0
    clone_mask[:, 0] = clone_mask[:, -1] = 0
    if not clone_mask.any() or h < 3 or w < 3:
        return paste(image, completed, hole)
    ys, xs = np.nonzero(clone_mask)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    center = ((int(x0) + int(x1) + 1) // 2, (int(y0) + int(y1) + 1) // 2)
    src = np.ascontiguousarray(completed[..., ::-1])  # OpenCV works in BGR
    dst = np.ascontiguousarray(base[..., ::-1])
    try:
        cloned = cv2.seamlessClone(src, dst, clone_mask, center, cv2.NORMAL_CLONE)[..., ::-1]
    except cv2.error:
        # Degenerate masks (e.g. touching the border everywhere) cannot be cloned: plain paste.
        return paste(image, completed, hole)
    band = poisson_band(hole)
    return np.where(band[..., None], cloned, image)
