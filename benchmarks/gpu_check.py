"""What a lent GPU is checked with, in one short run: every fill engine and the damage detector on
``--device``, compared with the CPU; a few training steps of every recipe there; timings; the
exported weights of those steps.

``python3 -m benchmarks.gpu_check --out "$OUT"`` from the checkout's root on the device machine (its
image has torch with CUDA, numba, OpenCV, scikit-image, safetensors; ``$OUT`` comes back: the JSON and
six weights files, within the tool's 8 files). Defaults suit one
GPU and ~5 minutes: 20 steps per recipe at 256² (batch 8, width 0.5) on ``data/corpus`` when the
checkout has it, else on the bundled samples. ``--device cpu --steps 1`` runs the same code on a machine
without one (the test suite does, in small).

Prints one line per check and writes ``gpu_check.json`` under ``--out``:

- ``engines``: per fill engine, median seconds of ``Engine.fill`` on a 512² crop and on the whole
  sample photo (2048×1280) on the device and on the CPU, and the largest difference of the two fills
  in 8-bit levels (the same weights should agree within rounding);
- ``detector``: the same for the damage network's probability on a 1024² tile;
- ``training``: per recipe, seconds per step on the device (median after the first step, which
  carries the warm-up), the last loss, and the exported ``<engine>.safetensors`` beside the JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.texture import median_seconds
from engine.imageio import load_image, load_mask
from engine.paths import SAMPLES
from engine.registry import create_engine, list_specs

RECIPES = ("pconv", "dfnet", "glcic", "deepgin", "isnet", "scratch")
#: Recipe options that put every phase of a short run inside it (phase lengths are step fractions).
SHORT = {
    "pconv": {"finetune_fraction": 0.3},
    "glcic": {"tc_fraction": 0.3, "td_fraction": 0.3},
    "deepgin": {"warmup_fraction": 0.3},
}


def _median_seconds(fn: Callable[[], object], runs: int, sync: bool) -> float:
    """:func:`benchmarks.texture.median_seconds` after one warm-up run (kernels, caches, cuDNN's algorithm
    search); ``sync``: each run waits for the GPU to finish."""

    def run() -> None:
        fn()
        if sync:
            torch.cuda.synchronize()

    run()
    return median_seconds(run, runs)


def check_engines(device: str, names: list[str], runs: int) -> dict[str, Any]:
    """{engine: {crop/photo seconds on device and cpu, max level difference}} for learned engines."""
    photo = load_image(SAMPLES / "boats.jpg").rgb
    mask = load_mask(SAMPLES / "boats_mask.png")
    ys, xs = np.nonzero(mask > 127)
    cy, cx = int(ys.mean()), int(xs.mean())
    y0 = int(np.clip(cy - 256, 0, photo.shape[0] - 512))
    x0 = int(np.clip(cx - 256, 0, photo.shape[1] - 512))
    crop, crop_mask = photo[y0 : y0 + 512, x0 : x0 + 512], mask[y0 : y0 + 512, x0 : x0 + 512]
    out: dict[str, Any] = {}
    for name in names:
        row: dict[str, Any] = {}
        try:
            for dev in dict.fromkeys((device, "cpu")):
                engine = create_engine(name, device=dev)
                m = engine.spec.pad_multiple
                h, w = (photo.shape[0] // m) * m, (photo.shape[1] // m) * m
                sync = dev.startswith("cuda")
                row[f"crop_s_{dev}"] = _median_seconds(lambda e=engine: e.fill(crop, crop_mask, {}), runs, sync)
                row[f"photo_s_{dev}"] = _median_seconds(
                    lambda e=engine, h=h, w=w: e.fill(photo[:h, :w], mask[:h, :w], {}), runs, sync
                )
                row[f"fill_{dev}"] = engine.fill(crop, crop_mask, {}).image
            fills = [row.pop(k) for k in list(row) if k.startswith("fill_")]
            row["max_level_difference"] = int(np.abs(fills[0].astype(int) - fills[-1].astype(int)).max())
        except Exception as exc:  # one engine's failure must not hide the others' figures
            row["error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        out[name] = row
        print(f"engine {name}: {_fmt(row)}", flush=True)
    return out


def check_detector(device: str, runs: int) -> dict[str, Any]:
    """The damage network's forward on a 1024² tile: seconds on device and CPU, max probability gap."""
    from engine.damage import _load, network_weights

    path = network_weights()
    if path is None:
        return {"error": "no detector weights"}
    photo = load_image(SAMPLES / "old_pier.jpg").rgb
    tile = np.zeros((1024, 1024, 3), np.uint8)
    h, w = min(1024, photo.shape[0]), min(1024, photo.shape[1])
    tile[:h, :w] = photo[:h, :w]
    x = torch.from_numpy(tile).permute(2, 0, 1)[None].float().div(255.0).contiguous(memory_format=torch.channels_last)
    row: dict[str, Any] = {}
    probs = []
    try:
        for dev in dict.fromkeys((device, "cpu")):
            net = copy.deepcopy(_load(path)).to(dev)  # a copy: the cached CPU module stays where it is
            xd = x.to(dev)
            with torch.inference_mode():
                row[f"tile_s_{dev}"] = _median_seconds(lambda n=net, xd=xd: n(xd), runs, dev.startswith("cuda"))
                probs.append(torch.sigmoid(net(xd)).float().cpu().numpy())
        row["max_probability_difference"] = float(np.abs(probs[0] - probs[-1]).max())
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    print(f"detector: {_fmt(row)}", flush=True)
    return row


