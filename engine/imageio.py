"""Reading and writing photos and masks: every pixel the user did not touch kept as it was.

What a load gives (documented for users in the README, "What a saved file keeps"):
- ``LoadedImage.native``: the pixels as stored, upright: uint8 or uint16, grey, grey+alpha, RGB,
  RGBA or CMYK (see :mod:`engine.roundtrip`); ``LoadedImage.profile``: format, mode, bit depth,
  EXIF (orientation reset to 1), ICC, XMP, dpi and compression (:class:`engine.metadata.SaveProfile`).
- ``LoadedImage.rgb``: the uint8 H×W×3 RGB the engines and the editor work on: 16 bits rounded to
  8, grey replicated, alpha composited over white, CMYK converted through its ICC profile (a CMYK
  file without one is refused: its colours cannot be converted faithfully).
- 16-bit colour PNGs are decoded with OpenCV and 16-bit colour TIFFs with tifffile (Pillow reads
  them as 8 bits). HEIC/HEIF needs ``pillow-heif``; AVIF is Pillow's own.
- 1-bit, palette and 32-bit images are converted (1-bit and 32-bit to 8-bit grey, palette to RGB or
  RGBA) and ``LoadedImage.note`` says so. Animated files: the first frame, and the note says so.
- Pillow's decompression-bomb guard stays on: an image over ``max_pixels`` (default Pillow's
  limit, ~89 MP) is refused unless the caller raises the limit (``inpaint run --max-pixels``).

Writing a result: :func:`save_result` composes the native output from the original and the
filled RGB (:func:`engine.roundtrip.compose_native`) and writes it in the output's format with the
original's metadata and settings (:mod:`engine.imagesave`). :func:`save_image` writes a plain
uint8 RGB or grey array (sheets, masks). PNG writes are fast by default (``png_compression=1``,
:mod:`engine.png`); ``2``–``9`` give smaller, slower files, ``0`` stores uncompressed.
Masks: a single channel is taken (alpha if the file has a non-opaque alpha channel, else luma),
and values > 127 are the hole (255), the rest keep (0).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from engine.errors import ImageTooLarge, InpaintError
from engine.imagesave import FORMATS, PNG_FAST, PNG_SMALLEST, format_for, heif_available, replace_file, write_native
from engine.metadata import ORIENTATION, SaveProfile, icc_fits, read_profile
from engine.roundtrip import compose_native, orient, srgb_icc, working_rgb

if heif_available():  # HEIC/HEIF photos (every iPhone) open like any other file
    import pillow_heif

    pillow_heif.register_heif_opener()

__all__ = [
    "IMAGE_SUFFIXES",
    "PNG_FAST",
    "PNG_SMALLEST",
    "LoadedImage",
    "can_write",
    "check_writable_file",
    "check_writable_folder",
    "format_for",
    "images_in",
    "load_image",
    "load_mask",
    "pixel_limit",
    "save_image",
    "save_result",
    "to_rgb",
    "write_json",
]
IMAGE_SUFFIXES = (*FORMATS, ".gif")
_LIMIT_LOCK = threading.Lock()


@dataclass
class LoadedImage:
    """A decoded photo, upright (EXIF orientation applied).

    ``rgb``: uint8 H×W×3 RGB, what the engines work on. ``native``: the stored pixels (uint8 or
    uint16, H×W / H×W×2 / H×W×3 / H×W×4 in ``profile.mode``'s channel order; the same array as
    ``rgb`` for 8-bit RGB files). ``profile``: what a result must be saved with.
    ``exif``/``icc``/``format`` mirror ``profile`` for callers that only need those.
    """

    rgb: np.ndarray
    path: Path
    format: str | None
    exif: bytes | None = None
    icc: bytes | None = None
    note: str = ""
    native: np.ndarray | None = None
    profile: SaveProfile = field(default_factory=SaveProfile)


@contextmanager
def pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Within the block, Pillow refuses images over ``max_pixels`` (None: its default limit)."""
    if max_pixels is None:
        yield
        return
    if max_pixels < 1:
        raise InpaintError(f"--max-pixels must be a positive number of pixels, not {max_pixels}")
    with _LIMIT_LOCK:
        before = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = int(max_pixels)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = before


