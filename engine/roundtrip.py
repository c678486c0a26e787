"""Native pixels <-> the engines' 8-bit RGB, so that only the filled pixels are ever converted.

A photo is kept as decoded (its *native* array) next to the uint8 RGB view the engines work on.
:func:`working_rgb` makes that view; :func:`compose_native` writes a result back: every pixel
whose RGB the fill did not change keeps its native value bit for bit, and only changed pixels are
converted to the native layout (16 bits: value × 257; grey: the luma; alpha: unchanged; CMYK:
colour-managed through the file's own ICC profile).

Native arrays: uint8 or uint16, H×W ("L"), H×W×2 ("LA"), H×W×3 ("RGB"), H×W×4 ("RGBA" or
"CMYK"), channels in that order, alpha straight (not premultiplied).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms

from engine.errors import InpaintError

#: Channels per native mode.
CHANNELS = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}
#: ITU-R BT.601 luma weights, the ones Pillow's ``convert("L")`` uses.
LUMA = np.array([0.299, 0.587, 0.114])


def orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    """``arr`` (H×W or H×W×C, any dtype) turned upright for EXIF ``orientation`` 1–8, as
    :func:`PIL.ImageOps.exif_transpose` turns a Pillow image (a contiguous copy unless 1)."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return arr if op is None else np.ascontiguousarray(op(arr))


def to_8bit(arr: np.ndarray) -> np.ndarray:
    """uint16 -> uint8 rounded (v / 257); uint8 is returned as is."""
    if arr.dtype == np.uint8:
        return arr
    return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def from_8bit(arr: np.ndarray, bits: int) -> np.ndarray:
    """uint8 -> the native depth: uint8 unchanged for 8 bits, v × 257 (0 -> 0, 255 -> 65535) for 16."""
    return arr.astype(np.uint16) * np.uint16(257) if bits == 16 else arr.astype(np.uint8)


def _over_white(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """uint8 colour (H×W×C) composited over white by uint8 alpha (H×W): what a viewer shows."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    return np.rint(colour * a + 255.0 * (1.0 - a)).astype(np.uint8)


def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def srgb_icc() -> bytes:
    """The bytes of an sRGB ICC profile (what an output converted from CMYK is tagged with)."""
    return _srgb().tobytes()


def _cms(icc: bytes | None, what: str) -> ImageCms.ImageCmsProfile:
    if not icc:
        raise InpaintError(
            f"{what} is CMYK without an embedded ICC profile, so its colours cannot be converted faithfully; "
            "convert it to RGB (or embed its profile) in another program first"
        )
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except Exception as exc:
        raise InpaintError(f"{what}: its embedded CMYK ICC profile cannot be read ({exc})") from None


def cmyk_to_rgb(cmyk: np.ndarray, icc: bytes | None, what: str = "the image") -> np.ndarray:
    """uint8 H×W×4 CMYK -> uint8 H×W×3 sRGB through the ICC profile ``icc`` (perceptual intent).

    Raises :class:`InpaintError` naming ``what`` when there is no usable profile."""
    src = _cms(icc, what)
    im = Image.fromarray(np.ascontiguousarray(cmyk), "CMYK")
    out = ImageCms.profileToProfile(im, src, _srgb(), outputMode="RGB")
    return np.asarray(out, dtype=np.uint8).copy()


def rgb_to_cmyk(rgb: np.ndarray, icc: bytes | None, what: str = "the image") -> np.ndarray:
    """uint8 N×M×3 sRGB -> uint8 N×M×4 CMYK of the ICC profile ``icc`` (perceptual intent)."""
    dst = _cms(icc, what)
    im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    out = ImageCms.profileToProfile(im, _srgb(), dst, outputMode="CMYK")
    return np.asarray(out, dtype=np.uint8).copy()


def working_rgb(native: np.ndarray, mode: str, icc: bytes | None = None, what: str = "the image") -> np.ndarray:
    """The uint8 H×W×3 RGB the engines and the editor work on, from a native array of ``mode``.

    16 bits are rounded to 8; grey is replicated; alpha is composited over white (the transparent
    parts carry no picture; a viewer shows them like this); CMYK goes through its ICC profile.
    """
    arr = to_8bit(native) if mode != "CMYK" else native
    if mode == "L":
        return np.repeat(arr[..., None], 3, axis=2)
    if mode == "LA":
        grey = _over_white(arr[..., :1], arr[..., 1])
        return np.repeat(grey, 3, axis=2)
    if mode == "RGB":
        return np.ascontiguousarray(arr)
    if mode == "RGBA":
        if (arr[..., 3] == 255).all():
            return np.ascontiguousarray(arr[..., :3])
        return _over_white(arr[..., :3], arr[..., 3])
    if mode == "CMYK":
        return cmyk_to_rgb(arr, icc, what)
    raise ValueError(f"unknown native mode {mode!r}")


def _un_over_white(shown: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Straight colour that, composited over white by ``alpha`` (uint8 N), shows ``shown`` (uint8 N×C).
    Fully transparent pixels keep ``shown`` (any colour is invisible there)."""
    a = alpha.astype(np.float32)[:, None] / 255.0
    safe = np.where(a > 0, a, 1.0)
    colour = (shown.astype(np.float32) - 255.0 * (1.0 - a)) / safe
    return np.clip(np.rint(colour), 0, 255).astype(np.uint8)


def compose_native(
    native: np.ndarray,
    mode: str,
    bits: int,
    before: np.ndarray,
    after: np.ndarray,
    icc: bytes | None = None,
) -> np.ndarray:
    """The native array of a result: ``native`` where ``after`` equals ``before``, the converted
    ``after`` where it changed.

    native: the source's native array (see the module docstring) of ``mode`` and ``bits``.
    before: uint8 H×W×3 RGB, :func:`working_rgb` of ``native``; after: uint8 H×W×3 RGB, the edited
    or filled image of the same size. Returns a new array of ``native``'s shape and dtype in
    which alpha never changes. ``icc``: the CMYK profile (CMYK only).
    """
    if before.shape != after.shape or before.shape[:2] != native.shape[:2]:
        raise ValueError(f"sizes differ: native {native.shape}, before {before.shape}, after {after.shape}")
    if mode == "RGB" and bits == 8:
        # before is native itself (working_rgb of 8-bit RGB is the identity), so the result is after:
        # no 24 MP comparison and copy on the most common save
        return np.ascontiguousarray(after)
    changed = np.any(before != after, axis=2)
    out = native.copy()
    if not changed.any():
        return out
    new = after[changed]  # N×3 uint8
    if mode == "RGB":
        out[changed] = from_8bit(new, bits)
    elif mode == "L":
        out[changed] = from_8bit(np.clip(np.rint(new @ LUMA), 0, 255).astype(np.uint8), bits)
    elif mode in ("RGBA", "LA"):
        alpha = to_8bit(native[..., -1][changed])
        colour = _un_over_white(new, alpha)
        if mode == "LA":
            colour = np.clip(np.rint(colour @ LUMA), 0, 255).astype(np.uint8)[:, None]
        cols = out[..., :-1]
        cols[changed] = from_8bit(colour, bits)
    elif mode == "CMYK":
        out[changed] = rgb_to_cmyk(new[None], icc)[0]
    else:
        raise ValueError(f"unknown native mode {mode!r}")
    return out
