"""Picture structure that looks locally like a scratch but is part of the photo.

The detector's remaining false alarms on whole photos are thin picture lines: the gaps between
deck planks, a ladder's rails, the outlines of a cartoon wallpaper. Locally (a few pixels across)
they have a scratch's profile; what tells them apart is context — they come in regular families
(parallel or converging to a vanishing point, evenly spaced) or they bound regions of different
tone. :func:`draw_structure` paints such structure into a *clean* crop before it is aged and
damaged, so it belongs to the undamaged reference and is never in the damage mask; damage drawn
afterwards crosses it and stays labelled.

Our choice (neither Wan et al. nor the issue prescribe this): four families — planks (a set of
evenly spaced, optionally converging gaps over bands of slightly different tone, clipped to a
half-plane so the deck ends somewhere), outlines (shapes filled with a tone ≥ 0.2 away from what
they cover, with a dark 1–3 px contour on that edge), masts (a shaded pole standing on the scene with
rigging or wires running from its top, issue #39's masts, poles and wires) and lettering. A lone thin line of constant tone is deliberately *not*
drawn: that is exactly what a scratch looks like. A first version that also drew lone contours
and shaded tubes (rails) cost recall (24 whole train photos: R 0.83 → 0.62 after 1400 steps).
"""

from __future__ import annotations

import cv2
import numpy as np

from training.damage import SS  # the same supersampling for anti-aliased strokes


def _canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((h * SS, w * SS), np.uint8)


def _down(canvas: np.ndarray, h: int, w: int) -> np.ndarray:
    """Supersampled uint8 canvas → float32 H×W coverage in [0, 1]."""
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def _planks(img: np.ndarray, rng: np.random.Generator) -> None:
    """Evenly spaced gaps (dark, sometimes bright) across the crop, bands of varying tone between."""
    h, w = img.shape[:2]
    theta = rng.uniform(0, np.pi)
    d = np.array([np.cos(theta), np.sin(theta)])  # along the planks
    n = np.array([-d[1], d[0]])  # across them
    spacing = rng.uniform(5, 24)  # ≥ 10 lines across a 256 px crop: a family, never a lone line
    converge = rng.uniform(-0.6, 0.6) if rng.random() < 0.5 else 0.0  # perspective: spacing grows along d
    width = float(np.exp(rng.uniform(np.log(0.8), np.log(3.5))))
    contrast = rng.uniform(25, 90) / 255.0 * (1 if rng.random() < 0.2 else -1)
    centre, reach = np.array([w / 2, h / 2]), float(np.hypot(h, w))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    across = (xx - centre[0]) * n[0] + (yy - centre[1]) * n[1]
    along = ((xx - centre[0]) * d[0] + (yy - centre[1]) * d[1]) / reach
    local = across / (1 + converge * along)  # converging families: a line is constant local offset
    k = np.floor(local / spacing)
    bands = rng.uniform(-0.06, 0.06, 256).astype(np.float32)[k.astype(int) % 256]
    offsets = np.arange(-int(reach / spacing) - 2, int(reach / spacing) + 3)[:, None] * spacing
    starts = centre + offsets * (1 - converge) * n - reach * d  # one segment per gap, across the whole crop
    ends = centre + offsets * (1 + converge) * n + reach * d
    segments = np.round(np.stack([starts, ends], 1) * SS).astype(np.int32)
    gaps = _canvas(h, w)
    cv2.polylines(gaps, list(segments), False, 255, max(1, round(width * SS)), cv2.LINE_AA)
    cover = _down(gaps, h, w)
    region = np.ones((h, w), np.float32)
    if rng.random() < 0.6:  # the deck ends at a straight edge somewhere in the crop
        phi = rng.uniform(0, 2 * np.pi)
        side = (xx - rng.uniform(0, w)) * np.cos(phi) + (yy - rng.uniform(0, h)) * np.sin(phi)
        region = (side > 0).astype(np.float32)
    img += (region * (bands + cover * contrast))[..., None]


