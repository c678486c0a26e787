"""The texture stage in the editor: the Engine panel's control, per-engine defaults, the compare grid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.window import MainWindow
from engine.metrics import texture_distance
from tests.gui_support import make_window


@pytest.fixture
def striped(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    """The main window with a photo of fine diagonal stripes and grain opened, a box masked."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:200, 0:260]
    stripes = 128 + 70 * np.sign(np.sin((xx + yy) * 2 * np.pi / 6))
    photo = np.clip(stripes[..., None] + rng.normal(0, 12, (200, 260, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "stripes.png"
    Image.fromarray(photo).save(path)
    w = make_window(qtbot, tmp_path)
    assert w.open_path(path)
    mask = np.zeros_like(w.doc.mask)
    mask[70:130, 90:170] = 255
    w.doc.set_mask(mask, "test")
    yield w
    w.worker.cancel()
    w.close()


def _compare(qtbot, w: MainWindow, names: list[str]) -> list:
    # The grid is shown on the result signal; the worker reports idle on its finished signal, after it.
    qtbot.waitUntil(lambda: not w.worker.busy, timeout=10000)
    with qtbot.waitSignal(w.compare_shown, timeout=60000) as blocker:
        assert w.compare_engines(names)
    return blocker.args[0]


def test_texture_defaults_per_engine(striped: MainWindow) -> None:
    panel = striped.engine_panel
    assert panel.select("ns")
    assert not panel.texture.isChecked()  # classical baselines stay as OpenCV makes them
    assert panel.texture_for("pconv") == pytest.approx(1.0)  # learned engines: on by default
    assert panel.select("patchmatch")
    assert not panel.texture.isEnabled()  # the exemplar engine is texture synthesis already
    assert panel.run_spec().options.texture == 0.0


def test_toggling_texture_changes_the_compare_grid(qtbot, striped: MainWindow) -> None:
    w = striped
    panel = w.engine_panel
    assert panel.select("ns")
    panel.texture.setChecked(True)
    panel.texture_strength.setValue(1.0)
    assert float(w.settings.get("texture/ns")) == pytest.approx(1.0)  # remembered per engine

    textured = _compare(qtbot, w, ["ns", "telea"])
    assert [e.display_name for e in textured] == ["Navier–Stokes (OpenCV) + texture", "Telea (OpenCV)"]
    assert w.compare_window.cells[0].title.text().startswith("Navier–Stokes (OpenCV) + texture")
    with_tex = textured[0].result

    panel.texture.setChecked(False)
    assert float(w.settings.get("texture/ns")) == pytest.approx(0.0)
    plain = _compare(qtbot, w, ["ns"])[0]
    assert plain.display_name == "Navier–Stokes (OpenCV)" and plain.result.texture == 0.0

    hole = w.doc.mask > 127
    photo = w.doc.image
    for res in (with_tex, plain.result):
        np.testing.assert_array_equal(res.image[~hole], photo[~hole])  # known pixels untouched
    # The stage put the stripes' texture back: far closer to the photo's patches than the smooth fill.
    tex_on = texture_distance(photo, with_tex.image, w.doc.mask)
    tex_off = texture_distance(photo, plain.result.image, w.doc.mask)
    assert tex_on < 0.6 * tex_off
