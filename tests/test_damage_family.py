"""Family check (engine/damage_family.py): a detected line with an as strong parallel neighbour is picture."""

from __future__ import annotations

import numpy as np
import torch

from engine.damage import checked_probability
from engine.damage_family import family_scores, family_strengths
from engine.damage_trace import line_evidence
from engine.damage_verify import components
from tests.damage_support import detector_keeping_everything


def _grain(h: int = 320, w: int = 640, seed: int = 5) -> np.ndarray:
    """uint8 H×W×3 grey film grain: σ ≈ 5 grey levels around 150."""
    rng = np.random.default_rng(seed)
    grey = np.clip(150 + 5 * rng.normal(0, 1, (h, w)), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _darken(img: np.ndarray, rows: slice, cols: slice, by: int) -> None:
    img[rows, cols] = np.clip(img[rows, cols].astype(np.int16) - by, 0, 255).astype(np.uint8)


def _judge(img: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, int]:
    comps = components(prob)
    return family_scores(line_evidence(img), prob, comps, np.full(comps.count, 0.9, np.float32), 0.2, 0.2)


def _dash() -> np.ndarray:
    prob = np.zeros((320, 640), np.float32)
    prob[160:162, 250:350] = 0.9  # the "network" took a 100 px dash of the line at y = 160 for a scratch
    return prob


def test_a_dash_of_one_plank_gap_among_equal_ones_is_dropped() -> None:
    img = _grain()
    for y in range(40, 300, 24):  # evenly spaced, equally dark plank gaps
        _darken(img, slice(y, y + 2), slice(None), 30)
    scores, dropped = _judge(img, _dash())
    assert dropped == 1 and scores[0] == 0.0
    own, other = family_strengths(line_evidence(img), *np.nonzero(_dash() >= 0.2)[::-1])
    assert own > 2.5 and other > 0.7 * own


def test_a_lone_line_and_a_scratch_over_fainter_parallel_lines_are_kept() -> None:
    img = _grain()
    _darken(img, slice(160, 162), slice(None), 30)
    scores, dropped = _judge(img, _dash())
    assert dropped == 0 and scores[0] == np.float32(0.9)
    for y in range(40, 300, 24):  # a pattern of lines a third as dark as the scratch drawn over it
        if y != 160:
            _darken(img, slice(y, y + 2), slice(None), 10)
    assert _judge(img, _dash())[1] == 0


def test_converging_gaps_count_as_a_family() -> None:
    img = _grain()
    for x in range(100, 560, 20):  # gaps leaning up to ±7° towards a vanishing point far above
        tilt = (x - 330) / 330 * np.tan(np.deg2rad(7))
        for y in range(0, 320):
            xx = round(x + tilt * (y - 160))
            _darken(img, slice(y, y + 1), slice(xx, xx + 2), 30)
    prob = np.zeros((320, 640), np.float32)
    prob[110:210, 340:342] = 0.9  # a 100 px piece of the gap at x = 340 (nearly upright)
    assert _judge(img, prob)[1] == 1


def test_only_kept_line_components_are_looked_at() -> None:
    img = _grain()
    for y in range(40, 300, 24):
        _darken(img, slice(y, y + 2), slice(None), 30)
    prob = _dash()
    prob[60:66, 500:506] = 0.9  # a speck: not a line, never judged
    comps = components(prob)
    assert comps.count == 2
    order = [int(comps.labels[161, 300]) - 1, int(comps.labels[62, 502]) - 1]
    scores = np.empty(2, np.float32)
    scores[order[0]], scores[order[1]] = 0.1, 0.9  # the verifier already dropped the dash
    out, dropped = family_scores(line_evidence(img), prob, comps, scores, 0.2, 0.2)
    assert dropped == 0 and np.array_equal(out, scores)
    assert family_strengths(line_evidence(img), np.arange(5), np.arange(5)) is None  # too few pixels


def test_checked_probability_leaves_out_family_lines_only_when_asked(tmp_path) -> None:
    torch.set_num_threads(1)
    img = _grain()
    for y in range(40, 300, 24):  # dark plank gaps the network takes for scratches
        _darken(img, slice(y, y + 2), slice(None), 45)
    detector = detector_keeping_everything(tmp_path)
    kept, raw = checked_probability(img, detector, follow=False, family=False, grain=False)
    checked, raw2 = checked_probability(img, detector, follow=False, grain=False)
    np.testing.assert_array_equal(raw, raw2)
    assert np.count_nonzero(kept >= 0.2) > 500  # the network marks the gaps
    assert np.all(checked <= kept)  # the check only removes
    assert np.count_nonzero(checked >= 0.2) < 0.2 * np.count_nonzero(kept >= 0.2)
