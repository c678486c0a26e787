"""The training loop: data → masks → recipe step → logs, validation, checkpoints; resume and DDP.

Run folder layout (``cfg.out``): ``config.json`` (resolved config + recipe description),
``ckpt.pt`` (latest checkpoint), ``train.csv`` / ``val.csv``, ``tb/`` (TensorBoard events),
``val_grid.png`` (inputs | results | ground truth), ``curves.png`` (losses and validation PSNR).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from engine.metrics import all_metrics
from engine.registry import get_spec
from engine.torch_engine import tensor_to_image
from training import checkpoint, distributed
from training.config import TrainConfig, save_json
from training.data import CropDataset, ImageCache, list_images, masks_to_tensor, to_tensor, validation_set
from training.errors import TrainingError
from training.logs import CSVLog, EventWriter, plot_curves, read_csv, save_grid
from training.masks import MaskMixer
from training.recipes import get_recipe
from training.recipes.base import Recipe
from training.warmstart import widen_inputs

METRIC_KEYS = ("psnr", "ssim", "l1", "bpe", "detail", "structure", "texture")


@dataclass
class RunResult:
    """What :func:`train` returns: final step, last metrics, the recipe (nets in memory)."""

    step: int
    metrics: dict[str, float]
    recipe: Recipe
    history: list[dict[str, float]] = field(default_factory=list)


def set_threads(cfg: TrainConfig, world: int) -> int:
    """Threads = cores (shared among local ranks), unless the config or OMP_NUM_THREADS says otherwise."""
    n = cfg.threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if n <= 0:
        local = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
        n = max(1, (os.cpu_count() or 1) // max(1, local))
    torch.set_num_threads(n)
    return n


def data_mean(paths: list[Path], cache: ImageCache, limit: int = 32) -> tuple[float, float, float]:
    """Mean RGB pixel in [0, 1] over up to ``limit`` training images (GLCIC's hole fill value)."""
    sums = np.zeros(3)
    count = 0
    for p in paths[:limit]:
        rgb = cache.get(p)
        if rgb is not None:
            sums += rgb.reshape(-1, 3).mean(0) / 255.0
            count += 1
    mean = sums / max(1, count)
    return (round(float(mean[0]), 4), round(float(mean[1]), 4), round(float(mean[2]), 4))


def _paths(cfg: TrainConfig) -> tuple[list[Path], list[Path]]:
    if cfg.split:
        train = list_images(cfg.data, cfg.split, "train")
        val = list_images(cfg.val or cfg.data, cfg.split, "val")
    else:
        train = list_images(cfg.data)
        if cfg.val:
            val = list_images(cfg.val)
        else:
            warnings.warn("no --val folder: validating on training images (metrics will be optimistic)", stacklevel=2)
            val = train
    return train, val


def make_recipe(cfg: TrainConfig, model_config: dict[str, Any] | None = None) -> Recipe:
    """Recipe for ``cfg.engine`` with networks seeded from ``cfg.seed`` (same on every rank)."""
    recipe_cls = get_recipe(cfg.engine)
    spec = get_spec(cfg.engine)
    if spec.pad_multiple > 1 and cfg.size % spec.pad_multiple:
        raise TrainingError(
            f"--size {cfg.size} does not suit {cfg.engine}: its sides must be multiples of {spec.pad_multiple}"
        )
    torch.manual_seed(cfg.seed)
    mean = tuple(model_config["mean"]) if model_config and "mean" in model_config else None
    return recipe_cls(cfg, data_mean=mean)  # type: ignore[arg-type]


def validate(
    recipe: Recipe, images: torch.Tensor, holes: torch.Tensor, buckets: list[str], batch: int
) -> tuple[dict[str, float], list[np.ndarray]]:
    """Composite metrics (engine.metrics) over the fixed validation pairs: overall means and per bucket
    (``psnr@10-20%`` …); also returns the composited uint8 results for the grid."""
    for net in recipe.nets.values():
        net.eval()
    results: list[np.ndarray] = []
    with torch.no_grad():
        for i in range(0, images.shape[0], batch):
            x, m = images[i : i + batch].to(recipe.device), holes[i : i + batch].to(recipe.device)
            out = recipe.predict(x, m).clamp(0, 1)
            comp = out * m + x * (1 - m)
            results += [tensor_to_image(comp[j : j + 1]) for j in range(comp.shape[0])]
    per: dict[str, list[float]] = {}
    for j, res in enumerate(results):
        gt = tensor_to_image(images[j : j + 1])
        mask = (holes[j, 0].numpy() > 0.5).astype(np.uint8) * 255
        for k, v in all_metrics(gt, res, mask).items():
            if math.isfinite(v):
                per.setdefault(k, []).append(v)
                per.setdefault(f"{k}@{buckets[j]}", []).append(v)
    return {k: float(np.mean(v)) for k, v in per.items()}, results


def _grid_rows(
    images: torch.Tensor, holes: torch.Tensor, results: list[np.ndarray], n: int = 8
) -> list[list[np.ndarray]]:
    rows = []
    for j in range(min(n, len(results))):
        gt = tensor_to_image(images[j : j + 1])
        hole = holes[j, 0].numpy()[..., None] > 0.5
        masked = np.where(hole, 255, gt).astype(np.uint8)
        rows.append([masked, results[j], gt])
    return rows


def _plot(out: Path, log_keys: tuple[str, ...]) -> None:
    train = read_csv(out / "train.csv") if (out / "train.csv").is_file() else []
    series: dict[str, list[tuple[float, float]]] = {}
    for key in log_keys:
        pts = [(float(r["step"]), float(r[key])) for r in train if r.get(key) not in (None, "")]
        if pts:
            series[key] = _smooth(pts)
    val = read_csv(out / "val.csv") if (out / "val.csv").is_file() else []
    plot_curves(series, out / "curves.png", title="training losses (smoothed)")
    if val:
        vs = {k: [(float(r["step"]), float(r[k])) for r in val if r.get(k)] for k in ("psnr", "bpe", "l1")}
        plot_curves(vs, out / "val_curves.png", title="validation (PSNR dB, BPE %, L1 %)", log_y=False)


def _smooth(pts: list[tuple[float, float]], window: int = 20) -> list[tuple[float, float]]:
    if len(pts) <= window:
        return pts
    ys = np.convolve([p[1] for p in pts], np.ones(window) / window, mode="valid")
    return [(pts[i + window - 1][0], float(y)) for i, y in enumerate(ys)]


def _init_metadata(cfg: TrainConfig) -> dict[str, Any]:
    """Metadata of the ``--init`` weights, checked against the run's engine and width."""
    from engine.weights import read_metadata

    meta = read_metadata(cfg.init or "")
    if meta.get("engine") != cfg.engine:
        raise TrainingError(f"--init {cfg.init} holds {meta.get('engine')!r} weights, not {cfg.engine!r}")
    if abs(float(meta.get("width", 1.0)) - cfg.width) > 1e-9:
        raise TrainingError(f"--init {cfg.init} has width {meta.get('width')}; pass --width {meta.get('width')}")
    return meta


def _warm_start(recipe: Recipe, path: str, engine: str) -> tuple[int, float]:
    """Load the generator from exported weights; return (steps, wall-clock seconds) they record."""
    from engine.weights import load_weights

    tensors, meta = load_weights(path, expected_engine=engine)
    tensors = widen_inputs({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}, recipe.nets["G"])
    try:
        recipe.nets["G"].load_state_dict(tensors)
    except RuntimeError as exc:
        raise TrainingError(f"--init {path} does not fit the {engine} network: {str(exc).splitlines()[0]}") from None
    if "G_ema" in recipe.nets:
        recipe.nets["G_ema"].load_state_dict(recipe.nets["G"].state_dict())
    start = int(meta.get("steps", 0))
    # Learning-rate factors are functions of the step: put every schedule where the run left off.
    for sched in recipe.schedulers.values():
        sched.last_epoch = start
        lambdas = getattr(sched, "lr_lambdas", [])
        for group, base, fn in zip(sched.optimizer.param_groups, sched.base_lrs, lambdas, strict=False):
            group["lr"] = base * fn(start)
    return start, float(meta.get("wall_clock", 0.0))


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, until: int | None = None) -> RunResult:
    """Train (or continue) the run in ``cfg.out``. Returns when ``cfg.steps`` steps are done, or after
    step ``until`` (a checkpoint is written there: an interruption the schedule does not notice —
    phases and learning rates always follow ``cfg.steps``)."""
    rank, world = distributed.init_from_env(cfg.device)
    set_threads(cfg, world)
    out = Path(cfg.out)
    ckpt_path = out / "ckpt.pt"
    state: dict[str, Any] | None = None
    if resume:
        state = checkpoint.load(ckpt_path)
    elif ckpt_path.exists():
        raise TrainingError(
            f"{out} already holds a run (ckpt.pt); continue it with `python -m training resume {out}` or pick a new --out"
        )
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    distributed.barrier()

    train_paths, val_paths = _paths(cfg)
    cache = ImageCache(cfg.cache_side, cfg.cache_mb << 20)
    dataset = CropDataset(train_paths, cfg.size, cache)
    model_config = dict(state["model_config"]) if state and "model_config" in state else None
    init_meta = _init_metadata(cfg) if state is None and cfg.init else None
    if init_meta is not None:
        model_config = dict(init_meta.get("config", {}))
    recipe_cls = get_recipe(cfg.engine)
    if model_config is None and getattr(recipe_cls, "needs_data_mean", False):
        model_config = {"mean": list(data_mean(train_paths, cache))}
    recipe = make_recipe(cfg, model_config)
    model_config = recipe.model_config()
    masks = MaskMixer(cfg.masks or recipe.default_masks)
    data_rng = np.random.default_rng([cfg.seed, rank, 1])
    mask_rng = np.random.default_rng([cfg.seed, rank, 2])

    start, wall, metrics = 0, 0.0, {}
    if state is not None:
        for name, net in recipe.nets.items():
            if name == "G_ema" and name not in state["nets"]:
                net.load_state_dict(state["nets"]["G"])  # EMA switched on for a continued run
                continue
            net.load_state_dict(state["nets"][name])
        for name, opt in recipe.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        for name, sched in recipe.schedulers.items():
            sched.load_state_dict(state["schedulers"][name])
        start, wall, metrics = int(state["step"]), float(state.get("wall_clock", 0.0)), dict(state.get("metrics", {}))
        rngs = state["rng"]
        if len(rngs) == world:
            checkpoint.restore_rng(rngs[rank], data_rng, mask_rng)
        else:  # a different number of processes cannot replay the same batches; continue deterministically
            warnings.warn(
                f"checkpoint was written by {len(rngs)} processes, now {world}: data order will differ", stacklevel=2
            )
            data_rng = np.random.default_rng([cfg.seed, rank, 1, start])
            mask_rng = np.random.default_rng([cfg.seed, rank, 2, start])
    else:
        if init_meta is not None and cfg.init:
            start, wall = _warm_start(recipe, cfg.init, cfg.engine)
            data_rng = np.random.default_rng([cfg.seed, rank, 1, start])  # new batches, not a replay
            mask_rng = np.random.default_rng([cfg.seed, rank, 2, start])
        for net in recipe.nets.values():
            distributed.broadcast_module(net)

    if rank == 0:
        save_json(
            out / "config.json",
            {
                **cfg.to_json(),
                "model_config": model_config,
                "recipe_description": recipe.describe(),
                "world_size": world,
            },
        )
        columns = ["step", "phase", "seconds", "lr", *recipe.log_keys]
        train_log = CSVLog(out / "train.csv", columns, resume_step=start if resume else None)
        val_log = CSVLog(out / "val.csv", ["step", *METRIC_KEYS], resume_step=start if resume else None)
        events = EventWriter(out / "tb", resume_step=start if resume else None)
        val_images, val_holes, val_buckets = validation_set(val_paths, cfg.size, cfg.val_count)

    def save_ckpt(step_done: int) -> None:
        rngs = distributed.gather_objects(checkpoint.capture_rng(data_rng, mask_rng))
        if rank == 0:
            checkpoint.save(
                ckpt_path,
                {
                    "step": step_done,
                    "engine": cfg.engine,
                    "config": cfg.to_json(),
                    "model_config": model_config,
                    "nets": {k: v.state_dict() for k, v in recipe.nets.items()},
                    "optimizers": {k: v.state_dict() for k, v in recipe.optimizers.items()},
                    "schedulers": {k: v.state_dict() for k, v in recipe.schedulers.items()},
                    "rng": rngs,
                    "metrics": metrics,
                    "wall_clock": wall,
                    "world_size": world,
                },
            )

    history: list[dict[str, float]] = []
    bar = tqdm(total=cfg.steps, initial=start, disable=not progress or rank != 0, unit="step", dynamic_ncols=True)
    t_last = time.perf_counter()
    stop = cfg.steps if until is None else min(until, cfg.steps)
    for step in range(start, stop):
        crops = dataset.sample(cfg.batch, data_rng)
        holes = [masks(cfg.size, cfg.size, mask_rng) for _ in range(cfg.batch)]
        image = to_tensor(crops).to(recipe.device)
        hole = masks_to_tensor(holes).to(recipe.device).contiguous(memory_format=torch.channels_last)
        recipe.set_train_mode(step)
        logs = recipe.train_step(step, image, hole)
        recipe.update_ema(step)
        recipe.sync_buffers()
        now = time.perf_counter()
        wall += now - t_last
        t_last = now
        history.append(logs)
        done = step + 1
        if rank == 0:
            lr = next(iter(recipe.optimizers.values())).param_groups[0]["lr"]
            if done % cfg.log_every == 0 or done == cfg.steps:
                train_log.write(
                    {"step": done, "phase": recipe.phase(step), "seconds": round(wall, 3), "lr": lr, **logs}
                )
                events.scalars(done, {f"train/{k}": v for k, v in logs.items()})
            bar.set_postfix(loss=f"{logs.get('loss', float('nan')):.4f}", phase=recipe.phase(step), refresh=False)
            bar.update(1)
            if done % cfg.val_every == 0 or done == cfg.steps:
                metrics, results = validate(recipe, val_images, val_holes, val_buckets, cfg.batch)
                val_log.write({"step": done, **{k: metrics.get(k, "") for k in METRIC_KEYS}})
                events.scalars(done, {f"val/{k}": v for k, v in metrics.items()})
                save_grid(_grid_rows(val_images, val_holes, results), out / "val_grid.png")
                _plot(out, recipe.log_keys)
                t_last = time.perf_counter()  # validation time is not training time
        if done % cfg.ckpt_every == 0 or done == stop:
            save_ckpt(done)
            t_last = time.perf_counter()
    bar.close()
    if rank == 0:
        events.close()
    distributed.barrier()
    return RunResult(stop, metrics, recipe, history)
