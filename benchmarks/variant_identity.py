"""Bit-identity check for refactors of the paper networks and their prefill variant.

``save DIR`` writes, for every shipped weights file and for random-weight files of every network in
every config (paper, prefill, prefill + blur sigmas, + edge radii where the head sees its input),
the engine's exact outputs on fixed scenes (``DIR/outputs.npz``); the random files themselves go to
``DIR/weights`` (made once, with the code of the time, then reused). ``check DIR`` recomputes the
same outputs with the current code and prints the largest absolute difference per output (0 =
bit-identical); exit status 1 if any differs. Also covers the training side: ``--init`` warm
starts (training.loop._warm_start) and the recipe generator's forward.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/variant_identity.py save /tmp/variant-before
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/variant_identity.py check /tmp/variant-before
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

# The repository first: benchmarks/training.py would otherwise shadow the training package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np
import torch

from engine.imageio import load_image
from engine.paths import BUNDLED_WEIGHTS, SAMPLE_PHOTO
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine
from engine.torch_engine import export_module, image_to_tensor, mask_to_tensor
from engine.weights import read_metadata

SIGMAS = [2.0, 8.0]
RADII = [3, 12]
EDGE_HEADS = ("glcic", "isnet", "deepgin")
ENGINES = ("pconv", "dfnet", "glcic", "isnet", "deepgin")


def configs(name: str) -> dict[str, dict]:
    out = {"paper": {}, "ns": {"prefill": "ns"}, "blur": {"prefill": "ns", "blur_sigmas": SIGMAS}}
    if name in EDGE_HEADS:
        out["edge"] = {"prefill": "ns", "blur_sigmas": SIGMAS, "edge_radii": RADII}
    if name == "glcic":
        for c in out.values():
            c["mean"] = [0.45, 0.44, 0.46]
    return out


def make_random(name: str, config: dict, path: Path) -> None:
    """A random-weight file with the code of the time (every weight nudged: no zero heads left)."""
    from engine.registry import get_spec

    torch.manual_seed(1)
    module = get_spec(name).loader.build(0.125, dict(config))
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.02 * torch.randn_like(p))
        for b in module.buffers():
            if b.is_floating_point() and b.numel() > 1:
                b.add_(0.01 * torch.rand_like(b))
    export_module(module, path, name, 0.125, config, dtype=None, steps=1)


def scenes(side: int) -> list[tuple[np.ndarray, np.ndarray]]:
    photo = load_image(SAMPLE_PHOTO).rgb
    crop = np.ascontiguousarray(cv2.resize(photo[60:572, 200:712], (side, side), interpolation=cv2.INTER_AREA))
    blob = np.zeros((side, side), np.uint8)
    cv2.ellipse(blob, (side // 2, side // 2), (side // 6, side // 4), 20, 0, 360, 255, -1)
    strokes = np.zeros((side, side), np.uint8)
    for i in range(4):
        cv2.line(strokes, (10 + side // 5 * i, 5), (side - 20 - side // 8 * i, side - 5), 255, max(3, side // 28))
    return [(crop, blob), (crop, strokes)]


def engine_outputs(path: Path, tag: str, out: dict[str, np.ndarray], full: bool) -> None:
    engine = create_engine(read_metadata(path)["engine"], weights=path)
    for k, (image, mask) in enumerate(scenes(256)):
        res = engine.fill(image, mask, {})
        out[f"{tag}/fill{k}"] = res.image
        for j, a in enumerate(res.extras.get("alpha_maps", [])):
            out[f"{tag}/alpha{k}.{j}"] = a
        with torch.inference_mode():
            x, m = image_to_tensor(image), mask_to_tensor(mask)
            if engine.prefill:
                x = image_to_tensor(res.base)
            raw, _ = engine.run(x, m, {})
        out[f"{tag}/raw{k}"] = raw.float().numpy()
    if full:
        for k, (image, mask) in enumerate(scenes(512)):
            out[f"{tag}/inpaint{k}"] = inpaint(image, mask, engine, InpaintOptions()).image


def training_outputs(path: Path, tag: str, out: dict[str, np.ndarray]) -> None:
    """Warm start a recipe from ``path`` (training.loop._warm_start) and run its generator (eval mode)."""
    from training.config import TrainConfig
    from training.loop import _warm_start, make_recipe

    meta = read_metadata(path)
    config = dict(meta.get("config", {}))
    recipe_opts = {k: config[k] for k in ("prefill", "blur_sigmas", "edge_radii") if k in config}
    if meta["engine"] == "dfnet":
        recipe_opts["fusion_blocks"] = config.get("fusion_blocks", 6)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            engine=meta["engine"], data=tmp, out=tmp, size=256, width=float(meta["width"]), vgg="none",
            recipe=recipe_opts, init=str(path),
        )  # fmt: skip
        recipe = make_recipe(cfg, config)
        _warm_start(recipe, str(path), meta["engine"])
    image, mask = scenes(256)[0]
    x, m = image_to_tensor(image), mask_to_tensor(mask)
    for net in recipe.nets.values():
        net.eval()
    with torch.no_grad():
        out[f"{tag}/train"] = recipe.predict(x, m).float().numpy()


def collect(folder: Path, create: bool) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for path in sorted(BUNDLED_WEIGHTS.glob("*.safetensors")):
        print("shipped", path.stem, flush=True)
        engine_outputs(path, f"shipped-{path.stem}", out, full=True)
        training_outputs(path, f"shipped-{path.stem}", out)
    wdir = folder / "weights"
    wdir.mkdir(parents=True, exist_ok=True)
    for name in ENGINES:
        for label, config in configs(name).items():
            path = wdir / f"{name}-{label}.safetensors"
            if create and not path.exists():
                make_random(name, config, path)
            print("random", path.stem, flush=True)
            engine_outputs(path, f"random-{path.stem}", out, full=False)
            training_outputs(path, f"random-{path.stem}", out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["save", "check"])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.mode == "save":
        out = collect(args.folder, create=True)
        np.savez_compressed(args.folder / "outputs.npz", **out)
        print(f"saved {len(out)} outputs to {args.folder / 'outputs.npz'}")
        return 0
    want = dict(np.load(args.folder / "outputs.npz"))
    got = collect(args.folder, create=False)
    worst = 0.0
    for key in sorted(set(want) | set(got)):
        if key not in want or key not in got:
            print(f"{key}: missing on one side")
            worst = float("inf")
            continue
        a, b = want[key], got[key]
        diff = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.shape == b.shape else float("inf")
        worst = max(worst, diff)
        if diff:
            print(f"{key}: max abs diff {diff}")
    print(f"{len(want)} outputs compared, largest max abs diff {worst}")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
