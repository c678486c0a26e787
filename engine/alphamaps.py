"""DFNet's alpha maps as numbers and files: per-level range, auto-contrast, naming, PNG export.

An alpha map (``Result.extras["alpha_maps"]``) is a float32 h×w×3 array in [0, 1]; the list runs
coarsest level first and covers the processed box (the pipeline crops the engine's padding). A
level is *constant* when its mean-of-channels map spans less than :data:`CONSTANT_SPAN`: the view
and the CLI then say so in words, because auto-contrast would stretch rounding noise into a picture.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from engine.errors import InpaintError

#: max − min below this: the level "does not blend" (one value everywhere, up to rounding).
CONSTANT_SPAN = 1e-3


def level_values(alpha: np.ndarray) -> np.ndarray:
    """float32 h×w: the mean over channels of an h×w×3 (or h×w) alpha map."""
    a = np.asarray(alpha, dtype=np.float32)
    return a.mean(axis=2) if a.ndim == 3 else a


@dataclass(frozen=True)
class LevelInfo:
    """One level: ``index`` 1 = coarsest, its size, the value range of its mean-of-channels map and
    ``scale`` = box side / level side (1 = full resolution of the processed box)."""

    index: int
    width: int
    height: int
    min: float
    mean: float
    max: float
    scale: float

    @property
    def constant(self) -> bool:
        return self.max - self.min < CONSTANT_SPAN

    def name(self, count: int) -> str:
        """e.g. "level 6 of 6 (finest) · 256×256 · 1/1 of the box"."""
        where = " (coarsest)" if self.index == 1 else " (finest)" if self.index == count else ""
        return f"level {self.index} of {count}{where} · {self.width}×{self.height} · 1/{self.scale:g} of the box"

    def describe(self) -> str:
        """The range in words: "constant 0.0099 — this level does not blend" or the min/mean/max."""
        if self.constant:
            return f"constant {self.mean:.4f} — this level does not blend"
        return f"min {self.min:.4f} · mean {self.mean:.4f} · max {self.max:.4f} (auto-contrast: min → 0, max → 1)"


def level_info(alpha: np.ndarray, index: int, box_width: int | None = None) -> LevelInfo:
    """Statistics of one alpha map; ``box_width`` (px) of the processed box names the scale."""
    v = level_values(alpha)
    h, w = v.shape
    scale = round((box_width or w) / w, 2) if w else 1.0
    return LevelInfo(index, w, h, float(v.min()), float(v.mean()), float(v.max()), scale)


def auto_contrast(values: np.ndarray) -> np.ndarray:
    """float32 h×w stretched so its min → 0 and max → 1; a constant map (span < CONSTANT_SPAN) → 0."""
    v = np.asarray(values, dtype=np.float32)
    lo, hi = float(v.min()), float(v.max())
    if hi - lo < CONSTANT_SPAN:
        return np.zeros_like(v)
    return (v - lo) / (hi - lo)


def hole_statistics(alpha: np.ndarray, hole: np.ndarray) -> tuple[float, float]:
    """(spatial std of the map, mean inside the hole − mean outside) for a map over the processed box;
    ``hole`` uint8/bool H×W of the box (255/True = hole); a map pixel is in the hole when at least half
    of the box pixels it covers are (area resize)."""
    v = level_values(alpha)
    frac = cv2.resize((np.asarray(hole) > 0).astype(np.float32), (v.shape[1], v.shape[0]), interpolation=cv2.INTER_AREA)
    inside = frac >= 0.5
    if not inside.any() or inside.all():
        return float(v.std()), 0.0
    return float(v.std()), float(v[inside].mean() - v[~inside].mean())


def check_writable(folder: str | Path) -> Path:
    """Create ``folder`` if needed and check a file can be written in it; InpaintError if not."""
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-"):
            pass
    except OSError as exc:
        raise InpaintError(f"--alpha-maps folder {out} cannot be written: {exc.strerror or exc}") from None
    return out


def write_alpha_maps(folder: str | Path, maps: list[np.ndarray], box_width: int | None = None) -> list[Path]:
    """Write each level's mean-of-channels map as an 8-bit grey PNG of its *raw* values
    (round(alpha × 255), no contrast stretch, so files compare across levels and runs) named
    ``alpha-L{index}-{w}x{h}.png``, plus ``alpha-maps.json`` with each level's file, size, scale and
    min/mean/max/constant. Raises InpaintError when the folder cannot be written. Returns the PNGs."""
    out = check_writable(folder)
    if not maps:
        raise InpaintError("--alpha-maps: the engine returned no alpha maps for this image")
    written: list[Path] = []
    levels = []
    for i, alpha in enumerate(maps, start=1):
        info = level_info(alpha, i, box_width)
        path = out / f"alpha-L{i}-{info.width}x{info.height}.png"
        grey = np.clip(np.rint(level_values(alpha) * 255.0), 0, 255).astype(np.uint8)
        tmp = path.with_name(f".{path.name}.tmp.png")
        if not cv2.imwrite(str(tmp), grey):
            raise InpaintError(f"--alpha-maps: could not write {path}")
        os.replace(tmp, path)
        written.append(path)
        levels.append({"file": path.name, **asdict(info), "constant": info.constant, "describe": info.describe()})
    note = {
        "encoding": "8-bit grey, value = round(alpha × 255), mean of the 3 alpha channels; no contrast stretch",
        "order": "level 1 = coarsest",
        "levels": levels,
    }
    tmp_json = out / ".alpha-maps.json.tmp"
    tmp_json.write_text(json.dumps(note, indent=2))
    os.replace(tmp_json, out / "alpha-maps.json")
    return written
