"""Training and validation hole masks.

Every generator is a callable ``(h, w, rng) -> mask`` with ``rng`` a :class:`numpy.random.Generator`
and ``mask`` uint8 h×w, 255 = hole, 0 = keep (the project's mask convention). Pixel sizes from the
papers (stroke widths, dilation kernels, segment lengths) were given for ~256² training crops, so they
are scaled by ``min(h, w) / 256``; at 256² the numbers are the published ones.

Families (REFERENCE.md "Mask families"):
- :func:`free_form` — DeepFillv2 strokes (1–3 strokes, 4–11 vertices, turning angle 2π/5 ± 2π/15 mirrored
  alternately, segment length N(r, r/2) clipped to [0, 2r], r = √(H²+W²)/8, width 12–40, round joints).
- :func:`irregular` — a stand-in for NVIDIA's irregular masks (which came from video occlusion and are not
  available offline): random strokes, ellipses and lines, then the PConv augmentation — random dilation
  (9–49 px), rotation, translation and crop.
- :func:`rectangle` — AIM 2020: one rectangle of 30–70% of each side.
- :func:`aim_free_form` — AIM 2020 free-form: 15–23 starts, 1–5 segments each, length 10–69, width 10–24.
- :func:`cellular` — AIM 2020 cellular automata: random binary grid at scale 1/2/4/8, 3×3 median filter
  repeated 2–6 times, nearest upscaling, dilation.
- :func:`box` — GLCIC: one rectangle of 96–128 px at 256².
- :func:`blob` — one compact object-like blob (a smooth star-shaped polygon), for object-removal holes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from engine.metrics import is_object_mask, ratio_bucket

MaskFn = Callable[[int, int, np.random.Generator], np.ndarray]

#: Hole-ratio buckets of the evaluation protocol (DESIGN.md): (lo, hi] of the hole fraction.
RATIO_BUCKETS: tuple[tuple[float, float], ...] = (
    (0.01, 0.1),
    (0.1, 0.2),
    (0.2, 0.3),
    (0.3, 0.4),
    (0.4, 0.5),
    (0.5, 0.6),
)
#: Compact single-blob "object" holes.
OBJECT_BUCKETS: tuple[tuple[float, float], ...] = ((0.05, 0.15), (0.15, 0.30))


def bucket_name(lo: float, hi: float, kind: str = "ratio") -> str:
    """The bucket label :func:`engine.metrics.mask_bucket` gives such masks ("10-20%", "object 5-15%")."""
    if kind == "object":
        return f"object {round(lo * 100)}-{round(hi * 100)}%"
    return ratio_bucket((lo + hi) / 2) or f"{lo:g}-{hi:g}"


def hole_ratio(mask: np.ndarray) -> float:
    """Fraction of pixels that are holes (mask > 127)."""
    return float((mask > 127).mean())


def _scale(h: int, w: int) -> float:
    return min(h, w) / 256.0


def free_form(h: int, w: int, rng: np.random.Generator, max_strokes: int = 3) -> np.ndarray:
    """DeepFillv2 free-form strokes (see module docstring)."""
    mask = np.zeros((h, w), np.uint8)
    s = _scale(h, w)
    r_mean = math.sqrt(h * h + w * w) / 8
    mean_angle, angle_range = 2 * math.pi / 5, 2 * math.pi / 15
    for _ in range(int(rng.integers(1, max_strokes + 1))):
        n_vertex = int(rng.integers(4, 12))
        width = max(1, round(rng.uniform(12, 40) * s))
        a_min = mean_angle - rng.uniform(0, angle_range)
        a_max = mean_angle + rng.uniform(0, angle_range)
        angles = [
            2 * math.pi - rng.uniform(a_min, a_max) if i % 2 == 0 else rng.uniform(a_min, a_max)
            for i in range(n_vertex)
        ]
        x, y = float(rng.integers(0, w)), float(rng.integers(0, h))
        pts = [(x, y)]
        for a in angles:
            r = float(np.clip(rng.normal(r_mean, r_mean / 2), 0, 2 * r_mean))
            x = float(np.clip(x + r * math.cos(a), 0, w - 1))
            y = float(np.clip(y + r * math.sin(a), 0, h - 1))
            pts.append((x, y))
        for (x0, y0), (x1, y1) in itertools.pairwise(pts):
            cv2.line(mask, (round(x0), round(y0)), (round(x1), round(y1)), 255, width)
        for x0, y0 in pts:
            cv2.circle(mask, (round(x0), round(y0)), width // 2, 255, -1)
    if rng.random() < 0.5:
        mask = mask[:, ::-1]
    if rng.random() < 0.5:
        mask = mask[::-1, :]
    return np.ascontiguousarray(mask)


def irregular(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """PConv-style irregular mask: random shapes, then dilation, rotation, translation and crop."""
    s = _scale(h, w)
    big_h, big_w = int(h * 1.5), int(w * 1.5)
    canvas = np.zeros((big_h, big_w), np.uint8)
    for _ in range(int(rng.integers(2, 13))):
        kind = rng.integers(0, 3)
        x1, y1 = int(rng.integers(0, big_w)), int(rng.integers(0, big_h))
        if kind == 0:  # line
            x2, y2 = int(rng.integers(0, big_w)), int(rng.integers(0, big_h))
            cv2.line(canvas, (x1, y1), (x2, y2), 255, max(1, round(rng.uniform(3, 12) * s)))
        elif kind == 1:  # filled circle
            cv2.circle(canvas, (x1, y1), max(1, round(rng.uniform(3, 20) * s)), 255, -1)
        else:  # ellipse arc outline
            axes = (max(1, round(rng.uniform(5, 60) * s)), max(1, round(rng.uniform(5, 60) * s)))
            angle = float(rng.uniform(0, 180))
            start = float(rng.uniform(0, 180))
            cv2.ellipse(
                canvas,
                (x1, y1),
                axes,
                angle,
                start,
                start + float(rng.uniform(60, 360)),
                255,
                max(1, round(rng.uniform(3, 12) * s)),
            )
    k = max(1, round(rng.uniform(9, 49) * s * 0.5))  # NVIDIA's 9–49 px kernels were for 512² masks
    canvas = cv2.dilate(canvas, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    rot = cv2.getRotationMatrix2D((big_w / 2, big_h / 2), float(rng.uniform(-180, 180)), 1.0)
    canvas = cv2.warpAffine(canvas, rot, (big_w, big_h), flags=cv2.INTER_NEAREST)
    y0, x0 = int(rng.integers(0, big_h - h + 1)), int(rng.integers(0, big_w - w + 1))
    return np.ascontiguousarray(canvas[y0 : y0 + h, x0 : x0 + w])


def rectangle(h: int, w: int, rng: np.random.Generator, lo: float = 0.3, hi: float = 0.7) -> np.ndarray:
    """One axis-aligned rectangle whose sides are ``lo``–``hi`` of the image's (AIM 2020)."""
    mask = np.zeros((h, w), np.uint8)
    rh, rw = round(h * rng.uniform(lo, hi)), round(w * rng.uniform(lo, hi))
    y, x = int(rng.integers(0, h - rh + 1)), int(rng.integers(0, w - rw + 1))
    mask[y : y + rh, x : x + rw] = 255
    return mask


