"""benchmarks/gpu_check.py, run small on the CPU: the script a lent GPU runs must not be the first to
find its own bugs there. (On a GPU it is run as ``--device cuda``; here the device is the CPU.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import gpu_check
from engine.registry import create_engine


def test_gpu_check_runs_engines_detector_and_training_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no data/corpus here: the bundled photos are the training data
    out = tmp_path / "out"
    argv = ["--out", str(out), "--device", "cpu", "--engines", "glcic", "--recipes", "glcic,scratch"]
    assert gpu_check.main([*argv, "--steps", "2", "--size", "64", "--batch", "2", "--runs", "1"]) == 0
    # Only what the device tool should bring back (8 files at most): the report and the weights.
    assert sorted(p.name for p in out.iterdir()) == ["glcic.safetensors", "gpu_check.json", "scratch.safetensors"]
    report = json.loads((out / "gpu_check.json").read_text())
    engine = report["engines"]["glcic"]
    assert engine["crop_s_cpu"] > 0 and engine["photo_s_cpu"] > 0 and engine["max_level_difference"] == 0
    assert report["detector"]["tile_s_cpu"] > 0
    for recipe in ("glcic", "scratch"):
        row = report["training"][recipe]
        assert "error" not in row and row["step_s"] > 0 and np.isfinite(row["last_loss"]), row
        assert (out / row["weights"]).is_file() and row["data"].endswith("photos")
    # The exported fill weights load as an engine and fill.
    engine = create_engine("glcic", weights=out / "glcic.safetensors")
    image = np.full((64, 64, 3), 120, np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 20:40] = 255
    assert engine.fill(image, mask, {}).image.shape == (64, 64, 3)


def test_gpu_check_says_when_there_is_no_gpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert gpu_check.main(["--out", str(tmp_path), "--device", "cuda"]) == 2
    assert "torch sees no CUDA GPU" in capsys.readouterr().out
