"""Pins of the shipped damage detector on scenes it never saw (issue #39): thin picture structure on
undamaged photos, and a hand-drawn crack network.

These pin today's figures so that a change cannot make them worse unnoticed; they are not the issue's
bar (no thin structure erased at all), which the shipped weights do not meet — the model card says by
how much. Boxes are in scikit-image's ``rocket`` (427×640): the two lightning masts with their lattice
bases, and in ``camera`` (512×512): the tripod's legs.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from benchmarks.restore_crack_scene import scene
from engine.damage import detect_damage, network_weights
from engine.restore import damage_scores

pytestmark = pytest.mark.skipif(network_weights() is None, reason="no damage detector weights installed")

MASTS = {"left mast": (slice(115, 390), slice(165, 215)), "right mast": (slice(115, 390), slice(430, 485))}


def test_undamaged_rocket_keeps_most_of_its_masts() -> None:
    marked = detect_damage(data.rocket(), 0.5).mask > 0
    assert marked.mean() <= 0.06  # measured 5.41 %
    for name, box in MASTS.items():
        assert marked[box].mean() <= 0.08, name  # measured 4.7 % and 7.1 %


def test_undamaged_camera_keeps_most_of_the_tripod() -> None:
    marked = detect_damage(np.repeat(data.camera()[..., None], 3, axis=2), 0.5).mask > 0
    assert marked.mean() <= 0.025  # measured 2.24 %
    assert marked[300:512, 230:420].mean() <= 0.085  # the legs; measured 7.4 %


def test_hand_drawn_crack_network_is_found_not_filtered_away() -> None:
    # The removed verifier stack kept 14 % of these cracks; the network alone finds nearly all of them.
    _clean, scan, truth = scene("bold")
    precision, recall = damage_scores(detect_damage(scan, 0.5).mask, truth)
    assert recall >= 0.95 and precision >= 0.75  # measured 0.993 / 0.795
