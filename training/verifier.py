"""``python -m training verifier``: fit the component verifier of engine/damage_verify.py for one
scratch detector's weights.

Data, all from the **train** photos of the split (the validation photos stay for
``benchmarks/restore_quality.py``): synthetic old photos (:func:`training.damage.old_photo`, profile
"eval", long side 1024) on which the detector runs once per scan and once per undamaged photo.

- fitting: the photos after the first ``calibration`` ones, each with ``seeds`` damage draws (seeds
  5000 + i, 7000 + i, 9000 + i, ...). Every component of the detector's map at ``T_LOW`` is one
  example; its target is the share of its confident pixels (≥ ``T_HIGH``) within 2 px of true damage
  (issue #19's tolerance), its weight their number (+ 0.1 × its other pixels), so the fit counts
  pixels the way pooled precision and recall do. Components of the undamaged photos are all
  negatives: they are the false alarms of the 0.2 % bar.
- picture structure: ``structure`` more draws per fitting photo (seeds 11000 + 2000·k + i) first get
  the plank families and cartoon outlines of :mod:`training.distractors` painted in *before* ageing —
  picture, never in the damage mask. The train photos have few decks or line drawings; these draws
  show the verifier the false alarms it is there for (a plank-gap dash, a converging far deck, an
  outline), while damage drawn on top still teaches it to keep the scratches that cross them.
- cutoff: the first ``calibration`` photos with seeds 5000 + i — the photos and seeds on which
  ``benchmarks/restore_threshold.py`` calibrated the detector's threshold. The rule (fixed before any
  validation run): the highest cutoff that loses at most ``recall_budget`` (0.01) of the pooled recall
  the detector alone has at its calibrated threshold. Recall is kept because a filter can only
  remove pixels: what it drops of real damage cannot come back.

The MLP (``hidden`` tanh units, 20 features → 1) is fitted by L-BFGS with a small L2 penalty; it has a
few hundred parameters, so the whole fit takes seconds — collecting the maps is the slow part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from engine.damage import damage_probability, network_threshold
from engine.damage_verify import (
    FEATURES,
    T_HIGH,
    T_LOW,
    VERIFIER_ENGINE,
    Verifier,
    component_features,
    components,
)
from engine.imageio import load_image
from engine.restore import damage_scores, mask_at_threshold
from engine.weights import read_metadata, save_weights
from training.damage import OLD_PHOTO_SIDE, make_old_photo, old_photo, scaled
from training.data import list_images
from training.distractors import draw_structure
from training.errors import TrainingError

CALIBRATION_SEED = 5000  # benchmarks/restore_threshold.py's seeds for the same photos
STRUCTURE_SEED = 11000
RECALL_BUDGET = 0.01
CUTOFFS = tuple(round(0.05 * k, 2) for k in range(1, 13))  # 0.05 … 0.60


@dataclass
class Examples:
    """Component features (float32 N×F), pixel counts near / away from true damage at T_HIGH and at
    T_LOW (float64 N each)."""

    features: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    tp_low: np.ndarray
    fp_low: np.ndarray

    @staticmethod
    def concat(parts: list[Examples]) -> Examples:
        return Examples(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("features", "tp", "fp", "tp_low", "fp_low"))
        )

    def targets(self) -> tuple[np.ndarray, np.ndarray]:
        """(soft label in [0, 1], weight > 0) per component."""
        hi = self.tp + self.fp
        low = self.tp_low + self.fp_low
        y = np.where(hi > 0, self.tp / np.maximum(hi, 1), self.tp_low / np.maximum(low, 1))
        return y, hi + 0.1 * low


def examples(image: np.ndarray, probability: np.ndarray, truth: np.ndarray) -> Examples:
    """The components of one map with their features and pixel counts (truth: uint8 H×W, >0 = damage)."""
    comps = components(probability)
    near = cv2.dilate((truth > 0).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    confident = probability >= T_HIGH
    n = comps.count + 1

    def count(sel: np.ndarray) -> np.ndarray:
        return np.bincount(comps.labels[sel], minlength=n)[1:].astype(np.float64)

    return Examples(
        component_features(image, probability, comps),
        count(confident & near), count(confident & ~near), count(near), count(~near),
    )  # fmt: skip


def fit(data: Examples, hidden: int = 16, seed: int = 0, l2: float = 1e-3) -> Verifier:
    """Fit the MLP to ``data``; cutoff 0.5 and no detector hash until :func:`train_verifier` sets them."""
    if len(data.features) < 10:
        raise TrainingError(f"only {len(data.features)} detected components to fit the verifier on; use more photos")
    y, w = data.targets()
    mean = data.features.mean(0)
    scale = data.features.std(0) + 1e-3  # a constant feature (e.g. no line-like detections) stays finite
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(len(FEATURES), hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    x = torch.tensor((data.features - mean) / scale, dtype=torch.float32)
    target = torch.tensor(y, dtype=torch.float32)
    weight = torch.tensor(w / w.mean(), dtype=torch.float32)
    opt = torch.optim.LBFGS(net.parameters(), max_iter=500, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        bce = torch.nn.functional.binary_cross_entropy_with_logits(net(x)[:, 0], target, reduction="none")
        loss = (bce * weight).mean() + l2 * (net[0].weight.square().sum() + net[2].weight.square().sum())
        loss.backward()
        return loss

    opt.step(closure)
    # fp16 round trip: the cutoff is then chosen with exactly the parameters the exported file holds
    p = {k: v.detach().half().float().numpy() for k, v in net.state_dict().items()}
    return Verifier(
        mean.astype(np.float16).astype(np.float32), scale.astype(np.float16).astype(np.float32),
        p["0.weight"], p["0.bias"], p["2.weight"][0], float(p["2.bias"][0]), 0.5, "",
    )  # fmt: skip


def pooled_scores(
    maps: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]], threshold: float,
    verifier: Verifier | None, cutoff: float = 0.5,
) -> dict[str, float]:  # fmt: skip
    """Pooled precision / recall at 2 px and mean false alarms of (scan, scan map, truth, undamaged
    photo, undamaged map) tuples at ``threshold``, with ``verifier`` at ``cutoff`` (None: without)."""
    v = replace(verifier, cutoff=cutoff) if verifier is not None else None
    marked = ok = true = found = 0.0
    alarms = []
    for scan, p_scan, truth, aged, p_aged in maps:
        if v is not None:
            p_scan, p_aged = v.apply(scan, p_scan), v.apply(aged, p_aged)
        mask = mask_at_threshold(p_scan, threshold)
        prec, rec = damage_scores(mask, truth)
        n_mask, n_true = float(np.count_nonzero(mask)), float(np.count_nonzero(truth))
        marked, ok, true, found = marked + n_mask, ok + prec * n_mask, true + n_true, found + rec * n_true
        alarms.append(float(np.mean(mask_at_threshold(p_aged, threshold) > 0)))
    return {"cutoff": cutoff if v is not None else 0.0, "precision": ok / marked if marked else 1.0,
            "recall": found / true if true else 1.0, "false_alarm_mean": float(np.mean(alarms))}  # fmt: skip


def structured_old_photo(
    path: Path, seed: int, side: int = OLD_PHOTO_SIDE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`training.damage.old_photo` with line-like picture structure painted in before ageing."""
    rng = np.random.default_rng(seed)
    rgb = draw_structure(scaled(load_image(path).rgb, side), rng)
    return make_old_photo(rgb, rng, "eval")


