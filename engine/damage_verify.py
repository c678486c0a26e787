"""Second look at the scratch & dust network's proposal: a trained per-component verifier.

The U-Net (engine/models/scratch.py) sees ~100 px around a pixel. What it still takes for damage are
picture lines — plank gaps, cartoon outlines, line patterns — and those give themselves away at the
scale of a whole *component* of its proposal and its surroundings, which a pixel classifier with a
small receptive field never sees at once: a plank-gap dash has parallel neighbours at even spacing
and continues beyond its ends as an undetected line, an outline sits on a tone edge, a real scratch
ignores the picture under it. Not in Wan et al. (2020); our choice, after the network-side attempts
of the model card ("Not shipped") traded recall for precision one for one.

Method: the pixels with probability ≥ ``T_LOW`` (the lowest threshold the sensitivity slider
reaches) split into 8-connected components. Each gets the :data:`FEATURES` below — shape, the
network's confidence, contrast, the structure of a ring of ``RING`` px around it, parallel
detections elsewhere in the photo, continuation beyond its ends, tone on its two sides — and a
small MLP (features → ``hidden`` tanh → 1), trained by ``python -m training verifier`` on synthetic
old photos of the train photos, scores how likely the component is damage. Components scoring below
the file's ``cutoff`` get probability 0; the others keep theirs. Every threshold ≥ ``T_LOW`` cuts a
subset of these same components, so the editor's sensitivity slider still re-thresholds the
filtered map without re-running anything.

A verifier file names the detector weights it was trained against (their tensor sha256): it learnt
that network's probabilities, so :func:`verifier_for` refuses to pair it with other weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.errors import InpaintError

T_LOW = 0.05  # threshold_for(1.0): components at this level contain every mask the slider can make
T_HIGH = 0.2  # the shipped network's calibrated threshold; "confident" pixels for the features
RING = 32  # px of surroundings around a component whose structure is measured
VERIFIER_ENGINE = "scratch-verify"
FEATURES: tuple[str, ...] = (
    "log_area",  # log pixels ≥ T_LOW
    "log_confident",  # log(1 + pixels ≥ T_HIGH)
    "max_p",
    "mean_p",
    "log_length",  # log(1 + 4 σ along the principal axis)
    "log_elongation",  # log(σ_major / σ_minor)
    "mean_width",  # area / length
    "log_contrast",  # log(1 + |mean signed top-hat|) on the component (grey levels)
    "polarity",  # +1 brighter than its surroundings, −1 darker
    "ring_busy",  # log(1 + mean |top-hat|) in the ring: busy or flat ground
    "ring_align",  # share of the ring's gradient energy across the component's axis: parallel edges
    "ring_coherence",  # structure-tensor coherence of the ring: one dominant orientation
    "family",  # share of the photo's line-like detections parallel (±12°) to this one
    "near_parallel",  # log(1 + parallel line-like detections within 96 px)
    "continuation",  # mean same-polarity top-hat 4–25 px beyond both ends, / own contrast
    "frac_half",  # share of pixels ≥ 0.5
    "frac_sure",  # share of pixels ≥ 0.9
    "ring_p",  # mean probability in the ring
    "side_tone",  # |mean luma left − right| just beside the axis, / own contrast: on a tone edge?
    "continuation_max",
)


@dataclass(frozen=True)
class Components:
    """8-connected components of probability ≥ ``T_LOW``: ``labels`` int32 H×W (0 = none, 1..count),
    ``stats``/``centroids`` as from cv2.connectedComponentsWithStats (row 0 is the background)."""

    count: int
    labels: np.ndarray
    stats: np.ndarray
    centroids: np.ndarray


def components(probability: np.ndarray, t_low: float = T_LOW) -> Components:
    """Components of a float32 H×W probability map in [0, 1] at ``t_low``."""
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(
        (probability >= t_low).astype(np.uint8), connectivity=8
    )
    return Components(n - 1, labels, stats, centroids)


def _signed_tophat(luma: np.ndarray) -> np.ndarray:
    # 9×9: wider than the 1–8 px damage the detector is trained for, narrower than picture objects
    se = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    return cv2.morphologyEx(luma, cv2.MORPH_TOPHAT, se) - cv2.morphologyEx(luma, cv2.MORPH_BLACKHAT, se)


def _axes(comps: Components) -> tuple[np.ndarray, np.ndarray]:
    """(axis angle in [0, π), elongation = √(λ1 / λ2)) per component, float64 count each, from the
    pixel coordinates' covariance (+ 0.1 on the diagonal, as in :func:`component_features`), all
    components at once — the per-component loop costs ~0.3 ms each, most of a turned pass's specks."""
    n = comps.count + 1
    ys, xs = np.nonzero(comps.labels)
    lab = comps.labels[ys, xs]
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    cnt = np.bincount(lab, minlength=n)[1:].astype(np.float64)
    sx, sy = np.bincount(lab, xs, n)[1:], np.bincount(lab, ys, n)[1:]
    dof = np.maximum(cnt - 1, 1)
    one = cnt > 1  # a single pixel has no spread (np.cov would give nan)
    a = np.where(one, (np.bincount(lab, xs * xs, n)[1:] - sx * sx / cnt) / dof, 0.0) + 0.1
    c = np.where(one, (np.bincount(lab, ys * ys, n)[1:] - sy * sy / cnt) / dof, 0.0) + 0.1
    b = np.where(one, (np.bincount(lab, xs * ys, n)[1:] - sx * sy / cnt) / dof, 0.0)
    half = np.hypot((a - c) / 2, b)
    major, minor = (a + c) / 2 + half, (a + c) / 2 - half
    return (0.5 * np.arctan2(2 * b, a - c)) % np.pi, np.sqrt(major / np.maximum(minor, 1e-12))


