"""The framing on the edit shared by the comparison grid and `inpaint compare --frame hole`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main as inpaint_main
from engine.sheet import draw_outline, hole_contours, hole_frame


@pytest.mark.parametrize(
    ("h", "w", "hole"),
    [
        (800, 1200, (500, 580, 700, 800)),  # compact object
        (800, 1200, (0, 40, 0, 1200)),  # a wire along the top edge: thin, touching the border
        (1000, 600, (900, 1000, 550, 600)),  # bottom-right corner of a portrait photo
        (300, 400, (10, 290, 10, 390)),  # nearly everything: the frame is the whole photo
    ],
)
def test_frame_contains_the_hole_keeps_the_aspect_and_stays_inside(h: int, w: int, hole: tuple) -> None:
    y0, y1, x0, x1 = hole
    mask = np.zeros((h, w), np.uint8)
    mask[y0:y1, x0:x1] = 255
    fx0, fy0, fx1, fy1 = hole_frame(mask)
    assert 0 <= fx0 <= x0 and x1 <= fx1 <= w and 0 <= fy0 <= y0 and y1 <= fy1 <= h
    assert (fx1 - fx0) / (fy1 - fy0) == pytest.approx(w / h, rel=0.02) or (fx1 - fx0, fy1 - fy0) == (w, h)
    # context around the hole wherever the photo has room for it
    if x0 >= 48:
        assert fx0 <= x0 - 48 or fx0 == 0
    if (x1 - x0) * (y1 - y0) < 0.05 * h * w:
        assert (fx1 - fx0) * (fy1 - fy0) < h * w  # a small edit is shown zoomed in


def test_no_hole_frames_the_whole_photo_and_outlines_follow_the_hole() -> None:
    mask = np.zeros((50, 80), np.uint8)
    assert hole_frame(mask) == (0, 0, 80, 50)
    mask[10:20, 30:45] = 255
    (contour,) = hole_contours(mask)
    assert contour[:, 0].min() == 30 and contour[:, 0].max() == 44
    assert contour[:, 1].min() == 10 and contour[:, 1].max() == 19
    drawn = draw_outline(np.zeros((50, 80, 3), np.uint8), mask, (255, 255, 0), 1)
    assert drawn[10, 30:45].any() and not drawn[30:, :].any()


def test_compare_frame_hole_zooms_the_sheet_on_the_edit(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    photo = np.clip(rng.normal(110, 20, (600, 900, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((600, 900), np.uint8)
    mask[400:440, 600:660] = 255
    Image.fromarray(photo).save(tmp_path / "p.png")
    Image.fromarray(mask).save(tmp_path / "m.png")
    reds = {}
    for frame in ("photo", "hole"):
        out = tmp_path / f"{frame}.png"
        argv = ["compare", "--image", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png"), "--engines", "ns"]
        assert inpaint_main([*argv, "--output", str(out), "--frame", frame, "-q"]) == 0
        sheet = np.asarray(Image.open(out)).astype(int)
        first = sheet[:, : sheet.shape[1] // 2]  # the "input + mask" tile
        reds[frame] = np.mean((first[..., 0] - first[..., 2]) > 60)  # share of the red-tinted hole
    assert reds["hole"] > 4 * reds["photo"] > 0
