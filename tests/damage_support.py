"""Shared set-up of the line-check tests: the shipped detector with a verifier that keeps everything."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from engine.damage_verify import FEATURES, VERIFIER_ENGINE, verifier_path
from engine.paths import BUNDLED_WEIGHTS
from engine.weights import read_metadata, save_weights

SHIPPED = BUNDLED_WEIGHTS / "scratch.safetensors"


def detector_keeping_everything(folder: Path, turned: bool = False) -> Path:
    """A copy of the shipped detector in ``folder`` with a verifier beside it that scores every
    component sigmoid(4) ≈ 0.98 (above any cutoff), so only the steps after it decide; with
    ``turned``, the turned pass's verifier beside it too, the same."""
    detector = folder / "scratch.safetensors"
    shutil.copy(SHIPPED, detector)
    n = len(FEATURES)
    tensors = {"mean": torch.zeros(n), "scale": torch.ones(n), "w1": torch.zeros(1, n), "b1": torch.zeros(1),
               "w2": torch.zeros(1), "b2": torch.full((1,), 4.0)}  # fmt: skip
    config = {
        "features": list(FEATURES),
        "cutoff": 0.2,
        "hidden": 1,
        "detector_sha256": read_metadata(detector)["sha256"],
    }
    for kind in (False, True) if turned else (False,):
        save_weights(verifier_path(detector, kind), tensors, {"engine": VERIFIER_ENGINE, "config": config})
    return detector
