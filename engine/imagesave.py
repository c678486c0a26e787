"""Writing a native array with its :class:`~engine.metadata.SaveProfile`: same depth, alpha, metadata.

:func:`write_native` chooses the encoder by the output's format and the array's layout:

- PNG: :mod:`engine.png` at compression 1 (the fast default) and for every 16-bit colour or
  grey+alpha image (Pillow has no such modes); Pillow for 8-bit and 16-bit grey at 2–9.
- TIFF: Pillow (8-bit, 16-bit grey, CMYK) or ``tifffile`` (16-bit RGB, RGBA, grey+alpha), with
  the source's compression where the encoder has it (else zlib, also lossless).
- JPEG: Pillow with the source's quantization tables and chroma subsampling unless a quality is
  given. WebP: lossless stays lossless. AVIF: Pillow; HEIC/HEIF: ``pillow-heif``. BMP: Pillow.

When the output format cannot hold what the source had (16 bits into JPEG, alpha into JPEG,
CMYK into PNG, ...), :func:`fit_to_format` converts and returns a note that says so; nothing is
converted silently. Files are written through a temp file in the same folder (see :func:`replace_file`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, PngImagePlugin, features

from engine.errors import InpaintError
from engine.metadata import EXIF_IFD, GPS_IFD, ORIENTATION, TIFF_DESCRIPTIVE_TAGS, SaveProfile, icc_fits
from engine.png import write_png
from engine.roundtrip import CHANNELS, cmyk_to_rgb, srgb_icc, to_8bit, working_rgb

PNG_FAST = 1
PNG_SMALLEST = 9
#: Quality for lossy outputs when the source gives none to keep (JPEG from a non-JPEG, lossy WebP/AVIF/HEIC).
DEFAULT_QUALITY = 95
_DEFAULT_LOSSY = {"JPEG": 95, "WEBP": 90, "AVIF": 90, "HEIF": 90}
FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".avif": "AVIF",
    ".heic": "HEIF",
    ".heif": "HEIF",
}
#: Modes each format can store (8-bit unless listed in _SIXTEEN).
_MODES = {
    "JPEG": ("L", "RGB", "CMYK"),
    "PNG": ("L", "LA", "RGB", "RGBA"),
    "TIFF": ("L", "LA", "RGB", "RGBA", "CMYK"),
    "WEBP": ("RGB", "RGBA"),
    "AVIF": ("RGB", "RGBA"),
    "HEIF": ("RGB", "RGBA"),
    "BMP": ("L", "RGB"),
}
_SIXTEEN = ("PNG", "TIFF")
#: Formats whose pixels are stored exactly: a WebP made from one of them is lossless WebP.
_LOSSLESS_SOURCES = ("PNG", "TIFF", "BMP", "GIF")
_LOSSY_TIFF = ("jpeg", "tiff_jpeg", "webp")
#: Pillow's TIFF compression names -> tifffile's (None = uncompressed); others fall back to zlib.
_TIFFFILE_COMPRESSION = {"raw": None, "tiff_adobe_deflate": "zlib", "tiff_deflate": "zlib"}


def heif_available() -> bool:
    """Whether HEIC/HEIF can be read and written (the ``pillow-heif`` plugin is installed)."""
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        return False
    return True


def format_for(path: Path) -> str:
    """Pillow format name for a file suffix, or :class:`InpaintError` for unsupported ones."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InpaintError(f"cannot save {path}: use .png, .jpg, .tif, .webp, .avif, .heic or .bmp")
    if fmt == "HEIF" and not heif_available():
        raise InpaintError(f"cannot save {path}: HEIC needs the pillow-heif package (pip install pillow-heif)")
    if fmt == "AVIF" and not features.check("avif"):
        raise InpaintError(f"cannot save {path}: this Pillow was built without AVIF")
    return fmt


