"""`inpaint run --alpha-maps DIR` (issue #18): DFNet's six alpha maps as PNGs plus their ranges."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.alphamaps import write_alpha_maps
from engine.cli import main
from engine.errors import InpaintError


@pytest.fixture
def files(tmp_path: Path, photo: np.ndarray) -> tuple[Path, Path]:
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[60:120, 100:180] = 255
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    return tmp_path / "photo.png", tmp_path / "mask.png"


def test_dfnet_writes_six_maps_with_their_ranges(files: tuple[Path, Path], tmp_path: Path) -> None:
    image, mask = files
    out = tmp_path / "maps"
    code = main(["run", "--engine", "dfnet", "--image", str(image), "--mask", str(mask),
                 "--output", str(tmp_path / "out.png"), "--alpha-maps", str(out), "-q"])  # fmt: skip
    assert code == 0 and (tmp_path / "out.png").exists()
    note = json.loads((out / "alpha-maps.json").read_text())
    levels = note["levels"]
    assert [lv["index"] for lv in levels] == [1, 2, 3, 4, 5, 6]
    widths = [lv["width"] for lv in levels]
    assert widths == sorted(widths) and all(abs(b - 2 * a) <= 1 for a, b in itertools.pairwise(widths))
    for lv in levels:
        png = np.asarray(Image.open(out / lv["file"]))
        assert lv["file"] == f"alpha-L{lv['index']}-{lv['width']}x{lv['height']}.png"
        assert png.dtype == np.uint8 and png.shape == (lv["height"], lv["width"])
        # Raw 8-bit values: the PNG's range is the recorded range × 255, to rounding.
        assert abs(int(png.min()) - lv["min"] * 255) <= 0.5 + 1e-6
        assert abs(int(png.max()) - lv["max"] * 255) <= 0.5 + 1e-6
        assert lv["constant"] == (lv["max"] - lv["min"] < 1e-3)
    assert sorted(p.name for p in out.iterdir()) == sorted([lv["file"] for lv in levels] + ["alpha-maps.json"])


def test_known_maps_raw_values_and_note(tmp_path: Path) -> None:
    ramp = np.repeat(np.linspace(0.0, 1.0, 16, dtype=np.float32)[None, :, None], 4, axis=0).repeat(3, axis=2)
    flat = np.full((2, 8, 3), 0.0099, np.float32)
    paths = write_alpha_maps(tmp_path / "m", [flat, ramp], box_width=32)
    assert [p.name for p in paths] == ["alpha-L1-8x2.png", "alpha-L2-16x4.png"]
    assert np.asarray(Image.open(paths[0])).tolist() == [[3] * 8] * 2  # round(0.0099 × 255) = 3
    assert np.asarray(Image.open(paths[1]))[0].tolist() == [round(v * 255) for v in np.linspace(0, 1, 16)]
    levels = json.loads((tmp_path / "m" / "alpha-maps.json").read_text())["levels"]
    assert levels[0]["describe"] == "constant 0.0099 — this level does not blend" and levels[0]["scale"] == 4
    assert levels[1]["constant"] is False and levels[1]["scale"] == 2
    with pytest.raises(InpaintError, match="no alpha maps"):
        write_alpha_maps(tmp_path / "m", [])


def test_engine_without_alpha_maps_exits_2_one_line(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    image, mask = files
    code = main(["run", "--engine", "telea", "--image", str(image), "--mask", str(mask),
                 "--output", str(tmp_path / "o.png"), "--alpha-maps", str(tmp_path / "maps")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err == "inpaint: error: --alpha-maps: engine telea has no alpha maps (dfnet has)\n"
    assert not (tmp_path / "o.png").exists() and not (tmp_path / "maps").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_folder_exits_2_one_line(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    image, mask = files
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code = main(["run", "--engine", "dfnet", "--image", str(image), "--mask", str(mask),
                     "--output", str(tmp_path / "o.png"), "--alpha-maps", str(locked / "maps")])  # fmt: skip
    finally:
        locked.chmod(0o700)
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith(f"inpaint: error: --alpha-maps folder {locked / 'maps'} cannot be written")
    assert not (tmp_path / "o.png").exists()


def test_a_file_in_the_way_exits_2(files: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    image, mask = files
    (tmp_path / "taken").write_text("x")
    code = main(["run", "--engine", "dfnet", "--image", str(image), "--mask", str(mask),
                 "--output", str(tmp_path / "o.png"), "--alpha-maps", str(tmp_path / "taken")])  # fmt: skip
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 1 and "cannot be written" in lines[0]
