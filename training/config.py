"""Training configuration: defaults < TOML file < command line; saved resolved as ``config.json``."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from training.errors import TrainingError
from training.vgg import OFFLINE_DEFAULT


@dataclass
class TrainConfig:
    """Everything a run needs; JSON-serialisable. Paths are stored as strings."""

    engine: str = "pconv"
    data: str = ""
    val: str | None = None  # validation image folder; None = the split list's val part, or ``data``
    split: str | None = None  # corpus split list (train/val by file)
    out: str = "runs/run"
    size: int = 256
    width: float = 0.5
    steps: int = 1000
    batch: int = 8
    seed: int = 0
    vgg: str = OFFLINE_DEFAULT  # "none" | "random" | path to torchvision VGG weights
    masks: dict[str, float] | None = None  # generator mix; None = the recipe's paper default
    recipe: dict[str, Any] = field(default_factory=dict)  # recipe options (loss weights, phase fractions, lr)
    val_every: int = 200
    ckpt_every: int = 100
    log_every: int = 1
    val_count: int = 16  # validation images (each paired with a fixed mask)
    threads: int = 0  # 0 = all cores (os.cpu_count() divided by the local world size)
    cache_side: int = 1024  # training images are cached with this short side at most
    cache_mb: int = 1024
    # Warm start: exported engine weights (.safetensors) whose generator, width, model config and
    # step count a new run continues from (optimiser moments start fresh). For a new machine where
    # only the committed weights survive; on the same machine prefer `resume`, which is exact.
    init: str | None = None
    # "cpu", "cuda" or "cuda:N"; under torchrun "cuda" means each process's own GPU (LOCAL_RANK).
    device: str = "cpu"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def check(self) -> None:
        """Validate values a user can get wrong (engine names are checked by the recipe registry)."""
        if not self.data:
            raise TrainingError("no training data folder given (--data DIR)")
        for name in ("size", "steps", "batch"):
            if int(getattr(self, name)) <= 0:
                raise TrainingError(f"--{name} must be a positive integer, got {getattr(self, name)}")
        if not 0 < self.width <= 4:
            raise TrainingError(f"--width must be in (0, 4], got {self.width}")
        if self.device != "cpu" and not (self.device == "cuda" or self.device.startswith("cuda:")):
            raise TrainingError(f"--device must be cpu, cuda or cuda:N, not {self.device!r}")


def load_toml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"config file {path} does not exist")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TrainingError(f"config file {path} is not valid TOML: {exc}") from None
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise TrainingError(f"config file {path} has unknown keys {unknown}; known: {sorted(known)}")
    return data


def resolve(file: str | Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """Defaults, then the TOML ``file``, then non-None ``overrides`` (command-line values)."""
    values: dict[str, Any] = {}
    if file is not None:
        values.update(load_toml(file))
    values.update({k: v for k, v in overrides.items() if v is not None})
    cfg = TrainConfig.from_json(values)
    cfg.check()
    return cfg


def save_json(path: str | Path, data: dict[str, Any]) -> None:
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)