def _open(path: Path, max_pixels: int | None = None) -> Image.Image:
    if not path.exists():
        raise InpaintError(f"{path}: no such file")
    if path.is_dir():
        raise InpaintError(f"{path} is a folder, not an image file")
    if path.stat().st_size == 0:
        raise InpaintError(f"{path} is an empty file (0 bytes)")
    with pixel_limit(max_pixels), _decoding(path):
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
        raise ImageTooLarge(
            f"{path} is too large to open safely (over {Image.MAX_IMAGE_PIXELS:,} pixels); "
            "if you trust the file, raise the limit with --max-pixels",
            int(Image.MAX_IMAGE_PIXELS or 0),
        ) from None
    except UnidentifiedImageError:
        if path.suffix.lower() in (".heic", ".heif") and not heif_available():
            raise InpaintError(f"{path}: HEIC photos need the pillow-heif package (pip install pillow-heif)") from None
        raise InpaintError(
            f"{path} is not an image file Inpaint Studio can read (JPEG, PNG, TIFF, WebP, AVIF, HEIC, BMP, GIF)"
        ) from None
    except MemoryError:
        raise InpaintError(f"{path} needs more memory to decode than is available") from None
    except Exception as exc:
        raise InpaintError(f"{path} could not be decoded; the file may be corrupt or truncated ({exc})") from None


def to_rgb(im: Image.Image) -> np.ndarray:
    """Pillow image in any mode -> uint8 H×W×3 RGB (16 bits rounded to 8, alpha over white)."""
    native, mode, _ = _pil_native(im)
    return working_rgb(native, mode, im.info.get("icc_profile"))


def _pil_native(im: Image.Image) -> tuple[np.ndarray, str, str]:
    """(native array, its mode, note) of a decoded Pillow image, as Pillow holds it."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return np.asarray(im, dtype=np.uint16).copy(), "L", ""
    if mode in ("I", "F"):
        arr = np.clip(np.asarray(im, dtype=np.float64), 0, 255).astype(np.uint8)
        return arr, "L", "32-bit samples are clipped to 0-255 and saved as 8-bit grey"
    if mode == "1":
        return np.asarray(im.convert("L")).copy(), "L", "a 1-bit image is saved as 8-bit grey"
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return np.array(im), mode, ""  # a writable copy the caller owns
    if mode == "P":
        if "transparency" in im.info:
            return np.asarray(im.convert("RGBA")).copy(), "RGBA", "palette colours are saved as full-colour RGBA"
        return np.asarray(im.convert("RGB")).copy(), "RGB", "palette colours are saved as full-colour RGB"
    if mode in ("PA", "RGBa", "La"):
        target = "LA" if mode == "La" else "RGBA"
        return np.asarray(im.convert(target)).copy(), target, ""
    if mode in ("RGBX", "YCbCr"):
        return np.asarray(im.convert("RGB")).copy(), "RGB", ""
    return np.asarray(im.convert("RGB")).copy(), "RGB", f"{mode} pixels were converted to RGB"


def _png_header(path: Path) -> tuple[int, int]:
    """(bit depth, colour type) from a PNG's IHDR."""
    with open(path, "rb") as handle:
        head = handle.read(26)
    return head[24], head[25]


def _sixteen_bit_colour(im: Image.Image, path: Path) -> tuple[np.ndarray, str] | None:
    """(uint16 native, mode) for a 16-bit colour or grey+alpha PNG/TIFF, which Pillow reads as 8 bits."""
    if im.format == "PNG":
        depth, colour = _png_header(path)
        if depth != 16 or colour not in (2, 4, 6):
            return None
        arr = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
        if arr is None or arr.dtype != np.uint16:
            raise InpaintError(f"{path} could not be decoded as a 16-bit PNG")
        if colour == 4:  # OpenCV gives grey + alpha as BGRA
            return np.ascontiguousarray(arr[..., [0, 3]]), "LA"
        if colour == 6:
            return np.ascontiguousarray(arr[..., [2, 1, 0, 3]]), "RGBA"
        return np.ascontiguousarray(arr[..., ::-1]), "RGB"
    if im.format == "TIFF":
        bits = im.tag_v2.get(258) or (8,)
        bits = bits if isinstance(bits, tuple) else (bits,)
        if 16 not in bits or im.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
            return None
        import tifffile

        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            arr = page.asarray()
            separate = page.planarconfig == tifffile.PLANARCONFIG.SEPARATE
        if separate and arr.ndim == 3:
            arr = np.moveaxis(arr, 0, -1)
        if arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[2] not in (2, 3, 4):
            raise InpaintError(f"{path}: this 16-bit TIFF layout ({arr.dtype}, {arr.shape}) is not supported")
        return np.ascontiguousarray(arr), {2: "LA", 3: "RGB", 4: "RGBA"}[arr.shape[2]]
    return None


