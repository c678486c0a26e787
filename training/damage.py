"""Synthetic old-photo damage: turn a clean photo into (aged photo, damaged scan, true damage mask).

Two stages, so that restoration can be scored against the right reference:

1. :func:`age_photo` — global ageing that a restorer keeps: fading (lower contrast, lifted blacks),
   a tone (sepia, grey, a colour cast, or none), film grain, slight softness. This is the
   *undamaged* photo a restored scan is compared with.
2. :func:`draw_damage` — local damage that a restorer removes, composited as opacity × colour layers:
   bright and dark scratches 1–8 px wide (straight or curved, short or long, soft edges, contrast
   varying along their length), dust specks, hair and lint (short wiggly threads), creases
   (a bright ridge beside a dark one), tears and missing corners (large paper-coloured holes).
   The true mask is every pixel a defect visibly changed (≥ ``visible`` grey levels, opacity ≥ 0.2).

:func:`make_old_photo` chains them and finishes like a scanner would (optional JPEG artefacts).
``profile="train"`` draws the full variety; ``profile="eval"`` is the evaluation set of the issue
(#19): sepia or grey, faded, grain, 3–6 curved scratches 1–3 px wide, bright or dark, 20–60 dust
specks, no tears and no JPEG, so PSNR against the aged photo measures the restoration alone.
All drawing is seeded by the caller's numpy Generator (reproducible).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image

SS = 4  # supersampling factor for anti-aliased, sub-pixel-accurate strokes


@dataclass(frozen=True)
class DamageSettings:
    """Ranges the generator draws from (pixel sizes at the scan's own resolution)."""

    scratches: tuple[int, int] = (0, 8)
    scratch_width: tuple[float, float] = (0.8, 8.0)  # log-uniform, so thin ones dominate
    curved: float = 0.6  # probability a scratch bends
    dust: tuple[int, int] = (0, 120)  # per 256² of area, or per photo with dust_per_photo
    dust_per_photo: bool = False
    dust_radius: tuple[float, float] = (0.5, 3.5)
    hairs: tuple[int, int] = (0, 3)
    creases: float = 0.15  # probability of a crease
    tears: float = 0.12  # probability of a tear / missing corner
    jpeg: float = 0.5  # probability of JPEG artefacts (quality 60–95)
    visible: float = 8.0  # grey levels a change must reach to count as damage


TRAIN = DamageSettings()
EVAL = DamageSettings(
    scratches=(3, 6),
    scratch_width=(1.0, 3.0),
    curved=1.0,
    dust=(20, 60),
    hairs=(0, 0),
    creases=0.0,
    tears=0.0,
    jpeg=0.0,
    dust_per_photo=True,
)
PROFILES = {"train": TRAIN, "eval": EVAL}


def age_photo(rgb: np.ndarray, rng: np.random.Generator, tone: str | None = None) -> np.ndarray:
    """Global ageing of a uint8 H×W×3 RGB photo -> uint8 H×W×3 RGB (same size).

    ``tone``: "sepia", "grey", "cast", "none" or None (drawn: sepia 40 %, grey 30 %, cast 15 %, none 15 %).
    """
    img = rgb.astype(np.float32) / 255.0
    if tone is None:
        tone = str(rng.choice(["sepia", "grey", "cast", "none"], p=[0.4, 0.3, 0.15, 0.15]))
    luma = img @ np.array([0.299, 0.587, 0.114], np.float32)
    if tone == "sepia":
        tint = np.array([1.0, 0.85, 0.62], np.float32) * rng.uniform(0.9, 1.05)
        img = np.clip(luma[..., None] * tint + np.array([0.06, 0.03, 0.0], np.float32), 0, 1)
    elif tone == "grey":
        img = np.repeat(luma[..., None], 3, axis=2)
    elif tone == "cast":
        img = np.clip(img * rng.uniform(0.8, 1.1, 3).astype(np.float32), 0, 1)
    # Fading: the print loses contrast and its blacks lift.
    contrast, lift = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.15)
    img = lift + (1 - lift) * (0.5 + (img - 0.5) * contrast)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.9))
    grain = rng.uniform(0.0, 0.035)
    if grain > 0.003:
        noise = rng.normal(0, grain, img.shape[:2]).astype(np.float32)
        noise = cv2.GaussianBlur(noise, (0, 0), 0.6) * 1.6  # film grain is clumped, not per pixel
        img = img + noise[..., None]
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)


