"""Where bundled resources and user weights live."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository / install root holding ``resources/`` (the project is installed editable).
ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
BUNDLED_WEIGHTS = RESOURCES / "weights"
SAMPLES = RESOURCES / "samples"
SAMPLE_PHOTO = SAMPLES / "storm.jpg"
#: The sample (file stem in SAMPLES, with ``<name>_mask.png``) that ``make run`` opens and the
#: headless demo fills: kite is in the corpus's validation split, so no engine was trained on it.
DEFAULT_SAMPLE = "kite"


def user_weights_dir() -> Path:
    """Per-user weights folder (``$XDG_DATA_HOME/inpaint-studio/weights``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inpaint-studio" / "weights"


def weights_search_path() -> list[Path]:
    """Folders searched for weights, first match wins.

    ``INPAINT_STUDIO_WEIGHTS`` (``os.pathsep``-separated) comes first so a user or a test can
    point the app at other weights without touching the bundled ones.
    """
    extra = [Path(p) for p in os.environ.get("INPAINT_STUDIO_WEIGHTS", "").split(os.pathsep) if p]
    return [*extra, user_weights_dir(), BUNDLED_WEIGHTS]
