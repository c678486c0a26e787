"""Our exemplar fill (the ``patchmatch`` engine) against the PatchMatch packages on PyPI.

``pip install pypatchmatch patchmatch-cython`` (into any environment; they are not dependencies of
the project), then ``python benchmarks/patchmatch_libraries.py [EVALSET] [--photos N]``. Prints, per
mask, the mean PSNR, structure, texture (engine/metrics.py) and the median seconds per 512² photo of:
``patchmatch`` (this project), ``pypatchmatch`` (``patchmatch.patch_match.inpaint``, patch radius 3 as
in its examples) and ``patchmatch-cython`` (``inpaint_pyramid``, its defaults), beside Navier–Stokes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image, load_mask
from engine.metrics import psnr, structure_psnr, texture_distance
from engine.pipeline import inpaint

MASKS = ("06-30-40pct.png", "10-50-60pct.png", "12-object_5-15pct.png", "14-object_15-30pct.png")


def fills() -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """name -> fill(image uint8 H×W×3 RGB, mask uint8 H×W 255 = hole) for every installed method."""
    out: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
        "ns": lambda img, m: cv2.inpaint(img, m, 5, cv2.INPAINT_NS),
        "patchmatch (ours)": lambda img, m: inpaint(img, m, "patchmatch").image,
    }
    try:
        from patchmatch import patch_match

        patch_match.set_random_seed(0)
        out["pypatchmatch"] = lambda img, m: patch_match.inpaint(img, m, patch_size=3)
    except (ImportError, OSError) as exc:
        print(f"pypatchmatch not available: {exc}")
    try:
        from patchmatch_cython import inpaint_pyramid

        out["patchmatch-cython"] = lambda img, m: inpaint_pyramid(img, m, seed=0)
    except ImportError as exc:
        print(f"patchmatch-cython not available: {exc}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evalset", nargs="?", default="data/evalset")
    ap.add_argument("--photos", type=int, default=6)
    args = ap.parse_args()
    images = [load_image(p).rgb for p in sorted(Path(args.evalset, "images").glob("*.png"))[: args.photos]]
    methods = fills()
    methods["patchmatch (ours)"](images[0], load_mask(Path(args.evalset, "masks", MASKS[0])))  # numba compile
    print(f"{'mask':<24}{'method':<20}{'PSNR':>7}{'struct':>8}{'texture':>9}{'s/photo':>9}")
    for name in MASKS:
        mask = load_mask(Path(args.evalset, "masks", name))
        for method, fill in methods.items():
            scores, seconds = [], []
            for img in images:
                t0 = time.perf_counter()
                out = np.where(mask[..., None] > 127, fill(img, mask), img).astype(np.uint8)
                seconds.append(time.perf_counter() - t0)
                scores.append((psnr(img, out), structure_psnr(img, out), texture_distance(img, out, mask)))
            p, s, t = np.mean(scores, axis=0)
            print(f"{name:<24}{method:<20}{p:>7.2f}{s:>8.2f}{t:>9.0f}{statistics.median(seconds):>9.2f}")


if __name__ == "__main__":
    main()
