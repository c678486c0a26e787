"""Reading and writing photos and masks (Pillow), with EXIF/ICC kept and atomic writes.

Conversion rules on load (documented for users):
- EXIF orientation is applied, and the orientation tag is reset to 1 in the EXIF kept for saving.
- Grayscale (L, 1, I;16, I, F) -> RGB by replicating the channel; 16-bit and float images are
  scaled to 8 bits (16-bit: value >> 8; I/F: clipped to 0..255).
- RGBA / LA / palette-with-transparency -> composited over white (the transparent parts of a
  photo carry no picture to inpaint).
- CMYK -> RGB through Pillow's conversion (the ICC profile of a CMYK file is dropped).
- Animated GIF/WebP/APNG: the first frame is used, and ``LoadedImage.note`` says so.
- Pillow's decompression-bomb guard stays on: an image over its pixel limit is refused.
PNG writes are fast by default (``png_compression=1``, :mod:`engine.png`: ~0.65 s of CPU for a
24 MP photo); ``2``–``9`` use Pillow's encoder at that zlib level for smaller, slower files
(``inpaint run --png-compression 9``, Preferences ▸ PNG compression), ``0`` stores uncompressed.
Masks: a single channel is taken (alpha if the file has a non-opaque alpha channel, else luma),
and values > 127 are the hole (255), the rest keep (0).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import InpaintError
from engine.png import write_png

#: Default PNG compression: 1 = the fast writer of :mod:`engine.png`; 2–9 = Pillow, smaller and slower.
PNG_FAST = 1
PNG_SMALLEST = 9
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".gif")
_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
}


@dataclass
class LoadedImage:
    """A decoded photo: ``rgb`` is uint8 H×W×3 RGB (orientation applied)."""

    rgb: np.ndarray
    path: Path
    format: str | None
    exif: bytes | None = None
    icc: bytes | None = None
    note: str = ""


def _open(path: Path) -> Image.Image:
    if not path.exists():
        raise InpaintError(f"{path}: no such file")
    if path.is_dir():
        raise InpaintError(f"{path} is a folder, not an image file")
    if path.stat().st_size == 0:
        raise InpaintError(f"{path} is an empty file (0 bytes)")
    with _decoding(path):
        im = Image.open(path)
        im.load()
    return im


@contextmanager
def _decoding(path: Path) -> Iterator[None]:
    """Turn any decoder failure into an :class:`InpaintError` naming the file.

    Pillow's plugins raise many exception types on damaged files (OSError, SyntaxError, but also
    KeyError, TypeError, struct.error, ...), so everything but memory exhaustion is caught here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data" chatter
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except InpaintError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InpaintError(f"{path} is too large to open safely (over {Image.MAX_IMAGE_PIXELS:,} pixels)") from None
    except UnidentifiedImageError:
        raise InpaintError(
            f"{path} is not an image file Inpaint Studio can read (JPEG, PNG, TIFF, WebP, BMP, GIF)"
        ) from None
    except MemoryError:
        raise InpaintError(f"{path} needs more memory to decode than is available") from None
    except Exception as exc:
        raise InpaintError(f"{path} could not be decoded; the file may be corrupt or truncated ({exc})") from None


