"""Image and mask I/O: EXIF orientation, conversions, atomic saves, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import InpaintError
from engine.imageio import load_image, load_mask, save_image


def _asym() -> np.ndarray:
    """Asymmetric 20×40 image: red left half, blue right half."""
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :20] = (255, 0, 0)
    arr[:, 20:] = (0, 0, 255)
    return arr


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied(tmp_path: Path, orientation: int) -> None:
    im = Image.fromarray(_asym())
    exif = im.getexif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    im.save(path, exif=exif.tobytes(), quality=100)
    loaded = load_image(path)
    expected_shape = (40, 20) if orientation >= 5 else (20, 40)
    assert loaded.rgb.shape[:2] == expected_shape
    if orientation == 6:  # rotate 90° clockwise to display: the red left half goes on top
        assert loaded.rgb[2, 10, 0] > 200 and loaded.rgb[-3, 10, 2] > 200
    if orientation == 3:  # 180°: red ends up on the right
        assert loaded.rgb[10, -3, 0] > 200
    # The kept EXIF says "upright" so a viewer does not rotate the saved result again.
    out = save_image(tmp_path / f"s{orientation}.jpg", loaded.rgb, exif=loaded.exif)
    assert Image.open(out).getexif().get(0x0112, 1) == 1


def test_conversions(tmp_path: Path) -> None:
    gray16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    rgb = load_image(tmp_path / "g16.png").rgb
    assert rgb.shape == (8, 8, 3) and rgb[7, 7, 0] == round(63 * 1000 / 257)  # 16 -> 8 bits, rounded
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent -> white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert (load_image(tmp_path / "a.png").rgb == 255).all()
    # CMYK without an ICC profile cannot be converted faithfully: refused with a line, never guessed
    Image.new("CMYK", (5, 5), (0, 255, 255, 0)).save(tmp_path / "c.jpg")
    with pytest.raises(InpaintError, match="CMYK without an embedded ICC profile"):
        load_image(tmp_path / "c.jpg")


def test_animated_gif_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (6, 6), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    loaded = load_image(tmp_path / "anim.gif")
    assert "first" in loaded.note and loaded.rgb[0, 0, 0] > 200


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty file"), (b"hello, not an image", "not an image file"), (None, "no such file")],
)
def test_bad_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InpaintError, match=message):
        load_image(path)


def test_truncated_jpeg(tmp_path: Path, photo: np.ndarray) -> None:
    path = tmp_path / "t.jpg"
    Image.fromarray(photo).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:400])
    with pytest.raises(InpaintError, match="corrupt or truncated"):
        load_image(path)


def test_mask_threshold_alpha_and_size(tmp_path: Path) -> None:
    values = np.array([[0, 127, 128, 255]], np.uint8)
    Image.fromarray(values).save(tmp_path / "m.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "m.png"), [[0, 0, 255, 255]])
    rgba = np.zeros((1, 4, 4), np.uint8)
    rgba[..., 3] = [0, 0, 200, 255]  # hole painted as opaque strokes on a transparent layer
    Image.fromarray(rgba, "RGBA").save(tmp_path / "ma.png")
    np.testing.assert_array_equal(load_mask(tmp_path / "ma.png"), [[0, 0, 255, 255]])
    with pytest.raises(InpaintError, match="--resize-mask"):
        load_mask(tmp_path / "m.png", size=(8, 2))
    assert load_mask(tmp_path / "m.png", size=(8, 2), resize=True).shape == (2, 8)


def test_save_is_atomic_and_keeps_icc(tmp_path: Path, photo: np.ndarray) -> None:
    target = tmp_path / "out.png"
    save_image(target, photo, icc=b"fake-icc-profile")
    assert Image.open(target).info.get("icc_profile") == b"fake-icc-profile"
    before = target.read_bytes()
    with pytest.raises(InpaintError, match="cannot save"):
        save_image(tmp_path / "out.xyz", photo)
    with pytest.raises(InpaintError, match="does not exist"):
        save_image(tmp_path / "missing" / "out.png", photo)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temp files left behind


def test_write_json_failure_leaves_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while writing the report: one InpaintError, the previous report intact, no 0-byte temp."""
    import errno
    import os

    from engine.imageio import write_json

    report = tmp_path / "r.json"
    write_json(report, {"run": 1})
    before = report.read_bytes()

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InpaintError, match="No space left on device"):
        write_json(report, {"run": 2})
    assert report.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_loaded_image_keeps_native_pixels_and_profile(tmp_path: Path) -> None:
    """The round-trip API: ``rgb`` stays uint8 H×W×3 for the engines, ``native``/``profile`` keep the file."""
    from engine.imageio import save_result

    g16 = (np.arange(48 * 64, dtype=np.uint32).reshape(48, 64) * 21).astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "g.png", dpi=(240, 240))
    loaded = load_image(tmp_path / "g.png")
    assert loaded.rgb.dtype == np.uint8 and loaded.rgb.shape == (48, 64, 3)
    assert loaded.native.dtype == np.uint16 and loaded.profile.mode == "L" and loaded.profile.bits == 16
    result = loaded.rgb.copy()
    result[10:20, 10:20] = 77
    path, notes = save_result(tmp_path / "o.png", loaded, result)
    assert notes == []
    with Image.open(path) as im:
        out = np.array(im)
        assert im.mode == "I;16" and [round(v) for v in im.info["dpi"]] == [240, 240]
    assert (out[10:20, 10:20] == 77 * 257).all()
    out[10:20, 10:20] = g16[10:20, 10:20]
    np.testing.assert_array_equal(out, g16)
