"""What the Save As dialog starts with: the folder, the suggested name and the file-type filter matching it.

The filter lists only the formats this installation can write (:func:`engine.imageio.can_write`):
HEIC/HEIF with the pillow-heif plugin, AVIF with a Pillow built with it.

A photo opened from the application's own folder (a bundled sample) is not saved back there: the
dialog starts in the user's Pictures folder (else home) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from engine.imageio import can_write
from engine.paths import RESOURCES

#: (filter label, suffixes) of every format the editor saves, in the order the dialog lists them.
ALL_SAVE_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PNG", (".png",)),
    ("JPEG", (".jpg", ".jpeg")),
    ("TIFF", (".tif", ".tiff")),
    ("WebP", (".webp",)),
    ("AVIF", (".avif",)),
    ("HEIC/HEIF", (".heic", ".heif")),
)


def save_types(writable: Callable[[str], bool] = can_write) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The entries of :data:`ALL_SAVE_TYPES` whose format ``writable`` (default: the installed plugins) can write."""
    return tuple((label, sfx) for label, sfx in ALL_SAVE_TYPES if writable(sfx[0]))


def _entry(label: str, sfx: tuple[str, ...]) -> str:
    return f"{label} ({' '.join('*' + s for s in sfx)})"


#: The types this installation can write, and the dialog's filter string listing them.
SAVE_TYPES = save_types()
SAVE_FILTER = ";;".join(_entry(label, sfx) for label, sfx in SAVE_TYPES)
#: Suffixes Save As may suggest (a photo in another format is suggested as PNG).
SAVE_SUFFIXES = tuple(s for _, sfx in SAVE_TYPES for s in sfx)


def filter_for(path: Path, types: tuple[tuple[str, tuple[str, ...]], ...] = SAVE_TYPES) -> str:
    """The entry of the filter built from ``types`` that shows files like ``path`` (PNG for a suffix
    none of them writes)."""
    suffix = path.suffix.lower()
    for label, sfx in types:
        if suffix in sfx:
            return _entry(label, sfx)
    return _entry(*types[0])


def user_folder() -> Path:
    """The user's Pictures folder, else their home."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures) if pictures and Path(pictures).is_dir() else Path.home()


def start_path(suggested: Path) -> Path:
    """``suggested`` (from ``Files.suggested_path``), moved to :func:`user_folder` when it lies in the
    application's resources (a sample) or in a folder that does not exist."""
    folder = suggested.parent
    inside_app = folder.resolve().is_relative_to(RESOURCES.resolve())
    if inside_app or not folder.is_dir():
        return user_folder() / suggested.name
    return suggested
