"""The scratch detector's oriented line-evidence inputs (engine/models/scratch.py)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from engine.models.scratch import ScratchUNet, line_kernels


def _luma(gray: np.ndarray) -> torch.Tensor:
    """1×1×H×W luma tensor of a float H×W image in [0, 1]."""
    return torch.from_numpy(gray).float()[None, None]


def test_line_kernels_average_along_their_orientation() -> None:
    k = line_kernels(8)
    assert k.shape == (8, 1, 21, 21)
    torch.testing.assert_close(k.sum((1, 2, 3)), torch.ones(8))
    assert k[0, 0, 10].sum() > 0.99 and k[0, 0, :, 10].sum() < 0.1  # orientation 0 runs along x, 1 px wide
    assert k[4, 0, :, 10].sum() > 0.99  # orientation 4 of 8 (90°) runs along y


@pytest.mark.parametrize("angle", [0.0, 22.0, 67.0, 135.0])
def test_a_long_dark_line_over_texture_stands_out_and_the_texture_does_not(angle: float) -> None:
    rng = np.random.default_rng(0)
    gray = np.clip(
        0.5 + 0.15 * cv2.GaussianBlur(rng.standard_normal((384, 384)), (0, 0), 1.0), 0, 1
    )  # contrast σ ≈ 0.04
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    cv2.line(
        gray,
        (int(192 - 150 * c), int(192 - 150 * s)),
        (int(192 + 150 * c), int(192 + 150 * s)),
        0.15,
        1,
        lineType=cv2.LINE_AA,
    )
    ev = ScratchUNet(width=0.25, lines=16).line_evidence(_luma(gray))[0].numpy()
    on = ev[:, 189:196, 189:196].max((1, 2))  # around the centre of the line
    off = np.percentile(ev[:, 20:100, 20:100], 99, axis=(1, 2))  # texture far from it
    assert on[1] > 2.5 * off[1] and on[3] > 2.5 * off[3], (on, off)  # dark channels, both scales
    assert on[1] > 2 * on[0] and on[3] > 2 * on[2]  # a dark line speaks mostly in the dark channel


def test_a_bright_line_speaks_in_the_bright_channels() -> None:
    gray = np.full((128, 128), 0.4)
    gray[10:118, 64] = 0.9
    ev = ScratchUNet(width=0.25, lines=16).line_evidence(_luma(gray))[0].numpy()
    assert ev[0, 64, 64] > 2 * ev[1, 64, 64] and ev[2, 64, 64] > 2 * ev[3, 64, 64]


def test_lines_must_be_off_or_at_least_two_orientations() -> None:
    with pytest.raises(ValueError, match="orientations"):
        ScratchUNet(lines=1)
    assert ScratchUNet(width=0.25).context == 48 and ScratchUNet(width=0.25, lines=8).context == 48 + 44
