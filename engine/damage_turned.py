"""A second look at the scan turned by 90°, for the near-horizontal scratches the network misses.

Why: the shipped U-Net (engine/models/scratch.py) learned its generator's near-vertical scratch
prior: a faint scratch within ~30° of horizontal gets probability ≈ 0 (the sample ``old_pier.jpg``'s
top-right scratch: 0.001), while the same scratch turned by 90° gets 0.88
(``python -m benchmarks.restore_orientation``). Turned by 90°, the scan shows the network every
near-horizontal line as a near-vertical one — the scratches it missed, but also every horizon,
shoreline, gunwale and leaf midrib of the picture, which the upright verifier was never taught to
reject in that direction (its examples were all upright): with it, the pass added those lines on
the bundled undamaged photos and on validation photos (model card resources/weights/scratch.md,
"Turned pass"). So the turned view has **its own verifier**, ``<detector>_verify_turned.safetensors``
(``python -m training verifier --turned``: the same features and fit on the turned train photos),
and only *adds* what that verifier is sure of and the upright view is blind to. Not in Wan et al.
(2020): our choice; the settings below were chosen on the calibration photos and the bundled
undamaged photos (benchmarks/restore_turned.py).

Method: the network and the turned verifier run on the turned scan; a component of it is added when
- the turned verifier's score ≥ ``MIN_SCORE``,
- its confident pixels (≥ the network's threshold) form a line ≥ ``MIN_LENGTH`` px long whose
  principal variances differ ``ELONGATION``-fold (the continuation's seeds, engine/damage_trace.py),
- it runs within ``MAX_TILT``° of horizontal in the upright scan (where the upright view is blind;
  nearer vertical, the upright view has already judged it),
- it is no member of a family of lines (engine/damage_family.py: a parallel line with ``RATIO`` of
  its own evidence runs beside it). Unlike the family check's drop, no minimum own evidence: a
  faint scratch on a flat sky has little, and a family still gives itself away by its neighbour.
The added components are continued along their curve like any seed, turned back and combined with
the upright line check's map by their maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.damage_family import RATIO, family_strengths
from engine.damage_trace import ELONGATION, extend_scratches, line_evidence
from engine.damage_verify import Components, Verifier

# chosen by benchmarks/restore_turned.py (model card, "Turned pass")
MIN_SCORE = 0.95  # the turned verifier's score
MIN_LENGTH = 80.0  # px, the longer side of the component's box
MAX_TILT = 30.0  # degrees from horizontal in the upright scan


def turned_candidates(
    evidence: np.ndarray,
    probability: np.ndarray,
    comps: Components,
    scores: np.ndarray,
    threshold: float,
    min_score: float = MIN_SCORE,
    min_length: float = MIN_LENGTH,
    max_tilt: float = MAX_TILT,
) -> np.ndarray:
    """int indices of the components of the *turned* scan's map to add. evidence: float32 H×W
    line evidence of the turned scan (engine.damage_trace.line_evidence); probability: float32
    H×W network map of it; comps, scores: the verifier's components of that map and their scores;
    threshold: the network's calibrated one. ``max_tilt``: from horizontal in the upright scan,
    i.e. from vertical (the image's y axis) in the turned one."""
    chosen = []
    for i in np.nonzero(scores >= min_score)[0]:
        x0, y0, bw, bh = (int(v) for v in comps.stats[i + 1, :4])
        if max(bw, bh) < min_length:
            continue
        win = probability[y0 : y0 + bh, x0 : x0 + bw]
        ys, xs = np.nonzero((comps.labels[y0 : y0 + bh, x0 : x0 + bw] == i + 1) & (win >= threshold))
        if len(xs) < 10:
            continue
        var, vec = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(np.float64)))
        if var[1] < ELONGATION * max(var[0], 1e-6):
            continue
        tilt = np.degrees(np.arctan2(abs(vec[0, 1]), abs(vec[1, 1])))  # the axis' angle from the y axis
        if tilt > max_tilt:
            continue
        found = family_strengths(evidence, xs + x0, ys + y0, min_length)  # None: shorter than min_length
        if found is not None and found[1] < RATIO * found[0]:
            chosen.append(int(i))
    return np.array(chosen, int)


@dataclass(frozen=True)
class TurnedView:
    """The scan turned by 90° as the verifier saw it: ``image`` uint8 W×H×3 RGB (``np.rot90`` of the
    scan), ``probability`` float32 W×H network map of it, its verifier ``comps`` and ``scores``
    (float32 count), and its ``evidence`` (engine.damage_trace.line_evidence)."""

    image: np.ndarray
    probability: np.ndarray
    comps: Components
    scores: np.ndarray
    evidence: np.ndarray


def turned_view(
    image: np.ndarray, turned_probability: np.ndarray, verifier: Verifier, min_length: float = MIN_LENGTH
) -> TurnedView:
    """The :class:`TurnedView` of the uint8 H×W×3 RGB scan ``image`` from the float32 W×H network
    map of ``np.rot90(image)``, judged by ``verifier`` (the turned pass's own). Only components at
    least ``min_length`` long get a score (the others 0: they cannot be added, and scoring the many
    specks would double the verifier's time)."""
    turned = np.ascontiguousarray(np.rot90(image))
    comps, scores = verifier.judge(turned, turned_probability, min_length)
    return TurnedView(turned, turned_probability, comps, scores, line_evidence(turned))


def turned_lines(
    view: TurnedView,
    threshold: float,
    min_score: float = MIN_SCORE,
    min_length: float = MIN_LENGTH,
    max_tilt: float = MAX_TILT,
) -> np.ndarray:
    """float32 H×W map, in the upright scan's frame, of the lines the turned pass adds (0
    elsewhere), continued along their curve. threshold: the network's calibrated one; the settings
    as for :func:`turned_candidates`."""
    v = view
    chosen = turned_candidates(v.evidence, v.probability, v.comps, v.scores, threshold, min_score, min_length, max_tilt)
    if len(chosen) == 0:
        return np.zeros(v.image.shape[1::-1], np.float32)
    kept_scores = np.zeros_like(v.scores)
    kept_scores[chosen] = v.scores[chosen]
    keep = np.zeros(v.comps.count + 1, bool)
    keep[chosen + 1] = True
    kept = np.where(keep[v.comps.labels], v.probability, 0.0).astype(np.float32)
    extended = extend_scratches(
        v.image, kept, v.comps, kept_scores, threshold, min_score=min_score, evidence=v.evidence
    )[0]
    return np.ascontiguousarray(np.rot90(extended, -1))
