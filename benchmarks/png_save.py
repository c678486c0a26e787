"""PNG writes of a 24 MP photo, and ``inpaint run --engine ns`` to a PNG as a whole process (issue #20).

Usage: ``python benchmarks/png_save.py [--image PHOTO] [--runs 5] [--no-process] [--engines ns,patchmatch]``

Goals: ``save_image`` of a 6000×4000 photo to PNG ≤ 1.5 s; ``inpaint run --engine ns`` on a
6000×4000 JPEG with a 5 % object hole to a PNG ≤ 4 s for the whole process (interpreter start,
imports, decode, fill, encode, atomic write); with ``patchmatch`` or a learned engine (its exemplar
completion on) ≤ 6 s (issue #38).

The photo: ``--image`` scaled to 6000×4000, or by default the bundled ``nuthatch.jpg`` sample
scaled up with a little noise (σ 2, like sensor grain: a merely upscaled photo is smoother, and
so cheaper to compress, than a real 24 MP one). Prints the median and the spread of ``--runs``
after one warm-up, wall-clock and CPU seconds (CPU time is the better figure on a machine shared
with other work), the file sizes, and the same for Pillow's level 6 (the old default) once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from engine.imageio import load_image, save_image
from engine.paths import SAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from edit import object_mask  # the same 5 % object hole as benchmarks/edit.py

W, H = 6000, 4000


def photo_24mp(path: Path | None) -> np.ndarray:
    """uint8 4000×6000×3 RGB from ``path`` (or the nuthatch sample + grain)."""
    rgb = load_image(path or SAMPLES / "nuthatch.jpg").rgb
    big = cv2.resize(rgb, (W, H), interpolation=cv2.INTER_CUBIC)
    if path is None:
        noise = np.random.default_rng(0).normal(0, 2, big.shape).astype(np.float32)
        big = np.clip(big.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return big


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds of this process and its children) of ``runs`` calls after a warm-up."""
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), os.times()
        fn()
        c1 = os.times()
        walls.append(time.perf_counter() - t0)
        cpus.append((c1.user + c1.system + c1.children_user + c1.children_system) - (c0.user + c0.system
                    + c0.children_user + c0.children_system))  # fmt: skip
    return walls, cpus


def report(label: str, walls: list[float], cpus: list[float], size: int | None = None, goal: float = 0) -> None:
    med = statistics.median(walls)
    line = f"{label:<44} median {med:6.2f} s wall (min {min(walls):.2f}, max {max(walls):.2f}), "
    line += f"{statistics.median(cpus):6.2f} s CPU"
    if size is not None:
        line += f", {size / 1e6:.1f} MB"
    if goal:
        line += f"  [goal <= {goal} s: {'met' if med <= goal else 'NOT met'}]"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image", type=Path, help="photo to scale to 6000×4000 (default: nuthatch sample + grain)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process `inpaint run` timing")
    parser.add_argument(
        "--engines", default="ns",
        help="engines of the whole-process `inpaint run` to PNG (e.g. ns,patchmatch,dfnet; goal 4 s for ns, "
        "issue #20, and 6 s for the others with their photo texture, issue #38)",
    )  # fmt: skip
    args = parser.parse_args()
    photo = photo_24mp(args.image)
    print(f"photo {W}×{H} from {args.image or 'nuthatch.jpg + grain'}; {os.cpu_count()} CPUs; runs {args.runs}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = folder / "save.png"
        walls, cpus = timed(lambda: save_image(out, photo), args.runs)
        report("save_image PNG (default, fast)", walls, cpus, out.stat().st_size, goal=1.5)
        walls, cpus = timed(lambda: save_image(out, photo, png_compression=6), 1)
        report("save_image PNG --png-compression 6 (old)", walls, cpus, out.stat().st_size)
        if args.no_process:
            return
        jpg, mask = folder / "photo.jpg", folder / "mask.png"
        save_image(jpg, photo, quality=92)
        save_image(mask, object_mask(H, W, 0.05))
        exe = Path(sys.executable).with_name("inpaint")
        for engine in args.engines.split(","):
            base = [str(exe), "run", "--engine", engine, "--image", str(jpg), "--mask", str(mask), "-q"]
            runs = (
                (("result.png", [], 4.0), ("result.jpg", [], 0.0), ("result-6.png", ["--png-compression", "6"], 0.0))
                if engine == "ns"
                else (("result.png", [], 6.0),)
            )
            for name, extra, goal in runs:
                target = folder / name
                cmd = [*base, "--output", str(target), *extra]
                walls, cpus = timed(lambda cmd=cmd: subprocess.run(cmd, check=True), args.runs if goal else 1)
                label = f"inpaint run --engine {engine} -> {name.split('.')[-1].upper()} {' '.join(extra)}".rstrip()
                report(label + " (process)", walls, cpus, target.stat().st_size, goal=goal)


if __name__ == "__main__":
    main()
