"""Seconds per megapixel of the scratch & dust detector (issue #19 goal: <= 1 s/MP on the 2-core CPU).

``python -m benchmarks.restore_speed [--weights W] [--side 2000] [--runs 5] [--threads N]``

Runs :func:`engine.damage.detect_damage` (tiles 512 + 48 px context, BatchNorm folded,
channels_last) on the bundled old-photo sample scaled to ``--side`` px long side, after one warm-up
run, without the component verifier (engine/damage_verify.py), with it, then adding one by one the
family check (engine/damage_family.py), the grain check (engine/damage_grain.py), the scratch
following (engine/damage_trace.py) and the turned pass (engine/damage_turned.py: a second network
pass; all of them is the editor's default); prints the medians over
``--runs``, seconds per megapixel and what each step adds. Threads default to all cores, as
in the editor. On a shared machine the figure is only an upper bound: pause other jobs for a clean one.
"""

from __future__ import annotations

import argparse
import itertools
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
    medians: dict[str, float] = {}
    names = ("verify", "family", "grain", "follow", "turn")
    steps = ("verifier", "family check", "grain check", "following", "turned pass")
    for n in range(len(names) + 1):
        step = " + ".join(("network", *steps[:n])) if n else "network alone"
        checks = {name: i < n for i, name in enumerate(names)}
        verify = checks["verify"]
        found = detect_damage(image, 0.5, method="network", weights=weights, **checks)  # warm-up
        if verify and not found.verified:
            print("  (no component verifier beside these weights)")
            break
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            detect_damage(image, 0.5, method="network", weights=weights, **checks)
            times.append(time.perf_counter() - t0)
        med = medians[step] = statistics.median(times)
        print(
            f"{image.shape[1]}×{image.shape[0]} ({mp:.2f} MP), {torch.get_num_threads()} threads, "
            f"{step}: median {med:.3f} s over {args.runs} runs = {med / mp:.3f} s/MP (min {min(times) / mp:.3f})"
        )
    steps = list(medians)
    for before, after in itertools.pairwise(steps):
        print(f"{after.rsplit(' + ', 1)[1]} adds {medians[after] / medians[before] - 1:.1%}")


if __name__ == "__main__":
    main()
