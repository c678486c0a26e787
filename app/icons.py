"""qtawesome icons with a blank fallback (a missing glyph must never stop the editor)."""

from __future__ import annotations

from PySide6.QtGui import QIcon


def icon(name: str, color: str | None = None) -> QIcon:
    """Font Awesome / Material icon by qtawesome name, e.g. ``"fa5s.paint-brush"``."""
    try:
        import qtawesome as qta

        return qta.icon(name, color=color) if color else qta.icon(name)
    except Exception:  # font not loadable (headless, old qtawesome): no icon beats no editor
        return QIcon()
