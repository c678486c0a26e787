"""Persisted preferences (QSettings) with typed accessors and defaults in one place."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

DEFAULTS: dict[str, Any] = {
    "brush/size": 40,
    "brush/hardness": 100,  # percent
    "brush/object_mode": False,
    "brush/grow_px": 6,
    "overlay/color": "#ff2828",
    "overlay/opacity": 50,  # percent
    "overlay/proposal_color": "#28c8ff",
    "engine/name": "telea",
    "engine/device": "cpu",
    "engine/strategy": "crop",
    "save/jpeg_quality": 92,
    "restore/sensitivity": 50,
    "recent/files": [],
}
MAX_RECENT = 10


class Settings:
    """Thin typed wrapper: ``get(key)`` falls back to :data:`DEFAULTS` and coerces to its type."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("InpaintStudio", "Inpaint Studio")

    def get(self, key: str, default: Any = None) -> Any:
        fallback = DEFAULTS.get(key, default)
        value = self.q.value(key, fallback)
        if isinstance(fallback, bool):
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}
        if isinstance(fallback, int):
            try:
                return int(value)
            except (TypeError, ValueError):
                return fallback
        if isinstance(fallback, list):
            if value is None or value == "":
                return []
            return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        return value

    def set(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    def color(self, key: str) -> QColor:
        c = QColor(str(self.get(key)))
        return c if c.isValid() else QColor(str(DEFAULTS[key]))

    def recent_files(self) -> list[str]:
        return self.get("recent/files")

    def add_recent(self, path: str) -> list[str]:
        files = [path] + [f for f in self.recent_files() if f != path]
        files = files[:MAX_RECENT]
        self.set("recent/files", files)
        return files

    def sync(self) -> None:
        self.q.sync()
