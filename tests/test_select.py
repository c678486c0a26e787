"""Object selection by box (engine/select.py) and ``inpaint select``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.errors import InpaintError
from engine.imageio import load_mask
from engine.select import check_box, parse_box, select_object
from tests.select_support import OBJECT_BOX, object_scene


def test_the_silhouette_covers_the_object_and_little_else() -> None:
    image, obj = object_scene()
    before = image.copy()
    mask = select_object(image, OBJECT_BOX)
    assert mask.dtype == np.uint8 and mask.shape == obj.shape and set(np.unique(mask)) <= {0, 255}
    sel = mask > 0
    assert (sel & obj).sum() >= 0.9 * obj.sum()
    assert sel.sum() <= 2 * obj.sum()
    np.testing.assert_array_equal(image, before)


def test_grow_widens_the_silhouette_by_the_margin() -> None:
    image, _obj = object_scene()
    plain = select_object(image, OBJECT_BOX) > 0
    grown = select_object(image, OBJECT_BOX, grow=6) > 0
    assert (grown | plain).sum() == grown.sum() and grown.sum() > plain.sum()
    ys, xs = np.nonzero(plain)
    gy, gx = np.nonzero(grown)
    assert gx.min() == pytest.approx(xs.min() - 6, abs=1) and gy.max() == pytest.approx(ys.max() + 6, abs=1)


def test_nothing_outside_the_box_is_selected_before_growing() -> None:
    image, _obj = object_scene()
    mask = select_object(image, (100, 70, 160, 160))  # cuts through the object
    x0, y0, x1, y1 = 100, 70, 160, 160
    outside = np.ones(mask.shape, bool)
    outside[y0:y1, x0:x1] = False
    assert not mask[outside].any() and mask.any()


def test_boxes_are_parsed_ordered_and_clipped() -> None:
    assert parse_box("10, 20,30.4,40") == (10, 20, 30, 40)
    assert check_box((300, 50, -20, 10), 320, 240) == (0, 10, 300, 50)
    with pytest.raises(InpaintError, match="four numbers"):
        parse_box("1,2,3")
    with pytest.raises(InpaintError, match="less than"):
        check_box((5, 5, 7, 50), 320, 240)
    with pytest.raises(InpaintError, match="whole photo"):
        check_box((0, 0, 320, 240), 320, 240)


def test_cli_writes_the_mask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, obj = object_scene()
    src, out = tmp_path / "scene.png", tmp_path / "object.png"
    Image.fromarray(image).save(src)
    box = ",".join(str(v) for v in OBJECT_BOX)
    assert main(["select", "--image", str(src), "--box", box, "--output", str(out), "--grow", "0"]) == 0
    mask = load_mask(out) > 0
    assert (mask & obj).sum() >= 0.9 * obj.sum() and mask.sum() <= 2 * obj.sum()
    assert "selected" in capsys.readouterr().err


def test_cli_bad_box_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, _obj = object_scene()
    src = tmp_path / "scene.png"
    Image.fromarray(image).save(src)
    code = main(["select", "--image", str(src), "--box", "a,b", "--output", str(tmp_path / "m.png")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("inpaint: error: box") and "\n" not in err
    assert not (tmp_path / "m.png").exists()
