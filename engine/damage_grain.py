"""Leave out detected specks that lie along the grain of the texture around them.

Why: what the component verifier (engine/damage_verify.py) and the family check
(engine/damage_family.py) still let through on textured photos are small dashes *of the texture*:
on the sample ``old_pier.jpg`` most of the remaining false alarms are 5–80 px dark or bright
streaks of the near deck's wood grain (knots, grain lines), each lying along the grain. Dust,
hair and short scratch pieces land on a print independently of the picture under them, so a small
elongated detection whose axis follows the local texture direction, in texture that has a
direction, is more likely picture than damage. Not in Wan et al. (2020): our choice, chosen
on the calibration photos (benchmarks/restore_grain.py) and measured in the model card
(resources/weights/scratch.md, "Grain check").

Method, per component the verifier keeps (score ≥ its cutoff) whose confident pixels (≥ the
network's threshold) number 3 … ``MAX_AREA``:
- its *elongation*: the ratio of the principal variances of those pixels' coordinates, and its axis;
- the texture around it: the structure tensor of the luma (3×3 Sobel gradients, products averaged
  by a Gaussian of σ = ``SIGMA`` px) at the component's centre, leaving out of the average every
  gradient that sees a confident pixel of the map (those pixels grown by the Sobel's 1 px reach;
  normalised convolution) — a lone speck on a flat ground would otherwise make its own "grain"; its *coherence* (λ1 − λ2) / (λ1 + λ2) in [0, 1] says how clearly the texture
  has one direction, and the texture's lines run across its dominant gradient;
- the component is a grain dash, and is dropped, when elongation ≥ ``MIN_ELONGATION``, coherence ≥
  ``MIN_COHERENCE`` and its axis is within ``MAX_ANGLE``° of the texture direction.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.damage_verify import Components

SIGMA = 12.0  # px: a neighbourhood of several grain periods (chosen, not swept)
MAX_AREA = 80  # confident px: specks and short dashes (chosen, see the card)
MIN_ELONGATION = 6.0  # variance ratio: σ along ≥ 2.4 × σ across (chosen, see the card)
MIN_COHERENCE = 0.1  # the texture has a direction at all (chosen, see the card)
# degrees between the component's axis and the texture's direction (chosen, see the card; the sweep
# stops at 45°: beyond it a dash runs nearer across the grain than along it)
MAX_ANGLE = 45.0
MIN_PIXELS = 3  # fewer give no axis


def texture_tensor(image: np.ndarray, probability: np.ndarray, threshold: float) -> tuple[np.ndarray, ...]:
    """(Jxx, Jyy, Jxy): float32 H×W structure tensor of the uint8 H×W×3 RGB ``image``'s luma, each
    product averaged over a Gaussian of σ ``SIGMA`` px leaving out the gradients whose 3×3 Sobel sees
    a pixel where the float32 H×W ``probability`` ≥ ``threshold`` (normalised convolution; where
    all are left out, 0)."""
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1)
    confident = cv2.dilate((probability >= threshold).astype(np.uint8), np.ones((3, 3), np.uint8))
    weight = 1.0 - confident.astype(np.float32)
    norm = cv2.GaussianBlur(weight, (0, 0), SIGMA) + 1e-6
    return tuple(cv2.GaussianBlur(p * weight, (0, 0), SIGMA) / norm for p in (gx * gx, gy * gy, gx * gy))


def grain_features(
    image: np.ndarray,
    probability: np.ndarray,
    comps: Components,
    scores: np.ndarray,
    cutoff: float,
    threshold: float,
    max_area: int = MAX_AREA,
) -> np.ndarray:
    """float64 N×5 rows (component index, confident px, elongation, coherence, angle in degrees
    between its axis and the texture direction) of the kept components (score ≥ ``cutoff``) with
    ``MIN_PIXELS`` … ``max_area`` pixels ≥ ``threshold``. image: uint8 H×W×3 RGB; probability:
    float32 H×W network map; comps, scores: the verifier's components of it and their scores."""
    small = []
    for i in np.nonzero(scores >= cutoff)[0]:
        x0, y0, bw, bh = (int(v) for v in comps.stats[i + 1, :4])
        if comps.stats[i + 1, 4] < MIN_PIXELS:
            continue
        win = probability[y0 : y0 + bh, x0 : x0 + bw]
        ys, xs = np.nonzero((comps.labels[y0 : y0 + bh, x0 : x0 + bw] == i + 1) & (win >= threshold))
        if MIN_PIXELS <= len(xs) <= max_area:
            small.append((i, xs + x0, ys + y0))
    if not small:
        return np.zeros((0, 5))
    jxx, jyy, jxy = texture_tensor(image, probability, threshold)
    rows = []
    for i, xs, ys in small:
        var, vec = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))
        elongation = var[1] / max(var[0], 0.05)  # a 1 px wide dash has variance ~0 across: floor it
        axis = np.arctan2(vec[1, 1], vec[0, 1])
        cy, cx = round(float(ys.mean())), round(float(xs.mean()))
        a, b, c = float(jxx[cy, cx]), float(jyy[cy, cx]), float(jxy[cy, cx])
        coherence = np.hypot(a - b, 2 * c) / (a + b + 1e-6)
        texture = 0.5 * np.arctan2(2 * c, a - b) + np.pi / 2  # lines run across the dominant gradient
        angle = abs((axis - texture + np.pi / 2) % np.pi - np.pi / 2)
        rows.append((i, len(xs), elongation, coherence, np.degrees(angle)))
    return np.array(rows, np.float64)


def grain_flags(
    features: np.ndarray,
    max_area: int = MAX_AREA,
    min_elongation: float = MIN_ELONGATION,
    min_coherence: float = MIN_COHERENCE,
    max_angle: float = MAX_ANGLE,
) -> np.ndarray:
    """bool N: which rows of :func:`grain_features` are grain dashes at these settings."""
    if len(features) == 0:
        return np.zeros(0, bool)
    return (
        (features[:, 1] <= max_area)
        & (features[:, 2] >= min_elongation)
        & (features[:, 3] >= min_coherence)
        & (features[:, 4] <= max_angle)
    )


def grain_scores(
    image: np.ndarray,
    probability: np.ndarray,
    comps: Components,
    scores: np.ndarray,
    cutoff: float,
    threshold: float,
) -> tuple[np.ndarray, int]:
    """(scores, dropped): the verifier's float32 per-component ``scores`` with those of grain dashes
    set to 0, and how many; arguments as for :func:`grain_features`."""
    features = grain_features(image, probability, comps, scores, cutoff, threshold)
    out = scores.astype(np.float32, copy=True)
    flagged = features[grain_flags(features), 0].astype(int)
    out[flagged] = 0.0
    return out, len(flagged)