def aim_free_form(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """AIM 2020 free-form: many short random walks of thick lines."""
    mask = np.zeros((h, w), np.uint8)
    s = _scale(h, w)
    for _ in range(int(rng.integers(15, 24))):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        width = max(1, round(rng.integers(10, 25) * s))
        for _ in range(int(rng.integers(1, 6))):
            angle = rng.uniform(0, 2 * math.pi)
            length = rng.integers(10, 70) * s
            nx = int(np.clip(x + length * math.cos(angle), 0, w - 1))
            ny = int(np.clip(y + length * math.sin(angle), 0, h - 1))
            cv2.line(mask, (x, y), (nx, ny), 255, width)
            x, y = nx, ny
    return mask


def cellular(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """AIM 2020 cellular-automata mask (see module docstring).

    AIM does not give the grid's fill probability. Median filtering is a majority vote, so it pushes
    the grid towards all-hole above 0.5 and towards empty below: 0.42–0.5 keeps most results at
    10–70% holes, and results outside 5–75% are redrawn (a few times at most) so a batch never holds
    an empty or a fully blank image.
    """
    mask = np.zeros((h, w), np.uint8)
    for _ in range(10):
        scale = int(rng.choice([1, 2, 4, 8]))
        gh, gw = max(3, math.ceil(h / scale)), max(3, math.ceil(w / scale))
        grid = (rng.random((gh, gw)) < rng.uniform(0.42, 0.5)).astype(np.uint8) * 255
        for _ in range(int(rng.integers(2, 7))):
            grid = cv2.medianBlur(grid, 3)
        mask = cv2.resize(grid, (gw * scale, gh * scale), interpolation=cv2.INTER_NEAREST)[:h, :w]
        k = int(rng.integers(1, 4)) * 2 + 1
        mask = np.ascontiguousarray(cv2.dilate(mask, np.ones((k, k), np.uint8)))
        if 0.05 <= hole_ratio(mask) <= 0.75:
            break
    return mask


def blob(h: int, w: int, rng: np.random.Generator, area: tuple[float, float] = (0.05, 0.3)) -> np.ndarray:
    """One compact object-like blob covering a fraction of the image drawn from ``area``.

    A star-shaped polygon with a smooth random radius (a few low Fourier harmonics), scaled so its
    area matches the target, placed fully inside the image when it fits.
    """
    target = rng.uniform(*area) * h * w
    n = 64
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    radius = np.ones(n)
    for k in range(1, 5):
        radius += rng.uniform(0, 0.35 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    aspect = rng.uniform(0.6, 1.6)
    xs, ys = radius * np.cos(theta) * aspect, radius * np.sin(theta) / aspect
    mask = np.zeros((h, w), np.uint8)
    # Shoelace area of the unit polygon -> scale factor for the target pixel area.
    unit_area = 0.5 * abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1)))
    f = math.sqrt(target / unit_area)
    px, py = xs * f, ys * f
    half_w, half_h = float(np.max(np.abs(px))), float(np.max(np.abs(py)))
    cx = rng.uniform(min(half_w, w / 2), max(w - half_w, w / 2))
    cy = rng.uniform(min(half_h, h / 2), max(h - half_h, h / 2))
    pts = np.stack([px + cx, py + cy], axis=1).round().astype(np.int32)
    cv2.fillPoly(mask, [pts], 255)
    return mask


