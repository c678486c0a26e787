"""Metrics against hand-computed values on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.metrics import (
    boundary_band,
    bpe,
    detail_ratio,
    is_object_mask,
    l1_percent,
    mask_bucket,
    psnr,
    ratio_bucket,
    ssim,
)


def test_psnr_l1_hand_values() -> None:
    gt = np.zeros((2, 2, 3), np.uint8)
    out = gt.copy()
    out[0, 0, 0] = 12  # one of 12 values off by 12: MSE = 144/12 = 12
    assert psnr(gt, out) == pytest.approx(10 * math.log10(255**2 / 12))
    assert l1_percent(gt, out) == pytest.approx(1 / 255 * 100)  # mean abs error 1
    assert psnr(gt, gt) == math.inf


def test_ssim_identity_and_drop(photo: np.ndarray) -> None:
    assert ssim(photo, photo) == pytest.approx(1.0)
    noisy = np.clip(photo.astype(int) + np.random.default_rng(0).integers(-40, 40, photo.shape), 0, 255)
    assert ssim(photo, noisy.astype(np.uint8)) < 0.9


def test_bpe_band_geometry() -> None:
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 255  # 20×20 hole
    band = boundary_band(mask, 5)
    # Hole pixels within 5 px of the edge: the 20×20 square minus its 10×10 centre.
    assert band.sum() == 20 * 20 - 10 * 10
    assert not band[mask == 0].any()
    assert not band[15:25, 15:25].any()
    gt = np.zeros((40, 40, 3), np.uint8)
    out = gt.copy()
    out[10:30, 10:30] = 51  # whole hole off by 51 = 20 % of 255
    assert bpe(gt, out, mask) == pytest.approx(20.0)
    out[15:25, 15:25] = 0  # centre errors do not count
    assert bpe(gt, out, mask) == pytest.approx(20.0)


def test_detail_ratio() -> None:
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24] = 255
    assert detail_ratio(gt, gt, mask) == pytest.approx(1.0)
    flat = gt.copy()
    flat[mask > 0] = 128
    assert detail_ratio(gt, flat, mask) < 0.5


def test_buckets() -> None:
    assert ratio_bucket(0.05) == "0-10%" and ratio_bucket(0.1) == "0-10%" and ratio_bucket(0.55) == "50-60%"
    assert ratio_bucket(0.0) is None and ratio_bucket(0.7) is None
    blob = np.zeros((100, 100), np.uint8)
    blob[20:50, 20:50] = 255  # 9 %, one compact region
    assert is_object_mask(blob) and mask_bucket(blob) == "object 5-15%"
    lines = np.zeros((100, 100), np.uint8)
    lines[::10] = 255  # 10 thin lines, 10 %
    assert not is_object_mask(lines) and mask_bucket(lines) == "0-10%"
