"""Export a run's generator as engine weights, and evaluate a run with the project's protocol."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from engine.torch_engine import export_module
from training import checkpoint
from training.config import TrainConfig
from training.errors import TrainingError
from training.recipes.base import COMMON_DEFAULTS


def load_generator(run: str | Path) -> tuple[torch.nn.Module, TrainConfig, dict[str, Any], dict[str, Any]]:
    """(generator in eval mode, config, model_config, checkpoint) of the run folder ``run``."""
    from training.loop import make_recipe

    state = checkpoint.load(Path(run) / "ckpt.pt" if Path(run).is_dir() else run)
    cfg = TrainConfig.from_json(state["config"])
    # No VGG needed to rebuild the generator; on the CPU, so a GPU run exports on any machine.
    recipe = make_recipe(replace(cfg, vgg="none", device="cpu"), state.get("model_config"))
    # With the recipe option ``ema`` the weight average is what validation scored: export it.
    name = "G_ema" if "G_ema" in state["nets"] else "G"
    try:
        recipe.G.load_state_dict(state["nets"][name])
    except (RuntimeError, KeyError) as exc:
        raise TrainingError(
            f"checkpoint of {run} does not match the {cfg.engine} network: {str(exc).splitlines()[0]}"
        ) from None
    return recipe.G.eval(), cfg, recipe.model_config(), state


def export_run(
    run: str | Path, output: str | Path, dtype: torch.dtype | None = torch.float16, native: int | None = None
) -> Path:
    """Write ``output`` (.safetensors) from the run's latest checkpoint, with full metadata.

    ``native``: the side the engine should work at (metadata ``native_resolution``), when it is
    not the training crop size — e.g. a prefill-residual network measured to fill better at 512²
    than at its 256² training size (the evaluation that decided it goes in the model card)."""
    from training.recipes import get_recipe

    G, cfg, model_config, state = load_generator(run)
    recipe_cls = get_recipe(cfg.engine)
    description = {
        "engine": cfg.engine,
        "paper": recipe_cls.paper,
        "options": {**COMMON_DEFAULTS, **recipe_cls.defaults, **cfg.recipe},
        "masks": cfg.masks or recipe_cls.default_masks,
        "vgg": cfg.vgg if recipe_cls.vgg_arch else None,
        "size": cfg.size,
        "batch": cfg.batch,
        "world_size": state.get("world_size", 1),
        "seed": cfg.seed,
    }
    data = {"data": cfg.data, "split": cfg.split, "val": cfg.val}
    return export_module(
        G,
        output,
        cfg.engine,
        cfg.width,
        model_config,
        dtype=dtype,
        steps=int(state["step"]),
        data=data,
        recipe=description,
        metrics=state.get("metrics", {}),
        wall_clock=round(float(state.get("wall_clock", 0.0)), 1),
        created=time.strftime("%Y-%m-%dT%H:%M:%S"),
        **({"native_resolution": int(native)} if native else {}),
    )


def evaluate_run(
    run: str | Path, images: str | Path, masks: str | Path | None = None, size: int = 512, baselines: bool = True
) -> tuple[list[dict[str, object]], Path]:
    """The evaluation protocol on ``images`` × ``masks`` for the run's generator (+ Telea/NS).

    Without ``masks`` the fixed validation masks (every bucket) are generated at ``size``². Reports
    go to ``<run>/eval/summary.csv`` and ``.json``. Returns (summary rows, report folder).
    """
    import cv2

    from engine.evaluate import evaluate, list_images, pair_files, summarise, write_reports
    from engine.registry import create_engine
    from training.masks import validation_masks

    run = Path(run)
    report = run / "eval"
    report.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inpaint-eval-") as tmp:
        weights = export_run(run, Path(tmp) / "run.safetensors", dtype=None)
        _, cfg, _, _ = load_generator(run)
        engines = [create_engine(cfg.engine, weights=weights)]
        if baselines:
            engines += [create_engine("telea"), create_engine("ns")]
        if masks is None:
            mask_dir = Path(tmp) / "masks"
            mask_dir.mkdir()
            for i, (name, m) in enumerate(validation_masks(size, size, per_bucket=1)):
                cv2.imwrite(str(mask_dir / f"{i:02d}_{name.replace(' ', '_').replace('%', 'pc')}.png"), m)
            masks = mask_dir
        pairs = pair_files(list_images(Path(images)), list_images(Path(masks)))
        records = evaluate(engines, pairs, size=size)
    rows = summarise(records)
    write_reports(records, rows, report / "summary.csv", report / "summary.json")
    return rows, report
