"""Texture stage on the evaluation set: NS, NS + texture (NS as the guide), the patchmatch engine
(NS-steered exemplar fill) and the unguided synthesiser.

``python benchmarks/texture_quality.py [EVALSET]`` (default ``data/evalset``, made by
``python -m training evalset ...``) prints, per mask, the mean PSNR, structure and texture
(engine/metrics.py) over the set's photos: the synthesiser on the classical fill, no network
(``inpaint eval`` scores the learned engines with and without the stage).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image, load_mask
from engine.metrics import psnr, structure_psnr, texture_distance
from engine.pipeline import inpaint
from engine.texture import synthesize

MASKS = ("06-30-40pct.png", "10-50-60pct.png", "12-object_5-15pct.png", "14-object_15-30pct.png")


def main(root: str = "data/evalset") -> None:
    images = sorted(Path(root, "images").glob("*.png"))
    for name in MASKS:
        mask = load_mask(Path(root, "masks", name))
        scores: dict[str, list[tuple[float, float, float]]] = {
            "ns": [],
            "ns+texture": [],
            "patchmatch": [],
            "unguided": [],
        }
        for path in images:
            img = load_image(path).rgb
            ns = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
            for key, out in (
                ("ns", ns),
                ("ns+texture", synthesize(img, mask, ns)),
                ("patchmatch", inpaint(img, mask, "patchmatch").image),
                ("unguided", synthesize(img, mask, None)),
            ):
                scores[key].append((psnr(img, out), structure_psnr(img, out), texture_distance(img, out, mask)))
        for key, vals in scores.items():
            p, s, t = np.mean(vals, axis=0)
            print(f"{name:<24}{key:<12} n={len(vals)}  PSNR {p:.2f}  structure {s:.2f}  texture {t:.0f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
