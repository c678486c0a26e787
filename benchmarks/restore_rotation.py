"""Orientation bias of the scratch detector: what a second pass on the scan turned by 90° would add.

``python -m benchmarks.restore_rotation [--weights W] [--count 24] [--json OUT]``

Why: the shipped network learned the generator's near-vertical scratch prior (training/damage.py
draws half the scratches within ~15° of vertical), so it misses faint near-horizontal ones — the
sample ``old_pier.jpg``'s top-right scratch gets probability 0.001 as it is and 0.88 when the scan is
turned by 90°. This measures the whole line check (verifier, family check, continuation) run once
on the scan and once on the scan turned by 90° (network at full or half scale), the two checked maps
combined by their maximum, on the calibration photos of benchmarks.calibration and on the sample:
the turned view taken whole, judged by the upright verifier. The editor's turned pass
(engine/damage_turned.py, settings from benchmarks.restore_turned) judges it with a verifier of its
own and adds only the long, sure, lone near-horizontal lines of it (model card
resources/weights/scratch.md, "Turned pass").
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from benchmarks.calibration import calibration, figures
from benchmarks.old_photos import SAMPLES
from benchmarks.restore_follow import pooled
from engine.damage import damage_probability, line_check
from engine.damage_verify import Verifier
from engine.imageio import load_image, load_mask
from engine.restore import damage_scores, mask_from_probability


def turned_map(image: np.ndarray, weights: Path, scale: float) -> np.ndarray:
    """The network's map of ``image`` turned by 90° (at ``scale`` of its size), in the turned frame."""
    turned = np.ascontiguousarray(np.rot90(image))
    h, w = turned.shape[:2]
    if scale == 1.0:
        return damage_probability(turned, weights)
    small = cv2.resize(turned, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return cv2.resize(damage_probability(small, weights), (w, h), interpolation=cv2.INTER_LINEAR)


def variants(image: np.ndarray, weights: Path, verifier: Verifier, threshold: float) -> dict[str, np.ndarray]:
    """Checked maps (float32 H×W) of ``image``: the upright line check, and combined with the whole
    line check of the turned view."""
    base = line_check(image, damage_probability(image, weights), verifier, threshold)
    turned = np.ascontiguousarray(np.rot90(image))
    out = {"upright line check": base}
    for scale in (1.0, 0.5):
        second = line_check(turned, turned_map(image, weights, scale), verifier, threshold)
        out[f"+ whole turned view, scale {scale}"] = np.maximum(base, np.rot90(second, -1))
    return out


def main() -> None:
    cal = calibration(__doc__.splitlines()[0], "the line check runs on both passes")

    def run(image: np.ndarray) -> dict[str, np.ndarray]:
        return variants(image, cal.weights, cal.verifier, cal.threshold)

    triples: dict[str, list] = {}
    for scan, aged, truth in cal.photos():
        s, a = run(scan), run(aged)
        for k in s:
            triples.setdefault(k, []).append((s[k], a[k], truth))
    result: dict[str, dict] = {}
    print(cal.header())
    image, truth = load_image(SAMPLES / "old_pier.jpg").rgb, load_mask(SAMPLES / "old_pier_damage.png")
    sample = run(image)
    for k, maps in triples.items():
        r = pooled(maps, cal.threshold)
        p, rc = damage_scores(mask_from_probability(sample[k], 0.5, midpoint=cal.threshold), truth)
        result[k] = {"calibration": r, "sample": {"precision": p, "recall": rc}}
        print(f"  {k}: calibration {figures(r)}; sample P {p:.3f} R {rc:.3f}")
    cal.save(result)


if __name__ == "__main__":
    main()
