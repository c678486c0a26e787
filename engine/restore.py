"""Old-photo restoration: propose a mask of scratches and dust for the user to review.

Method (classical, no weights): on the luma channel, a white top-hat (image minus its opening)
finds structures brighter than their surroundings and narrower than the structuring element, a
black top-hat (closing minus image) the darker ones — scratches and dust on scanned prints and
negatives are both. The response is thresholded relative to the photo's own noise level (median
absolute deviation), with hysteresis so a faint stretch of a scratch stays attached to its strong
part. Connected components are then kept only if they look like damage:

- thin lines: long (bounding-box diagonal >= ``min_length``) and thin (the distance transform
  inside the component never exceeds half the maximum scratch width), or
- small specks: area at most ``max_speck`` pixels.

Everything else (textured areas, larger bright/dark objects) is dropped. The kept pixels are
dilated by a pixel or two so the halo around a scratch is filled too. All sizes scale with the
photo's long side (reference: 1000 px).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.errors import InpaintError


def _odd(n: float) -> int:
    n = max(3, round(n))
    return n if n % 2 else n + 1


def scratch_response(image: np.ndarray, kernel: int) -> np.ndarray:
    """float32 H×W: max of white and black top-hat of the luma of ``image`` (uint8 H×W×3 RGB)."""
    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    # A 3×3 median removes single-pixel sensor noise but keeps 2+ px lines; 1 px lines survive as
    # long as they are continuous (the median of a line pixel's neighbourhood is still bright along it).
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
    white = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, se).astype(np.float32)
    black = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, se).astype(np.float32)
    return np.maximum(white, black)


def detect_scratches(image: np.ndarray, sensitivity: float = 0.5) -> np.ndarray:
    """Suggest a mask of scratches and dust on an old photo.

    image: uint8 H×W×3 RGB. sensitivity: 0 (only obvious damage) … 1 (faint damage too, more
    false alarms). Returns uint8 H×W, 255 = suspected damage (hole), 0 = keep.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InpaintError("scratch detection needs a uint8 H×W×3 RGB image")
    if not 0.0 <= float(sensitivity) <= 1.0:
        raise InpaintError(f"sensitivity {sensitivity} is outside 0..1")
    h, w = image.shape[:2]
    scale = max(h, w) / 1000.0
    kernel = _odd(max(7.0, 11 * scale))  # wider than any scratch, narrower than real picture detail
    max_half_width = max(2.0, 3.0 * scale)  # scratches up to ~4–6 px wide at 1000 px
    min_length = max(12.0, 25 * scale)
    max_speck = max(12, round(60 * scale * scale))

    resp = scratch_response(image, kernel)
    med = float(np.median(resp))
    mad = float(np.median(np.abs(resp - med))) * 1.4826 + 1.0
    s = float(sensitivity)
    k_sigma = 14.0 - 10.0 * s  # 14 MADs (strict) … 4 MADs (lenient)
    floor = 40.0 - 28.0 * s  # never below this absolute contrast (grey levels)
    strong_thr = max(med + k_sigma * mad, floor)
    weak_thr = max(med + 0.5 * k_sigma * mad, 0.5 * floor)

    weak = resp > weak_thr
    if not weak.any():
        return np.zeros((h, w), np.uint8)
    # Remove wide structures pixel-wise (not component-wise), so a scratch crossing a bright
    # object is cut free from it instead of being rejected together with it.
    r = round(max_half_width)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    thick = cv2.morphologyEx(weak.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0
    thin = (weak & ~thick).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    strong_hit = np.zeros(count, bool)
    strong_hit[np.unique(labels[(resp > strong_thr) & (thin > 0)])] = True
    area = stats[:, cv2.CC_STAT_AREA]
    diag = np.hypot(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    # A line fills little of its bounding box unless it is axis-aligned; a blob of texture fills much.
    mean_width = area / np.maximum(diag, 1.0)
    line = (diag >= min_length) & (mean_width <= 2.0 * max_half_width)
    speck = (area <= max_speck) & (diag <= kernel * 1.5) & (area >= 2)
    keep = strong_hit & (line | speck)
    keep[0] = False
    out = keep[labels].astype(np.uint8) * 255
    grow = max(1, round(1.0 * scale))
    out = cv2.dilate(out, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return out


# --------------------------------------------------------------------------- trained detector
# The network path lives in engine.damage_net (torch); this module stays importable without it.


def damage_scores(found: np.ndarray, truth: np.ndarray, tolerance: int = 2) -> tuple[float, float]:
    """(precision, recall) of a proposed damage mask at ``tolerance`` px (issue #19's protocol).

    found, truth: uint8 H×W masks (>0 = damage). Precision: share of proposed pixels within
    ``tolerance`` px of a true one; recall: share of true pixels within ``tolerance`` px of a proposed
    one. An empty proposal has precision 1.0; an empty truth has recall 1.0.
    """
    if found.shape != truth.shape:
        raise InpaintError(f"mask sizes differ: {found.shape} vs {truth.shape}")
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    hit, true = found > 0, truth > 0
    near_true = cv2.dilate(true.astype(np.uint8), k) > 0
    near_hit = cv2.dilate(hit.astype(np.uint8), k) > 0
    precision = float((hit & near_true).sum() / hit.sum()) if hit.any() else 1.0
    recall = float((true & near_hit).sum() / true.sum()) if true.any() else 1.0
    return precision, recall


def threshold_for(sensitivity: float, midpoint: float = 0.5) -> float:
    """Network probability threshold for a sensitivity in 0..1: 0 → 0.95, 0.5 → ``midpoint``, 1 → 0.05,
    linear in between. ``midpoint`` is the detector's calibrated threshold (its weights' ``threshold``
    metadata, chosen by ``benchmarks/restore_threshold.py`` on the train photos), so the default
    sensitivity 0.5 means the calibrated threshold whatever the weights."""
    if not 0.0 <= float(sensitivity) <= 1.0:
        raise InpaintError(f"sensitivity {sensitivity} is outside 0..1")
    if not 0.05 < float(midpoint) < 0.95:
        raise InpaintError(f"detector threshold {midpoint} is outside (0.05, 0.95)")
    s = float(sensitivity)
    return 0.95 + (midpoint - 0.95) * 2 * s if s <= 0.5 else midpoint + (0.05 - midpoint) * (2 * s - 1)


def mask_from_probability(
    probability: np.ndarray, sensitivity: float, grow: int = 1, midpoint: float = 0.5
) -> np.ndarray:
    """Threshold a float32 H×W damage probability map -> uint8 H×W mask (255 = damage).

    ``grow`` px of dilation cover the soft halo a scratch leaves beside the pixels the network marks,
    so a fill does not leave a faint outline (chosen by the restored-PSNR measurement in the model card).
    ``midpoint``: the threshold at sensitivity 0.5 (:func:`threshold_for`).
    """
    return mask_at_threshold(probability, threshold_for(sensitivity, midpoint), grow)


def mask_at_threshold(probability: np.ndarray, threshold: float, grow: int = 1) -> np.ndarray:
    """uint8 H×W mask (255 = damage) of the pixels of a float32 H×W probability map at or above
    ``threshold``, grown by ``grow`` px (see :func:`mask_from_probability`)."""
    out = (probability >= threshold).astype(np.uint8) * 255
    if grow > 0 and out.any():
        out = cv2.dilate(out, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return out
