"""Training throughput per recipe: images/s at 256² crops, width 0.5 (DESIGN.md "CPU reality").

    .venv/bin/python benchmarks/training.py [--engines pconv,dfnet] [--steps 3] [--batch 4] [--size 256] [--width 0.5]

Times ``recipe.train_step`` on a fixed synthetic batch after one warm-up step, all cores, channels_last,
in the recipe's *main* phase (GLCIC joint, DeepGIN adversarial, PConv before fine-tuning), VGG terms as
configured (--vgg none|random). Prints the median seconds/step and images/s per engine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from training.config import TrainConfig
from training.loop import make_recipe
from training.masks import GENERATORS

MAIN_PHASE = {"glcic": 0.5, "deepgin": 0.5}  # step fraction inside the adversarial phase


def bench(engine: str, steps: int, batch: int, size: int, width: float, vgg: str) -> tuple[float, float]:
    cfg = TrainConfig(engine=engine, data="unused", size=size, width=width, steps=1000, batch=batch, vgg=vgg)
    recipe = make_recipe(cfg)
    rng = __import__("numpy").random.default_rng(0)
    image = torch.rand(batch, 3, size, size).contiguous(memory_format=torch.channels_last)
    hole = torch.from_numpy(
        (__import__("numpy").stack([GENERATORS["free_form"](size, size, rng) for _ in range(batch)]) > 127).astype(
            "float32"
        )
    )[:, None]
    step = int(MAIN_PHASE.get(engine, 0.0) * cfg.steps)
    times = []
    for i in range(steps + 1):
        recipe.set_train_mode(step)
        t = time.perf_counter()
        recipe.train_step(step, image, hole)
        if i:  # first step warms up allocators and kernels
            times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return med, batch / med


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="pconv,dfnet,glcic,deepgin,isnet")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--width", type=float, default=0.5)
    p.add_argument("--vgg", default="none")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"size {args.size}², width {args.width}, batch {args.batch}, vgg {args.vgg}, {args.threads} threads")
    print(f"{'engine':<10}{'s/step':>10}{'images/s':>10}")
    for engine in args.engines.split(","):
        sec, ips = bench(engine, args.steps, args.batch, args.size, args.width, args.vgg)
        print(f"{engine:<10}{sec:>10.2f}{ips:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
