"""Colour management on screen: the photo's ICC profile converted to the display's colour space.

Qt's raster painter does not colour-manage: a QImage's pixels go to the screen as they are, i.e.
read as sRGB. A photo tagged with a wider space (AdobeRGB, Display P3) then looks washed out. The
canvas therefore converts what it shows from the photo's space (``QColorSpace.fromIccProfile``) to
:data:`DISPLAY_SPACE`. Qt has no API for the monitor's own profile, so the display is taken to be
sRGB, which is what an uncalibrated desktop assumes. The arrays the engines see and the files saved
keep the photo's own values and its profile: only the screen copy is converted.
"""

from __future__ import annotations

from PySide6.QtGui import QColorSpace, QImage

DISPLAY_SPACE = QColorSpace(QColorSpace.NamedColorSpace.SRgb)


def photo_space(icc: bytes | None) -> QColorSpace | None:
    """The colour space of an embedded ICC profile when it differs from the display's; None when
    there is nothing to convert (no profile, an sRGB one, or one Qt cannot read)."""
    if not icc:
        return None
    space = QColorSpace.fromIccProfile(icc)
    if not space.isValid() or space == DISPLAY_SPACE:
        return None
    return space


def to_display(image: QImage, space: QColorSpace | None) -> QImage:
    """``image`` (pixels in ``space``) converted for the screen; the same image when ``space`` is None."""
    if space is None:
        return image
    image.setColorSpace(space)
    return image.convertedToColorSpace(DISPLAY_SPACE)
