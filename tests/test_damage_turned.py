"""Turned pass (engine/damage_turned.py): near-horizontal scratches the upright network misses are
added from a second pass on the scan turned by 90°, picture line families and steep lines are not."""

from __future__ import annotations

import numpy as np
import torch

from engine.damage import checked_probability, detect_damage
from engine.damage_trace import line_evidence
from engine.damage_turned import turned_candidates
from engine.damage_verify import components
from tests.damage_support import detector_keeping_everything

H, W = 256, 512


def _grain(seed: int = 2) -> np.ndarray:
    """float64 H×W grey ground: 140 ± 4 grey levels of film grain."""
    return 140 + 4 * np.random.default_rng(seed).normal(0, 1, (H, W))


def _rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def _faint_scratch(grey: np.ndarray, y0: float = 120.0, slope: float = 0.05, by: float = 20.0) -> np.ndarray:
    """bool H×W: the core of a 2 px soft bright scratch ``by`` levels over ``grey`` (drawn in place),
    ``atan(slope)`` from horizontal, from x = 60 to 460."""
    y, x = np.mgrid[:H, :W]
    dist = np.abs(y - (y0 + slope * (x - 256)))
    span = (x > 60) & (x < 460)
    grey += by * np.clip(1.5 - dist, 0, 1) * span
    return (dist < 1.0) & span


def test_a_faint_near_horizontal_scratch_is_found_only_with_the_turned_pass(tmp_path) -> None:
    torch.set_num_threads(1)
    grey = _grain()
    core = _faint_scratch(grey)
    img = _rgb(grey)
    detector = detector_keeping_everything(tmp_path, turned=True)
    upright, raw = checked_probability(img, detector, turn=False)
    both, raw2 = checked_probability(img, detector, turn=True)
    np.testing.assert_array_equal(raw, raw2)  # "unchecked" stays the upright network's map
    assert np.mean(upright[core] >= 0.2) < 0.1  # the network is blind to it upright
    assert np.mean(both[core] >= 0.2) > 0.85
    assert np.all(both >= upright)  # the pass only adds
    assert np.count_nonzero((both >= 0.2) & ~core) < 0.6 * np.count_nonzero(core)  # along the line, nowhere else
    assert np.mean(detect_damage(img, weights=detector, turn=True).mask[core] > 0) > 0.85
    assert np.mean(detect_damage(img, weights=detector, turn=False).mask[core] > 0) < 0.1


def test_the_turned_pass_needs_its_own_verifier(tmp_path) -> None:
    """The upright verifier never saw picture lines standing up: without the turned one, no pass."""
    torch.set_num_threads(1)
    grey = _grain()
    core = _faint_scratch(grey)
    img = _rgb(grey)
    detector = detector_keeping_everything(tmp_path)  # upright verifier only
    upright, _ = checked_probability(img, detector, turn=False)
    np.testing.assert_array_equal(checked_probability(img, detector, turn=True)[0], upright)
    assert np.mean(upright[core] >= 0.2) < 0.1


def test_the_turned_pass_reports_progress_over_both_passes(tmp_path) -> None:
    torch.set_num_threads(1)
    grey = _grain()
    _faint_scratch(grey)
    seen: list[tuple[float, str]] = []
    checked_probability(
        _rgb(grey),
        detector_keeping_everything(tmp_path, turned=True),
        progress=lambda f, t: seen.append((f, t)),
        turn=True,
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("turned by 90°" in t for _, t in seen) and any(f <= 0.5 for f in fractions)


def _turned_map(lines: list[tuple[slice, slice]]) -> np.ndarray:
    """float32 map of the *turned* frame (W×H) with the given rectangles at 0.9."""
    prob = np.zeros((W, H), np.float32)
    for rows, cols in lines:
        prob[rows, cols] = 0.9
    return prob


def _candidates(turned_grey: np.ndarray, prob: np.ndarray, score: float = 0.97) -> np.ndarray:
    comps = components(prob)
    scores = np.full(comps.count, score, np.float32)
    return turned_candidates(line_evidence(_rgb(turned_grey)), prob, comps, scores, 0.2)


def test_candidates_are_long_sure_lone_lines_near_horizontal_upright() -> None:
    turned = 140 + 4 * np.random.default_rng(4).normal(0, 1, (W, H))
    turned[100:300, 128:130] += 25  # in the turned frame: a vertical line = horizontal upright
    prob = _turned_map([(slice(100, 300), slice(128, 130))])
    assert list(_candidates(turned, prob)) == [0]
    assert len(_candidates(turned, prob, score=0.9)) == 0  # the turned verifier is not sure enough
    short = _turned_map([(slice(100, 160), slice(128, 130))])
    assert len(_candidates(turned, short)) == 0  # 60 px: shorter than MIN_LENGTH
    steep = 140 + 4 * np.random.default_rng(4).normal(0, 1, (W, H))
    steep[200:202, 20:236] += 25  # horizontal in the turned frame = vertical upright: the upright pass's job
    assert len(_candidates(steep, _turned_map([(slice(200, 202), slice(20, 236))]))) == 0


def test_a_family_of_parallel_lines_is_not_added() -> None:
    turned = 140 + 4 * np.random.default_rng(4).normal(0, 1, (W, H))
    for x in range(20, 240, 18):  # plank gaps, horizontal upright, vertical in the turned frame
        turned[:, x : x + 2] -= 30
    prob = _turned_map([(slice(100, 300), slice(128, 130))])  # the network took the one at x = 128
    assert len(_candidates(turned, prob)) == 0
