"""The alpha dock (issue #18) in the real MainWindow (pytest-qt, offscreen): level names, printed
ranges, auto-contrast, overlay, hole outline, and constant levels named in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from app.panels.alpha_dock import OUTLINE, false_colour
from app.settings import Settings
from app.window import MainWindow
from engine import registry
from engine.alphamaps import level_values
from engine.registry import CAP_ALPHA_MAPS, Engine, EngineSpec, FillOutput

pytestmark = pytest.mark.gui


@pytest.fixture
def opened(qtbot, tmp_path: Path, photo: np.ndarray) -> Iterator[MainWindow]:
    w = MainWindow(Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    w.ask_before_close = False
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    assert w.open_path(tmp_path / "photo.png")
    yield w
    w.worker.cancel()
    w.close()


def _hole(w: MainWindow) -> np.ndarray:
    m = np.zeros_like(w.doc.mask)
    m[80:130, 100:160] = 255
    return m


class _KnownAlphas(Engine):
    """Three levels over a 240×320 tile: constant 0.0099; a ramp 0.2 → 0.3 left to right; 0.9 in
    the hole and 0.1 outside."""

    def fill(self, image, mask, options):
        h, w = mask.shape
        flat = np.full((h // 8, w // 8, 3), 0.0099, np.float32)
        ramp = np.repeat(np.repeat(np.linspace(0.2, 0.3, w // 4, dtype=np.float32)[None, :, None], h // 4, 0), 3, 2)
        fine = np.where(mask[::2, ::2, None] > 0, 0.9, 0.1).astype(np.float32).repeat(3, axis=2)
        return FillOutput(np.full_like(image, 128), {"alpha_maps": [flat, ramp, fine]})


def test_known_alpha_maps_are_named_ranged_and_contrasted(qtbot, opened: MainWindow) -> None:
    spec = EngineSpec("test-alpha-known", "Known alphas", "-", 0, 8, lambda s, d, p: _KnownAlphas(s, d),
                      capabilities=frozenset({CAP_ALPHA_MAPS}))  # fmt: skip
    registry.register(spec)
    try:
        w = opened
        w.refresh_engines()
        assert w.engine_panel.select("test-alpha-known")
        w.engine_panel.strategy.setCurrentIndex(w.engine_panel.strategy.findData("full"))
        w.doc.set_mask(_hole(w), "test")
        photo = w.doc.image.copy()
        with qtbot.waitSignal(w.result_shown, timeout=10000):
            w.run_engine()
        view = w.alpha_view
        assert w.alpha_dock.isVisible() and view.block.count() == 3
        assert view.info.text() == "3 levels from Known alphas for region (0, 0, 320, 240). 1 of them constant."
        # Constant level: words, no picture.
        view.block.setCurrentIndex(0)
        assert view.range.text() == "constant 0.0099 — this level does not blend"
        assert view.level_name.text() == "level 1 of 3 (coarsest) · 40×30 · 1/8 of the box"
        assert view.current_rgb() is None and view.image.pixmap().isNull()
        assert "constant 0.0099 — this level does not blend" in view.image.text()
        assert view.block.itemText(0) == "1 — 40×30 (constant)"
        # Ramp: auto-contrast maps its own min/max to the ends of the ramp; the range is printed.
        view.outline.setChecked(False)
        view.block.setCurrentIndex(1)
        assert view.level_name.text() == "level 2 of 3 · 80×60 · 1/4 of the box"
        assert view.range.text().startswith("min 0.2000 · mean 0.2500 · max 0.3000")
        assert (view.legend_lo.text(), view.legend_hi.text()) == ("0.2000", "0.3000")
        rgb = view.current_rgb()
        assert rgb.shape == (240, 320, 3) and not view.image.pixmap().isNull()
        assert rgb[120, 0].tolist() == false_colour(np.array([0.0]))[0].tolist() == [68, 1, 84]
        assert rgb[120, 319].tolist() == false_colour(np.array([1.0]))[0].tolist() == [253, 231, 37]
        view.mode.setCurrentIndex(1)  # fixed 0–1 scale: the raw value's colour
        assert view.current_rgb()[120, 0].tolist() == false_colour(np.array([0.2]))[0].tolist()
        assert (view.legend_lo.text(), view.legend_hi.text()) == ("0 known", "1 filled")
        # Overlay: the photo's processed box and the map, half each.
        view.mode.setCurrentIndex(0)
        view.overlay.setChecked(True)
        over = view.current_rgb()
        expected = (photo.astype(np.uint16) + rgb) // 2
        assert np.array_equal(over, expected.astype(np.uint8))
        # Finest level: hole 0.9 vs outside 0.1, the outline drawn on the hole's edge only.
        view.overlay.setChecked(False)
        view.outline.setChecked(True)
        view.block.setCurrentIndex(2)
        fine = view.maps[2]
        assert view.range.text().startswith(f"min 0.1000 · mean {level_values(fine).mean():.4f} · max 0.9000")
        rgb = view.current_rgb()
        assert rgb[80, 130].tolist() == list(OUTLINE) and rgb[129, 100].tolist() == list(OUTLINE)
        assert rgb[105, 130].tolist() == [253, 231, 37] and rgb[10, 10].tolist() == [68, 1, 84]
    finally:
        registry._REGISTRY.pop("test-alpha-known", None)


def test_dock_with_the_shipped_dfnet(qtbot, opened: MainWindow) -> None:
    """The shipped weights on a masked photo: every level named with its resolution, and its
    range printed from its own values (in words when constant)."""
    w = opened
    assert w.engine_panel.select("dfnet")
    w.doc.set_mask(_hole(w), "test")
    with qtbot.waitSignal(w.result_shown, timeout=60000):
        w.run_engine()
    view = w.alpha_view
    assert view.block.count() == 6 and len(view.maps) == 6
    x0, y0, x1, y1 = w.pending.extras["box"]
    for i, m in enumerate(view.maps):
        view.block.setCurrentIndex(i)
        v = level_values(m)
        assert f"· {m.shape[1]}×{m.shape[0]} ·" in view.level_name.text()
        # Each map covers the processed box (padding cropped): same aspect, to a pixel per level.
        assert abs(m.shape[1] / m.shape[0] - (x1 - x0) / (y1 - y0)) < 0.1 * (x1 - x0) / (y1 - y0) + 2 / m.shape[0]
        if v.max() - v.min() < 1e-3:
            assert view.range.text() == f"constant {v.mean():.4f} — this level does not blend"
            assert view.image.pixmap().isNull()
        else:
            assert view.range.text().startswith(f"min {v.min():.4f} · mean {v.mean():.4f} · max {v.max():.4f}")
            rgb = view.current_rgb()
            assert rgb is not None and rgb.shape[:2] == (y1 - y0, x1 - x0)
            assert (rgb == OUTLINE).all(axis=2).any()  # the hole's outline is drawn


def test_alpha_dock_with_a_real_dfnet(qtbot, opened: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """A random-weights DFNet through the real worker: the dock shows its 6 fusion blocks."""
    import torch

    from engine.models.dfnet import DFNetEngine
    from engine.torch_engine import export_module

    torch.manual_seed(0)
    folder = tmp_path / "weights"
    export_module(DFNetEngine.build(0.125, {}), folder / "dfnet.safetensors", "dfnet", 0.125, {}, dtype=None)
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(folder))
    w = opened
    w.refresh_engines()
    assert w.engine_panel.select("dfnet")
    w.engine_panel.strategy.setCurrentIndex(w.engine_panel.strategy.findData("full"))
    mask = np.zeros_like(w.doc.mask)
    mask[80:130, 100:160] = 255
    w.doc.set_mask(mask, "test")
    original = w.doc.image.copy()
    with qtbot.waitSignal(w.result_shown, timeout=30000):
        w.run_engine()
    maps = w.alpha_view.maps
    assert len(maps) == 6 and w.alpha_view.block.count() == 6
    sides = [m.shape[0] for m in maps]
    assert sides == sorted(sides) and all(m.min() >= 0 and m.max() <= 1 for m in maps)
    hole = w.doc.hole() > 0
    assert np.array_equal(w.pending.image[~hole], original[~hole])
