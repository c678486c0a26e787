"""Do DFNet's fusion blocks blend? The "done when" figures of issue #18, per level.

For each validation photo × object-hole mask, DFNet runs through the pipeline (crop strategy, no
texture) and each level's alpha map (mean of its 3 channels, over the processed box) gives
- std: its spatial standard deviation inside the processed box;
- hole − out: mean alpha inside the hole minus the mean outside it (inside the box).
Printed per level: the mean of both over the pairs, and the pass count of the bar
(>= 4 of 6 levels with std >= 0.05 and hole − out >= 0.2, averaged over the photos).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dfnet_alphas.py [--weights FILE] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from engine.alphamaps import CONSTANT_SPAN, hole_statistics, level_values
from engine.imageio import load_image, load_mask
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine

EVALSET = Path("/work/main/data/evalset")
MASKS = ("12-object_5-15pct.png", "14-object_15-30pct.png")
STD_BAR, CONTRAST_BAR, LEVELS_BAR = 0.05, 0.2, 4


def measure(weights: str | None, images: Path, masks: list[Path], limit: int) -> dict[str, np.ndarray]:
    """{"std", "contrast", "min", "max"}: arrays pairs × levels."""
    engine = create_engine("dfnet", weights=weights)
    rows: dict[str, list[list[float]]] = {"std": [], "contrast": [], "min": [], "max": []}
    photos = sorted(images.glob("*.png"))[: limit or None]
    for photo in photos:
        rgb = load_image(photo).rgb
        for mask_path in masks:
            mask = load_mask(mask_path, size=(rgb.shape[1], rgb.shape[0]), resize=True)
            result = inpaint(rgb, mask, engine, InpaintOptions(texture=0.0))
            x0, y0, x1, y1 = result.extras["box"]
            hole = result.mask[y0:y1, x0:x1]
            stats = [hole_statistics(a, hole) for a in result.extras["alpha_maps"]]
            rows["std"].append([s for s, _ in stats])
            rows["contrast"].append([c for _, c in stats])
            rows["min"].append([float(level_values(a).min()) for a in result.extras["alpha_maps"]])
            rows["max"].append([float(level_values(a).max()) for a in result.extras["alpha_maps"]])
    return {k: np.asarray(v) for k, v in rows.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", help="DFNet weights (default: the shipped ones)")
    p.add_argument("--images", default=str(EVALSET / "images"))
    p.add_argument("--masks", nargs="+", default=[str(EVALSET / "masks" / m) for m in MASKS])
    p.add_argument("--limit", type=int, default=0, help="at most N photos (0 = all)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    r = measure(args.weights, Path(args.images), [Path(m) for m in args.masks], args.limit)
    n, levels = r["std"].shape
    print(f"weights: {args.weights or 'shipped dfnet.safetensors'}; {n} photo×mask pairs; masks {args.masks}")
    print(f"{'level':>5} {'std':>8} {'hole-out':>9} {'min':>8} {'max':>8}  pass")
    std, contrast = r["std"].mean(axis=0), r["contrast"].mean(axis=0)
    passed = 0
    for k in range(levels):
        ok = std[k] >= STD_BAR and contrast[k] >= CONTRAST_BAR
        passed += ok
        flat = " (constant)" if r["max"][:, k].max() - r["min"][:, k].min() < CONSTANT_SPAN else ""
        print(
            f"{k + 1:>5} {std[k]:>8.4f} {contrast[k]:>9.4f} {r['min'][:, k].min():>8.4f} {r['max'][:, k].max():>8.4f}"
            f"  {'yes' if ok else 'no'}{flat}"
        )
    verdict = "meets" if passed >= LEVELS_BAR else "misses"
    print(f"{passed} of {levels} levels pass (std >= {STD_BAR}, hole-out >= {CONTRAST_BAR}): {verdict} the #18 bar")
    return 0


if __name__ == "__main__":
    sys.exit(main())
