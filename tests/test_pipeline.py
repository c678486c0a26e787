"""Pipeline: strategies, crop boxes, padding, compositing invariants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from engine.errors import Cancelled, InpaintError
from engine.pipeline import InpaintOptions, hole_boxes, inpaint, pad_to_multiple, unpad
from engine.registry import Engine, EngineSpec, FillOutput


class RecordingEngine(Engine):
    """Test double: fills the hole with a constant colour and records the tiles it saw."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: object = None) -> None:
        super().__init__(spec, device)
        self.tiles: list[tuple[int, int]] = []

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        assert image.shape[0] % self.spec.pad_multiple == 0 and image.shape[1] % self.spec.pad_multiple == 0
        self.tiles.append(image.shape[:2])
        out = image.copy()
        out[mask > 127] = (10, 200, 30)
        # Scribble outside the hole too: the pipeline must not let this through.
        out[0, 0] = (1, 2, 3)
        return FillOutput(out, {"tile": image.shape[:2]})


def _spec(native: int = 256, multiple: int = 8) -> EngineSpec:
    return EngineSpec("double", "Double", "-", native, multiple, RecordingEngine)


def _blob_mask(h: int, w: int, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = 255
    return mask


@pytest.mark.parametrize("strategy", ["crop", "resize", "full"])
@pytest.mark.parametrize("name", ["telea", "ns", "patchmatch"])
def test_outside_hole_unchanged_classical(photo: np.ndarray, strategy: str, name: str) -> None:
    mask = _blob_mask(240, 320, [(40, 50, 90, 120), (200, 150, 260, 170)])
    result = inpaint(photo, mask, name, InpaintOptions(strategy=strategy, resize_limit=128))
    keep = mask == 0
    assert result.image.shape == photo.shape and result.image.dtype == np.uint8
    np.testing.assert_array_equal(result.image[keep], photo[keep])
    assert not np.array_equal(result.image[~keep], photo[~keep])


@pytest.mark.parametrize("strategy", ["crop", "resize", "full"])
def test_outside_hole_unchanged_double(photo: np.ndarray, strategy: str) -> None:
    engine = RecordingEngine(_spec())
    mask = _blob_mask(240, 320, [(10, 10, 30, 30)])
    result = inpaint(photo, mask, engine, InpaintOptions(strategy=strategy, resize_limit=100))
    np.testing.assert_array_equal(result.image[mask == 0], photo[mask == 0])
    # Deep inside the hole the fill is exact; at its edge a resized fill is interpolated.
    assert (result.image[14:26, 14:26] == (10, 200, 30)).all()


def test_crop_strategy_on_large_photo_touches_only_holes() -> None:
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    holes = [(300, 400, 500, 560), (3000, 2200, 3300, 2500)]
    mask = _blob_mask(3000, 4000, holes)
    engine = RecordingEngine(_spec(native=256, multiple=8))
    result = inpaint(photo, mask, engine, InpaintOptions(strategy="crop", margin=64, margin_ratio=0.5))
    assert len(result.boxes) == 2  # one box per separate hole
    for (x0, y0, x1, y1), (hx0, hy0, hx1, hy1) in zip(result.boxes, holes, strict=True):
        assert x0 <= hx0 and y0 <= hy0 and x1 >= hx1 and y1 >= hy1
        assert (x1 - x0) < 1000 and (y1 - y0) < 1000  # a crop, not the whole photo
    # Each tile went through the engine at most at its native size (plus padding).
    assert all(max(t) <= 256 for t in engine.tiles)
    changed = np.any(result.image != photo, axis=2)
    assert not changed[mask == 0].any()
    assert changed[mask > 0].mean() > 0.95


def test_hole_boxes_shift_inside_and_merge() -> None:
    mask = _blob_mask(300, 300, [(0, 0, 10, 10), (20, 20, 30, 30)])
    boxes = hole_boxes(mask, native=128, margin=16, margin_ratio=0.0)
    assert len(boxes) == 1  # overlapping grown boxes merge
    x0, y0, x1, y1 = boxes[0]
    assert x0 == 0 and y0 == 0 and x1 - x0 == 128 and y1 - y0 == 128  # shifted inside, native size


def test_pad_round_trip_exact() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (67, 93, 3), dtype=np.uint8)
    mask = (rng.random((67, 93)) > 0.7).astype(np.uint8) * 255
    padded, padded_mask, pads = pad_to_multiple(img, mask, 32)
    assert padded.shape[:2] == (96, 96) and padded_mask.shape == (96, 96)
    np.testing.assert_array_equal(unpad(padded, pads), img)
    np.testing.assert_array_equal(unpad(padded_mask[..., None], pads)[..., 0], mask)
    # Tiny tile with a pad larger than the tile still works.
    small, _small_mask, p = pad_to_multiple(img[:3, :5], mask[:3, :5], 256)
    assert small.shape[:2] == (256, 256)
    np.testing.assert_array_equal(unpad(small, p), img[:3, :5])


