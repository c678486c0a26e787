"""Drawing primitives shared by the damage families: the layer being damaged, a defect's look, strokes.

Every family draws into a :class:`Layer`: the aged photo as float32 H×W×3 RGB in [0, 1] and the
opacity of all damage so far (float32 H×W in [0, 1]). A defect is an alpha map (float32 H×W in
[0, 1]) composited over the photo with a colour; its :class:`Look` — contrast, colour, edge blur and
speckle noise — is drawn per defect, so no two scratches of a family look alike. The true mask is
every pixel a defect visibly changed (≥ ``visible`` grey levels in some channel). Unlike
training/damage.py there is no opacity floor: a faint halo that still shows is damage to remove.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SS = 4  # supersampling of strokes: anti-aliased, sub-pixel widths
VISIBLE = 8.0  # grey levels a change must reach to count as damage


@dataclass
class Layer:
    """The photo being damaged. image: float32 H×W×3 RGB in [0, 1] (changed in place by
    :meth:`paint`); opacity: float32 H×W in [0, 1], the most opaque defect at each pixel."""

    image: np.ndarray
    opacity: np.ndarray

    @classmethod
    def of(cls, aged: np.ndarray) -> Layer:
        """A layer over ``aged`` (uint8 H×W×3 RGB)."""
        return cls(aged.astype(np.float32) / 255.0, np.zeros(aged.shape[:2], np.float32))

    @property
    def shape(self) -> tuple[int, int]:
        return self.opacity.shape  # type: ignore[return-value]

    @property
    def mean_colour(self) -> np.ndarray:
        """float32 (3,) RGB in [0, 1]: the photo's mean colour (defects are tinted like the print)."""
        return self.image.reshape(-1, 3).mean(0)

    def paint(
        self, alpha: np.ndarray, colour: np.ndarray | float, box: tuple[int, int, int, int] | None = None
    ) -> None:
        """Composite ``colour`` (RGB in [0, 1], or an H×W×3 map the size of ``alpha``) with ``alpha``
        (float32 h×w in [0, 1]) over the photo; ``box`` (y0, y1, x0, x1): where ``alpha`` lies
        (None: the whole photo)."""
        y0, y1, x0, x1 = box if box is not None else (0, self.shape[0], 0, self.shape[1])
        img, acc = self.image[y0:y1, x0:x1], self.opacity[y0:y1, x0:x1]
        a = alpha[..., None]
        img *= 1 - a
        img += a * colour
        np.maximum(acc, alpha, out=acc)

    def finish(self, aged: np.ndarray, visible: float = VISIBLE) -> tuple[np.ndarray, np.ndarray]:
        """(damaged uint8 H×W×3 RGB, mask uint8 H×W with 255 = damage) against ``aged`` (uint8 H×W×3 RGB)."""
        damaged = np.clip(self.image * 255 + 0.5, 0, 255).astype(np.uint8)
        change = np.abs(damaged.astype(np.int16) - aged.astype(np.int16)).max(2)
        mask = ((self.opacity > 0) & (change >= visible)).astype(np.uint8) * 255
        return damaged, mask


@dataclass(frozen=True)
class Look:
    """How one defect looks. contrast: peak opacity in [0, 1]; colour: float32 (3,) RGB in [0, 1];
    blur: edge softness, Gaussian σ in px (0 = hard edge); noise: std of the multiplicative speckle
    on its opacity (0 = even); along: how much its strength varies along its length (0 = not)."""

    contrast: float
    colour: np.ndarray
    blur: float
    noise: float
    along: float


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """A draw between ``low`` and ``high`` (> 0) uniform in log scale: small values as common as large."""
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def defect_colour(rng: np.random.Generator, bright: bool, base: np.ndarray) -> np.ndarray:
    """float32 (3,) RGB in [0, 1]: near white (``bright``) or near black, tinted like the print
    (``base``: its mean colour), sometimes with a colour of its own (stains, dyes)."""
    tint = base / max(float(base.max()), 1e-3)
    if rng.random() < 0.2:
        tint = np.clip(tint * rng.uniform(0.75, 1.2, 3), 0, 1.2)
    value = rng.uniform(0.78, 1.0) * (0.65 + 0.35 * tint) if bright else rng.uniform(0.0, 0.25) * tint
    return np.clip(value, 0, 1).astype(np.float32)


def draw_look(
    rng: np.random.Generator,
    base: np.ndarray,
    bright: bool | None = None,
    contrast: tuple[float, float] = (0.45, 1.0),
    blur: tuple[float, float] = (0.3, 1.2),
    hard: float = 0.5,
    noise: tuple[float, float] = (0.0, 0.3),
    along: tuple[float, float] = (0.0, 0.6),
) -> Look:
    """A random :class:`Look`: ``bright`` None = either (even odds); ``hard``: the chance of a hard edge
    (blur 0) instead of one drawn from ``blur``; the other ranges are drawn uniformly."""
    is_bright = bool(rng.random() < 0.5) if bright is None else bright
    edge = 0.0 if rng.random() < hard else float(rng.uniform(*blur))
    return Look(
        contrast=float(rng.uniform(*contrast)),
        colour=defect_colour(rng, is_bright, base),
        blur=edge,
        noise=float(rng.uniform(*noise)),
        along=float(rng.uniform(*along)),
    )


def styled(alpha: np.ndarray, look: Look, rng: np.random.Generator) -> np.ndarray:
    """``alpha`` (float32 H×W in [0, 1], the defect's shape) with ``look``'s edge blur, strength
    varying along it, speckle noise and contrast: float32 H×W in [0, 1]."""
    out = alpha
    if look.blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), look.blur)
    h, w = out.shape
    if look.along > 0:  # a smooth field: the defect fades and comes back along its length
        small = rng.uniform(1.0 - look.along, 1.0, (max(2, h // 40), max(2, w // 40))).astype(np.float32)
        out = out * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    if look.noise > 0:
        out = out * np.clip(1.0 + rng.normal(0, look.noise, (h, w)).astype(np.float32), 0, 1.5)
    return np.clip(out * look.contrast, 0, 1).astype(np.float32)


def stroke(shape: tuple[int, int], pts: np.ndarray, width: float) -> np.ndarray:
    """float32 H×W opacity in [0, 1] of an anti-aliased open polyline (``pts``: float K×2 x, y)
    ``width`` px wide (sub-pixel widths come out as partial opacity)."""
    h, w = shape
    canvas = np.zeros((h * SS, w * SS), np.uint8)
    cv2.polylines(canvas, [np.round(pts * SS).astype(np.int32)], False, 255, max(1, round(width * SS)), cv2.LINE_AA)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def walk(
    rng: np.random.Generator, start: tuple[float, float], angle: float, length: float, step: float, turn: float
) -> np.ndarray:
    """float32 K×2 (x, y): a path of about ``length`` px from ``start`` heading ``angle`` (radians), in
    ``step`` px steps whose heading changes by N(0, ``turn``) radians each step."""
    n = max(2, int(length / step))
    headings = angle + np.cumsum(rng.normal(0, turn, n))
    moves = step * np.stack([np.cos(headings), np.sin(headings)], axis=1)
    return np.vstack([np.array([start], np.float64), start + np.cumsum(moves, axis=0)]).astype(np.float32)