def check_training(
    device: str, recipes: list[str], steps: int, size: int, batch: int, out: Path, work: Path
) -> dict[str, Any]:
    """Train each recipe ``steps`` steps on ``device`` (run folders under ``work``); seconds per step,
    last loss, and the weights exported to ``out``."""
    from training.config import TrainConfig
    from training.export import export_run
    from training.logs import read_csv
    from training.loop import train
    from training.recipes.scratch import export as export_detector
    from training.recipes.scratch import train as train_detector

    corpus, split = Path("data/corpus"), Path("resources/corpus/split.txt")
    if corpus.is_dir():
        data = {"data": str(corpus), "split": str(split)}
    else:  # the bundled photos, without their masks
        photos = work / "photos"
        photos.mkdir(exist_ok=True)
        for path in SAMPLES.glob("*.jpg"):
            if not (photos / path.name).exists():
                (photos / path.name).symlink_to(path.resolve())
        data = {"data": str(photos), "val": str(photos)}
    results: dict[str, Any] = {}
    for engine in recipes:
        run = work / f"train-{engine}"
        row: dict[str, Any] = {"data": data["data"]}
        try:
            cfg = TrainConfig(
                engine=engine, out=str(run), size=size, width=0.5, steps=steps, batch=batch, device=device,
                val_every=steps, ckpt_every=steps, val_count=4, recipe=SHORT.get(engine, {}), **data,
            )  # fmt: skip
            cfg.check()
            if engine == "scratch":
                cfg = replace(cfg, recipe={"val_size": size})
                train_detector(cfg, progress=False)
                export_detector(run, out / f"{engine}.safetensors")
            else:
                train(cfg, progress=False)
                export_run(run, out / f"{engine}.safetensors")
            rows = read_csv(run / "train.csv")
            seconds = [float(r["seconds"]) for r in rows]
            per_step = np.diff([0.0, *seconds])
            row["step_s"] = float(np.median(per_step[1:])) if len(per_step) > 1 else float(per_step[0])
            row["first_step_s"] = float(per_step[0])
            row["last_loss"] = float(rows[-1]["loss"])
            row["weights"] = f"{engine}.safetensors"
        except Exception as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        results[engine] = row
        print(f"training {engine}: {_fmt(row)}", flush=True)
    return results


def _fmt(row: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for gpu_check.json and the exported weights")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--engines", help="comma-separated fill engines (default: every learned one)")
    ap.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated training recipes ('' = none)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3, help="timed runs per engine measurement (median)")
    args = ap.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: torch sees no CUDA GPU here (torch {torch.__version__})")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    # Run folders (checkpoints, logs) stay out of --out: the device tool brings back 8 files at most.
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    names = args.engines.split(",") if args.engines else [s.name for s in list_specs() if s.learned]
    try:
        report = _report(args, names, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2))
    failed = [
        f"{part} {name}" for part in ("engines", "training") for name, row in report[part].items() if "error" in row
    ] + (["detector"] if "error" in report["detector"] else [])
    print("failed: " + ", ".join(failed) if failed else "every check ran")
    return 1 if failed else 0


def _report(args: argparse.Namespace, names: list[str], work: Path) -> dict[str, Any]:
    return {
        "device": args.device,
        "device_name": torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "cpu",
        "torch": torch.__version__,
        "engines": check_engines(args.device, names, args.runs),
        "detector": check_detector(args.device, args.runs),
        "training": check_training(
            args.device, [r for r in args.recipes.split(",") if r], args.steps, args.size, args.batch, args.out, work
        ),
    }


if __name__ == "__main__":
    raise SystemExit(main())
