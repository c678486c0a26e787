"""The fast PNG writer (engine.png) behind save_image's default, and the smaller-file settings."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine import png
from engine.cli import main as inpaint_main
from engine.errors import InpaintError
from engine.imageio import load_image, save_image
from engine.paths import SAMPLES


def _decode_both(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(Pillow's decoding, OpenCV/libpng's decoding in RGB order): two independent readers."""
    pil = np.asarray(Image.open(io.BytesIO(data)))
    cv = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return pil, (cv[..., ::-1] if cv.ndim == 3 else cv)


@pytest.mark.parametrize(
    "shape", [(1, 1, 3), (1, 9), (png.BAND_ROWS, 5, 3), (png.BAND_ROWS + 1, 3), (3 * png.BAND_ROWS + 17, 41, 3)]
)
def test_round_trip_through_two_decoders(shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(len(shape) * 31 + shape[0]).integers(0, 256, shape, dtype=np.uint8)
    buf = io.BytesIO()
    png.write_png(buf, image, threads=3)
    pil, cv = _decode_both(buf.getvalue())
    assert np.array_equal(pil, image)
    assert np.array_equal(cv, image)


def test_rejects_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match="uint8"):
        png.write_png(io.BytesIO(), np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        png.write_png(io.BytesIO(), np.zeros((4, 4), np.uint16))


def _photo() -> np.ndarray:
    return load_image(SAMPLES / "kite.jpg").rgb[:400, :600]


def test_save_image_keeps_exif_and_icc_on_the_fast_path(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    icc = b"\0\0\0\x10fake-icc-profile"
    out = save_image(tmp_path / "a.png", _photo(), exif=exif.tobytes(), icc=icc)
    with Image.open(out) as im:
        assert im.info.get("icc_profile") == icc
        assert im.getexif().get(0x010F) == "TestCam"
        assert np.array_equal(np.asarray(im), _photo())


def test_smaller_files_on_request_and_bad_levels_refused(tmp_path: Path) -> None:
    photo = _photo()
    fast = save_image(tmp_path / "fast.png", photo)
    small = save_image(tmp_path / "small.png", photo, png_compression=9)
    assert small.stat().st_size < fast.stat().st_size
    stored = save_image(tmp_path / "stored.png", photo, png_compression=0)
    assert stored.stat().st_size > photo.nbytes  # uncompressed: every byte plus the filter bytes
    for p in (fast, small, stored):
        assert np.array_equal(load_image(p).rgb, photo)
    with pytest.raises(InpaintError, match=r"0 \(none\) to 9"):
        save_image(tmp_path / "x.png", photo, png_compression=12)


def test_cli_png_compression_flag(tmp_path: Path) -> None:
    photo = _photo()
    Image.fromarray(photo).save(tmp_path / "p.png")
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[100:140, 200:260] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    sizes = {}
    for level in (1, 9):
        out = tmp_path / f"out{level}.png"
        argv = ["run", "--engine", "ns", "--image", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png")]
        assert inpaint_main([*argv, "--output", str(out), "--png-compression", str(level), "-q"]) == 0
        sizes[level] = out.stat().st_size
    assert sizes[9] < sizes[1]
    with pytest.raises(SystemExit):  # argparse: not a level
        inpaint_main([*argv, "--output", str(tmp_path / "x.png"), "--png-compression", "10"])
