"""Blending: paste, feathering, Telea prefill and Poisson blending."""

from __future__ import annotations

import numpy as np

from engine.blend import feather_alpha, paste, poisson_band, poisson_blend, telea_prefill


def _mask() -> np.ndarray:
    mask = np.zeros((120, 160), np.uint8)
    mask[40:80, 50:110] = 255
    return mask


def test_paste_hard_and_feather(photo: np.ndarray) -> None:
    filled = np.full_like(photo, 7)
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[50:60, 50:60] = 255
    hard = paste(photo, filled, mask)
    assert (hard[50:60, 50:60] == 7).all()
    np.testing.assert_array_equal(hard[mask == 0], photo[mask == 0])
    alpha = feather_alpha(mask, 3)
    assert alpha[55, 55] == 1.0 and alpha[55, 60] > 0.5 and alpha[55, 63] == 0.0
    soft = paste(photo, filled, mask, feather=3)
    np.testing.assert_array_equal(soft[:, :45], photo[:, :45])


def test_telea_prefill_changes_only_hole(photo: np.ndarray) -> None:
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[100:120, 100:130] = 255
    out = telea_prefill(photo, mask)
    np.testing.assert_array_equal(out[mask == 0], photo[mask == 0])


def test_poisson_blend_changes_only_hole_and_band() -> None:
    rng = np.random.default_rng(3)
    image = np.clip(rng.normal(120, 20, (120, 160, 3)), 0, 255).astype(np.uint8)
    mask = _mask()
    completed = np.full_like(image, 200)  # a fill far too bright: Poisson pulls it toward the context
    out = poisson_blend(image, completed, mask)
    band = poisson_band(mask)
    np.testing.assert_array_equal(out[~band], image[~band])
    inner = out[50:70, 60:100].astype(float).mean()
    assert abs(inner - 120) < abs(200 - 120) / 2  # blended toward the surroundings


def test_poisson_blend_mask_touching_border() -> None:
    image = np.full((64, 64, 3), 90, np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[:, :20] = 255
    out = poisson_blend(image, np.full_like(image, 90), mask)
    np.testing.assert_array_equal(out[~poisson_band(mask)], image[~poisson_band(mask)])
