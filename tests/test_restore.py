"""Scratch & dust detection (engine/restore.py) on a real photo with synthetic damage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.errors import InpaintError
from engine.imageio import load_image
from engine.restore import detect_scratches

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "storm.jpg"


@pytest.fixture(scope="module")
def clean() -> np.ndarray:
    """The sample photo at 720×480 (uint8 RGB)."""
    return cv2.resize(load_image(SAMPLE).rgb, (720, 480), interpolation=cv2.INTER_AREA)


def damage(img: np.ndarray, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Draw 8 bright/dark scratches (1–2 px) and 25 specks; returns (damaged photo, truth mask)."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    out, truth = img.copy(), np.zeros((h, w), np.uint8)
    for i in range(8):
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        ang, length = rng.uniform(0, np.pi), rng.uniform(80, 300)
        p1 = (int(p0[0] + length * np.cos(ang)), int(p0[1] + length * np.sin(ang)))
        colour = (235, 235, 230) if i % 2 == 0 else (25, 25, 25)
        t = int(rng.integers(1, 3))
        cv2.line(out, p0, p1, colour, t)
        cv2.line(truth, p0, p1, 255, t)
    for i in range(25):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        r = int(rng.integers(1, 3))
        cv2.circle(out, c, r, (240, 240, 240) if i % 2 else (15, 15, 15), -1)
        cv2.circle(truth, c, r, 255, -1)
    return out, truth


def scores(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Recall of damaged pixels; precision of found pixels within 3 px of real damage."""
    f, t = found > 0, truth > 0
    recall = (f & t).sum() / t.sum()
    near = cv2.dilate(truth, np.ones((7, 7), np.uint8)) > 0
    precision = (f & near).sum() / max(1, f.sum())
    return float(recall), float(precision)


def test_finds_synthetic_scratches_and_dust(clean: np.ndarray) -> None:
    damaged, truth = damage(clean)
    found = detect_scratches(damaged, 0.5)
    assert found.dtype == np.uint8 and found.shape == truth.shape and set(np.unique(found)) <= {0, 255}
    recall, precision = scores(found, truth)
    # The photo's own thin bright road markings are proposed too (they look like scratches), so
    # precision on the whole frame is bounded; the user reviews the proposal before accepting it.
    assert recall >= 0.8, recall
    assert precision >= 0.4, precision


def test_precision_on_sky(clean: np.ndarray) -> None:
    """Where the photo has no thin structures (sky and clouds) nearly everything found is damage."""
    sky = np.ascontiguousarray(clean[:280])
    damaged, truth = damage(sky, seed=3)
    recall, precision = scores(detect_scratches(damaged, 0.5), truth)
    assert recall >= 0.75, recall
    assert precision >= 0.9, precision
    assert np.count_nonzero(detect_scratches(sky, 0.5)) / sky[..., 0].size < 0.002  # clean sky: ~nothing


def test_sensitivity_and_validation(clean: np.ndarray) -> None:
    damaged, truth = damage(clean, seed=5)
    strict, _ = scores(detect_scratches(damaged, 0.0), truth)
    lenient, _ = scores(detect_scratches(damaged, 1.0), truth)
    assert lenient >= strict
    with pytest.raises(InpaintError):
        detect_scratches(damaged, 1.5)
    with pytest.raises(InpaintError):
        detect_scratches(damaged[..., 0], 0.5)
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert not detect_scratches(flat, 1.0).any()
