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
    # "engine/name" has no fixed default: see Settings.get (the best engine by the shipped evaluation).
    "engine/name": "",
    "engine/device": "cpu",
    "engine/strategy": "crop",
    "save/jpeg_quality": 92,
    "save/png_compression": 1,  # engine.imageio: 1 = fast, 2-9 = smaller and slower files
    # Largest photo the editor opens, in megapixels; 0 = Pillow's decompression-bomb limit (~89 MP).
    # Raised deliberately for trusted big files, like the CLI's --max-pixels (engine/imageio.py).
    "open/max_megapixels": 0,
    "restore/sensitivity": 50,
    "recent/files": [],
}
MAX_RECENT = 10


class Settings:
    """Thin typed wrapper: ``get(key)`` falls back to :data:`DEFAULTS` and coerces to its type."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("InpaintStudio", "Inpaint Studio")

    def get(self, key: str, default: Any = None) -> Any:
        if key == "engine/name":
            return self.engine_name()
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

    def engine_name(self) -> str:
        """The engine the editor starts on: the one the user last picked in the engine list
        ("engine/chosen", stored by :meth:`remember_engine`), else the best available engine by
        the shipped ``resources/weights/EVAL.md`` (:func:`engine.ranking.best_engine`).

        The panel also stores "engine/name" on every programmatic change (start-up included);
        that is not a choice, so it does not pin the default when a new evaluation ranks another
        engine first."""
        chosen = self.q.value("engine/chosen", "")
        if chosen:
            return str(chosen)
        from engine.ranking import best_engine

        return best_engine()

    def remember_engine(self, name: str) -> None:
        """Record ``name`` as the user's own choice of engine (called when they pick one)."""
        if name:
            self.set("engine/chosen", name)

    def max_pixels(self) -> int | None:
        """The pixel limit for opening photos (``engine.imageio.load_image``'s ``max_pixels``):
        None for Pillow's default guard, else the "open/max_megapixels" preference in pixels."""
        megapixels = int(self.get("open/max_megapixels"))
        return megapixels * 1_000_000 if megapixels > 0 else None

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
