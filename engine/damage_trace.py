"""Follow a confident scratch beyond the network's detection, along its own curve.

Why: the U-Net (engine/models/scratch.py) answers from ~100 px around a pixel. Along one long
scratch its answer fades in and out where the ground under the scratch changes — the sample's long
dark scratch is found over open fog, lost for 100 px where the fog meets a line-rich deck, found
again — although the line itself carries on, plainly visible, at the same contrast. A scratch is
one stroke: where the network is sure of a long piece of it and the component verifier
(engine/damage_verify.py) calls that piece damage, the rest of the stroke lies where its smooth
curve continues, at the same polarity. So each such piece is extended from both ends, step by
step along its fitted curve, for as long as the photo shows a line of that polarity there.
Classical film-scratch restoration tracks line scratches the same way; it is not in Wan et al.
(2020): our choice, measured in the model card (resources/weights/scratch.md, "Scratch
continuation").

Method, per seed (a verified component, score ≥ ``MIN_SCORE``, whose pixels ≥ the network's
threshold form a line ≥ ``MIN_LENGTH`` px long whose principal variances differ ``ELONGATION``-fold,
i.e. ≥ 3 times longer than wide; a component that is no line because two scratches cross in it
gives one seed per arm of its skeleton, :func:`line_pieces`):
- ``x(s)``, ``y(s)``: quadratics fitted along the seed's principal axis; from each end the walk
  starts with the fit's direction and curvature (curvature capped: scratches bend gently).
- Each ``STEP`` px the walk predicts the next point, looks ``SEARCH`` px either side of it across
  the path for the strongest same-polarity *line evidence* (:func:`line_evidence`: contrast against
  an 11×11 median, in units of the local grain), moves half way towards it (damping: a stroke does not
  zig-zag), and turns its direction towards the step it made by at most ``MAX_TURN``.
- It stops where the mean evidence of the last ``WINDOW`` steps falls below ``Z_MIN``, at the
  border, or after ``MAX_EXTENSION`` seed lengths (at most ``MAX_STEPS`` steps); the weak tail is
  dropped. It also stops, giving back those steps, where a line of the same polarity runs
  alongside, 5–40 px away, with at least ``PARALLEL_SHARE`` of its own evidence over the last
  ``PARALLEL_WINDOW`` steps (36 px; over 12 px the edges of a busy pattern pass for one):
  plank gaps, rails and stripes come in families, a scratch comes alone — without this check a
  plank-gap dash the verifier let through was walked right across a deck.
- The path is drawn as wide as the seed, with the seed's median probability, so every sensitivity
  that keeps the seed keeps its extension and every one that drops the seed drops it too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.morphology import skeletonize

from engine.damage_verify import Components

MIN_SCORE = 0.7  # verifier score a seed needs: more sure than the cutoff that merely keeps a component
MIN_LENGTH = 40.0  # px: shorter pieces give no reliable direction or curvature to extrapolate
ELONGATION = 9.0  # σ_major² / σ_minor² ≥ this (σ ratio 3): a line, not a blot
Z_MIN = 1.75  # mean line evidence (grain units) the walk needs over its last WINDOW steps (see the card)
WINDOW = 8
STEP = 1.5  # px per step
SEARCH = 1.5  # px either side of the predicted point, in 0.5 px steps
MAX_EXTENSION = 3.0  # seed lengths per end
MAX_STEPS = 400  # per end (600 px)
MAX_CURVATURE = 0.01  # 1/px: a radius of at least 100 px
# rad per step: training.damage bends a stroke by ≈ 0.01 rad and wobbles it by ≤ 0.03 rad (sd) per 4 px
MAX_TURN = 0.035
# px across the path where a parallel line of a picture family would run (beyond the scratch's own
# width and halo); PARALLEL_SHARE of the walk's own evidence there, held over a window, stops it
_PARALLEL = np.concatenate([np.arange(-40.0, -4.0), np.arange(5.0, 41.0)])
PARALLEL_SHARE = 0.5
PARALLEL_WINDOW = 24  # steps (36 px): plank gaps run alongside for long, a busy pattern's edges do not
_OFFSETS = np.arange(-SEARCH, SEARCH + 0.01, 0.5)


def line_evidence(image: np.ndarray) -> np.ndarray:
    """float32 H×W signed line evidence of a uint8 H×W×3 RGB scan: luma minus its 11×11 median
    (positive = brighter than the surroundings), divided by the local grain (1.25 × the mean
    absolute contrast over 41×41 px ≈ its standard deviation, + 0.5 so flat digital ground does not
    divide by 0). The 11 px median still sees past a line up to 5 px wide (the eval profile's
    scratches are 1–3 px, drawn with soft edges); the wide grain window keeps a line's own contrast
    from counting as grain."""
    luma = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    contrast = luma.astype(np.float32) - cv2.medianBlur(luma, 11).astype(np.float32)
    grain = cv2.blur(np.abs(contrast), (41, 41))
    return contrast / (1.25 * grain + 0.5)


@dataclass(frozen=True)
class Seed:
    """A verified line piece to extend: ``cx``, ``cy`` quadratic coefficients (np.polyfit order) of
    x and y along the principal-axis coordinate ``s`` in [``s0``, ``s1``]; ``polarity`` +1 bright /
    −1 dark; ``width`` px; ``value``: the probability its extension gets."""

    cx: np.ndarray
    cy: np.ndarray
    s0: float
    s1: float
    polarity: float
    width: float
    value: float

    @property
    def length(self) -> float:
        return self.s1 - self.s0


def seed_from_pixels(xs: np.ndarray, ys: np.ndarray, evidence: np.ndarray, values: np.ndarray) -> Seed | None:
    """The :class:`Seed` of a component's confident pixels (int x, y arrays; ``values`` their
    probabilities), or None when they are too short or not a line."""
    if len(xs) < 10:
        return None
    pts = np.stack([xs, ys], 1).astype(np.float64)
    centre = pts.mean(0)
    var, vec = np.linalg.eigh(np.cov(pts.T))
    if var[1] < ELONGATION * max(var[0], 1e-6):
        return None
    s = (pts - centre) @ vec[:, 1]
    length = float(s.max() - s.min())
    if length < MIN_LENGTH:
        return None
    polarity = float(np.sign(np.mean(evidence[ys, xs]))) or 1.0
    return Seed(
        np.polyfit(s, pts[:, 0], 2), np.polyfit(s, pts[:, 1], 2), float(s.min()), float(s.max()),
        polarity, max(1.0, len(xs) / length), float(np.median(values)),
    )  # fmt: skip


def line_pieces(xs: np.ndarray, ys: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (x, y) pixel subsets of a component's confident pixels (int arrays) that each follow one
    branch of its skeleton, cut apart where branches meet: two scratches that cross form one
    component shaped like an X, which is no line, but its four arms are. Pieces under
    ``MIN_LENGTH`` px of skeleton are left out."""
    x0, y0 = int(xs.min()) - 3, int(ys.min()) - 3
    grid = np.zeros((int(ys.max()) - y0 + 4, int(xs.max()) - x0 + 4), bool)
    grid[ys - y0, xs - x0] = True
    skeleton = skeletonize(grid)
    neighbours = cv2.filter2D(
        skeleton.astype(np.uint8), -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT
    )
    junction = skeleton & (neighbours >= 4)  # itself and ≥ 3 skeleton neighbours: where branches meet
    cut = cv2.dilate(junction.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))) > 0
    n, branches = cv2.connectedComponents((skeleton & ~cut).astype(np.uint8), connectivity=8)
    pieces = []
    for b in range(1, n):
        arm = branches == b
        if np.count_nonzero(arm) < MIN_LENGTH:
            continue
        near = cv2.dilate(arm.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))) > 0
        py, px = np.nonzero(grid & near & ~cut)
        pieces.append((px + x0, py + y0))
    return pieces