def fit_to_format(
    native: np.ndarray, profile: SaveProfile, fmt: str
) -> tuple[np.ndarray, str, bytes | None, list[str]]:
    """(array, mode, ICC profile, notes) of ``native`` converted to what ``fmt`` can store.

    native: uint8/uint16 array of ``profile.mode`` (see :mod:`engine.roundtrip`). Nothing changes
    when the format holds the mode and depth; otherwise each conversion adds a note.
    """
    mode, arr, icc, notes = profile.mode, native, profile.icc, []
    if mode == "CMYK" and mode not in _MODES[fmt]:
        arr, mode, icc = cmyk_to_rgb(arr, icc), "RGB", srgb_icc()
        notes.append(f"CMYK converted to sRGB through its ICC profile ({fmt} holds no CMYK)")
    if arr.dtype == np.uint16 and fmt not in _SIXTEEN:
        arr = to_8bit(arr)
        notes.append(f"16 bits per sample reduced to 8 ({fmt} holds 8)")
    if mode in ("LA", "RGBA") and mode not in _MODES[fmt]:
        if "RGBA" in _MODES[fmt]:  # grey + alpha into a colour-only format: keep the alpha
            arr = np.dstack([np.repeat(arr[..., :1], 3, axis=2), arr[..., 1:]])
            mode = "RGBA"
        else:
            arr, mode = working_rgb(arr, mode), "RGB"
            notes.append(f"transparency flattened onto white ({fmt} has no alpha channel)")
    if fmt == "TIFF" and mode == "LA" and arr.dtype == np.uint16:
        # Pillow (and so most viewers built on it) cannot even identify a 16-bit grey + alpha TIFF
        arr, mode = np.dstack([np.repeat(arr[..., :1], 3, axis=2), arr[..., 1:]]), "RGBA"
        notes.append("16-bit grey + alpha stored as RGBA (few readers open a 16-bit grey + alpha TIFF)")
    if mode == "L" and "L" not in _MODES[fmt]:
        arr, mode = np.repeat(arr[..., None], 3, axis=2), "RGB"
    if mode == "RGB" and arr.ndim == 3 and "RGB" not in _MODES[fmt]:  # pragma: no cover - every format has RGB
        raise InpaintError(f"{fmt} cannot hold RGB")
    if icc and not icc_fits(icc, mode):
        icc = None
        notes.append(f"the source's {profile.mode} ICC profile does not fit {mode} pixels and was left out")
    return arr, mode, icc, notes


def _quality(fmt: str, quality: int | None) -> int:
    return int(quality) if quality is not None else _DEFAULT_LOSSY.get(fmt, DEFAULT_QUALITY)


def _pil_image(arr: np.ndarray, mode: str) -> Image.Image:
    if arr.dtype == np.uint16:
        if mode != "L":  # pragma: no cover - callers route these to png/tifffile
            raise ValueError(f"Pillow cannot hold 16-bit {mode}")
        return Image.fromarray(np.ascontiguousarray(arr))  # uint16 H×W: Pillow's "I;16"
    return Image.fromarray(np.ascontiguousarray(arr), mode)