def to_rgb(im: Image.Image) -> np.ndarray:
    """Pillow image in any mode -> uint8 H×W×3 RGB by the rules in the module docstring."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        arr = (np.asarray(im, dtype=np.uint16) >> 8).astype(np.uint8)
        return np.repeat(arr[..., None], 3, axis=2)
    if mode in ("I", "F"):
        arr = np.clip(np.asarray(im, dtype=np.float64), 0, 255).astype(np.uint8)
        return np.repeat(arr[..., None], 3, axis=2)
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.uint8).copy()
    if mode == "RGB":  # the common case: no conversion copy of a 24 MP image
        return np.asarray(im, dtype=np.uint8).copy()
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def load_image(path: str | Path) -> LoadedImage:
    """Decode ``path`` to RGB with EXIF orientation applied; raises :class:`InpaintError`."""
    path = Path(path)
    im = _open(path)
    note = ""
    with _decoding(path):
        if getattr(im, "n_frames", 1) > 1:
            note = f"{path.name} has {im.n_frames} frames; only the first is used"
            im.seek(0)
        fmt = im.format
        icc = im.info.get("icc_profile") if im.mode != "CMYK" else None
        exif_obj = im.getexif()
        try:
            im = ImageOps.exif_transpose(im) or im
        except Exception:  # a damaged orientation tag must not cost the user the picture
            note = (note + "; " if note else "") + "EXIF orientation could not be read and was ignored"
        exif = None
        if exif_obj:
            exif_obj[0x0112] = 1  # pixels are now upright; keep the rest of the EXIF
            try:
                exif = exif_obj.tobytes()
            except Exception:  # unserialisable (damaged) EXIF is dropped, not fatal
                exif = None
        rgb = to_rgb(im)
    return LoadedImage(rgb, path, fmt, exif, icc, note)


def load_mask(path: str | Path, size: tuple[int, int] | None = None, resize: bool = False) -> np.ndarray:
    """Read a mask file -> uint8 H×W with 255 = hole, 0 = keep (threshold > 127).

    ``size`` is the (width, height) of the image it belongs to; if the mask differs and ``resize``
    is False an :class:`InpaintError` says so and suggests ``--resize-mask``; with ``resize`` it is
    scaled with nearest-neighbour sampling.
    """
    path = Path(path)
    im = _open(path)
    with _decoding(path):
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            alpha = np.asarray(im.convert("RGBA"))[..., 3]
            gray = alpha if alpha.min() < 255 else np.asarray(im.convert("L"))
        elif im.mode.startswith("I") or im.mode == "F":
            gray = to_rgb(im)[..., 0]
        else:
            gray = np.asarray(im.convert("L"))
    # bool -> uint8 × 255: np.where(...) made a 24 MP int64 temporary (~0.5 s for a 24 MP mask)
    mask = (gray > 127).astype(np.uint8) * np.uint8(255)
    if size is not None and (mask.shape[1], mask.shape[0]) != tuple(size):
        if not resize:
            raise InpaintError(
                f"mask {path} is {mask.shape[1]}×{mask.shape[0]} but the image is {size[0]}×{size[1]}; "
                "use --resize-mask to scale it"
            )
        mask = np.asarray(Image.fromarray(mask).resize(tuple(size), Image.NEAREST))
    return mask


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def format_for(path: Path) -> str:
    """Pillow format name for a file suffix, or :class:`InpaintError` for unsupported ones."""
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InpaintError(f"cannot save {path}: use .png, .jpg, .tif, .webp or .bmp")
    return fmt


def save_image(
    path: str | Path,
    rgb: np.ndarray,
    exif: bytes | None = None,
    icc: bytes | None = None,
    quality: int = 95,
    png_compression: int = PNG_FAST,
) -> Path:
    """Write uint8 H×W×3 RGB (or H×W gray) atomically: temp file in the same folder, then rename.

    EXIF and ICC are kept where the format carries them. ``quality``: JPEG/WebP quality 1–100.
    ``png_compression``: 0–9, see the module docstring (1, the default, is the fast writer). A
    failure leaves any existing file intact and raises :class:`InpaintError` saying why.
    """
    path = Path(path)
    fmt = format_for(path)
    png_compression = int(png_compression)
    if not 0 <= png_compression <= PNG_SMALLEST:
        raise InpaintError(f"PNG compression must be 0 (none) to 9 (smallest), not {png_compression}")
    fast_png = (
        fmt == "PNG"
        and png_compression == PNG_FAST
        and rgb.dtype == np.uint8
        and (rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 3))
    )
    im = None if fast_png else Image.fromarray(rgb)
    kwargs: dict[str, object] = {}
    if exif and fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
        kwargs["exif"] = exif
    if icc and fmt in ("JPEG", "PNG", "TIFF", "WEBP"):
        kwargs["icc_profile"] = icc
    if fmt in ("JPEG", "WEBP"):
        kwargs["quality"] = int(quality)
    if fmt == "JPEG":
        kwargs["subsampling"] = 0 if quality >= 90 else 2
    if fmt == "PNG":
        kwargs["compress_level"] = png_compression
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InpaintError(f"cannot save {path}: folder {folder} does not exist")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=folder)
        with os.fdopen(fd, "wb") as handle:
            if im is None:
                write_png(handle, rgb, exif, icc)
            else:
                im.save(handle, format=fmt, **kwargs)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InpaintError(
            f"could not save {path}: {exc.strerror or exc}; the previous file (if any) is unchanged"
        ) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def images_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """(image files by suffix, skipped other files) of ``folder``, sorted, hidden files left out."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [p for p in files if p not in images]


def write_json(path: Path, payload: object) -> None:
    """Write ``payload`` as indented JSON through a temp file renamed over ``path`` (never half-written)."""
    import json
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)
