"""The classical-prefill residual option (recipe option ``prefill``, weights config ``prefill``).

An untrained residual generator returns the Navier–Stokes fill (exactly; DFNet within 1 %), through the engine and
through training; the hole's old content never reaches the result; the option travels from the
recipe through export into the engine.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.blend import classical_prefill
from engine.models.deepgin import DeepGIN
from engine.models.dfnet import DFNet
from engine.models.glcic import CompletionNetwork
from engine.models.isnet import ISNet
from engine.registry import create_engine
from engine.torch_engine import export_module, image_to_tensor, mask_to_tensor
from engine.weights import read_metadata
from training.config import TrainConfig
from training.export import export_run
from training.loop import train
from training.recipes.base import prefill_batch

NETWORKS = {"deepgin": DeepGIN, "dfnet": DFNet, "glcic": CompletionNetwork, "isnet": ISNet}


def _scene(side: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    base = np.stack([x / side * 200, y / side * 180, (x + y) / (2 * side) * 150], axis=2) + 30
    image = np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((side, side), np.uint8)
    mask[20:60, 30:80] = 255
    return image, mask


def test_classical_prefill_reads_known_pixels_only() -> None:
    image, mask = _scene()
    other = image.copy()
    other[mask > 0] = 255 - other[mask > 0]
    a, b = classical_prefill(image, mask), classical_prefill(other, mask)
    assert np.array_equal(a, b)
    assert np.array_equal(a[mask == 0], image[mask == 0])
    assert np.array_equal(a, cv2.inpaint(image, mask, 5, cv2.INPAINT_NS))
    with pytest.raises(ValueError, match="unknown prefill 'median'"):
        classical_prefill(image, mask, "median")


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_untrained_residual_engine_returns_the_ns_fill(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = NETWORKS[name](width=0.125, prefill="ns")
    path = export_module(module, tmp_path / f"{name}.safetensors", name, 0.125, {"prefill": "ns"}, dtype=None)
    engine = create_engine(name, weights=path)
    image, mask = _scene(256)  # DFNet's sides are multiples of 256
    filled = engine.fill(image, mask, {}).image
    prefill = classical_prefill(image, mask, "ns")
    if name == "dfnet":  # its alphas start at 0.01, not 0 (a gradient to learn from): within 1 %
        assert np.abs(filled.astype(int) - prefill).max() <= 3
    else:
        assert np.array_equal(filled, prefill)
    # After a training-like nudge of every weight the result changes but stays independent of the
    # hole's old content, and known pixels stay exact.
    with torch.no_grad():
        for p in engine.module.parameters():
            p.add_(0.01 * torch.randn_like(p))
        if isinstance(engine.module, DFNet):  # open its alphas (they start at ≈ 0)
            for block in engine.module.fusion:
                block.alpha[2].bias.fill_(0.0)
    scribbled = image.copy()
    scribbled[mask > 0] = 0
    a, b = engine.fill(image, mask, {}).image, engine.fill(scribbled, mask, {}).image
    assert np.array_equal(a, b) and not np.array_equal(a, filled)
    assert np.array_equal(a[mask == 0], image[mask == 0])


def test_prefill_batch_matches_the_engine_prefill() -> None:
    image, mask = _scene(64)
    x, m = image_to_tensor(image), mask_to_tensor(mask)
    batch = prefill_batch(torch.cat([x, x.flip(3)]), torch.cat([m, m.flip(3)]), "ns")
    want = image_to_tensor(classical_prefill(image, mask, "ns"))
    assert torch.equal(batch[:1], want)
    assert torch.equal(batch[1:] * (1 - m.flip(3)), x.flip(3) * (1 - m.flip(3)))


def test_prefill_recipe_trains_and_exports_a_residual_engine(tmp_path: Path) -> None:
    data = tmp_path / "photos"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(data / f"p{i}.png"), cv2.GaussianBlur(rng.integers(0, 255, (120, 150, 3), np.uint8), (0, 0), 4))
    cfg = TrainConfig(
        engine="isnet", data=str(data), val=str(data), out=str(tmp_path / "run"), size=64, width=0.125, steps=2,
        batch=2, val_every=2, ckpt_every=2, val_count=2, recipe={"prefill": "ns"},
    )  # fmt: skip
    result = train(cfg, progress=False)
    assert all(np.isfinite(v) for h in result.history for v in h.values())
    path = export_run(cfg.out, tmp_path / "isnet.safetensors", dtype=None)
    assert read_metadata(path)["config"] == {"prefill": "ns"}
    engine = create_engine("isnet", weights=path)
    assert engine.prefill == "ns"
    image, mask = _scene(64)
    out = engine.fill(image, mask, {}).image
    assert np.array_equal(out[mask == 0], image[mask == 0])
