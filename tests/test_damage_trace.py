"""Scratch continuation (engine/damage_trace.py): a verified long scratch is followed where the network lost it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from engine.damage import checked_probability
from engine.damage_trace import extend_scratches, line_evidence
from engine.damage_verify import components, verifier_for
from tests.damage_support import detector_keeping_everything


def _grain(h: int = 320, w: int = 640, seed: int = 3) -> np.ndarray:
    """uint8 H×W×3 grey film grain: σ ≈ 5 grey levels around 150."""
    rng = np.random.default_rng(seed)
    grey = np.clip(150 + 5 * rng.normal(0, 1, (h, w)), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _arc(x0: int, x1: int) -> np.ndarray:
    """int32 N×2 points of a gentle arc (radius ≈ 1000 px) from x0 to x1 across the middle of the image."""
    xs = np.arange(x0, x1 + 1)
    ys = 160 + (xs - 320) ** 2 / 2000.0 - 20
    return np.stack([xs, np.round(ys)], 1).astype(np.int32)


def _scene(contrast: int = -18) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, probability, truth): a faint 2 px scratch from x = 80 to 560 over grain (``contrast``
    grey levels, negative = dark); the "network" found only its middle, x = 260..380."""
    img = _grain()
    line = np.zeros(img.shape[:2], np.uint8)
    cv2.polylines(line, [_arc(80, 560)], False, 1, 2)
    img = np.clip(img.astype(np.int16) + contrast * line[..., None].astype(np.int16), 0, 255).astype(np.uint8)
    prob = np.zeros(img.shape[:2], np.float32)
    cv2.polylines(prob, [_arc(260, 380)], False, 0.9, 2)
    return img, prob, line > 0


def _near(mask: np.ndarray, px: int = 2) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), k) > 0


def _extend(img: np.ndarray, prob: np.ndarray, score: float = 0.9) -> tuple[np.ndarray, int]:
    comps = components(prob)
    return extend_scratches(img, prob, comps, np.full(comps.count, score, np.float32), 0.2)


@pytest.mark.parametrize("contrast", [-18, 18])
def test_a_found_piece_is_followed_to_the_ends_of_the_scratch_and_no_further(contrast: int) -> None:
    img, prob, truth = _scene(contrast)
    out, extended = _extend(img, prob)
    assert extended == 2  # both ends
    found = out >= 0.2
    recall = np.count_nonzero(truth & _near(found)) / np.count_nonzero(truth)
    assert recall > 0.95, recall  # network alone: a quarter of it
    assert np.count_nonzero(truth & _near(prob >= 0.2)) / np.count_nonzero(truth) < 0.3
    # nothing beside the scratch, and past its ends at most a few steps (grain can hold for one window)
    assert not np.any(found & ~_near(truth, 10))
    assert np.count_nonzero(found & ~_near(truth, 3)) <= 30
    changed = out != prob
    assert np.all(out[changed] == pytest.approx(0.9))  # drawn at the seed's probability
    assert np.array_equal(out[~_near(truth, 10)], prob[~_near(truth, 10)])


def test_the_walk_stops_where_the_line_stops_or_changes_polarity() -> None:
    img, prob, truth = _scene(-18)
    # from x = 420 on, the scratch is bright instead of dark: another line, not this one's continuation
    flip = truth.copy()
    flip[:, :420] = False
    img[flip] = np.clip(img[flip].astype(np.int16) + 36, 0, 255).astype(np.uint8)
    out, _ = _extend(img, prob)
    found = out >= 0.2
    assert not np.any(found[:, 440:])
    assert np.any(found[:, 100:110])  # the dark side is still followed to its end


def test_a_detected_piece_of_one_plank_gap_among_many_is_not_followed() -> None:
    img = _grain()
    for y in range(40, 300, 24):  # evenly spaced dark plank gaps right across the photo
        img[y : y + 2] = np.clip(img[y : y + 2].astype(np.int16) - 30, 0, 255).astype(np.uint8)
    prob = np.zeros(img.shape[:2], np.float32)
    prob[136:138, 250:350] = 0.9  # the "network" took a dash of one gap for a scratch
    out, _ = _extend(img, prob)
    assert np.count_nonzero(out >= 0.2) <= np.count_nonzero(prob >= 0.2) + 30  # no walk along the gap
    lone = _grain()  # the same gap on its own is a straight scratch and is followed to both ends
    lone[136:138] = np.clip(lone[136:138].astype(np.int16) - 30, 0, 255).astype(np.uint8)
    out, extended = _extend(lone, prob)
    assert extended == 2 and np.all(out[136:138, 10:630] >= 0.2)


def test_unsure_short_or_blob_seeds_are_not_followed() -> None:
    img, prob, _ = _scene()
    out, extended = _extend(img, prob, score=0.3)  # the verifier is not sure it is damage
    assert extended == 0 and np.array_equal(out, prob)
    short = np.zeros_like(prob)
    cv2.polylines(short, [_arc(300, 325)], False, 0.9, 2)  # 25 px: too short to extrapolate
    cv2.circle(short, (500, 60), 6, 0.9, -1)  # a dust speck
    out, extended = _extend(img, short)
    assert extended == 0 and np.array_equal(out, short)


def test_grain_alone_gives_no_line_evidence() -> None:
    ev = line_evidence(_grain())
    assert abs(float(np.median(ev))) < 0.2
    assert 0.7 < float(np.mean(np.abs(ev))) < 1.1  # in units of the grain
    img, _, truth = _scene(-18)
    assert float(np.median(line_evidence(img)[truth])) < -1.5  # the faint scratch stands out, dark


def test_checked_probability_follows_only_with_a_verifier_and_when_asked(tmp_path) -> None:
    torch.set_num_threads(1)
    img, _, _ = _scene(-40)
    detector = detector_keeping_everything(tmp_path)
    followed, raw = checked_probability(img, detector, grain=False, turn=False)
    plain, raw2 = checked_probability(img, detector, follow=False, family=False, grain=False, turn=False)
    np.testing.assert_array_equal(raw, raw2)
    np.testing.assert_array_equal(plain, verifier_for(detector).apply(img, raw))
    assert np.all(followed >= plain)  # following only adds
    unverified, none = checked_probability(img, detector, verify=False)
    assert none is None
    np.testing.assert_array_equal(unverified, raw)


def test_two_crossing_scratches_found_as_one_x_are_followed_along_both() -> None:
    img = _grain()
    lines = np.zeros(img.shape[:2], np.uint8)
    cv2.line(lines, (40, 40), (600, 280), 1, 2)  # two faint dark scratches crossing at (320, 160)
    cv2.line(lines, (40, 280), (600, 40), 1, 2)
    img = np.clip(img.astype(np.int16) - 18 * lines[..., None].astype(np.int16), 0, 255).astype(np.uint8)
    prob = np.zeros(img.shape[:2], np.float32)
    prob[(lines > 0) & (np.abs(np.arange(640) - 320)[None, :] < 70)] = 0.9  # the "network" found only the X
    comps = components(prob)
    assert comps.count == 1  # one component, no line on its own
    out, extended = extend_scratches(img, prob, comps, np.ones(1, np.float32), 0.2)
    assert extended >= 4  # each of the four arms outwards
    truth = lines > 0
    recall = np.count_nonzero(truth & _near(out >= 0.2)) / np.count_nonzero(truth)
    assert recall > 0.9, recall
    assert not np.any((out >= 0.2) & ~_near(truth, 6))