def _curve(rng: np.random.Generator, h: int, w: int, length: float, curved: bool) -> np.ndarray:
    """Points (x, y) float32 K×2 of a straight or gently bending stroke of about ``length`` px."""
    x0, y0 = rng.uniform(-0.1 * w, 1.1 * w), rng.uniform(-0.1 * h, 1.1 * h)
    angle = rng.uniform(0, np.pi * 2)
    # Scratches on prints run mostly along the film transport (near vertical) but not only.
    if rng.random() < 0.5:
        angle = np.pi / 2 + rng.normal(0, 0.25)
    steps = max(2, int(length / 4))
    bend = rng.normal(0, 0.6 / steps) if curved else 0.0
    wobble = rng.uniform(0, 0.03) if curved else 0.0
    pts, a = [], angle
    for _ in range(steps + 1):
        pts.append((x0, y0))
        x0, y0 = x0 + 4 * np.cos(a), y0 + 4 * np.sin(a)
        a += bend + rng.normal(0, wobble)
    return np.array(pts, np.float32)


def _stroke(shape: tuple[int, int], pts: np.ndarray, width: float) -> np.ndarray:
    """float32 H×W opacity in [0, 1] of an anti-aliased polyline ``width`` px wide."""
    h, w = shape
    canvas = np.zeros((h * SS, w * SS), np.uint8)
    thick = max(1, round(width * SS))
    cv2.polylines(canvas, [np.round(pts * SS).astype(np.int32)], False, 255, thick, cv2.LINE_AA)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _along(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Smooth random field in [0.35, 1]: a scratch's strength varies along its length."""
    h, w = shape
    small = rng.uniform(0.35, 1.0, (max(2, h // 48), max(2, w // 48))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0.35, 1.0)


def _paint(out: np.ndarray, alpha: np.ndarray, value: np.ndarray | float, mask_alpha: np.ndarray) -> None:
    """Composite ``value`` (RGB in [0, 1] or an H×W×3 map) with ``alpha`` into ``out`` in place."""
    a = alpha[..., None]
    out *= 1 - a
    out += a * value
    np.maximum(mask_alpha, alpha, out=mask_alpha)


def _tone_value(rng: np.random.Generator, bright: bool, base: np.ndarray) -> np.ndarray:
    """A defect colour: near white or near black, slightly tinted like the print."""
    tint = base / max(float(base.max()), 1e-3)
    if bright:
        return np.clip(rng.uniform(0.8, 1.0) * (0.7 + 0.3 * tint), 0, 1).astype(np.float32)
    return np.clip(rng.uniform(0.0, 0.2) * tint, 0, 1).astype(np.float32)


def draw_damage(
    aged: np.ndarray, rng: np.random.Generator, settings: DamageSettings = TRAIN
) -> tuple[np.ndarray, np.ndarray]:
    """Local damage on a uint8 H×W×3 RGB photo -> (damaged uint8 H×W×3 RGB, mask uint8 H×W, 255 = damage)."""
    h, w = aged.shape[:2]
    out = aged.astype(np.float32) / 255.0
    opacity = np.zeros((h, w), np.float32)
    mean_colour = out.reshape(-1, 3).mean(0)
    diag = float(np.hypot(h, w))
    s = settings
    for _ in range(int(rng.integers(s.scratches[0], s.scratches[1] + 1))):
        width = float(np.exp(rng.uniform(np.log(s.scratch_width[0]), np.log(s.scratch_width[1]))))
        length = diag * float(np.exp(rng.uniform(np.log(0.05), np.log(1.2))))
        stroke = _stroke((h, w), _curve(rng, h, w, length, rng.random() < s.curved), width)
        if rng.random() < 0.5:  # soft-edged scratch (a scratch in the emulsion, seen through grain)
            stroke = cv2.GaussianBlur(stroke, (0, 0), rng.uniform(0.3, 0.8))
        strength = rng.uniform(0.45, 1.0) * _along((h, w), rng)
        _paint(out, stroke * strength, _tone_value(rng, rng.random() < 0.55, mean_colour), opacity)
    area = 1.0 if s.dust_per_photo else h * w / 65536.0
    for _ in range(int(rng.integers(s.dust[0], s.dust[1] + 1) * area)):
        r = float(rng.uniform(*s.dust_radius))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        pad = int(r * 3) + 3
        x0, y0 = max(0, int(cx) - pad), max(0, int(cy) - pad)
        x1, y1 = min(w, int(cx) + pad + 1), min(h, int(cy) + pad + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        canvas = np.zeros(((y1 - y0) * SS, (x1 - x0) * SS), np.uint8)
        axes = (max(1, round(r * SS * rng.uniform(0.6, 1.4))), max(1, round(r * SS * rng.uniform(0.6, 1.4))))
        centre = (round((cx - x0) * SS), round((cy - y0) * SS))
        cv2.ellipse(canvas, centre, axes, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_AA)
        blob = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        # Painted in its own window: a full-frame layer per speck would dominate the generator's time.
        _paint(
            out[y0:y1, x0:x1],
            blob * rng.uniform(0.6, 1.0),
            _tone_value(rng, rng.random() < 0.5, mean_colour),
            opacity[y0:y1, x0:x1],
        )
    for _ in range(int(rng.integers(s.hairs[0], s.hairs[1] + 1))):  # hair and lint: short wiggly threads
        pts = _curve(rng, h, w, rng.uniform(15, 90), True)
        pts += np.cumsum(rng.normal(0, 0.8, pts.shape), 0).astype(np.float32)
        alpha = _stroke((h, w), pts, rng.uniform(0.8, 2.0)) * rng.uniform(0.6, 1.0)
        _paint(out, alpha, _tone_value(rng, rng.random() < 0.3, mean_colour), opacity)
    if rng.random() < s.creases:  # a fold: bright ridge with a dark shadow beside it
        pts = _curve(rng, h, w, diag * rng.uniform(0.4, 1.2), True)
        wd = rng.uniform(1.5, 4.0)
        ridge = _stroke((h, w), pts, wd)
        shadow = _stroke((h, w), pts + np.float32(wd * 0.9), wd)
        _paint(out, ridge * rng.uniform(0.5, 0.9), _tone_value(rng, True, mean_colour), opacity)
        _paint(out, shadow * (1 - ridge) * rng.uniform(0.3, 0.7), _tone_value(rng, False, mean_colour), opacity)
    if rng.random() < s.tears:  # tear or missing corner: a jagged paper-coloured hole
        _tear(out, opacity, rng, mean_colour)
    damaged = np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
    change = np.abs(damaged.astype(np.int16) - aged.astype(np.int16)).max(2)
    mask = ((opacity >= 0.2) & (change >= s.visible)).astype(np.uint8) * 255
    return damaged, mask


def _tear(out: np.ndarray, opacity: np.ndarray, rng: np.random.Generator, mean_colour: np.ndarray) -> None:
    h, w = opacity.shape
    corner = rng.random() < 0.5
    n = 9
    if corner:
        cx, cy = (0 if rng.random() < 0.5 else w), (0 if rng.random() < 0.5 else h)
        rad = rng.uniform(0.1, 0.35) * min(h, w)
        angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    else:
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        rad = rng.uniform(0.03, 0.12) * min(h, w)
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rad * rng.uniform(0.5, 1.3, n)
    poly = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
    canvas = np.zeros((h, w), np.uint8)
    cv2.fillPoly(canvas, [np.round(poly).astype(np.int32)], 255)
    alpha = canvas.astype(np.float32) / 255.0
    paper = np.array([0.93, 0.9, 0.82], np.float32) if rng.random() < 0.7 else np.array([0.08, 0.07, 0.06], np.float32)
    fibres = rng.normal(0, 0.02, (h, w, 1)).astype(np.float32)
    _paint(out, alpha, np.clip(paper + fibres, 0, 1), opacity)


def make_old_photo(
    rgb: np.ndarray, rng: np.random.Generator, profile: str = "train"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A synthetic old scan of ``rgb`` (uint8 H×W×3 RGB).

    Returns (aged: the undamaged reference, damaged: the scan, mask: uint8 H×W, 255 = damage).
    """
    settings = PROFILES[profile]
    aged = age_photo(rgb, rng, tone=str(rng.choice(["sepia", "grey"])) if profile == "eval" else None)
    damaged, mask = draw_damage(aged, rng, settings)
    if rng.random() < settings.jpeg:
        ok, buf = cv2.imencode(".jpg", damaged[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 96))])
        if ok:
            damaged = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return aged, damaged, mask


OLD_PHOTO_SIDE = 1024  # long side of the synthetic old photos the detector is measured and calibrated on


def scaled(rgb: np.ndarray, side: int) -> np.ndarray:
    """uint8 H×W×3 RGB with its long side scaled to ``side`` (area filter when shrinking)."""
    h, w = rgb.shape[:2]
    f = side / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def old_photo(path: Path, seed: int, side: int = OLD_PHOTO_SIDE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(aged, damaged, mask) of the photo at ``path`` scaled to long side ``side``, profile "eval":
    uint8 RGB ×2 and uint8 H×W (255 = damage)."""
    rgb = scaled(load_image(path).rgb, side)
    return make_old_photo(rgb, np.random.default_rng(seed), "eval")
