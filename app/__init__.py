"""Inpaint Studio desktop editor (PySide6)."""
