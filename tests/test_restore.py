"""Scratch & dust detector on a real photo with synthetic damage: recall and precision."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.errors import InpaintError
from engine.imageio import load_image
from engine.paths import SAMPLE_PHOTO
from engine.restore import detect_scratches


def _sky() -> np.ndarray:
    """The cloudy sky of the bundled sample photo, 1000×361 uint8 RGB (texture, no straight lines)."""
    rgb = load_image(SAMPLE_PHOTO).rgb
    return cv2.resize(rgb[:520], (1000, 361), interpolation=cv2.INTER_AREA)


def _damage(image: np.ndarray, faint: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Draw 8 scratches (1–3 px, bright and dark) and 30 dust specks; return (damaged, truth mask)."""
    rng = np.random.default_rng(3)
    h, w = image.shape[:2]
    out, truth = image.copy(), np.zeros((h, w), np.uint8)
    bright, dark = ((150, 150, 150), (60, 60, 60)) if faint else ((235, 235, 235), (15, 15, 15))
    for i in range(8):
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        angle, length = rng.uniform(0, np.pi), int(rng.integers(120, 400))
        p1 = (int(p0[0] + length * np.cos(angle)), int(p0[1] + length * np.sin(angle)))
        width = int(rng.integers(1, 4))
        cv2.line(out, p0, p1, bright if i % 2 == 0 else dark, width)
        cv2.line(truth, p0, p1, 255, width)
    for i in range(30):
        centre, r = (int(rng.integers(5, w - 5)), int(rng.integers(5, h - 5))), int(rng.integers(1, 3))
        cv2.circle(out, centre, r, (240, 240, 240) if i % 2 else (10, 10, 10), -1)
        cv2.circle(truth, centre, r, 255, -1)
    return out, truth


def _scores(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hit, true = found > 0, truth > 0
    near = cv2.dilate(truth, np.ones((7, 7), np.uint8)) > 0  # the proposal may grow by a halo
    return float((hit & true).sum() / true.sum()), float((hit & near).sum() / max(hit.sum(), 1))


def test_finds_scratches_and_dust_on_a_photo() -> None:
    sky = _sky()
    damaged, truth = _damage(sky)
    found = detect_scratches(damaged, 0.5)
    assert found.dtype == np.uint8 and set(np.unique(found)) <= {0, 255}
    recall, precision = _scores(found, truth)
    assert recall >= 0.9, recall  # measured 0.986
    assert precision >= 0.9, precision  # measured 1.0
    assert (detect_scratches(sky, 0.5) > 0).mean() < 0.001  # the undamaged sky is left alone


def test_sensitivity_trades_recall_for_caution() -> None:
    damaged, truth = _damage(_sky(), faint=True)
    strict, _ = _scores(detect_scratches(damaged, 0.0), truth)
    lenient, _ = _scores(detect_scratches(damaged, 1.0), truth)
    assert lenient > strict


def test_bad_arguments() -> None:
    with pytest.raises(InpaintError, match="uint8"):
        detect_scratches(np.zeros((10, 10), np.uint8))
    with pytest.raises(InpaintError, match=r"outside 0\.\.1"):
        detect_scratches(np.zeros((10, 10, 3), np.uint8), 2.0)


def test_full_frame_keeps_recall_despite_thin_picture_lines() -> None:
    """On the whole photo the road markings and guard rail are thin bright lines too and get
    proposed (the user reviews the proposal), so precision is lower than on the sky; recall holds."""
    frame = cv2.resize(load_image(SAMPLE_PHOTO).rgb, (1000, 667), interpolation=cv2.INTER_AREA)
    damaged, truth = _damage(frame)
    recall, precision = _scores(detect_scratches(damaged, 0.5), truth)
    assert recall >= 0.75, recall  # measured 0.83
    assert precision >= 0.35, precision  # measured 0.41
