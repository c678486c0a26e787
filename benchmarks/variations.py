"""Seconds for N variations of one run (seeds 0…N−1, as ``inpaint run --variations N`` and the editor's
*More variations* make them) per learned engine, with the engine-fill cache (engine/fill_cache.py) and
without it (budget 0): the bundled boats photo with its mask, and a 512² evaluation crop with a 50–60 %
hole. Best of ``--runs`` repetitions, each starting from an empty cache.

``python -m benchmarks.variations --engines dfnet,deepgin``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine import fill_cache
from engine.imageio import load_image, load_mask
from engine.paths import SAMPLES
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engines", default="dfnet,deepgin")
    ap.add_argument("--variations", type=int, default=4)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--evalset", type=Path, default=Path("data/evalset"))
    args = ap.parse_args()
    cases = {"boats 2048×1280": (load_image(SAMPLES / "boats.jpg").rgb, load_mask(SAMPLES / "boats_mask.png"))}
    crops = sorted((args.evalset / "images").glob("*.png"))
    if crops:
        cases["512² crop, 50-60 %"] = (load_image(crops[0]).rgb, load_mask(args.evalset / "masks/10-50-60pct.png"))
    budget = fill_cache.BUDGET_BYTES
    for name in args.engines.split(","):
        engine = create_engine(name)
        for case, (image, mask) in cases.items():
            inpaint(image, mask, engine)  # warm-up
            seconds = []
            for cap in (0, budget):
                fill_cache.BUDGET_BYTES = cap
                best = float("inf")
                for _ in range(args.runs):
                    fill_cache.clear()
                    t0 = time.perf_counter()
                    for seed in range(args.variations):
                        inpaint(image, mask, engine, InpaintOptions(seed=seed))
                    best = min(best, time.perf_counter() - t0)
                seconds.append(best)
            print(
                f"{name}, {case}: {args.variations} variations {seconds[0]:.2f} s uncached, {seconds[1]:.2f} s cached"
            )
    fill_cache.BUDGET_BYTES = budget


if __name__ == "__main__":
    main()
