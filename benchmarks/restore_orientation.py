"""How the scratch detector's response depends on a scratch's direction (issue #19).

``python -m benchmarks.restore_orientation [--weights W]``

Draws one faint bright scratch (2 px, soft, over a flat sepia field with clumped grain, like the
sky of the sample ``old_pier.jpg``) at angles 0° (horizontal) … 90° (vertical) and contrasts of
15–30 grey levels, and prints the network's median probability on the scratch and the share of it
at or above the weights' calibrated threshold. A detector that had learned what a scratch *looks*
like would answer alike at every angle; the synthetic generator (training.damage) draws half its
scratches near vertical, so a network may instead learn "vertical line = scratch".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from benchmarks.old_photos import detector_weights
from engine.damage import damage_probability, network_threshold

SIZE = 256
ANGLES = (0, 15, 30, 45, 60, 75, 90)
CONTRASTS = (15, 20, 30)


def scene(angle: float, contrast: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 SIZE×SIZE×3 RGB scan, bool SIZE×SIZE scratch pixels) for a scratch at ``angle`` degrees."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, 6, (SIZE, SIZE)).astype(np.float32), (0, 0), 0.6) * 1.6
    ss = 4  # drawn 4× larger and area-averaged down: an anti-aliased 2 px line
    canvas = np.zeros((SIZE * ss, SIZE * ss), np.uint8)
    c, r = SIZE * ss / 2, SIZE * ss
    d = np.array([np.cos(np.radians(angle)), -np.sin(np.radians(angle))])
    p0, p1 = np.round(c - r * d).astype(int), np.round(c + r * d).astype(int)
    cv2.line(canvas, tuple(int(v) for v in p0), tuple(int(v) for v in p1), 255, 2 * ss, cv2.LINE_AA)
    line = cv2.resize(canvas, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    line = cv2.GaussianBlur(line, (0, 0), 0.5)
    luma = np.clip(190.0 + grain + line * contrast, 0, 255)
    rgb = np.stack([luma, luma * 0.9, luma * 0.7], 2).astype(np.uint8)  # sepia
    return rgb, line > 0.5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, help="detector weights (default: the installed scratch.safetensors)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    weights = detector_weights(args.weights)
    t = network_threshold(weights)
    print(f"weights {weights}; threshold {t:.2f}; cells: median probability / share >= threshold")
    print("contrast " + "".join(f"{a:>14}°" for a in ANGLES))
    for contrast in CONTRASTS:
        cells = []
        for a in ANGLES:
            rgb, on = scene(a, contrast)
            p = damage_probability(rgb, weights)[on]
            cells.append(f"{np.median(p):7.3f} / {np.mean(p >= t):4.2f}")
        print(f"{contrast:>8} " + "".join(f"{c:>15}" for c in cells))


if __name__ == "__main__":
    main()
