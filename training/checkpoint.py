"""Checkpoints: ``torch.save`` of plain containers, loaded back only with ``weights_only=True``.

Everything in a checkpoint is a tensor, dict, list, str, int, float, bool or None: network,
optimiser and scheduler state dicts, RNG states (python, numpy global, torch, and the training
data/mask generators of every rank), the step, the config, the last validation metrics and the
wall-clock time spent. Written atomically (temp file + rename) so an interrupted save never leaves a
truncated ``ckpt.pt``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training.errors import TrainingError

FORMAT = 1
REQUIRED = ("format", "step", "config", "nets", "optimizers", "schedulers", "rng")


def capture_rng(data_rng: np.random.Generator, mask_rng: np.random.Generator) -> dict[str, Any]:
    """This process's RNG states in weights_only-loadable form."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(internal), gauss],
        "numpy": {
            "name": name,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "torch": torch.get_rng_state(),
        "data": data_rng.bit_generator.state,
        "mask": mask_rng.bit_generator.state,
    }


def restore_rng(state: dict[str, Any], data_rng: np.random.Generator, mask_rng: np.random.Generator) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    torch.set_rng_state(state["torch"])
    data_rng.bit_generator.state = state["data"]
    mask_rng.bit_generator.state = state["mask"]


def save(path: str | Path, payload: dict[str, Any]) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, **payload}, tmp)
    os.replace(tmp, path)


def load(path: str | Path) -> dict[str, Any]:
    """Load a training checkpoint; :class:`TrainingError` for a missing, corrupt or foreign file."""
    path = Path(path)
    if path.is_dir():
        path = path / "ckpt.pt"
    if not path.is_file():
        raise TrainingError(f"checkpoint {path} does not exist; start a run with `python -m training train`")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TrainingError(
            f"checkpoint {path} is corrupt or not a training checkpoint ({first[:200]}); "
            "restore it from a backup or start a new run"
        ) from None
    if not isinstance(data, dict) or any(k not in data for k in REQUIRED):
        raise TrainingError(f"checkpoint {path} is not an Inpaint Studio training checkpoint (missing fields)")
    if data["format"] != FORMAT:
        raise TrainingError(f"checkpoint {path} has format {data['format']}, this version reads {FORMAT}")
    return data
