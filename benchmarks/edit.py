"""End-to-end edit on a 24 MP photo: seconds from "mask ready" to "result composited".

Usage: ``python benchmarks/edit.py [--engines telea,ns,...] [--runs 5] [--strategy crop] [--texture S]``

Builds a 6000×4000 synthetic photo (smooth gradients + texture), then per engine (available ones
by default) times ``engine.pipeline.inpaint`` on (a) one object-like hole covering 5 % of the
image and (b) three separate holes, printing median seconds over ``--runs`` after one warm-up,
the ratio to the fastest engine, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

import cv2
import numpy as np

from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine, list_specs


def synthetic_photo(h: int = 4000, w: int = 6000) -> np.ndarray:
    """uint8 h×w×3 RGB: gradients, a horizon, and fine noise texture."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([60 + 120 * x / w, 80 + 100 * y / h, 140 - 60 * y / h], axis=2)
    img[y > 0.6 * h] *= 0.6
    img += rng.normal(0, 8, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def object_mask(h: int, w: int, fraction: float = 0.05) -> np.ndarray:
    """One ellipse covering ``fraction`` of the image (an object to remove)."""
    mask = np.zeros((h, w), np.uint8)
    area = fraction * h * w
    a = int(np.sqrt(area / np.pi * 1.5))
    b = int(area / (np.pi * a))
    cv2.ellipse(mask, (w // 2, h // 2), (b, a), 0, 0, 360, 255, -1)
    return mask


def three_holes(h: int, w: int) -> np.ndarray:
    """Three separate compact holes (~1.5 % of the image in all)."""
    mask = np.zeros((h, w), np.uint8)
    for cx, cy in ((0.2, 0.3), (0.7, 0.25), (0.5, 0.8)):
        cv2.circle(mask, (int(cx * w), int(cy * h)), int(0.04 * w), 255, -1)
    return mask


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", help="comma-separated names (default: every available engine)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--strategy", default="crop")
    parser.add_argument("--texture", type=float, default=None, help="texture strength (default: the engine's; 0 = off)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    names = args.engines.split(",") if args.engines else [s.name for s in list_specs() if s.availability()[0]]
    photo = synthetic_photo()
    masks = {"object 5%": object_mask(*photo.shape[:2]), "three holes": three_holes(*photo.shape[:2])}
    texture = "engine default (on for learned engines)" if args.texture is None else args.texture
    print(
        f"photo {photo.shape[1]}×{photo.shape[0]}, strategy {args.strategy}, texture {texture}, {args.runs} runs after warm-up"
    )
    results: dict[tuple[str, str], float] = {}
    for name in names:
        engine = create_engine(name)
        for label, mask in masks.items():
            opts = InpaintOptions(strategy=args.strategy, texture=args.texture)
            inpaint(photo, mask, engine, opts)  # warm-up
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                inpaint(photo, mask, engine, opts)
                times.append(time.perf_counter() - start)
            results[(name, label)] = statistics.median(times)
    for label in masks:
        fastest = min(v for (n, lab), v in results.items() if lab == label)
        for name in names:
            t = results[(name, label)]
            print(f"{label:<12} {name:<8} median {t:7.3f} s   ×{t / fastest:5.2f} of fastest")
    print(f"peak RSS {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
