"""The alpha dock fed by a real (random-weights) DFNet through the editor's worker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from app.settings import Settings
from app.window import MainWindow

torch = pytest.importorskip("torch")
dfnet = pytest.importorskip("engine.models.dfnet")
pytestmark = pytest.mark.gui


def test_alpha_dock_shows_random_dfnet_maps(qtbot, tmp_path: Path, monkeypatch, photo: np.ndarray) -> None:
    from engine.torch_engine import export_module

    torch.manual_seed(0)
    config = {"fusion_blocks": 3}
    module = dfnet.DFNet(width=0.125, **config)
    export_module(module, tmp_path / "dfnet.safetensors", "dfnet", 0.125, config, dtype=None)
    monkeypatch.setenv("INPAINT_STUDIO_WEIGHTS", str(tmp_path))

    w = MainWindow(Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    w.ask_before_close = False
    qtbot.addWidget(w)
    w.show()
    Image.fromarray(photo).save(tmp_path / "p.png")
    assert w.open_path(tmp_path / "p.png")
    assert w.engine_panel.select("dfnet"), w.engine_panel.specs["dfnet"].availability()
    mask = np.zeros((240, 320), np.uint8)
    mask[90:150, 120:200] = 255
    w.doc.set_mask(mask, "test")
    with qtbot.waitSignal(w.result_shown, timeout=60000) as blocker:
        assert w.run_engine()
    result = blocker.args[0]
    hole = mask > 127
    assert np.array_equal(result.image[~hole], photo[~hole])
    maps = w.alpha_view.maps
    assert len(maps) == 3 and w.alpha_view.block.count() == 3
    sizes = [m.shape[0] * m.shape[1] for m in maps]
    assert sizes == sorted(sizes)  # coarsest first
    assert all(m.dtype == np.float32 and m.shape[2] == 3 and m.min() >= 0 and m.max() <= 1 for m in maps)
    assert w.alpha_view.current_rgb().shape[:2] == maps[-1].shape[:2]
    assert w.alpha_dock.isVisible()
    w.close()
