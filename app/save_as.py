"""What the Save As dialog starts with: the folder, the suggested name and the file-type filter matching it.

A photo opened from the application's own folder (a bundled sample) is not saved back there: the
dialog starts in the user's Pictures folder (else home) instead.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from engine.paths import RESOURCES

#: (filter label, suffixes) in the order the dialog lists them.
SAVE_TYPES = (
    ("PNG", (".png",)),
    ("JPEG", (".jpg", ".jpeg")),
    ("TIFF", (".tif", ".tiff")),
    ("WebP", (".webp",)),
    ("AVIF", (".avif",)),
    ("HEIF", (".heic", ".heif")),
)
SAVE_FILTER = ";;".join(f"{label} ({' '.join('*' + s for s in sfx)})" for label, sfx in SAVE_TYPES)


def filter_for(path: Path) -> str:
    """The entry of :data:`SAVE_FILTER` that shows files like ``path`` (PNG for an unknown suffix)."""
    suffix = path.suffix.lower()
    for label, sfx in SAVE_TYPES:
        if suffix in sfx:
            return f"{label} ({' '.join('*' + s for s in sfx)})"
    return SAVE_FILTER.split(";;")[0]


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
