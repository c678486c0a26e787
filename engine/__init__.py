"""Inpaint Studio engine: image I/O, inpainting engines, pipeline and metrics (no Qt here)."""

from __future__ import annotations

__version__ = "0.1.0"
