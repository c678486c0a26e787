"""``detect_damage``: the trained damage detector when its weights are present, the classical top-hat
detector of :mod:`engine.restore` otherwise; the result says which one ran.

The network path is one design, three named stages, with one settings object stored in the weights'
metadata (:class:`DetectionSettings`):

1. **probability** — the U-Net (engine/models/scratch.py) runs tile by tile with overlap so scans of
   any size fit in memory: each ``tile``² core is run with the network's ``context`` px of real image on
   every side and only the core is kept, so seams cannot show (:func:`damage_probability`);
2. **threshold** — the user's sensitivity maps to a probability threshold through the weights'
   calibrated midpoint (engine.restore.threshold_for);
3. **grow** — the mask is dilated by ``grow`` px to cover the soft halo beside a defect.

Nothing else: the component verifier, the parallel-family and grain checks, the scratch following and
the turned pass of the issue #19 detector were removed in issue #39. On damage families they were
never tuned on they cut the recall of the network they checked from 0.34 to 0.12
(benchmarks/restore_families.py, docs/restore-families.md); the detector of issue #39 gets its
context from a deeper U-Net and its negatives from thin picture structure in training instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import Cancelled, InpaintError
from engine.restore import detect_scratches, mask_from_probability

Progress = Callable[[float, str], None]

_CACHE: dict[tuple[str, float], object] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class DetectionSettings:
    """How the detector's map becomes a mask, stored with its weights (metadata ``settings``).

    threshold: the probability threshold at the default sensitivity 0.5 (calibrated on the training
    side by benchmarks/restore_threshold.py); grow: px of dilation of the mask; tile: core side of a
    network tile in px (the context around it is the network's own)."""

    threshold: float = 0.5
    grow: int = 1
    tile: int = 512

    @classmethod
    def of(cls, meta: dict[str, Any]) -> DetectionSettings:
        """The settings in weights metadata ``meta``; files before issue #39 only carry ``threshold``."""
        stored = dict(meta.get("settings") or {})
        stored.setdefault("threshold", meta.get("threshold", 0.5))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DamageResult:
    """mask: uint8 H×W, 255 = suspected damage. probability: float32 H×W in [0, 1] from the network
    (None for the classical detector). detector: "network" or "classical"; note: a sentence for the UI.
    midpoint: the network's calibrated threshold, used at sensitivity 0.5 (engine.restore.threshold_for);
    grow: the settings' mask dilation in px."""

    mask: np.ndarray
    detector: str
    probability: np.ndarray | None
    sensitivity: float
    seconds: float
    note: str
    midpoint: float = 0.5
    grow: int = 1

    def rethreshold(self, sensitivity: float) -> np.ndarray:
        """The mask at another sensitivity from the cached probability map (network results only)."""
        if self.probability is None:
            raise InpaintError("the classical detector has no probability map; run detection again")
        return mask_from_probability(self.probability, sensitivity, grow=self.grow, midpoint=self.midpoint)


def network_weights() -> Path | None:
    """The damage detector's weights file in the weights search path, or None."""
    from engine.detectors import get_detector

    return get_detector("scratch").weights_path()


def detection_settings(weights: Path) -> DetectionSettings:
    """The :class:`DetectionSettings` stored with detector weights ``weights``."""
    from engine.weights import read_metadata

    return DetectionSettings.of(read_metadata(weights))


def network_threshold(weights: Path) -> float:
    """The detector's calibrated probability threshold at sensitivity 0.5 (0.5 for files exported
    before calibration)."""
    return detection_settings(weights).threshold


def _load(path: Path):
    import torch

    from engine.detectors import get_detector
    from engine.fuse import prepare_for_inference
    from engine.weights import load_weights

    key = (str(path), path.stat().st_mtime)
    with _LOCK:
        if key not in _CACHE:
            tensors, meta = load_weights(path, expected_engine="scratch")
            net = get_detector("scratch").network(width=float(meta.get("width", 1.0)), **meta.get("config", {}))
            try:
                net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()})
            except RuntimeError as exc:
                raise InpaintError(f"weights file {path} does not fit the damage detector: {str(exc)[:200]}") from None
            _CACHE.clear()
            _CACHE[key] = prepare_for_inference(net).to(memory_format=torch.channels_last)
        return _CACHE[key]


