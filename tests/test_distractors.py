"""Scratch-like picture structure for the detector's training (training/distractors.py): it changes
the photo, never the damage mask, is reproducible, and each family draws what it says."""

from __future__ import annotations

import cv2
import numpy as np

from tests.synthetic import gradient_photo
from training.damage import make_old_photo
from training.distractors import _outlines, _planks, draw_structure


def _flat(h: int = 128, w: int = 160) -> np.ndarray:
    return np.full((h, w, 3), 0.5, np.float32)


def test_draw_structure_is_reproducible_changes_the_photo_and_keeps_its_format() -> None:
    photo = gradient_photo(128, 160, np.random.default_rng(0), noise=4)
    a = draw_structure(photo, np.random.default_rng(5))
    np.testing.assert_array_equal(a, draw_structure(photo, np.random.default_rng(5)))
    assert a.dtype == np.uint8 and a.shape == photo.shape
    changed = [np.mean(draw_structure(photo, np.random.default_rng(s)) != photo) for s in range(8)]
    assert min(changed) > 0.005  # every draw paints something visible
    assert not np.array_equal(a, draw_structure(photo, np.random.default_rng(6)))


def test_planks_are_a_family_of_evenly_spaced_lines() -> None:
    rng = np.random.default_rng(11)
    for _ in range(6):
        img = _flat()
        _planks(img, rng)
        delta = np.abs(img[..., 0] - 0.5)
        assert delta.max() > 25 / 255 * 0.5  # the gaps reach their drawn contrast (anti-aliasing aside)
        lines = (delta > 0.6 * delta.max()).astype(np.uint8)
        # Several separate strokes, not one: a lone thin line is what a scratch looks like.
        assert cv2.connectedComponents(lines)[0] - 1 >= 2


def test_outlines_bound_filled_regions_with_a_dark_contour() -> None:
    img = _flat()
    _outlines(img, np.random.default_rng(2))
    assert np.mean(np.abs(img - 0.5).max(2) > 0.05) > 0.02  # filled areas, not only contours
    assert img.min() < 0.2  # the dark contour


def test_structure_drawn_before_ageing_is_never_labelled_damage() -> None:
    photo = gradient_photo(128, 160, np.random.default_rng(1), noise=4)
    rng = np.random.default_rng(9)
    structured = draw_structure(photo, rng)
    aged, damaged, mask = make_old_photo(structured, rng, "eval")
    change = np.abs(damaged.astype(np.int16) - aged.astype(np.int16)).max(2)
    # The mask is only what the damage changed; the structure is part of the aged reference.
    assert np.mean(change[mask == 0] >= 40) < 0.001
    planks_only = make_old_photo(structured, np.random.default_rng(0), "eval")[0]
    assert np.abs(planks_only.astype(int) - make_old_photo(photo, np.random.default_rng(0), "eval")[0]).max() > 20