def _orientation(im: Image.Image) -> tuple[int, str]:
    """(EXIF orientation 1-8, note) of ``im``; a damaged tag counts as 1 and the note says so."""
    try:
        value = im.getexif().get(ORIENTATION, 1)
        value = int(value)
    except Exception:
        return 1, "EXIF orientation could not be read and was ignored"
    if not 1 <= value <= 8:
        return 1, "EXIF orientation could not be read and was ignored"
    return value, ""


def load_image(path: str | Path, max_pixels: int | None = None) -> LoadedImage:
    """Decode ``path`` upright, keeping its native pixels and metadata; raises :class:`InpaintError`.

    ``max_pixels``: refuse images with more pixels than this (None: Pillow's default guard).
    """
    path = Path(path)
    im = _open(path, max_pixels)
    notes: list[str] = []
    with _decoding(path):
        if getattr(im, "n_frames", 1) > 1:
            notes.append(f"{path.name} has {im.n_frames} frames; only the first is used")
            im.seek(0)
        orientation, note = _orientation(im)
        if note:
            notes.append(note)
        profile = read_profile(im, path, orientation)
        sixteen = _sixteen_bit_colour(im, path)
        if sixteen is not None:
            native, mode = sixteen
        else:
            native, mode, note = _pil_native(im)
            if note:
                notes.append(note)
        native = orient(native, orientation)
        profile.mode, profile.bits = mode, 16 if native.dtype == np.uint16 else 8
        if mode != "CMYK" and profile.icc and not icc_fits(profile.icc, mode):
            profile.icc = None  # e.g. the RGB profile of a palette GIF, or a damaged profile
        rgb = (
            native if mode == "RGB" and native.dtype == np.uint8 else working_rgb(native, mode, profile.icc, str(path))
        )
    if mode == "CMYK":
        notes.append("CMYK shown as sRGB through its ICC profile; filled pixels are converted back the same way")
    return LoadedImage(rgb, path, profile.format, profile.exif, profile.icc, "; ".join(notes), native, profile)


def load_mask(
    path: str | Path, size: tuple[int, int] | None = None, resize: bool = False, max_pixels: int | None = None
) -> np.ndarray:
    """Read a mask file -> uint8 H×W with 255 = hole, 0 = keep (threshold > 127).

    ``size`` is the (width, height) of the image it belongs to; if the mask differs and ``resize``
    is False an :class:`InpaintError` says so and suggests ``--resize-mask``; with ``resize`` it is
    scaled with nearest-neighbour sampling. ``max_pixels``: as for :func:`load_image`.
    """
    path = Path(path)
    im = _open(path, max_pixels)
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


