"""Leave out detected lines that are one of a family: a parallel line as strong runs close beside.

Why: what the component verifier (engine/damage_verify.py) still lets through on line-rich photos
are picture lines — the sample's converging far-deck plank gaps, the two ladder posts, dashes of
the near-deck gaps. Each looks like a scratch on its own; what gives it away is its neighbour: a
plank gap has another plank gap 10–30 px away, as dark, as thin and (nearly) parallel; a ladder post
has its twin. A scratch from the film is drawn independently of the picture, so a line *as strong
as itself* running alongside it is rare. The verifier's features count parallel detections, but
only where the network detected them; this looks at the photo itself. Not in Wan et al. (2020):
our choice, chosen and measured in the model card (resources/weights/scratch.md, "Family check").

Method, per kept component whose confident pixels form a line ≥ ``MIN_LENGTH`` px long (variance
ratio ≥ 9, as for the continuation's seeds): fit x(s), y(s) quadratics along its principal axis,
then average the signed line evidence (engine.damage_trace.line_evidence, in grain units, the
component's polarity) along copies of that curve shifted across it by −80…80 px and tilted by up
to ±10° (plank gaps converge). ``own`` is the best average within 2 px of the curve, ``other`` the
best peak of that across-profile ≥ 6 px away. The component is a
family member — and is dropped — when ``other ≥ RATIO × own``. Only where ``own ≥ MIN_OWN``: a
fit that misses its own line (two crossing scratches, a long wiggle) says nothing about neighbours.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.damage_trace import ELONGATION
from engine.damage_verify import Components

OFFSETS = np.arange(-80.0, 81.0)  # px across: the sample's ladder posts stand 74 px apart
NEAR = 2.0  # px: within this the shifted curve still lies on the component's own line
FAR = 6.0  # px: from here a line is a neighbour (beyond a 3 px scratch's width and halo)
TILTS = np.deg2rad(np.arange(-10.0, 10.1, 2.5))
MIN_LENGTH = 10.0  # px along the axis (chosen, see the card: the near-deck dashes are 12–21 px)
MIN_OWN = 2.5  # grain units the fitted curve must show to be on its line (chosen, see the card)
RATIO = 0.7  # a neighbour with this share of the component's own evidence makes it a family member


def family_strengths(
    evidence: np.ndarray, xs: np.ndarray, ys: np.ndarray, min_length: float = MIN_LENGTH
) -> tuple[float, float] | None:
    """(own, other) mean line evidence of a component's pixels (int x, y arrays) along its fitted
    curve and along the strongest shifted or tilted copy ≥ ``FAR`` px away; None when the pixels
    are too few, shorter than ``min_length`` px or not a line. ``evidence``: float32 H×W from
    ``line_evidence``."""
    if len(xs) < 10:
        return None
    pts = np.stack([xs, ys], 1).astype(np.float64)
    var, vec = np.linalg.eigh(np.cov(pts.T))
    if var[1] < ELONGATION * max(var[0], 1e-6):
        return None
    s = (pts - pts.mean(0)) @ vec[:, 1]
    if s.max() - s.min() < min_length:
        return None
    polarity = float(np.sign(np.mean(evidence[ys, xs]))) or 1.0
    cx, cy = np.polyfit(s, pts[:, 0], 2), np.polyfit(s, pts[:, 1], 2)
    along = np.arange(s.min(), s.max() + 0.01, 1.0)
    px, py = np.polyval(cx, along), np.polyval(cy, along)
    dx, dy = np.polyval(np.polyder(cx), along), np.polyval(np.polyder(cy), along)
    norm = np.hypot(dx, dy) + 1e-9
    nx, ny = -dy / norm, dx / norm
    centred = along - along.mean()
    profiles = []  # tilts × offsets: mean evidence along each shifted, tilted copy of the curve
    for tilt in TILTS:
        d = OFFSETS[:, None] + np.tan(tilt) * centred[None, :]
        mx = (px[None] + d * nx[None]).astype(np.float32)
        my = (py[None] + d * ny[None]).astype(np.float32)
        v = cv2.remap(evidence, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=np.nan)
        inside = np.isfinite(v)
        count = inside.sum(1)
        profiles.append(np.where(count > 0, np.where(inside, v, 0.0).sum(1) / np.maximum(count, 1), np.nan))
    prof = np.nan_to_num(polarity * np.array(profiles), nan=-np.inf)  # copies wholly outside the image: none
    own = float(prof[len(TILTS) // 2, np.abs(OFFSETS) <= NEAR].max())
    # a neighbour is a peak of its own across the component, not the shoulder of the component's
    # line (a wide scratch is still bright 6 px from its axis)
    best = prof.max(0)
    peak = np.zeros_like(best, bool)
    peak[1:-1] = (best[1:-1] >= best[:-2]) & (best[1:-1] >= best[2:])
    far = peak & (np.abs(OFFSETS) >= FAR)
    other = float(best[far].max()) if far.any() else -np.inf
    return own, other


def family_scores(
    evidence: np.ndarray,
    probability: np.ndarray,
    comps: Components,
    scores: np.ndarray,
    cutoff: float,
    threshold: float,
    ratio: float = RATIO,
    min_own: float = MIN_OWN,
    min_length: float = MIN_LENGTH,
) -> tuple[np.ndarray, int]:
    """(scores, dropped): the verifier's float32 per-component ``scores`` with those of family
    members set to 0, and how many. Only components the verifier keeps (score ≥ ``cutoff``) are
    looked at; their pixels ≥ ``threshold`` (the network's calibrated one) form the line.
    probability: float32 H×W network map; comps: its components (engine.damage_verify.components);
    ratio, min_own, min_length: :data:`RATIO`, :data:`MIN_OWN`, :data:`MIN_LENGTH`
    (benchmarks/restore_family.py sweeps them)."""
    out = scores.astype(np.float32, copy=True)
    dropped = 0
    for i in np.nonzero(scores >= cutoff)[0]:
        x0, y0, bw, bh = (int(v) for v in comps.stats[i + 1, :4])
        win = probability[y0 : y0 + bh, x0 : x0 + bw]
        ys, xs = np.nonzero((comps.labels[y0 : y0 + bh, x0 : x0 + bw] == i + 1) & (win >= threshold))
        found = family_strengths(evidence, xs + x0, ys + y0, min_length)
        if found is not None and found[0] >= min_own and found[1] >= ratio * found[0]:
            out[i] = 0.0
            dropped += 1
    return out, dropped