@dataclass
class MaskMixer:
    """Pick one generator per call with the given probabilities (normalised).

    ``MaskMixer({"free_form": 0.5, "rectangle": 0.5})`` — names from :data:`GENERATORS`.
    """

    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(GENERATORS)
        if unknown:
            raise ValueError(f"unknown mask generators {sorted(unknown)}; choose from {sorted(GENERATORS)}")
        total = sum(self.weights.values())
        if total <= 0:
            raise ValueError("mask mix weights must sum to a positive number")
        self._names = sorted(self.weights)
        self._p = np.array([self.weights[n] / total for n in self._names])

    def __call__(self, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        name = self._names[int(rng.choice(len(self._names), p=self._p))]
        mask = GENERATORS[name](h, w, rng)
        if not (mask > 127).any():  # an empty hole teaches nothing; fall back to a rectangle
            mask = rectangle(h, w, rng)
        return mask


GENERATORS: dict[str, MaskFn] = {
    "free_form": free_form,
    "irregular": irregular,
    "rectangle": rectangle,
    "aim_free_form": aim_free_form,
    "cellular": cellular,
    "blob": blob,
}


def _stroke(mask: np.ndarray, rng: np.random.Generator, width: int) -> None:
    """Add one short random stroke (for growing validation masks towards a target ratio)."""
    h, w = mask.shape
    x, y = float(rng.integers(0, w)), float(rng.integers(0, h))
    length = min(h, w) * rng.uniform(0.1, 0.35)
    for _ in range(int(rng.integers(2, 5))):
        a = rng.uniform(0, 2 * math.pi)
        nx, ny = float(np.clip(x + length * math.cos(a), 0, w - 1)), float(np.clip(y + length * math.sin(a), 0, h - 1))
        cv2.line(mask, (round(x), round(y)), (round(nx), round(ny)), 255, width)
        x, y = nx, ny


def ratio_mask(h: int, w: int, lo: float, hi: float, rng: np.random.Generator, max_tries: int = 200) -> np.ndarray:
    """An irregular stroke mask whose hole ratio lies in (lo, hi] (rejection sampling).

    Strokes are added until the ratio exceeds ``lo``; if it overshoots ``hi`` the attempt restarts.
    Widths grow with the bucket so large buckets are not a tangle of hairlines.
    """
    side = min(h, w)
    for _ in range(max_tries):
        mask = np.zeros((h, w), np.uint8)
        width = max(1, round(side * rng.uniform(0.02, 0.04 + 0.1 * hi)))
        while hole_ratio(mask) <= lo:
            _stroke(mask, rng, width)
        # A single compact stroke would be scored as an "object" hole; keep the buckets distinct.
        if hole_ratio(mask) <= hi and not is_object_mask(mask):
            return mask
    raise RuntimeError(f"could not draw a {h}×{w} mask with hole ratio in ({lo}, {hi}]")


def object_mask(h: int, w: int, lo: float, hi: float, rng: np.random.Generator, max_tries: int = 200) -> np.ndarray:
    """One compact blob whose hole ratio lies in (lo, hi]."""
    for _ in range(max_tries):
        mask = blob(h, w, rng, area=(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)))
        if lo < hole_ratio(mask) <= hi and is_object_mask(mask):
            return mask
    raise RuntimeError(f"could not draw a {h}×{w} object mask with hole ratio in ({lo}, {hi}]")


def validation_masks(h: int, w: int, per_bucket: int = 2, seed: int = 1234) -> list[tuple[str, np.ndarray]]:
    """Fixed validation masks: ``per_bucket`` for each ratio and object bucket, same for the same seed.

    Returns [(bucket name, uint8 h×w mask)], ratio buckets first, each bucket's masks together.
    Every mask has its own generator seeded from (seed, bucket, index) so adding buckets or changing
    ``per_bucket`` does not change the other masks.
    """
    out: list[tuple[str, np.ndarray]] = []
    for b, (lo, hi) in enumerate(RATIO_BUCKETS):
        for i in range(per_bucket):
            rng = np.random.default_rng([seed, 0, b, i])
            out.append((bucket_name(lo, hi), ratio_mask(h, w, lo, hi, rng)))
    for b, (lo, hi) in enumerate(OBJECT_BUCKETS):
        for i in range(per_bucket):
            rng = np.random.default_rng([seed, 1, b, i])
            out.append((bucket_name(lo, hi, "object"), object_mask(h, w, lo, hi, rng)))
    return out


def box(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """GLCIC §3.5: one rectangular hole with sides of 96–128 px at 256² (0.375–0.5 of each side)."""
    return rectangle(h, w, rng, lo=0.375, hi=0.5)


GENERATORS["box"] = box