def component_features(
    image: np.ndarray, probability: np.ndarray, comps: Components, only: np.ndarray | None = None
) -> np.ndarray:
    """float32 count×len(FEATURES) features (order of :data:`FEATURES`) of the components of
    ``probability`` (float32 H×W in [0, 1]) on ``image`` (uint8 H×W×3 RGB, the scan itself).
    ``only``: bool count, the components to compute (the others' rows stay 0; every component
    still counts in the others' family features) — the turned pass needs a few long ones."""
    n = comps.count
    out = np.zeros((n, len(FEATURES)), np.float32)
    wanted = np.ones(n, bool) if only is None else np.asarray(only, bool)
    if n == 0:
        return out
    luma = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float32)
    tophat = _signed_tophat(luma)
    smooth = cv2.GaussianBlur(luma, (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    h, w = probability.shape
    near_k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    ring_k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    theta, elong = _axes(comps)  # for the family features; a computed component's are redone below
    for i in np.nonzero(wanted)[0]:
        x0, y0, bw, bh = (int(v) for v in comps.stats[i + 1, :4])
        X0, Y0, X1, Y1 = max(0, x0 - RING), max(0, y0 - RING), min(w, x0 + bw + RING), min(h, y0 + bh + RING)
        mask = comps.labels[Y0:Y1, X0:X1] == i + 1
        p = probability[Y0:Y1, X0:X1][mask]
        yy, xx = np.nonzero(mask)
        cy, cx = yy.mean(), xx.mean()
        cov = np.cov(np.stack([xx, yy])) if len(xx) > 1 else np.zeros((2, 2))
        ev, evec = np.linalg.eigh(cov + np.eye(2) * 0.1)
        axis = evec[:, 1]
        normal = np.array([-axis[1], axis[0]])
        theta[i] = np.arctan2(axis[1], axis[0]) % np.pi
        elong[i] = np.sqrt(ev[1] / ev[0])
        length = 4.0 * np.sqrt(ev[1])
        th = tophat[Y0:Y1, X0:X1]
        contrast = float(th[mask].mean())
        polarity = 1.0 if contrast >= 0 else -1.0
        m8 = mask.astype(np.uint8)
        beside = cv2.dilate(m8, near_k) > 0
        ring = (cv2.dilate(m8, ring_k) > 0) & ~beside
        busy = ring_align = coherence = ring_p = 0.0
        if ring.any():
            rx, ry = gx[Y0:Y1, X0:X1][ring], gy[Y0:Y1, X0:X1][ring]
            jxx, jyy, jxy = float((rx * rx).sum()), float((ry * ry).sum()), float((rx * ry).sum())
            energy = jxx + jyy + 1e-6
            ring_align = float(((rx * normal[0] + ry * normal[1]) ** 2).sum() / energy)
            coherence = float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / energy)
            busy = float(np.log1p(np.abs(th[ring]).mean()))
            ring_p = float(probability[Y0:Y1, X0:X1][ring].mean())
        # continuation: sample the top-hat along the axis beyond both extreme projections
        proj = (xx - cx) * axis[0] + (yy - cy) * axis[1]
        steps = np.arange(4, 26, 3, dtype=np.float64)
        along = np.concatenate([proj.min() - steps, proj.max() + steps])
        sx = np.rint(X0 + cx + along * axis[0]).astype(int)
        sy = np.rint(Y0 + cy + along * axis[1]).astype(int)
        inside = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
        beyond = polarity * tophat[sy[inside], sx[inside]] / (abs(contrast) + 2.0)
        # tone just beside the component on either side of its axis
        by, bx = np.nonzero(beside & ~mask)
        side = (bx - cx) * normal[0] + (by - cy) * normal[1]
        tone = luma[Y0:Y1, X0:X1][beside & ~mask]
        left, right = tone[side > 0], tone[side < 0]
        side_tone = (
            abs(float(left.mean()) - float(right.mean())) / (abs(contrast) + 2.0) if len(left) and len(right) else 0.0
        )
        out[i] = (
            np.log(len(p)), np.log1p(np.count_nonzero(p >= T_HIGH)), p.max(), p.mean(),
            np.log1p(length), np.log(elong[i]), len(p) / max(length, 1.0), np.log1p(abs(contrast)), polarity,
            busy, ring_align, coherence, 0.0, 0.0,
            float(beyond.mean()) if beyond.size else 0.0,
            np.mean(p >= 0.5), np.mean(p >= 0.9), ring_p, side_tone,
            float(beyond.max()) if beyond.size else 0.0,
        )  # fmt: skip
    # line families: parallel line-like detections (elongation > 3) across the photo and nearby
    areas = comps.stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    centres = comps.centroids[1:]
    line = elong > 3
    line_area = float(areas[line].sum())
    for i in np.nonzero(wanted)[0]:
        diff = np.abs((theta - theta[i] + np.pi / 2) % np.pi - np.pi / 2)
        parallel = line & (diff < np.deg2rad(12))
        parallel[i] = False
        others = line_area - (areas[i] if line[i] else 0.0)
        out[i, 12] = areas[parallel].sum() / (others + 50.0)  # +50 px: a lone pair is no family
        dist = np.hypot(centres[:, 0] - centres[i, 0], centres[:, 1] - centres[i, 1])
        out[i, 13] = np.log1p(np.count_nonzero(parallel & (dist < 96)))
    return out


@dataclass(frozen=True)
class Verifier:
    """A trained component verifier: standardisation (``mean``, ``scale``: float32 F), MLP
    ``w1`` hidden×F, ``b1`` hidden, ``w2`` hidden, ``b2`` scalar; components scoring < ``cutoff`` are
    dropped. ``detector_sha256``: tensor hash of the detector weights it was trained against."""

    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    cutoff: float
    detector_sha256: str

    def score(self, features: np.ndarray) -> np.ndarray:
        """float32 N scores in (0, 1) (likelihood of damage) of N×F features."""
        x = (features - self.mean) / self.scale
        logit = np.tanh(x @ self.w1.T + self.b1) @ self.w2 + self.b2
        return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)

    def judge(
        self, image: np.ndarray, probability: np.ndarray, min_length: float = 0.0
    ) -> tuple[Components, np.ndarray]:
        """The components of a float32 H×W probability map on the uint8 H×W×3 RGB scan ``image``
        and their scores (float32 count); ``min_length``: only components whose box has a side that
        long are scored, the others get 0."""
        comps = components(probability)
        if comps.count == 0:
            return comps, np.zeros(0, np.float32)
        wanted = comps.stats[1:, 2:4].max(axis=1) >= min_length
        scores = self.score(component_features(image, probability, comps, wanted if min_length > 0 else None))
        return comps, np.where(wanted, scores, 0.0).astype(np.float32)

    def drop(self, probability: np.ndarray, comps: Components, scores: np.ndarray) -> np.ndarray:
        """float32 H×W probability with the components scoring below ``cutoff`` set to 0."""
        if comps.count == 0:
            return probability
        keep = np.concatenate([[False], scores >= self.cutoff])
        return np.where(keep[comps.labels], probability, 0.0).astype(np.float32)

    def apply(self, image: np.ndarray, probability: np.ndarray) -> np.ndarray:
        """:meth:`drop` of :meth:`judge`: the map with the components judged to be picture set to 0."""
        return self.drop(probability, *self.judge(image, probability))


