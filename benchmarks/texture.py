"""Speed of the exemplar completion (engine/texture.py) on 512² crops of the evaluation photos.

``python benchmarks/texture.py [EVALSET] [--runs N]`` (default ``data/evalset``): for each mask of
the bar buckets, the median over photos of the median over ``N`` runs (after a warm-up that also
compiles the numba kernels) of ``synthesize`` guided by the Navier–Stokes fill, and of the
``patchmatch`` engine through the pipeline. Target (issues #16, #38): ≤ 1 s per 512² crop on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2

from engine.imageio import load_image, load_mask
from engine.pipeline import inpaint
from engine.registry import create_engine
from engine.texture import synthesize

MASKS = ("06-30-40pct.png", "10-50-60pct.png", "12-object_5-15pct.png", "14-object_15-30pct.png")
TARGET_S = 1.0


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evalset", nargs="?", default="data/evalset")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--photos", type=int, default=6)
    args = ap.parse_args()
    images = sorted(Path(args.evalset, "images").glob("*.png"))[: args.photos]
    pm = create_engine("patchmatch")
    first = load_image(images[0]).rgb
    synthesize(first, load_mask(Path(args.evalset, "masks", MASKS[0])), first)  # compile / load the cache
    print(f"{'mask':<24}{'stage s':>9}{'patchmatch s':>14}   target ≤ {TARGET_S:.1f} s per crop")
    for name in MASKS:
        mask = load_mask(Path(args.evalset, "masks", name))
        stage, engine = [], []
        for path in images:
            img = load_image(path).rgb
            ns = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
            stage.append(median_seconds(lambda img=img, ns=ns, mask=mask: synthesize(img, mask, ns), args.runs))
            engine.append(median_seconds(lambda img=img, mask=mask: inpaint(img, mask, pm), args.runs))
        s, e = statistics.median(stage), statistics.median(engine)
        print(
            f"{name:<24}{s:>9.3f}{e:>14.3f}   {'ok' if s <= TARGET_S else 'over'} / {'ok' if e <= TARGET_S else 'over'}"
        )


if __name__ == "__main__":
    main()