def damage_probability(
    image: np.ndarray,
    weights: Path,
    tile: int = 512,
    overlap: int | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """float32 H×W damage probability in [0, 1] of a uint8 H×W×3 RGB scan, tile by tile.

    ``overlap`` defaults to the network's ``context``: 6 × its size multiple (48 px at depth 4, 96 at
    depth 5: the context a deeper U-Net's receptive field reaches grows with its depth), plus the
    reach of its line kernels when it has them."""
    import torch

    net = _load(weights)
    m = net.multiple
    overlap = net.context if overlap is None else overlap
    h, w = image.shape[:2]
    prob = np.zeros((h, w), np.float32)
    cores = [(y, x) for y in range(0, h, tile) for x in range(0, w, tile)]
    for i, (y, x) in enumerate(cores):
        if cancel is not None and cancel():
            raise Cancelled()
        y1, x1 = min(h, y + tile), min(w, x + tile)
        wy0, wx0, wy1, wx1 = max(0, y - overlap), max(0, x - overlap), min(h, y1 + overlap), min(w, x1 + overlap)
        win = image[wy0:wy1, wx0:wx1]
        ph, pw = (-win.shape[0]) % m, (-win.shape[1]) % m
        if ph or pw:  # reflect keeps the statistics at the border (zeros would look like a dark edge)
            mode = "reflect" if min(win.shape[:2]) > max(ph, pw) else "edge"
            win = np.pad(win, ((0, ph), (0, pw), (0, 0)), mode=mode)
        t = torch.from_numpy(np.ascontiguousarray(win)).permute(2, 0, 1)[None].float().div_(255.0)
        with torch.inference_mode():
            p = torch.sigmoid(net(t.contiguous(memory_format=torch.channels_last)))[0, 0].numpy()
        prob[y:y1, x:x1] = p[y - wy0 : y1 - wy0, x - wx0 : x1 - wx0]
        if progress is not None:
            progress((i + 1) / len(cores), f"detecting damage: tile {i + 1}/{len(cores)}")
    return prob


def detect_damage(
    image: np.ndarray,
    sensitivity: float = 0.5,
    method: str = "auto",
    weights: str | Path | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> DamageResult:
    """Propose a damage mask for an old photo.

    image: uint8 H×W×3 RGB. sensitivity: 0 (only obvious damage) … 1 (faint damage, more false alarms).
    method: "auto" (network when its weights are found, else classical), "network" or "classical".
    weights: a detector weights file overriding the search path. Raises :class:`InpaintError` for bad
    input or a missing/invalid weights file when ``method="network"``; :class:`Cancelled` on cancel.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InpaintError("damage detection needs a uint8 H×W×3 RGB image")
    if not 0.0 <= float(sensitivity) <= 1.0:
        raise InpaintError(f"sensitivity {sensitivity} is outside 0..1")
    if method not in ("auto", "network", "classical"):
        raise InpaintError(f"unknown detection method {method!r}; use auto, network or classical")
    t0 = time.perf_counter()
    path = Path(weights) if weights is not None else (network_weights() if method != "classical" else None)
    if method == "network" and path is None:
        raise InpaintError("no damage detector weights (scratch.safetensors) found; pass --weights or use classical")
    if path is not None and method != "classical":
        settings = detection_settings(path)
        prob = damage_probability(image, path, tile=settings.tile, progress=progress, cancel=cancel)
        mask = mask_from_probability(prob, sensitivity, grow=settings.grow, midpoint=settings.threshold)
        note = f"damage detector network ({path.name})"
        seconds = time.perf_counter() - t0
        return DamageResult(mask, "network", prob, float(sensitivity), seconds, note, settings.threshold, settings.grow)
    if progress is not None:
        progress(0.0, "detecting damage (classical)")
    mask = detect_scratches(image, sensitivity)
    if progress is not None:
        progress(1.0, "detecting damage (classical)")
    why = "chosen" if method == "classical" else "no damage detector weights found"
    note = f"classical top-hat detector ({why})"
    return DamageResult(mask, "classical", None, float(sensitivity), time.perf_counter() - t0, note)