def train_verifier(
    detector: Path, corpus: Path, split: Path, out: Path, *, calibration: int = 24, seeds: int = 3,
    structure: int = 0, photos: int | None = None, side: int = 1024, hidden: int = 16, progress: bool = True,
    turned: bool = False,
) -> dict[str, object]:  # fmt: skip
    """Collect, fit, choose the cutoff, export ``out``; returns the report (also in the file's metadata).
    ``turned``: every photo, scan and damage mask turned by 90° (``np.rot90``) before the detector
    runs — the verifier of the turned pass (engine/damage_turned.py), which sees the picture lines
    the network takes for scratches only when they stand upright."""
    t0 = time.perf_counter()
    paths = list_images(corpus, split, "train")[:photos]
    if len(paths) <= calibration:
        raise TrainingError(f"{len(paths)} train photos: need more than the {calibration} calibration photos")
    threshold = network_threshold(detector)
    fitting = range(calibration, len(paths))
    jobs = [(i, CALIBRATION_SEED + i, False) for i in range(calibration)]
    jobs += [(i, CALIBRATION_SEED + 2000 * k + i, False) for k in range(seeds) for i in fitting]
    jobs += [(i, STRUCTURE_SEED + 2000 * k + i, True) for k in range(structure) for i in fitting]
    parts: list[Examples] = []
    maps = []
    for i, seed, painted in tqdm(jobs, desc="detector maps", disable=not progress):
        aged, scan, truth = (structured_old_photo if painted else old_photo)(paths[i], seed, side)
        if turned:
            aged, scan, truth = (np.ascontiguousarray(np.rot90(a)) for a in (aged, scan, truth))
        p_scan, p_aged = damage_probability(scan, detector), damage_probability(aged, detector)
        if i < calibration:
            maps.append((scan, p_scan, truth, aged, p_aged))
        else:
            parts += [examples(scan, p_scan, truth), examples(aged, p_aged, np.zeros_like(truth))]
    data = Examples.concat(parts)
    verifier = fit(data, hidden=hidden)
    base = pooled_scores(maps, threshold, None)
    rows = [pooled_scores(maps, threshold, verifier, c) for c in CUTOFFS]
    within = [r for r in rows if r["recall"] >= base["recall"] - RECALL_BUDGET]
    cutoff = max(r["cutoff"] for r in within) if within else 0.0
    sha = read_metadata(detector)["sha256"]
    report = {"detector": detector.name, "detector_threshold": threshold, "components": len(data.features),
              "fit_photos": len(paths) - calibration, "seeds": seeds, "structure": structure, "calibration_photos": calibration,
              "turned": turned, "without": base, "rows": rows, "cutoff": cutoff, "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    tensors = {
        "mean": torch.from_numpy(verifier.mean), "scale": torch.from_numpy(verifier.scale),
        "w1": torch.from_numpy(verifier.w1), "b1": torch.from_numpy(verifier.b1),
        "w2": torch.from_numpy(verifier.w2), "b2": torch.tensor([verifier.b2]),
    }  # fmt: skip
    config = {"features": list(FEATURES), "cutoff": cutoff, "hidden": hidden, "detector_sha256": sha, "t_low": T_LOW}
    save_weights(out, tensors, {"engine": VERIFIER_ENGINE, "config": config, "metrics": report,
                                "data": f"{corpus.name} train photos of {split.name}"})  # fmt: skip
    return report
