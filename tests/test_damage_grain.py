"""Grain check (engine/damage_grain.py): a small detected dash lying along the texture's grain is picture."""

from __future__ import annotations

import numpy as np
import torch

from engine.damage import checked_probability
from engine.damage_grain import MAX_AREA, grain_features, grain_scores
from engine.damage_verify import components
from tests.damage_support import detector_keeping_everything

H, W = 240, 320


def _stripes(horizontal: bool = True, seed: int = 3) -> np.ndarray:
    """uint8 H×W×3 grey wood-grain stand-in: lines 7 px apart (horizontal or vertical) over film grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:H, :W]
    wave = 14 * np.sin(2 * np.pi * (y if horizontal else x) / 7.0)
    grey = np.clip(150 + wave + 4 * rng.normal(0, 1, (H, W)), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _flat(seed: int = 3) -> np.ndarray:
    """uint8 H×W×3 grey film grain without direction: σ ≈ 5 grey levels around 150."""
    grey = np.clip(150 + 5 * np.random.default_rng(seed).normal(0, 1, (H, W)), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _judge(img: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, int]:
    comps = components(prob)
    return grain_scores(img, prob, comps, np.full(comps.count, 0.9, np.float32), 0.2, 0.2)


def _dash(horizontal: bool = True) -> np.ndarray:
    """float32 H×W map: the "network" marked a 2×24 px dash at the centre."""
    prob = np.zeros((H, W), np.float32)
    if horizontal:
        prob[120:122, 148:172] = 0.9
    else:
        prob[108:132, 160:162] = 0.9
    return prob


def test_a_dash_along_the_grain_is_dropped_and_one_across_it_kept() -> None:
    scores, dropped = _judge(_stripes(horizontal=True), _dash(horizontal=True))
    assert dropped == 1 and scores[0] == 0.0
    scores, dropped = _judge(_stripes(horizontal=True), _dash(horizontal=False))
    assert dropped == 0 and scores[0] == np.float32(0.9)
    assert _judge(_stripes(horizontal=False), _dash(horizontal=False))[1] == 1  # turned photo, turned dash


def test_features_of_a_dash_along_the_grain() -> None:
    prob = _dash()
    comps = components(prob)
    rows = grain_features(_stripes(), prob, comps, np.full(comps.count, 0.9, np.float32), 0.2, 0.2)
    assert rows.shape == (1, 5)
    index, area, elongation, coherence, angle = rows[0]
    assert index == 0 and area == 48
    assert elongation > 20  # 24 px long, 2 px wide
    assert coherence > 0.8  # the stripes have one clear direction
    assert angle < 5.0


def test_dust_specks_and_dashes_on_grain_without_direction_are_kept() -> None:
    img = _flat()
    dark = img.copy()
    dark[120:122, 148:172] -= 40  # the dash is really in the photo: its own edges must not make a "grain"
    assert _judge(img, _dash())[1] == 0
    assert _judge(dark, _dash())[1] == 0
    speck = np.zeros((H, W), np.float32)
    speck[118:124, 157:163] = 0.9  # a round speck of dust on the stripes: no axis to align
    assert _judge(_stripes(), speck)[1] == 0


def test_only_small_kept_components_are_looked_at() -> None:
    img = _stripes()
    prob = np.zeros((H, W), np.float32)
    prob[60:62, 20:300] = 0.9  # a 280 px line along the grain: a scratch's business, not a speck's
    prob[180:182, 148:172] = 0.9  # a dash along the grain the verifier already dropped
    comps = components(prob)
    assert comps.count == 2 and MAX_AREA < 2 * 280
    long_line = int(comps.labels[61, 100]) - 1
    scores = np.full(2, 0.1, np.float32)
    scores[long_line] = 0.9
    out, dropped = grain_scores(img, prob, comps, scores, 0.2, 0.2)
    assert dropped == 0 and np.array_equal(out, scores)


def test_checked_probability_leaves_out_grain_dashes_only_when_asked(tmp_path) -> None:
    torch.set_num_threads(1)
    img = _stripes().astype(np.int16)
    img[100:102, 60:80] -= 70  # short dark dashes along the grain, which the network marks
    img[150:152, 200:222] -= 70
    img = np.clip(img, 0, 255).astype(np.uint8)
    detector = detector_keeping_everything(tmp_path)
    kept, raw = checked_probability(img, detector, follow=False, family=False, grain=False)
    checked, raw2 = checked_probability(img, detector, follow=False, family=False)
    np.testing.assert_array_equal(raw, raw2)
    assert np.all(checked <= kept)  # the check only removes
    assert kept[100:102, 60:80].max() >= 0.2 and kept[150:152, 200:222].max() >= 0.2
    assert checked[100:102, 60:80].max() < 0.2 and checked[150:152, 200:222].max() < 0.2
