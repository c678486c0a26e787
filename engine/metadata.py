"""What a photo carries besides its pixels, read once on load and written back on save.

:class:`SaveProfile` is the part of a decoded file that must survive a round trip: format, pixel
mode and bit depth, EXIF (orientation reset to 1, TIFF structure tags left out), ICC profile, XMP
(orientation reset too), dpi, and how it was compressed (JPEG quantization tables and chroma
subsampling, lossless or lossy WebP, TIFF compression). :func:`read_profile` fills it from an
opened Pillow image; :mod:`engine.imagesave` writes it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, JpegImagePlugin

#: EXIF orientation tag.
ORIENTATION = 0x0112
EXIF_IFD = 0x8769
GPS_IFD = 0x8825
#: Of a TIFF's own tag table (which Pillow returns as its "EXIF"), only these describe the photo;
#: the rest (size, strips, samples per pixel, extra samples, compression, ...) describe the file
#: and, written into another file's EXIF, make that file unreadable (the RGBA TIFF of issue #40).
TIFF_DESCRIPTIVE_TAGS = frozenset(
    {
        0x010E,  # ImageDescription
        0x010F,  # Make
        0x0110,  # Model
        0x0131,  # Software
        0x0132,  # DateTime
        0x013B,  # Artist
        0x013C,  # HostComputer
        0x8298,  # Copyright
        ORIENTATION,
    }
)
#: Tags that describe a file's layout, never kept in EXIF written to another file.
STRUCTURE_TAGS = frozenset(
    {
        0x00FE, 0x00FF, 0x0100, 0x0101, 0x0102, 0x0103, 0x0106, 0x0107, 0x0108, 0x0109, 0x010A, 0x0111,
        0x0115, 0x0116, 0x0117, 0x0118, 0x0119, 0x011C, 0x013D, 0x0140, 0x0142, 0x0143, 0x0144, 0x0145,
        0x014A, 0x0152, 0x0153, 0x015B, 0x0211, 0x0212, 0x0213, 0x02BC, 0x83BB, 0x8649, 0x8773, 0x935C,
    }
)  # fmt: skip
_XMP_ORIENTATION = re.compile(rb"(tiff:Orientation\s*=\s*[\"']|<tiff:Orientation>)\s*[1-8]")


@dataclass
class SaveProfile:
    """How a photo was stored, to store its result the same way.

    ``mode``: the pixel layout of the decoded file as :mod:`engine.imageio` keeps it ("L", "LA",
    "RGB", "RGBA" or "CMYK"); ``bits``: 8 or 16 per sample. ``exif``: raw EXIF bytes with the
    orientation set to 1 (pixels are stored upright) or None; ``icc``/``xmp``: raw bytes or None;
    ``dpi``: (x, y) or None. ``jpeg_qtables``/``jpeg_subsampling``: the source JPEG's quantization
    tables (Pillow's ``quantization``, already transposed for a rotated photo) and its Pillow
    subsampling code (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0); ``lossless``: True for lossless WebP,
    False for lossy formats, None where the format is always lossless or unknown;
    ``tiff_compression``: Pillow's name of the TIFF compression ("raw", "tiff_lzw", ...).
    """

    format: str | None = None
    mode: str = "RGB"
    bits: int = 8
    exif: bytes | None = None
    icc: bytes | None = None
    xmp: bytes | None = None
    dpi: tuple[float, float] | None = None
    jpeg_qtables: dict[int, list[int]] | None = None
    jpeg_subsampling: int | None = None
    lossless: bool | None = None
    tiff_compression: str | None = None

    @property
    def has_alpha(self) -> bool:
        return self.mode in ("LA", "RGBA")


def icc_colour_space(icc: bytes | None) -> str | None:
    """The data colour space an ICC profile is made for: "RGB", "GRAY", "CMYK", ... (None if unreadable)."""
    if not icc or len(icc) < 20:
        return None
    return icc[16:20].decode("ascii", "replace").strip() or None


#: ICC data colour space signatures (ICC.1 §7.2.6), trimmed.
_ICC_SPACES = frozenset({"XYZ", "Lab", "Luv", "YCbr", "Yxy", "RGB", "GRAY", "HSV", "HLS", "CMYK", "CMY"})


def icc_fits(icc: bytes | None, mode: str) -> bool:
    """Whether ``icc`` may go with pixels of ``mode``: False only for a profile made for another
    colour space (a grey profile on RGB pixels); a profile whose header cannot be read is kept."""
    if not icc:
        return False
    space = icc_colour_space(icc)
    want = {"L": "GRAY", "LA": "GRAY", "RGB": "RGB", "RGBA": "RGB", "CMYK": "CMYK"}.get(mode)
    return space not in _ICC_SPACES or space == want


def clean_exif(exif: Image.Exif, from_tiff: bool) -> bytes | None:
    """EXIF fit to write into another file: orientation 1, no file-structure tags; None if empty.

    ``from_tiff``: ``exif`` is a TIFF's own tag table, so only :data:`TIFF_DESCRIPTIVE_TAGS` of it
    are kept (plus its EXIF and GPS sub-IFDs).
    """
    out = Image.Exif()
    for tag, value in exif.items():
        if tag in (EXIF_IFD, GPS_IFD):
            continue
        if (from_tiff and tag not in TIFF_DESCRIPTIVE_TAGS) or tag in STRUCTURE_TAGS:
            continue
        out[tag] = value
    subs = 0
    for ifd in (EXIF_IFD, GPS_IFD):
        if ifd in exif:
            try:
                sub = {k: v for k, v in exif.get_ifd(ifd).items() if k not in STRUCTURE_TAGS}
            except Exception:  # a damaged sub-IFD is dropped, not fatal
                continue
            if sub:
                out.get_ifd(ifd).update(sub)
                subs += 1
    if not len(out) and not subs:
        return None
    out[ORIENTATION] = 1
    try:
        return out.tobytes()
    except Exception:  # unserialisable (damaged) EXIF is dropped, not fatal
        return None


def upright_xmp(xmp: bytes | str | None) -> bytes | None:
    """XMP packet bytes with any ``tiff:Orientation`` set to 1 (the pixels are stored upright)."""
    if not xmp:
        return None
    data = xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp)
    return _XMP_ORIENTATION.sub(rb"\g<1>1", data)


def webp_is_lossless(path: Path) -> bool:
    """Whether a WebP file holds lossless (VP8L) image data: its RIFF chunks are read, not decoded."""
    with open(path, "rb") as handle:
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
            return False
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return False
            kind, size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if kind == b"VP8L":
                return True
            if kind == b"VP8 ":
                return False
            handle.seek(size + (size & 1), 1)


#: The JPEG standard's example luminance table (ITU-T T.81 Annex K, Table K.1), natural order: the
#: table IJG libjpeg (and so Pillow and most cameras' software) scales by the quality setting.
_BASE_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip


def _ijg_table(quality: int) -> list[int]:
    """libjpeg's luminance table for ``quality`` 1–100 (jpeg_quality_scaling, baseline-clamped to 1–255)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return [min(255, max(1, (b * scale + 50) // 100)) for b in _BASE_LUMINANCE]


def estimate_jpeg_quality(tables: dict[int, list[int]] | None) -> int | None:
    """The libjpeg quality (1–100) whose luminance table is closest to ``tables[0]`` (Pillow's
    ``quantization``), or None without tables. Values are compared sorted, so a transposed table
    gives the same answer; tables from other encoders give the nearest equivalent."""
    if not tables or 0 not in tables or len(tables[0]) != 64:
        return None
    table = sorted(tables[0])
    return min(range(1, 101), key=lambda q: sum(abs(a - b) for a, b in zip(table, sorted(_ijg_table(q)), strict=True)))


def _transposed_tables(tables: dict[int, list[int]]) -> dict[int, list[int]]:
    # Pillow's quantization tables are 8×8 in natural (row-major) order; a photo turned by 90° has
    # its horizontal and vertical frequencies swapped, so its tables are transposed with it.
    return {k: [t[8 * (i % 8) + i // 8] for i in range(64)] for k, t in tables.items()}


def read_profile(im: Image.Image, path: Path, orientation: int) -> SaveProfile:
    """The :class:`SaveProfile` of the opened file ``im`` (not yet transposed) read from ``path``.

    ``orientation``: the EXIF orientation that will be applied to the pixels (1–8). ``mode`` and
    ``bits`` are left for :mod:`engine.imageio` to set once it has decoded the pixels.
    """
    fmt = im.format
    profile = SaveProfile(format=fmt)
    exif = im.getexif()
    if exif:
        profile.exif = clean_exif(exif, from_tiff=fmt == "TIFF")
    profile.icc = im.info.get("icc_profile") or None
    profile.xmp = upright_xmp(im.info.get("xmp") or im.info.get("XML:com.adobe.xmp"))
    dpi = im.info.get("dpi")
    if dpi and len(dpi) == 2 and all(float(v) > 0 for v in dpi):
        profile.dpi = (float(dpi[0]), float(dpi[1]))
    if fmt == "JPEG":
        tables = getattr(im, "quantization", None)
        if tables:
            turned = orientation >= 5
            profile.jpeg_qtables = _transposed_tables(tables) if turned else dict(tables)
            sampling = JpegImagePlugin.get_sampling(im)
            # A turned 4:2:2 photo has its chroma halved vertically, a layout Pillow cannot write:
            # 4:4:4 keeps all of it (a larger file, never less detail).
            profile.jpeg_subsampling = 0 if sampling < 0 or (turned and sampling == 1) else sampling
        profile.lossless = False
    elif fmt == "WEBP":
        profile.lossless = webp_is_lossless(path)
    elif fmt in ("HEIF", "AVIF"):
        profile.lossless = False
    elif fmt == "TIFF":
        profile.tiff_compression = im.info.get("compression") or "raw"
    return profile
