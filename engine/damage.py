"""``detect_damage``: the trained scratch-and-dust detector when its weights are present, the
classical top-hat detector of :mod:`engine.restore` otherwise; the result says which one ran.
The network's map then gets a second look from its component verifier (engine/damage_verify.py)
when one was trained for exactly these weights: it drops detected components that are picture
lines rather than damage (alone, engine/damage_verify.py; with an as strong parallel neighbour,
engine/damage_family.py; small dashes along the texture's grain, engine/damage_grain.py), and the
long scratches it is sure of are followed along their curve where the network lost them
(engine/damage_trace.py). A second network pass on the scan turned by 90°, judged by a verifier of
its own, adds the near-horizontal scratches the network is blind to upright (engine/damage_turned.py).

The network (engine/models/scratch.py) runs tile by tile with overlap so scans of any size fit in
memory: each ``tile``² core is run with ``overlap`` px of real context on every side (more than the
U-Net needs to see around a scratch) and only the core is kept, so seams cannot show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.damage_family import family_scores
from engine.damage_grain import grain_scores
from engine.damage_trace import extend_scratches, line_evidence
from engine.damage_turned import turned_lines, turned_view
from engine.damage_verify import Verifier, verifier_for
from engine.errors import Cancelled, InpaintError
from engine.restore import detect_scratches, mask_from_probability

Progress = Callable[[float, str], None]

_CACHE: dict[tuple[str, float], object] = {}
_LOCK = threading.Lock()


@dataclass
class DamageResult:
    """mask: uint8 H×W, 255 = suspected damage. probability: float32 H×W in [0, 1] from the network
    (None for the classical detector). detector: "network" or "classical"; note: a sentence for the UI.
    midpoint: the network's calibrated threshold, used at sensitivity 0.5 (engine.restore.threshold_for)."""

    mask: np.ndarray
    detector: str
    probability: np.ndarray | None
    sensitivity: float
    seconds: float
    note: str
    midpoint: float = 0.5
    verified: bool = False  # the component verifier filtered ``probability``
    unchecked: np.ndarray | None = None  # float32 H×W: the network's map before the verifier (when it ran)

    def rethreshold(self, sensitivity: float, line_check: bool = True) -> np.ndarray:
        """The mask at another sensitivity from the cached probability map (network results only);
        ``line_check=False``: from the map before the verifier, i.e. every detection (no-op without one)."""
        if self.probability is None:
            raise InpaintError("the classical detector has no probability map; run detection again")
        prob = self.probability if line_check or self.unchecked is None else self.unchecked
        return mask_from_probability(prob, sensitivity, midpoint=self.midpoint)


def network_weights() -> Path | None:
    """The scratch detector's weights file in the weights search path, or None."""
    from engine.detectors import get_detector

    return get_detector("scratch").weights_path()


def network_threshold(weights: Path) -> float:
    """The detector's calibrated probability threshold at sensitivity 0.5 (its weights' ``threshold``
    metadata; 0.5 for files exported before calibration)."""
    from engine.weights import read_metadata

    return float(read_metadata(weights).get("threshold", 0.5))


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
                raise InpaintError(f"weights file {path} does not fit the scratch detector: {str(exc)[:200]}") from None
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


