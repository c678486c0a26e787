"""Scratch hints (engine/damage_hint.py): a rough band along a crack becomes a mask of the crack."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine import damage_hint
from engine.damage_hint import band_width, damage_in_hint
from engine.errors import InpaintError
from tests import hint_support as hs


@pytest.mark.parametrize(("seed", "delta"), [(0, -45), (1, 40), (2, -30)])
def test_rough_band_along_a_crack_becomes_the_crack(seed: int, delta: int) -> None:
    photo = hs.plain_photo(seed)
    line = hs.wandering_path(seed)
    damaged, crack = hs.add_crack(photo, line, delta)
    band = hs.rough_band(line, seed)
    assert np.count_nonzero(crack[band > 0]) >= 0.97 * np.count_nonzero(crack)  # the band holds the crack
    found = damage_in_hint(damaged, band)
    covered = np.count_nonzero((found > 0) & (crack > 0)) / np.count_nonzero(crack)
    assert covered >= 0.9
    assert np.count_nonzero(found) <= 3 * np.count_nonzero(crack)
    assert not np.any((found > 0) & (band == 0))  # only inside the band


def test_band_without_damage_marks_next_to_nothing() -> None:
    photo = hs.plain_photo(3)
    band = hs.rough_band(hs.wandering_path(3), 3)
    found = damage_in_hint(photo, band)
    assert np.count_nonzero(found) <= 0.01 * np.count_nonzero(band)


def test_probability_inside_the_band_adds_what_the_ridge_test_misses() -> None:
    photo = hs.plain_photo(4)
    line = hs.wandering_path(4)
    damaged, crack = hs.add_crack(photo, line, -3)  # too faint for the ridge test against the grain
    band = hs.rough_band(line, 4)
    prob = np.where(crack > 0, 0.3, 0.02).astype(np.float32)  # below the automatic threshold, above the hint's
    without = damage_in_hint(damaged, band)
    with_map = damage_in_hint(damaged, band, prob)
    assert np.count_nonzero((with_map > 0) & (crack > 0)) >= 0.95 * np.count_nonzero(crack)
    assert np.count_nonzero((without > 0) & (crack > 0)) < 0.5 * np.count_nonzero(crack)
    outside = np.where(band == 0, 1.0, 0.0).astype(np.float32)  # the map outside the band is ignored
    assert not np.any((damage_in_hint(damaged, band, outside) > 0) & (band == 0))


def test_crease_keeps_both_lines() -> None:
    photo = hs.plain_photo(5)
    line = hs.wandering_path(5)
    light, light_mask = hs.add_crack(photo, line, 45)
    dark, dark_mask = hs.add_crack(light, line + np.array([0, 5]), -45)
    found = damage_in_hint(dark, hs.rough_band(line, 5, width=36))
    for line in (light_mask, dark_mask):
        assert np.count_nonzero((found > 0) & (line > 0)) >= 0.85 * np.count_nonzero(line)


def test_empty_hint_and_bad_input() -> None:
    photo = hs.plain_photo(6, (40, 50))
    assert not damage_in_hint(photo, np.zeros((40, 50), np.uint8)).any()
    with pytest.raises(InpaintError):
        damage_in_hint(photo, np.zeros((41, 50), np.uint8))
    with pytest.raises(InpaintError):
        damage_in_hint(photo.astype(np.float32), np.zeros((40, 50), np.uint8))


def test_band_width_of_a_painted_stroke() -> None:
    band = np.zeros((100, 200), bool)
    cv2.line(band.view(np.uint8), (20, 50), (180, 50), 1, thickness=30)
    assert 26 <= band_width(band) <= 34


def test_tiles_leave_no_seams(monkeypatch: pytest.MonkeyPatch) -> None:
    photo = hs.plain_photo(12, (300, 420))
    line = hs.wandering_path(12, (300, 420))
    damaged, crack = hs.add_crack(photo, line, -35)
    band = hs.rough_band(line, 12, shape=(300, 420))
    whole = damage_in_hint(damaged, band)  # one tile: the band's box is smaller than TILE
    monkeypatch.setattr(damage_hint, "TILE", 40)  # many tiles, seams everywhere along the crack
    np.testing.assert_array_equal(damage_in_hint(damaged, band), whole)
    assert np.count_nonzero((whole > 0) & (crack > 0)) >= 0.9 * np.count_nonzero(crack)