def load_verifier(path: str | Path) -> Verifier:
    """Read a verifier file written by ``python -m training verifier``; :class:`InpaintError` if it is
    not one or its features are not this module's."""
    from engine.weights import load_weights

    tensors, meta = load_weights(path, expected_engine=VERIFIER_ENGINE)
    config = meta.get("config", {})
    if tuple(config.get("features", ())) != FEATURES:
        raise InpaintError(
            f"verifier {path} was trained on other features; retrain it with `python -m training verifier`"
        )
    arr = {k: v.float().numpy() for k, v in tensors.items()}
    return Verifier(
        arr["mean"], arr["scale"], arr["w1"], arr["b1"], arr["w2"], float(arr["b2"].reshape(-1)[0]),
        float(config["cutoff"]), str(config["detector_sha256"]),
    )  # fmt: skip


def verifier_path(detector_weights: Path, turned: bool = False) -> Path:
    """Where a detector's verifier lives: ``<stem>_verify.safetensors`` beside its weights; with
    ``turned``, the turned pass's (engine/damage_turned.py) ``<stem>_verify_turned.safetensors``."""
    return detector_weights.with_name(
        detector_weights.stem + ("_verify_turned" if turned else "_verify") + ".safetensors"
    )


def verifier_for(detector_weights: Path, turned: bool = False) -> Verifier | None:
    """The verifier (``turned``: the turned pass's) beside ``detector_weights`` when it exists and
    was trained for exactly those weights (same tensor sha256), else None."""
    from engine.weights import read_metadata

    path = verifier_path(detector_weights, turned)
    if not path.is_file():
        return None
    verifier = load_verifier(path)
    return verifier if verifier.detector_sha256 == read_metadata(detector_weights).get("sha256") else None
