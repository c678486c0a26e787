"""Thousands of damaged files through the loader: each opens or is refused with InpaintError."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from engine.errors import InpaintError
from engine.imageio import load_image, load_mask


def _valid_files() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    out: dict[str, bytes] = {}
    for fmt, suffix, mode in (
        ("JPEG", ".jpg", "RGB"),
        ("PNG", ".png", "RGB"),
        ("PNG", ".png", "P"),
        ("TIFF", ".tif", "RGB"),
        ("WEBP", ".webp", "RGB"),
        ("BMP", ".bmp", "RGB"),
        ("GIF", ".gif", "P"),
    ):
        buf = io.BytesIO()
        im = Image.fromarray(arr)
        if mode == "P":
            im = im.convert("P")
        exif = im.getexif()
        exif[0x0112] = 6
        im.save(buf, format=fmt, **({"exif": exif.tobytes()} if fmt in ("JPEG", "PNG", "WEBP") else {}))
        out[f"{fmt.lower()}-{mode}{suffix}"] = buf.getvalue()
    # 16-bit colour goes through OpenCV (PNG) and tifffile (TIFF): damaged ones must be refused as cleanly
    deep = rng.integers(0, 65536, (24, 32, 3), dtype=np.uint16)
    out["sixteen-rgb.png"] = cv2.imencode(".png", deep)[1].tobytes()
    buf = io.BytesIO()
    tifffile.imwrite(buf, deep, photometric="rgb", compression="zlib")
    out["sixteen-rgb.tif"] = buf.getvalue()
    return out


def _damaged(valid: dict[str, bytes], count: int) -> list[tuple[str, bytes]]:
    """Truncations, bit flips, spliced garbage and headers-only files, deterministic."""
    rng = np.random.default_rng(42)
    files: list[tuple[str, bytes]] = [("empty.jpg", b""), ("text.jpg", b"just some text\n" * 10)]
    names = list(valid)
    while len(files) < count:
        name = names[len(files) % len(names)]
        data = bytearray(valid[name])
        kind = len(files) % 4
        if kind == 0:  # truncated
            data = data[: int(rng.integers(1, len(data)))]
        elif kind == 1:  # random bit flips
            for _ in range(int(rng.integers(1, 12))):
                data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
        elif kind == 2:  # a run of garbage spliced in
            at = int(rng.integers(0, len(data)))
            data[at : at + 32] = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
        else:  # valid magic, then noise
            data = data[:16] + rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
        files.append((f"{len(files):04d}-{name}", bytes(data)))
    return files


def test_damaged_file_corpus_never_crashes(tmp_path: Path) -> None:
    valid = _valid_files()
    for name, data in valid.items():  # the undamaged ones all open, rotated by their EXIF
        (tmp_path / name).write_bytes(data)
        loaded = load_image(tmp_path / name)
        assert loaded.rgb.dtype == np.uint8 and loaded.rgb.ndim == 3
        if "jpeg" in name or "webp" in name or name.startswith("png"):
            assert loaded.rgb.shape[:2] == (32, 24)  # orientation 6 applied
    opened = refused = 0
    corpus = _damaged(valid, 2000)
    for name, data in corpus:
        path = tmp_path / name
        path.write_bytes(data)
        for loader in (load_image, load_mask):
            try:
                out = loader(path)
            except InpaintError as exc:
                refused += 1
                assert name in str(exc)  # the message names the file
                continue
            opened += 1
            arr = out.rgb if hasattr(out, "rgb") else out
            assert arr.dtype == np.uint8 and arr.size > 0
            if hasattr(out, "native"):  # the kept pixels are as sound as the working ones
                assert out.native.dtype in (np.uint8, np.uint16) and out.native.shape[:2] == arr.shape[:2]
        path.unlink()
    assert opened + refused == 2 * len(corpus) == 4000
    assert refused > 1000  # most damage is detected, and none of it crashed


def test_decompression_bomb_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.new("RGB", (200, 200)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)  # same guard, small numbers
    with pytest.raises(InpaintError, match="too large to open safely"):
        load_image(tmp_path / "big.png")


def test_extreme_shapes_open(tmp_path: Path) -> None:
    Image.new("RGB", (1, 1), (9, 9, 9)).save(tmp_path / "one.png")
    Image.new("L", (30000, 10), 128).save(tmp_path / "strip.png")
    assert load_image(tmp_path / "one.png").rgb.shape == (1, 1, 3)
    assert load_image(tmp_path / "strip.png").rgb.shape == (10, 30000, 3)
