"""Where bundled resources and user weights live: the single place that resolves these paths.

The bundled data (weights and model cards, samples, icon, desktop entry) is the package
``inpaint_resources`` — the repository's ``resources/`` folder, which setup.py installs under that name —
and is found through :mod:`importlib.resources`, so an installed wheel uses its own copy wherever it was
installed, and an editable install (``make run``) the repository's folder.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

RESOURCE_PACKAGE = "inpaint_resources"


def _resources() -> Path:
    try:
        found = importlib.resources.files(RESOURCE_PACKAGE)
    except ModuleNotFoundError:
        # A source checkout run without installing it (python -m from the repository root).
        return Path(__file__).resolve().parents[1] / "resources"
    # Weights and photos are opened by path (safetensors, OpenCV): the package must be plain files, as
    # pip installs it, not inside a zip archive.
    if not isinstance(found, Path):
        raise RuntimeError(f"{RESOURCE_PACKAGE} is not installed as plain files ({found!r}); reinstall with pip")
    return found


RESOURCES = _resources()
BUNDLED_WEIGHTS = RESOURCES / "weights"
SAMPLES = RESOURCES / "samples"
SAMPLE_PHOTO = SAMPLES / "storm.jpg"
ICON_SVG = RESOURCES / "icons" / "inpaint-studio.svg"
ICON_PNG = RESOURCES / "icons" / "inpaint-studio.png"
DESKTOP_FILE = RESOURCES / "inpaint-studio.desktop"
#: The sample (file stem in SAMPLES, with ``<name>_mask.png``) that ``make run`` opens and the
#: headless demo fills: kite is in the corpus's validation split, so no engine was trained on it.
DEFAULT_SAMPLE = "kite"

#: The repository (where runs/ and the training data live) when running from a checkout, editable install
#: included; None when installed from a wheel.
_CHECKOUT = Path(__file__).resolve().parents[1]
REPOSITORY: Path | None = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else None


def user_data_dir() -> Path:
    """Per-user data folder (``$XDG_DATA_HOME/inpaint-studio``, ``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inpaint-studio"


def user_weights_dir() -> Path:
    """Per-user weights folder (``$XDG_DATA_HOME/inpaint-studio/weights``)."""
    return user_data_dir() / "weights"


def weights_search_path() -> list[Path]:
    """Folders searched for weights, first match wins.

    ``INPAINT_STUDIO_WEIGHTS`` (``os.pathsep``-separated) comes first so a user or a test can
    point the app at other weights without touching the bundled ones.
    """
    extra = [Path(p) for p in os.environ.get("INPAINT_STUDIO_WEIGHTS", "").split(os.pathsep) if p]
    return [*extra, user_weights_dir(), BUNDLED_WEIGHTS]
