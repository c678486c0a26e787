"""Scratch-like picture structure for the detector's training (training/distractors.py): it changes
the photo, never the damage mask, is reproducible, and each family draws what it says."""

from __future__ import annotations

import cv2
import numpy as np

from tests.synthetic import gradient_photo
from training.damage import make_old_photo
from training.distractors import _masts, _outlines, _planks, _text, draw_structure


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


def test_masts_stand_on_the_scene_lit_from_one_side_with_wires_ending_at_the_top() -> None:
    for seed in range(6):
        img = _flat(160, 160)
        _masts(img, np.random.default_rng(seed))
        changed = np.abs(img - 0.5).max(2) > 0.02
        rows = np.flatnonzero(changed.any(1))
        # the pole starts at or below the crop's bottom edge and ends at a top inside it
        assert rows.size and rows.max() >= 150
        pole = np.flatnonzero(changed[150])
        assert pole.size >= 2  # wider than a hairline at its foot
        tone = img[150, pole, 0]
        if pole.size >= 4:  # lit from one side: the tone changes monotonically across the pole, not flat
            assert abs(float(tone[-2]) - float(tone[1])) > 0.01


def test_text_draws_compact_lettering_in_a_tone_apart_from_the_photo() -> None:
    img = _flat()
    _text(img, np.random.default_rng(4))
    ink = np.abs(img - 0.5).max(2) > 0.2
    assert 0.002 < ink.mean() < 0.4
    assert cv2.connectedComponents(ink.astype(np.uint8))[0] - 1 >= 3  # letters, not one line