def checked_probability(
    image: np.ndarray,
    weights: Path,
    verify: bool = True,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    follow: bool = True,
    family: bool = True,
    grain: bool = True,
    turn: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(probability, unchecked): :func:`damage_probability` of the uint8 H×W×3 RGB scan, then — when
    ``verify`` and a verifier trained for ``weights`` lies beside them — that verifier's filtered map
    (float32 H×W in [0, 1], components judged to be picture set to 0; with ``follow``, the long
    scratches it is sure of are extended along their curve, engine/damage_trace.py; with ``family``,
    kept lines with an as strong parallel neighbour are dropped first, engine/damage_family.py; with
    ``grain``, small dashes along the texture's grain too, engine/damage_grain.py; with ``turn``, the
    near-horizontal scratches a second network pass on the scan turned by 90° is sure of are added
    when the turned pass's own verifier lies beside the weights too, engine/damage_turned.py) and the
    map before it (upright pass); ``unchecked`` is None when no verifier ran."""
    verifier = verifier_for(weights) if verify else None
    turned_verifier = verifier_for(weights, turned=True) if turn and verifier is not None else None
    turn = turned_verifier is not None
    prob = damage_probability(image, weights, progress=_part(progress, 0.0, 0.5 if turn else 1.0), cancel=cancel)
    if verifier is None:
        return prob, None
    threshold = network_threshold(weights)
    turned = None
    if turn:
        scan = np.ascontiguousarray(np.rot90(image))
        turned = damage_probability(scan, weights, progress=_part(progress, 0.5, 1.0, "turned by 90°"), cancel=cancel)
    if cancel is not None and cancel():
        raise Cancelled()
    if progress is not None:
        progress(1.0, "checking the detected damage")
    checked = line_check(image, prob, verifier, threshold, follow, family, grain)
    if turned is not None:
        checked = np.maximum(checked, turned_lines(turned_view(image, turned, turned_verifier), threshold))
    return checked, prob


def _part(progress: Progress | None, start: float, end: float, what: str = "") -> Progress | None:
    """``progress`` for one network pass: its fractions mapped to ``start``…``end``, ``what`` added."""
    if progress is None:
        return None
    return lambda f, text: progress(start + (end - start) * f, f"{text} ({what})" if what else text)


def line_check(
    image: np.ndarray,
    prob: np.ndarray,
    verifier: Verifier,
    threshold: float,
    follow: bool = True,
    family: bool = True,
    grain: bool = True,
) -> np.ndarray:
    """The line check of :func:`checked_probability` on a network map already computed: float32 H×W
    in [0, 1] with the components ``verifier`` judges to be picture set to 0 (``family``: lines with
    an as strong parallel neighbour first; ``grain``: small dashes along the texture's grain), then
    (``follow``) long scratches extended along their
    curve. image: uint8 H×W×3 RGB; prob: float32 H×W network map; threshold: the network's calibrated one."""
    comps, scores = verifier.judge(image, prob)
    evidence = line_evidence(image) if family or follow else None
    if family:
        scores = family_scores(evidence, prob, comps, scores, verifier.cutoff, threshold)[0]
    if grain:
        scores = grain_scores(image, prob, comps, scores, verifier.cutoff, threshold)[0]
    checked = verifier.drop(prob, comps, scores)
    if follow:
        checked = extend_scratches(image, checked, comps, scores, threshold, evidence=evidence)[0]
    return checked


def detect_damage(
    image: np.ndarray,
    sensitivity: float = 0.5,
    method: str = "auto",
    weights: str | Path | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    verify: bool = True,
    follow: bool = True,
    family: bool = True,
    grain: bool = True,
    turn: bool = True,
) -> DamageResult:
    """Propose a damage mask for an old photo.

    image: uint8 H×W×3 RGB. sensitivity: 0 (only obvious damage) … 1 (faint damage, more false alarms).
    method: "auto" (network when its weights are found, else classical), "network" or "classical".
    weights: a detector weights file overriding the search path. verify: let the weights' component
    verifier drop detected picture lines (when it has one); follow: let it also extend the long
    scratches it is sure of along their curve (engine/damage_trace.py); family: let it also drop
    lines with an as strong parallel neighbour (engine/damage_family.py); grain: let it also drop
    small dashes lying along the texture's grain (engine/damage_grain.py); turn: let it also add the
    near-horizontal scratches a second pass on the scan turned by 90° is sure of
    (engine/damage_turned.py; twice the network's time; only when its own verifier lies beside the
    weights). Raises :class:`InpaintError` for bad
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
        raise InpaintError("no scratch detector weights (scratch.safetensors) found; pass --weights or use classical")
    if path is not None and method != "classical":
        prob, unchecked = checked_probability(
            image, path, verify, progress, cancel, follow=follow, family=family, grain=grain, turn=turn
        )
        verified = unchecked is not None
        midpoint = network_threshold(path)
        mask = mask_from_probability(prob, sensitivity, midpoint=midpoint)
        note = f"scratch & dust network ({path.name}{', picture lines checked' if verified else ''})"
        seconds = time.perf_counter() - t0
        return DamageResult(mask, "network", prob, float(sensitivity), seconds, note, midpoint, verified, unchecked)
    if progress is not None:
        progress(0.0, "detecting damage (classical)")
    mask = detect_scratches(image, sensitivity)
    if progress is not None:
        progress(1.0, "detecting damage (classical)")
    why = "chosen" if method == "classical" else "no scratch detector weights found"
    note = f"classical top-hat detector ({why})"
    return DamageResult(mask, "classical", None, float(sensitivity), time.perf_counter() - t0, note)
