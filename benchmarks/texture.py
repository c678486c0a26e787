"""Speed of the exemplar completion (engine/texture.py) on 512² crops of the evaluation photos.

``python -m benchmarks.texture [EVALSET] [--runs N] [--engines dfnet,pconv,…]`` (default
``data/evalset``): for each mask of the bar buckets, the median over photos of the median over ``N``
runs (after a warm-up that also compiles the numba kernels) of ``synthesize`` guided by the
Navier–Stokes fill, of the ``patchmatch`` engine through the pipeline, and of each engine named by
``--engines`` through the pipeline at default options (a learned engine then runs with the completion;
its fill cache is cleared before every run, so each run pays for the network and its prefill).
Target (issues #16, #38): ≤ 1 s per 512² crop on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from engine import fill_cache
from engine.imageio import load_image, load_mask
from engine.pipeline import inpaint
from engine.registry import Engine, create_engine
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


def _uncached(img: np.ndarray, mask: np.ndarray, engine: Engine) -> None:
    """One fill through the pipeline at default options, paying for the network (no cached fill)."""
    fill_cache.clear()
    inpaint(img, mask, engine)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("evalset", nargs="?", default="data/evalset")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--photos", type=int, default=6)
    ap.add_argument("--engines", default="", help="comma-separated engines to time through the pipeline too")
    args = ap.parse_args()
    images = sorted(Path(args.evalset, "images").glob("*.png"))[: args.photos]
    pm = create_engine("patchmatch")
    others = {name: create_engine(name) for name in filter(None, args.engines.split(","))}
    first = load_image(images[0]).rgb
    synthesize(first, load_mask(Path(args.evalset, "masks", MASKS[0])), first)  # compile / load the cache
    header = f"{'mask':<24}{'stage s':>9}{'patchmatch s':>14}" + "".join(f"{n + ' s':>11}" for n in others)
    print(header + f"   target ≤ {TARGET_S:.1f} s per crop")
    for name in MASKS:
        mask = load_mask(Path(args.evalset, "masks", name))
        stage, engine = [], []
        learned: dict[str, list[float]] = {n: [] for n in others}
        for path in images:
            img = load_image(path).rgb
            ns = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
            stage.append(median_seconds(lambda img=img, ns=ns, mask=mask: synthesize(img, mask, ns), args.runs))
            engine.append(median_seconds(lambda img=img, mask=mask: inpaint(img, mask, pm), args.runs))
            for n, eng in others.items():
                _uncached(img, mask, eng)  # warm-up: the first call of an engine allocates its buffers
                learned[n].append(
                    median_seconds(lambda img=img, mask=mask, eng=eng: _uncached(img, mask, eng), args.runs)
                )
        times = [statistics.median(stage), statistics.median(engine)] + [statistics.median(v) for v in learned.values()]
        verdict = " / ".join("ok" if t <= TARGET_S else "over" for t in times)
        print(
            f"{name:<24}{times[0]:>9.3f}{times[1]:>14.3f}" + "".join(f"{t:>11.3f}" for t in times[2:]) + f"   {verdict}"
        )


if __name__ == "__main__":
    main()
