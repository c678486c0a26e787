"""Size and CPU speed of every learned engine's network, at the paper width and a shipped width.

For each learned engine in the registry, at ``width = 1.0`` and at the shipped width (``--width``;
default: the width recorded in the engine's weights file if one is found, else 0.25) print:
parameters, GFLOPs of one forward at ``--size``² (torch.utils.flop_counter.FlopCounterMode; one
multiply-add = 2 FLOPs; the side is rounded up to the engine's pad multiple), the median
wall-clock seconds of that forward over ``--runs`` runs after warm-up, the achieved GFLOP/s and
its ratio to the machine's FP32 peak.

What is timed is the engine's own ``run`` (tensors in, tensors out) on a module prepared as the
engine prepares it at load: eval mode, BatchNorm folded (``engine.fuse``), channels_last, fp32,
``torch.inference_mode``, ``torch.set_num_threads(os.cpu_count())``. So DeepGIN is timed with its
sub-sampling into 256² sub-images, as the editor runs it. Not timed: numpy conversion, padding
and compositing (``benchmarks/edit.py`` times the whole edit). Random weights: speed does not
depend on the values.

The peak: this CPU's model and clock are hidden from the VM (lscpu: "AMD EPYC", AVX2 + FMA, no
AVX-512), so no data-sheet figure applies; the peak used is the *measured* FP32 matrix-multiply
rate (``torch.mm`` of 2048² matrices, median of 5, all cores), which is the best rate these cores
reach in practice. A network's ratio to it is how far its convolutions are from that limit.

    python benchmarks/engines.py [--width W] [--size 512] [--runs 5] [--engines pconv,dfnet]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from engine.registry import EngineSpec, create_engine, list_specs
from engine.torch_engine import TorchEngine, export_module
from engine.weights import read_metadata

DEFAULT_SHIPPED_WIDTH = 0.25


def shipped_width(spec: EngineSpec, override: float | None) -> tuple[float, str]:
    """(width, where it came from)."""
    if override is not None:
        return override, "--width"
    path = spec.weights_path()
    if path is not None:
        try:
            return float(read_metadata(path).get("width", 1.0)), f"weights {path.name}"
        except Exception as exc:  # a broken file must not stop the benchmark
            return DEFAULT_SHIPPED_WIDTH, f"default ({path.name} unreadable: {exc})"
    return DEFAULT_SHIPPED_WIDTH, "default (no weights file)"


def inputs(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1×3×size×size image (hole zeroed) and a 1×1 hole mask covering ~15% in two blobs."""
    gen = torch.Generator().manual_seed(0)
    hole = torch.zeros(1, 1, size, size)
    hole[..., size // 4 : size // 2, size // 5 : size // 2] = 1
    hole[..., 3 * size // 5 : 4 * size // 5, 3 * size // 5 : 7 * size // 8] = 1
    image = torch.rand(1, 3, size, size, generator=gen) * (1 - hole)
    return image.contiguous(memory_format=torch.channels_last), hole


def matmul_peak(side: int = 2048, runs: int = 5) -> float:
    """Measured FP32 GFLOP/s of ``torch.mm`` on side² matrices (median of ``runs``)."""
    a, b = torch.rand(side, side), torch.rand(side, side)
    torch.mm(a, b)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * side**3 / statistics.median(times) / 1e9


def measure(spec: EngineSpec, width: float, size: int, runs: int, folder: Path) -> dict[str, float]:
    loader = spec.loader
    assert isinstance(loader, type) and issubclass(loader, TorchEngine)
    torch.manual_seed(0)
    module = loader.build(width, {})
    params = sum(p.numel() for p in module.parameters())
    # Through a weights file, so the module is prepared exactly as the engine prepares it at load.
    path = export_module(module, folder / f"{spec.name}-{width}.safetensors", spec.name, width, dtype=None)
    engine = create_engine(spec.name, weights=path)
    assert isinstance(engine, TorchEngine)
    image, hole = inputs(size + (-size) % spec.pad_multiple)  # networks need their pad multiple

    def forward() -> object:
        return engine.run(image, hole, {})

    # FLOPs under no_grad, not inference_mode: FlopCounterMode breaks parametrized (spectral-norm)
    # convolutions inside inference_mode (torch 2.13).
    with torch.no_grad():
        counter = FlopCounterMode(display=False)
        with counter:
            forward()  # also the warm-up run
        flops = counter.get_total_flops()
    with torch.inference_mode():
        forward()  # warm-up in the timed mode
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            forward()
            times.append(time.perf_counter() - start)
    return {"params": params, "gflops": flops / 1e9, "seconds": statistics.median(times)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=None, help="shipped width (default: from weights, else 0.25)")
    parser.add_argument("--size", type=int, default=512, help="square input side (default 512)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs after warm-up (min 5)")
    parser.add_argument("--engines", default="", help="comma-separated engine names (default: all learned)")
    parser.add_argument("--shipped-only", action="store_true", help="skip the paper-width rows")
    args = parser.parse_args(argv)
    runs = max(5, args.runs)
    torch.set_num_threads(os.cpu_count() or 1)
    wanted = {n.strip().lower() for n in args.engines.split(",") if n.strip()}
    specs = [s for s in list_specs() if s.learned and (not wanted or s.name in wanted)]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32 channels_last, "
        f"{args.size}x{args.size}, median of {runs} runs after warm-up"
    )
    peak = matmul_peak()
    print(f"FP32 peak (measured torch.mm 2048², all threads): {peak:.1f} GFLOP/s")
    header = (
        f"{'engine':<9} {'width':>6} {'params':>12} {'GFLOPs':>9} {'s/forward':>10} {'GFLOP/s':>8} {'of peak':>8}  note"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            width, source = shipped_width(spec, args.width)
            widths = (
                [(width, f"shipped: {source}")]
                if args.shipped_only
                else [(1.0, "paper"), (width, f"shipped: {source}")]
            )
            for w, note in widths:
                try:
                    r = measure(spec, w, args.size, runs, Path(tmp))
                except Exception as exc:  # one broken engine must not hide the others
                    print(f"{spec.name:<9} {w:>6.3g}  failed: {type(exc).__name__}: {exc}")
                    continue
                rate = r["gflops"] / r["seconds"]
                print(
                    f"{spec.name:<9} {w:>6.3g} {r['params']:>12,} {r['gflops']:>9.1f} {r['seconds']:>10.3f} "
                    f"{rate:>8.1f} {rate / peak:>8.1%}  {note}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