def save_image(
    path: str | Path,
    rgb: np.ndarray,
    exif: bytes | None = None,
    icc: bytes | None = None,
    quality: int | None = 95,
    png_compression: int = PNG_FAST,
) -> Path:
    """Write a plain uint8 H×W×3 RGB (or H×W gray) image atomically (sheets, masks, new pictures).

    EXIF and ICC are kept where the format carries them. ``quality``: JPEG/WebP quality 1–100.
    ``png_compression``: 0–9, see the module docstring (1, the default, is the fast writer). A
    failure leaves any existing file intact and raises :class:`InpaintError` saying why. To save
    a photo's result with the photo's depth, alpha and metadata use :func:`save_result`.
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or not (rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 3)):
        raise ValueError(f"save_image takes uint8 H×W×3 RGB or H×W grey, got {rgb.dtype} {rgb.shape}")
    profile = SaveProfile(mode="L" if rgb.ndim == 2 else "RGB", exif=exif, icc=icc)
    return write_native(path, rgb, profile, quality, png_compression)[0]


def save_result(
    path: str | Path,
    loaded: LoadedImage,
    result: np.ndarray,
    quality: int | None = None,
    png_compression: int = PNG_FAST,
) -> tuple[Path, list[str]]:
    """Save ``result`` (uint8 H×W×3 RGB, the filled or edited ``loaded.rgb``) as the original was stored.

    Pixels whose RGB is unchanged keep the original's native values (depth, alpha, CMYK) bit for
    bit; changed ones are converted (:func:`engine.roundtrip.compose_native`). The file gets the
    original's EXIF, ICC, XMP, dpi and compression settings; ``quality`` None keeps the JPEG's own
    tables (lossless WebP stays lossless). Returns (path, notes on conversions the output's format
    forced, e.g. 16 bits into a JPEG). A result of another size (a side-by-side strip) is saved as
    plain RGB with the metadata.
    """
    profile = loaded.profile
    if loaded.native is None or result.shape != loaded.rgb.shape:
        plain = SaveProfile(
            format=profile.format, mode="RGB", exif=profile.exif, xmp=profile.xmp, dpi=profile.dpi,
            icc=srgb_icc() if profile.mode == "CMYK" else profile.icc if icc_fits(profile.icc, "RGB") else None,
            jpeg_qtables=profile.jpeg_qtables, jpeg_subsampling=profile.jpeg_subsampling,
            lossless=profile.lossless, tiff_compression=profile.tiff_compression,
        )  # fmt: skip
        return write_native(path, np.ascontiguousarray(result), plain, quality, png_compression)
    native = compose_native(loaded.native, profile.mode, profile.bits, loaded.rgb, result, profile.icc)
    return write_native(path, native, profile, quality, png_compression)


def can_write(suffix: str) -> bool:
    """Whether files ending in ``suffix`` (".png", ".heic", ...) can be saved here: the format is
    known and its plugin is installed (:func:`format_for`; HEIC needs pillow-heif, AVIF a Pillow
    built with it)."""
    try:
        format_for(Path("x" + suffix.lower()))
    except InpaintError:
        return False
    return True


def images_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """(image files by suffix, skipped other files) of ``folder``, sorted, hidden files left out."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [p for p in files if p not in images]


def check_writable_folder(folder: Path, what: str, create: bool = True) -> None:
    """Make sure files can be created in ``folder`` (created first when ``create``), before any work.

    Raises :class:`InpaintError` naming the option ``what`` (e.g. "--output") when the folder cannot
    be made or written: a file is really created and removed, which is the only test that also holds
    for root, read-only mounts and full quotas.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InpaintError(f"{what}: {folder} is a file, not a folder")
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InpaintError(f"{what}: cannot create folder {folder}: {exc.strerror or exc}") from None
    elif not folder.is_dir():
        raise InpaintError(f"{what}: folder {folder} does not exist")
    try:
        fd, probe = tempfile.mkstemp(prefix=".inpaint-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InpaintError(f"{what}: cannot write in folder {folder}: {exc.strerror or exc}") from None


def check_writable_file(path: Path, what: str) -> None:
    """Make sure ``path`` can be written (its folder exists or can be made, and is writable) before any work."""
    path = Path(path)
    if path.is_dir():
        raise InpaintError(f"{what} {path} is a folder; give a file name")
    check_writable_folder(path.parent if str(path.parent) else Path("."), what)


def write_json(path: Path, payload: object) -> None:
    """Write ``payload`` as indented JSON atomically (temp file renamed over ``path``; never half
    written, no temp file left behind); raises :class:`InpaintError` when it cannot be written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InpaintError(f"cannot write {path}: {exc.strerror or exc}") from None
    data = (json.dumps(payload, indent=2) + "\n").encode()
    replace_file(path, lambda handle: handle.write(data))
