"""Seconds per megapixel of the damage detector (issue #39 goal: <= 1 s/MP on the 2-core CPU).

``python -m benchmarks.restore_speed [--weights W] [--side 2000] [--runs 5] [--threads N]``

Runs :func:`engine.damage.detect_damage` (tiles of the weights' settings plus the network's context,
BatchNorm folded, channels_last) on the bundled old-photo sample scaled to ``--side`` px long side,
after one warm-up run, and prints the median over ``--runs``, in seconds and seconds per megapixel.
Threads default to all cores, as in the editor. On a shared machine the figure is only an upper
bound: pause other jobs for a clean one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from benchmarks.old_photos import SAMPLES, detector_weights, scaled
from engine.damage import detect_damage
from engine.imageio import load_image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path)
    ap.add_argument("--side", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    weights = detector_weights(args.weights)
    image = scaled(load_image(SAMPLES / "old_pier.jpg").rgb, args.side)
    mp = image.shape[0] * image.shape[1] / 1e6
    detect_damage(image, 0.5, method="network", weights=weights)  # warm-up: loading and folding
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        detect_damage(image, 0.5, method="network", weights=weights)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(
        f"{weights.name}: {image.shape[1]}×{image.shape[0]} ({mp:.2f} MP), {torch.get_num_threads()} threads: "
        f"median {med:.3f} s over {args.runs} runs = {med / mp:.3f} s/MP (min {min(times) / mp:.3f})"
    )


if __name__ == "__main__":
    main()
