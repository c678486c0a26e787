"""One training recipe per paper; :func:`get_recipe` maps an engine name to its class."""

from __future__ import annotations

import importlib

from training.errors import TrainingError
from training.recipes.base import Recipe

#: engine name -> module in training.recipes (the module defines ``RECIPE``).
RECIPES = {"pconv": "pconv", "dfnet": "dfnet", "glcic": "glcic", "deepgin": "deepgin", "isnet": "isnet"}


def available() -> list[str]:
    """Engines whose recipe and network both import."""
    out = []
    for name in RECIPES:
        try:
            get_recipe(name)
        except TrainingError:
            continue
        out.append(name)
    return out


def get_recipe(engine: str) -> type[Recipe]:
    """The recipe class for ``engine``; :class:`TrainingError` for unknown or not-yet-available ones."""
    key = engine.strip().lower()
    if key not in RECIPES:
        raise TrainingError(f"unknown engine {engine!r} for training; choose one of: {', '.join(RECIPES)}")
    try:
        module = importlib.import_module(f"training.recipes.{RECIPES[key]}")
    except ImportError as exc:
        raise TrainingError(
            f"the {key} recipe is not available ({exc}); is engine/models/{key}.py installed?"
        ) from None
    return module.RECIPE
