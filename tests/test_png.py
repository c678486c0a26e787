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
    with pytest.raises(ValueError, match="uint8/uint16"):
        png.write_png(io.BytesIO(), np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="uint8/uint16"):
        png.write_png(io.BytesIO(), np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="level"):
        png.write_png(io.BytesIO(), np.zeros((4, 4), np.uint8), level=10)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("level", [0, 1, 6])
def test_sixteen_bit_and_alpha_read_back_by_opencv(channels: int, level: int) -> None:
    """16-bit grey, grey+alpha, RGB and RGBA (Pillow has no such colour modes; libpng decodes them)."""
    shape = (png.BAND_ROWS + 9, 13) + ((channels,) if channels > 1 else ())
    image = np.random.default_rng(channels).integers(0, 65536, shape, dtype=np.uint16)
    buf = io.BytesIO()
    png.write_png(buf, image, threads=2, level=level)
    cv = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_UNCHANGED)
    assert cv.dtype == np.uint16
    if channels == 1:
        assert np.array_equal(cv, image)
    elif channels == 2:  # OpenCV expands grey + alpha to BGRA
        assert np.array_equal(cv[..., 0], image[..., 0]) and np.array_equal(cv[..., 3], image[..., 1])
    else:
        order = [2, 1, 0, 3][:channels]
        assert np.array_equal(cv[..., order], image)


def test_metadata_chunks_read_by_pillow() -> None:
    image = np.random.default_rng(3).integers(0, 256, (20, 30, 4), dtype=np.uint8)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    buf = io.BytesIO()
    png.write_png(buf, image, dpi=(300, 300), xmp=xmp)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        assert im.mode == "RGBA" and np.array_equal(np.asarray(im), image)
        assert [round(v) for v in im.info["dpi"]] == [300, 300]
        assert im.info["XML:com.adobe.xmp"].encode() == xmp


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
    # argparse: not a level; one line, exit 2
    assert inpaint_main([*argv, "--output", str(tmp_path / "x.png"), "--png-compression", "10"]) == 2
