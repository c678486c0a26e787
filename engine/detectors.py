"""Registry of damage *detectors* (networks that propose a mask), kept apart from the inpainting
engines of :mod:`engine.registry` so they never appear in engine lists, pickers or compare grids.

A detector module in ``engine/models/`` calls :func:`register_detector` at import time;
:func:`get_detector` imports ``engine.models.<name>`` on first use.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InpaintError
from engine.paths import weights_search_path


@dataclass(frozen=True)
class DetectorSpec:
    """A detector network: ``network(width=..., **config)`` builds it from its weights' metadata."""

    name: str
    display_name: str
    paper: str
    default_weights: str
    network: Any  # nn.Module subclass (typed loosely: this module does not import torch)

    def weights_path(self) -> Path | None:
        """First weights file found in the weights search path, or None."""
        for folder in weights_search_path():
            candidate = folder / self.default_weights
            if candidate.is_file():
                return candidate
        return None


_DETECTORS: dict[str, DetectorSpec] = {}


def register_detector(spec: DetectorSpec) -> DetectorSpec:
    _DETECTORS[spec.name] = spec
    return spec


def get_detector(name: str) -> DetectorSpec:
    """The detector ``name``; :class:`InpaintError` when no such module exists."""
    key = name.strip().lower()
    if key not in _DETECTORS:
        with contextlib.suppress(ImportError):
            importlib.import_module(f"engine.models.{key}")
    if key not in _DETECTORS:
        raise InpaintError(f"unknown damage detector {name!r}; known: {', '.join(sorted(_DETECTORS)) or 'none'}")
    return _DETECTORS[key]