def _outlines(img: np.ndarray, rng: np.random.Generator) -> None:
    """1–4 flat-filled shapes (ellipses or polygons) with a dark contour, like a cartoon."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 5))):
        fill, edge = _canvas(h, w), _canvas(h, w)
        c = (int(rng.uniform(0, w) * SS), int(rng.uniform(0, h) * SS))
        if rng.random() < 0.5:
            axes = (int(rng.uniform(10, w / 1.5) * SS), int(rng.uniform(10, h / 1.5) * SS))
            angle = float(rng.uniform(0, 180))
            cv2.ellipse(fill, c, axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
            cv2.ellipse(edge, c, axes, angle, 0, 360, 255, max(1, round(rng.uniform(1, 3) * SS)), cv2.LINE_AA)
        else:
            k = int(rng.integers(3, 8))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(10, min(h, w) / 1.5, k) * SS
            pts = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1).astype(np.int32)
            cv2.fillPoly(fill, [pts], 255, cv2.LINE_AA)
            cv2.polylines(edge, [pts], True, 255, max(1, round(rng.uniform(1, 3) * SS)), cv2.LINE_AA)
        a, e = _down(fill, h, w)[..., None], _down(edge, h, w)[..., None]
        colour = rng.uniform(0, 1, 3).astype(np.float32)
        under = float(np.average(img.mean(2), weights=_down(fill, h, w) + 1e-6))
        if abs(float(colour.mean()) - under) < 0.2:  # the contour must lie on a tone edge, else it is a lone line
            colour = np.clip(under + (0.3 if under < 0.5 else -0.3) + rng.uniform(-0.1, 0.1, 3), 0, 1).astype(
                np.float32
            )
        img *= 1 - a * 0.8
        img += a * 0.8 * colour
        img *= 1 - e
        img += e * rng.uniform(0.0, 0.15)


def _masts(img: np.ndarray, rng: np.random.Generator) -> None:
    """A pole or mast standing on the scene: a shaded, slightly tapering tube from below the crop's
    bottom (or a ground line) up to a top inside the crop, often with 2–5 thin rigging lines or wires
    running from its top down to anchors, and sometimes a cross-bar. Unlike a scratch, every thin
    line here ends on the pole and the pole itself is lit from one side."""
    h, w = img.shape[:2]
    base = np.array([rng.uniform(0.1, 0.9) * w, h * rng.uniform(0.85, 1.3)])
    top = base + np.array([rng.uniform(-0.15, 0.15) * h, -rng.uniform(0.5, 1.2) * h])
    width = float(np.exp(rng.uniform(np.log(3.0), np.log(12.0))))
    tone = rng.uniform(0.05, 0.9)
    shade = rng.uniform(0.1, 0.3) * (1 if rng.random() < 0.5 else -1)
    axis = top - base
    length = float(np.hypot(*axis))
    d, n = axis / length, np.array([-axis[1], axis[0]]) / length
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = ((xx - base[0]) * d[0] + (yy - base[1]) * d[1]) / length
    across = (xx - base[0]) * n[0] + (yy - base[1]) * n[1]
    half = width / 2 * (1 - 0.4 * np.clip(along, 0, 1))  # tapers towards the top
    inside = np.clip(half + 0.5 - np.abs(across), 0, 1) * ((along >= 0) & (along <= 1))
    lit = tone + shade * np.clip(across / np.maximum(half, 0.5), -1, 1)  # lit from one side
    colour = np.array([1.0, rng.uniform(0.85, 1.05), rng.uniform(0.7, 1.05)], np.float32)
    img *= 1 - inside[..., None]
    img += (inside * lit)[..., None] * colour
    wires = _canvas(h, w)
    t = np.round(top * SS).astype(np.int32)
    for _ in range(int(rng.integers(0, 6))):  # rigging / wires from the top to anchors
        anchor = np.array([rng.uniform(-0.3, 1.3) * w, rng.uniform(0.6, 1.2) * h])
        cv2.line(wires, tuple(t), tuple(np.round(anchor * SS).astype(np.int32)), 255,
                 max(1, round(rng.uniform(0.7, 1.8) * SS)), cv2.LINE_AA)  # fmt: skip
    if rng.random() < 0.4:  # a cross-bar (yard, spreader, insulator arm)
        mid = base + axis * rng.uniform(0.6, 0.95)
        reach = n * rng.uniform(0.05, 0.25) * h
        a, b = np.round((mid - reach) * SS).astype(np.int32), np.round((mid + reach) * SS).astype(np.int32)
        cv2.line(wires, tuple(a), tuple(b), 255, max(1, round(width * 0.6 * SS)), cv2.LINE_AA)
    cover = _down(wires, h, w)[..., None]
    img *= 1 - cover
    img += cover * float(np.clip(tone + rng.uniform(-0.1, 0.1), 0, 1))


_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_PLAIN,
          cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)  # fmt: skip
_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWabcdefghiklmnoprstuvw0123456789"


def _text(img: np.ndarray, rng: np.random.Generator) -> None:
    """1–4 lines of lettering (a sign, a caption, a boat's name): thin strokes in a tight cluster."""
    h, w = img.shape[:2]
    canvas = _canvas(h, w)
    for _ in range(int(rng.integers(1, 5))):
        word = "".join(rng.choice(list(_LETTERS), size=int(rng.integers(3, 12))))
        scale = rng.uniform(0.4, 2.0) * SS
        org = (int(rng.uniform(-0.2, 0.8) * w * SS), int(rng.uniform(0.1, 1.0) * h * SS))
        thick = max(1, round(rng.uniform(0.8, 3.0) * SS))
        cv2.putText(canvas, word, org, int(rng.choice(_FONTS)), scale, 255, thick, cv2.LINE_AA)
    cover = _down(canvas, h, w)[..., None]
    under = float(img.mean())
    ink = rng.uniform(0.0, 0.2) if under > 0.45 else rng.uniform(0.75, 1.0)
    img *= 1 - cover
    img += cover * ink


FAMILIES = (_planks, _outlines, _masts, _text)


def draw_structure(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``rgb`` (uint8 H×W×3 RGB) with one or two families of line-like picture structure painted
    in; returns a new uint8 H×W×3 RGB array. Seeded by ``rng`` (reproducible)."""
    img = rgb.astype(np.float32) / 255.0
    for i in rng.choice(len(FAMILIES), size=int(rng.integers(1, 3)), replace=False):
        FAMILIES[int(i)](img, rng)
    return np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
