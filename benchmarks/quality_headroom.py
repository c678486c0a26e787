"""How much a fixed, hand-made correction of the Navier–Stokes fill gains on the evaluation set.

Not a speed benchmark: a yardstick for issue #6. A prefill-residual network starts at the NS fill;
this script shows that a simple correction exists which beats NS in PSNR — NS smoothed by a Gaussian
of sigma ``s`` px, blended in with weight ``min(1, d / 2s)`` at distance ``d`` px from the hole's
edge (so the edge band stays NS). A learned correction has at least that much headroom in PSNR; the
script also prints BPE (5-px band), which this smoothing does not improve.

Usage: ``python benchmarks/quality_headroom.py --images data/evalset/images --masks data/evalset/masks``
(the evaluation set of ``python -m training evalset``). Prints mean PSNR / BPE per bucket and sigma.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image
from engine.metrics import bpe, psnr


def smoothed_ns(image: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    """uint8 H×W×3 RGB image and uint8 H×W mask (>127 = hole) -> composited uint8 result:
    NS fill, then blended towards its Gaussian blur with weight min(1, distance / 2·sigma)."""
    hole = mask > 127
    ns = cv2.inpaint(image, hole.astype(np.uint8) * 255, 5, cv2.INPAINT_NS)
    if sigma <= 0:
        return ns
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5)
    weight = np.clip(dist / (2 * sigma), 0, 1)[..., None]
    blurred = cv2.GaussianBlur(ns, (0, 0), sigma)
    mixed = ns * (1 - weight) + blurred * weight
    return np.where(hole[..., None], np.rint(mixed), image).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--masks", type=Path, required=True)
    parser.add_argument("--sigmas", default="0,2,4,8,16", help="comma-separated; 0 = plain NS")
    args = parser.parse_args()
    sigmas = [float(s) for s in args.sigmas.split(",")]
    scores: dict[tuple[str, float], list[tuple[float, float]]] = {}
    for image_path in sorted(args.images.glob("*.png")):
        image = load_image(image_path).rgb
        for mask_path in sorted(args.masks.glob("*.png")):
            bucket = mask_path.stem.split("-", 1)[1]
            mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
            for s in sigmas:
                out = smoothed_ns(image, mask, s)
                scores.setdefault((bucket, s), []).append((psnr(image, out), bpe(image, out, mask)))
    print("bucket           " + "  ".join(f"{'ns' if s == 0 else f's={s:g}':>14s}" for s in sigmas))
    for bucket in sorted({b for b, _ in scores}):
        cells = []
        for s in sigmas:
            vals = np.array(scores[(bucket, s)], dtype=float)
            cells.append(f"{np.mean(vals[:, 0]):6.2f}/{np.nanmean(vals[:, 1]):5.2f}")
        print(f"{bucket:16s} " + "  ".join(f"{c:>14s}" for c in cells))
    print("cells: PSNR dB / BPE % (5-px band); 0-10 % buckets have tiny holes, the bar uses 30-60 % and object")


if __name__ == "__main__":
    main()