def test_empty_mask_returns_input_and_says_so(photo: np.ndarray) -> None:
    result = inpaint(photo, np.zeros(photo.shape[:2], np.uint8), "telea")
    np.testing.assert_array_equal(result.image, photo)
    assert "empty" in result.note


def test_bad_inputs_raise_inpaint_error(photo: np.ndarray) -> None:
    with pytest.raises(InpaintError, match="mask is 10×10 but the image is 320×240"):
        inpaint(photo, np.zeros((10, 10), np.uint8), "telea")
    with pytest.raises(InpaintError, match="uint8"):
        inpaint(photo.astype(np.float32), np.zeros((240, 320), np.uint8), "telea")
    with pytest.raises(InpaintError, match="unknown engine"):
        inpaint(photo, np.zeros((240, 320), np.uint8), "nope")
    with pytest.raises(InpaintError, match="unknown strategy"):
        inpaint(photo, np.zeros((240, 320), np.uint8), "telea", InpaintOptions(strategy="tile"))
    with pytest.raises(InpaintError, match="no option"):
        inpaint(photo, np.zeros((240, 320), np.uint8), "telea", InpaintOptions(engine_options={"size": 3}))


def test_feather_touches_only_declared_band(photo: np.ndarray) -> None:
    engine = RecordingEngine(_spec())
    mask = _blob_mask(240, 320, [(100, 100, 140, 140)])
    result = inpaint(photo, mask, engine, InpaintOptions(strategy="full", feather=4))
    changed = np.any(result.image != photo, axis=2)
    ys, xs = np.nonzero(changed)
    assert ys.min() >= 100 - 4 and ys.max() < 140 + 4 and xs.min() >= 100 - 4 and xs.max() < 140 + 4


def test_progress_and_cancel(photo: np.ndarray) -> None:
    engine = RecordingEngine(_spec(native=64))
    mask = _blob_mask(240, 320, [(5, 5, 10, 10), (300, 200, 310, 230)])
    seen: list[float] = []
    inpaint(photo, mask, engine, InpaintOptions(margin=8, margin_ratio=0), progress=lambda f, _m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) == 3
    with pytest.raises(Cancelled):
        inpaint(photo, mask, engine, cancel=lambda: True)


def test_input_arrays_not_modified(photo: np.ndarray) -> None:
    mask = _blob_mask(240, 320, [(40, 50, 90, 120)])
    before, before_mask = photo.copy(), mask.copy()
    inpaint(photo, mask, "ns")
    np.testing.assert_array_equal(photo, before)
    np.testing.assert_array_equal(mask, before_mask)


def test_classical_engines_scale_only_big_holes() -> None:
    """Any-size engines run at full resolution, except boxes whose hole exceeds max_hole_pixels."""
    rng = np.random.default_rng(2)
    photo = rng.integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    engine = RecordingEngine(EngineSpec("anysize", "Any size", "-", 0, 1, RecordingEngine))
    big = _blob_mask(1200, 1600, [(300, 300, 900, 800)])  # 300,000 hole pixels
    result = inpaint(photo, big, engine, InpaintOptions(max_hole_pixels=75_000))
    (x0, y0, x1, y1), tile = result.boxes[0], engine.tiles[-1]
    # Scaled by sqrt(75,000 / 300,000) = 1/2 per side (the box, not the hole, sets the tile size).
    assert abs(tile[0] - (y1 - y0) / 2) <= 1 and abs(tile[1] - (x1 - x0) / 2) <= 1
    np.testing.assert_array_equal(result.image[big == 0], photo[big == 0])
    assert (result.image[310:790, 310:890] == (10, 200, 30)).all()  # only the hole's edge is interpolated
    # A long thin scratch has few pixels: full resolution, whatever its extent.
    scratch = _blob_mask(1200, 1600, [(100, 600, 1500, 603)])
    inpaint(photo, scratch, engine, InpaintOptions(max_hole_pixels=75_000))
    assert max(engine.tiles[-1]) >= 1400
    inpaint(photo, big, engine, InpaintOptions(max_hole_pixels=0))
    assert engine.tiles[-1] == (y1 - y0, x1 - x0)  # 0 = never scale
    with pytest.raises(InpaintError, match="must not be negative"):
        inpaint(photo, big, engine, InpaintOptions(max_hole_pixels=-1))
