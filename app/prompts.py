"""The questions asked before something could be lost, with buttons that say what they do.

Each returns a plain word so callers read as English; the safe, expected answer is the default
(Enter): apply the shown fill before saving, save before opening another photo.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

Button = QMessageBox.StandardButton


def apply_before_save(parent: QWidget) -> str:
    """A fill is shown but not applied: "apply" (default), "discard" or "cancel" (do not save)."""
    answer = QMessageBox.question(
        parent,
        "Apply the shown fill?",
        "A fill is shown on the photo but not applied yet. Apply it before saving?",
        Button.Apply | Button.Discard | Button.Cancel,
        Button.Apply,
    )
    return {Button.Apply: "apply", Button.Discard: "discard"}.get(answer, "cancel")


def unsaved_before_open(parent: QWidget, name: str) -> str:
    """``name`` has unsaved changes and another photo is to be opened: "save" (default), "discard" or "cancel"."""
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"{name} has unsaved changes. Save them before opening another photo?",
        Button.Save | Button.Discard | Button.Cancel,
        Button.Save,
    )
    return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")