def _encode_pillow(
    handle: BinaryIO, arr: np.ndarray, mode: str, fmt: str, profile: SaveProfile, icc: bytes | None,
    quality: int | None, png_compression: int,
) -> None:  # fmt: skip
    kwargs: dict[str, object] = {}
    if profile.exif and fmt in ("JPEG", "PNG", "WEBP", "AVIF", "HEIF"):
        kwargs["exif"] = profile.exif
    if icc and fmt != "BMP":
        kwargs["icc_profile"] = icc
    if profile.dpi and fmt in ("JPEG", "PNG", "TIFF", "BMP"):
        kwargs["dpi"] = profile.dpi
    if profile.xmp and fmt in ("JPEG", "WEBP", "AVIF", "HEIF"):
        kwargs["xmp"] = profile.xmp
    if fmt == "JPEG":
        if quality is None and profile.jpeg_qtables:
            kwargs["qtables"] = profile.jpeg_qtables  # the source's own tables: Pillow's quality="keep"
            kwargs["subsampling"] = profile.jpeg_subsampling if profile.jpeg_subsampling is not None else 0
        else:
            q = _quality(fmt, quality)
            kwargs["quality"] = q
            kwargs["subsampling"] = profile.jpeg_subsampling if profile.jpeg_subsampling is not None else (
                0 if q >= 90 else 2
            )  # fmt: skip
    elif fmt == "WEBP":
        lossless_source = profile.format in _LOSSLESS_SOURCES and profile.tiff_compression not in _LOSSY_TIFF
        if profile.lossless or (profile.lossless is None and lossless_source):
            kwargs["lossless"] = True
            kwargs["exact"] = True  # keep the colour under fully transparent pixels too (libwebp drops it)
        else:
            kwargs["quality"] = _quality(fmt, quality)
    elif fmt in ("AVIF", "HEIF"):
        kwargs["quality"] = _quality(fmt, quality)
    elif fmt == "PNG":
        kwargs["compress_level"] = png_compression
        if profile.xmp:
            info = PngImagePlugin.PngInfo()
            info.add_itxt("XML:com.adobe.xmp", profile.xmp.decode("utf-8", "replace"))
            kwargs["pnginfo"] = info
    elif fmt == "TIFF":
        kwargs["compression"] = profile.tiff_compression or "raw"
        tags = _tiff_tags(profile, sub_ifds=kwargs["compression"] == "raw")
        if tags:
            kwargs["exif"] = tags.tobytes()
    _pil_image(arr, mode).save(handle, format=fmt, **kwargs)


def _tiff_tags(profile: SaveProfile, sub_ifds: bool) -> Image.Exif | None:
    """The tags a TIFF result carries in its own IFD: the descriptive ones of the EXIF (make, model,
    date, artist, copyright, ...) and XMP; the EXIF and GPS sub-IFDs only when ``sub_ifds`` (Pillow's
    libtiff encoder, used for compressed TIFFs, cannot write them)."""
    tags = Image.Exif()
    if profile.exif:
        source = Image.Exif()
        source.load(profile.exif)
        for tag, value in source.items():
            if tag in TIFF_DESCRIPTIVE_TAGS and tag != ORIENTATION:
                tags[tag] = value
        if sub_ifds:
            for ifd in (EXIF_IFD, GPS_IFD):
                sub = source.get_ifd(ifd) if ifd in source else {}
                if sub:
                    tags.get_ifd(ifd).update(sub)
    if profile.xmp:
        tags[700] = profile.xmp
    return tags if len(tags) or (sub_ifds and EXIF_IFD in tags) else None


def _encode_tifffile(handle: BinaryIO, arr: np.ndarray, mode: str, profile: SaveProfile, icc: bytes | None) -> None:
    import tifffile

    extratags: list[tuple[int, str, int, object, bool]] = []
    software: str | bool = False
    for tag, value in (_tiff_tags(profile, sub_ifds=False) or {}).items():
        if tag == 700:
            extratags.append((700, "B", len(value), value, True))
        elif tag == 0x0131:  # Software: tifffile writes that tag itself
            software = value
        elif isinstance(value, str):  # the descriptive tags are ASCII strings
            extratags.append((tag, "s", 0, value, True))
    compression = _TIFFFILE_COMPRESSION.get(profile.tiff_compression or "raw", "zlib")
    buf = io.BytesIO()  # tifffile wants a name or a seekable buffer, not the fd-backed temp file
    tifffile.imwrite(
        buf,
        arr,
        photometric="minisblack" if mode in ("L", "LA") else "rgb",
        extrasamples=("unassalpha",) if mode in ("LA", "RGBA") else None,
        planarconfig="contig",
        compression=compression,
        iccprofile=icc,
        resolution=profile.dpi,
        resolutionunit="INCH" if profile.dpi else None,
        extratags=extratags,
        software=software,
        metadata=None,
    )
    handle.write(buf.getbuffer())