def _sample(evidence: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``evidence`` at float positions (inside the image)."""
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    return (
        evidence[y0, x0] * (1 - fx) * (1 - fy) + evidence[y0, x0 + 1] * fx * (1 - fy)
        + evidence[y0 + 1, x0] * (1 - fx) * fy + evidence[y0 + 1, x0 + 1] * fx * fy
    )  # fmt: skip


def follow(evidence: np.ndarray, seed: Seed, forward: bool, z_min: float = Z_MIN) -> np.ndarray:
    """float64 N×2 (x, y) path continuing ``seed`` from its end (``forward``: ``s1``, else ``s0``;
    the first point) while the same-polarity evidence holds (mean ≥ ``z_min`` over ``WINDOW`` steps);
    empty when it does not continue."""
    h, w = evidence.shape
    end, sign = (seed.s1, 1.0) if forward else (seed.s0, -1.0)
    point = start = np.array([np.polyval(seed.cx, end), np.polyval(seed.cy, end)])
    d1 = np.array([np.polyval(np.polyder(seed.cx), end), np.polyval(np.polyder(seed.cy), end)])
    d2 = np.array([np.polyval(np.polyder(seed.cx, 2), end), np.polyval(np.polyder(seed.cy, 2), end)])
    direction = sign * d1 / (np.linalg.norm(d1) + 1e-9)
    # signed curvature of the fitted curve; walking towards s0 turns the other way round
    kappa = sign * (d1[0] * d2[1] - d1[1] * d2[0]) / (np.linalg.norm(d1) ** 3 + 1e-9)
    turn = float(np.clip(kappa, -MAX_CURVATURE, MAX_CURVATURE)) * STEP
    cos, sin = np.cos(turn), np.sin(turn)
    path, values, beside = [], [], []
    for _ in range(int(min(MAX_STEPS, MAX_EXTENSION * seed.length / STEP))):
        direction = np.array([cos * direction[0] - sin * direction[1], sin * direction[0] + cos * direction[1]])
        ahead = point + STEP * direction
        across = np.array([-direction[1], direction[0]])
        cand = ahead[None] + _OFFSETS[:, None] * across[None]
        if cand[:, 0].min() < 0 or cand[:, 1].min() < 0 or cand[:, 0].max() >= w - 1 or cand[:, 1].max() >= h - 1:
            break
        v = seed.polarity * _sample(evidence, cand[:, 0], cand[:, 1])
        best = int(np.argmax(v))
        moved = ahead + 0.5 * _OFFSETS[best] * across - point
        # turn towards the step made, but at most MAX_TURN: a scratch bends gently, so where it crosses
        # a tightly curved picture line of the same polarity the walk cannot swing onto that line
        bend = float(np.clip(np.arctan2(moved @ across, moved @ direction), -MAX_TURN, MAX_TURN))
        direction = np.cos(bend) * direction + np.sin(bend) * across
        point = point + moved
        path.append(point)
        values.append(float(v[best]))
        side = point[None] + _PARALLEL[:, None] * across[None]
        side = np.clip(side, 0, [w - 1.001, h - 1.001])
        beside.append(seed.polarity * _sample(evidence, side[:, 0], side[:, 1]))
        if len(values) >= WINDOW:
            own = float(np.mean(values[-WINDOW:]))
            if own < z_min:
                break
            # a line of the same polarity running alongside at a steady offset: one of a family of
            # picture lines (plank gaps, rails, stripes), which a lone scratch is not; the walk has
            # left the scratch or never was on one, so the last window goes too
            if len(values) >= PARALLEL_WINDOW:
                near = float(np.max(np.mean(beside[-PARALLEL_WINDOW:], axis=0)))
                if near >= max(z_min, PARALLEL_SHARE * float(np.mean(values[-PARALLEL_WINDOW:]))):
                    del path[-PARALLEL_WINDOW:], values[-PARALLEL_WINDOW:]
                    break
    # keep the path up to the last window that still held, less its own weak last steps
    means = np.convolve(values, np.ones(WINDOW) / WINDOW, mode="valid") if len(values) >= WINDOW else []
    held = np.nonzero(np.asarray(means) >= z_min)[0]
    if len(held) == 0:
        return np.zeros((0, 2))
    end = held[-1] + WINDOW
    # grain alone can hold for a step past a scratch's end: a step counts only when it and the 3
    # before it hold on average
    while end > 0 and (values[end - 1] < z_min or np.mean(values[max(0, end - 4) : end]) < z_min):
        end -= 1
    return np.array([start, *path[:end]]) if end else np.zeros((0, 2))


def extend_scratches(
    image: np.ndarray,
    probability: np.ndarray,
    comps: Components,
    scores: np.ndarray,
    threshold: float,
    z_min: float = Z_MIN,
    min_score: float = MIN_SCORE,
    evidence: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """(probability, extended): the float32 H×W map with the continuations of every seed drawn in,
    and how many seed ends were extended.

    image: uint8 H×W×3 RGB scan; probability: float32 H×W in [0, 1] after the verifier; comps,
    scores: the verifier's components of the map *before* it and their scores (float32 count);
    threshold: the network's calibrated threshold (its confident pixels form the seed lines);
    z_min, min_score: :data:`Z_MIN`, :data:`MIN_SCORE` (benchmarks/restore_follow.py sweeps them);
    evidence: the scan's :func:`line_evidence` when the caller has it already.
    Pixels the paths do not touch keep their probability; touched ones get at least the seed's."""
    out = probability.astype(np.float32, copy=True)
    chosen = np.nonzero(scores >= min_score)[0]
    if len(chosen) == 0:
        return out, 0
    evidence = line_evidence(image) if evidence is None else evidence
    extended = 0
    for i in chosen:
        x0, y0, bw, bh = (int(v) for v in comps.stats[i + 1, :4])
        win = probability[y0 : y0 + bh, x0 : x0 + bw]
        ys, xs = np.nonzero((comps.labels[y0 : y0 + bh, x0 : x0 + bw] == i + 1) & (win >= threshold))
        seed = seed_from_pixels(xs + x0, ys + y0, evidence, win[ys, xs])
        seeds = [seed] if seed is not None else []
        if seed is None and len(xs) >= 2 * MIN_LENGTH:  # crossing scratches: follow each arm
            for px, py in line_pieces(xs + x0, ys + y0):
                piece = seed_from_pixels(px, py, evidence, probability[py, px])
                seeds += [piece] if piece is not None else []
        for seed, forward in itertools.product(seeds, (False, True)):
            path = follow(evidence, seed, forward, z_min)
            if len(path) < 5:  # the seed's end and at least 4 steps
                continue
            thick = max(1, round(seed.width))
            lo = np.maximum(0, np.floor(path.min(0)).astype(int) - thick - 1)
            hi = np.minimum([out.shape[1], out.shape[0]], np.ceil(path.max(0)).astype(int) + thick + 2)
            canvas = np.zeros((hi[1] - lo[1], hi[0] - lo[0]), np.uint8)  # the path's box only: cheap on 24 MP
            # shift=2: quarter-pixel vertices, so the drawn line follows the sub-pixel path
            cv2.polylines(canvas, [np.round((path - lo) * 4).astype(np.int32)], False, 1, thick, shift=2)
            box = out[lo[1] : hi[1], lo[0] : hi[0]]
            box[canvas > 0] = np.maximum(box[canvas > 0], seed.value)
            extended += 1
    return out, extended