def encode(
    handle: BinaryIO,
    native: np.ndarray,
    profile: SaveProfile,
    fmt: str,
    quality: int | None = None,
    png_compression: int = PNG_FAST,
) -> list[str]:
    """Encode ``native`` (array of ``profile.mode``, uint8 or uint16) as ``fmt`` into ``handle``;
    returns the notes of :func:`fit_to_format` (empty when nothing had to be converted)."""
    arr, mode, icc, notes = fit_to_format(native, profile, fmt)
    if fmt == "PNG" and (png_compression == PNG_FAST or (arr.dtype == np.uint16 and mode != "L")):
        write_png(handle, arr, profile.exif, icc, dpi=profile.dpi, xmp=profile.xmp, level=png_compression)
    elif fmt == "TIFF" and arr.dtype == np.uint16 and mode != "L":
        _encode_tifffile(handle, arr, mode, profile, icc)
    else:
        if fmt == "HEIF":
            import pillow_heif

            pillow_heif.register_heif_opener()
        _encode_pillow(handle, arr, mode, fmt, profile, icc, quality, png_compression)
    return notes


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def replace_file(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file through ``write(handle)`` without ever leaving a half-written ``path``.

    The data goes to a temp file in the same folder first. A new file is then renamed into place
    with the usual permissions (0666 less the umask). An existing file keeps what the user set up:
    with one link, the temp file takes its mode (and owner where allowed) and is renamed over it
    (atomic); with several hard links, the finished data is copied into the existing inode, so
    every link sees the result (not atomic, but the temp file is only removed once the copy is
    complete). A symbolic link is followed: its target is written. Raises :class:`InpaintError`.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InpaintError(f"cannot save {path}: folder {folder} does not exist")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        old = path.stat() if path.exists() else None
        if old is not None and old.st_nlink > 1:
            with open(tmp, "rb") as src, open(path, "r+b") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.truncate()
                dst.flush()
                os.fsync(dst.fileno())
            Path(tmp).unlink()
        else:
            if old is not None:
                os.chmod(tmp, old.st_mode & 0o7777)
                with contextlib.suppress(OSError):  # only root may give a file to another owner
                    os.chown(tmp, old.st_uid, old.st_gid)
            else:
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give a new file normal permissions
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


def write_native(
    path: str | Path,
    native: np.ndarray,
    profile: SaveProfile,
    quality: int | None = None,
    png_compression: int = PNG_FAST,
) -> tuple[Path, list[str]]:
    """Save ``native`` (uint8/uint16 array of ``profile.mode``) to ``path`` in the format its suffix
    names, with ``profile``'s metadata; returns (path, notes of conversions made).

    ``quality``: None keeps the source's (JPEG tables and subsampling; lossless WebP stays lossless)
    or uses a high default; 1–100 asks for that JPEG/WebP/AVIF/HEIC quality. ``png_compression``:
    0–9 (1 = the fast writer). Raises :class:`InpaintError` for a bad suffix or setting, or an I/O error.
    """
    path = Path(path)
    fmt = format_for(path)
    png_compression = int(png_compression)
    if not 0 <= png_compression <= PNG_SMALLEST:
        raise InpaintError(f"PNG compression must be 0 (none) to 9 (smallest), not {png_compression}")
    if quality is not None and not 1 <= int(quality) <= 100:
        raise InpaintError(f"quality must be 1 to 100, not {quality}")
    if native.ndim == 2:
        channels = 1
    elif native.ndim == 3:
        channels = native.shape[2]
    else:
        raise ValueError(f"image arrays are H×W or H×W×C, not {native.shape}")
    if CHANNELS.get(profile.mode) != channels:
        raise ValueError(f"a {profile.mode} image has {CHANNELS.get(profile.mode)} channels, not {channels}")
    notes: list[str] = []

    def write(handle: BinaryIO) -> None:
        try:
            notes.extend(encode(handle, native, profile, fmt, quality, png_compression))
        except (OSError, InpaintError):
            raise
        except Exception as exc:  # an encoder refusing its input: say which file, no traceback
            raise InpaintError(f"could not encode {path.name} as {fmt}: {exc}") from None

    return replace_file(path, write), notes
