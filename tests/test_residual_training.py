"""Training options for prefill-residual weights: objective "reconstruction", the EMA generator,
and PConv's prefill variant (engine.models.pconv docstring).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.blend import classical_prefill
from engine.metrics import boundary_band
from engine.models.pconv import PConvUNet
from engine.registry import create_engine
from engine.residual import build_network
from engine.torch_engine import export_module
from engine.weights import read_metadata
from tests.synthetic import gradient_photo, gradient_photo_folder
from training import checkpoint, losses
from training.config import TrainConfig
from training.errors import TrainingError
from training.export import export_run, load_generator
from training.loop import make_recipe, train


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gradient_photo_folder(tmp_path_factory.mktemp("photos"), 3, 300, 300, seed=1, noise=6, shift_step=15)


def _scene(side: int = 256) -> tuple[np.ndarray, np.ndarray]:
    image = gradient_photo(side, side, np.random.default_rng(5), noise=8, offset=40)
    mask = np.zeros((side, side), np.uint8)
    cv2.circle(mask, (120, 140), 50, 255, -1)
    return image, mask


def test_boundary_band_matches_the_bpe_band() -> None:
    _, mask = _scene()
    mask[0:30, 0:40] = 255  # a hole touching the image border: the border is not an edge
    hole = torch.from_numpy((mask > 127).astype(np.float32))[None, None]
    band = losses.boundary_band(hole)[0, 0].numpy() > 0.5
    assert np.array_equal(band, boundary_band(mask))
    assert 0 < band.sum() < (mask > 127).sum()


def test_pconv_prefill_starts_at_the_ns_fill_and_ignores_hole_contents(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = build_network(PConvUNet, 0.125, {"prefill": "ns"})
    # PConv1 sees the holed image and the prefill (6 channels); PConv16 starts at zero.
    assert module.encoder[0].conv.in_channels == 6
    assert not module.decoder[-1].conv.conv.weight.detach().any()
    path = export_module(module, tmp_path / "p.safetensors", "pconv", 0.125, {"prefill": "ns"}, dtype=None)
    engine = create_engine("pconv", weights=path)
    image, mask = _scene()
    prefill = classical_prefill(image, mask, "ns")
    assert np.array_equal(engine.fill(image, mask, {}).image, prefill)
    # A trained-like network changes the fill, never the known pixels, and never reads the hole.
    with torch.no_grad():
        for p in engine.module.parameters():
            p.add_(0.02 * torch.randn_like(p))
    filled = engine.fill(image, mask, {}).image
    scribbled = image.copy()
    scribbled[mask > 0] = 255
    assert np.array_equal(filled, engine.fill(scribbled, mask, {}).image)
    assert np.array_equal(filled[mask == 0], image[mask == 0])
    assert np.abs(filled.astype(int) - prefill)[mask > 0].max() > 0


def _cfg(data: Path, out: Path, engine: str = "pconv", **recipe: object) -> TrainConfig:
    size = 256 if engine in ("pconv", "dfnet") else 64
    return TrainConfig(
        engine=engine, data=str(data), val=str(data), out=str(out), size=size, width=0.125, steps=4, batch=2,
        val_every=4, ckpt_every=2, val_count=2, masks={"blob": 1.0},
        recipe={"prefill": "ns", "objective": "reconstruction", "ema": 0.9, **recipe},
    )  # fmt: skip


@pytest.mark.parametrize("variant", [{}, {"hole_loss": "rmse", "lowpass": 2.0}])
def test_reconstruction_objective_trains_the_generator_only(
    variant: dict[str, object], data_dir: Path, tmp_path: Path
) -> None:
    cfg = _cfg(data_dir, tmp_path / "g", engine="glcic", optimizer="adam", lr=1e-3, **variant)
    recipe = make_recipe(cfg, {"mean": [0.5, 0.5, 0.5]})
    assert recipe.phase(0) == recipe.phase(10_000) == "reconstruction"
    d_before = {k: v.clone() for k, v in recipe.nets["D"].state_dict().items()}
    y, x = torch.meshgrid(torch.linspace(0, 1, 64), torch.linspace(0, 1, 64), indexing="ij")
    image = (torch.stack([x, y, (x + y) / 2]) * 0.8 + 0.1).unsqueeze(0).repeat(2, 1, 1, 1)
    hole = torch.zeros(2, 1, 64, 64)
    hole[:, :, 16:40, 20:50] = 1
    values = []
    for s in range(25):
        recipe.set_train_mode(s)
        logs = recipe.train_step(s, image, hole)
        recipe.update_ema(s)
        assert set(logs) == {"loss", "hole", "band"}
        if not variant:  # the low-pass terms add to the loss
            assert logs["loss"] == pytest.approx(logs["hole"] + logs["band"])
        else:
            assert logs["loss"] > logs["hole"] + logs["band"]
        values.append(logs["loss"])
    assert np.mean(values[-3:]) < 0.8 * np.mean(values[:3]), values
    for k, v in recipe.nets["D"].state_dict().items():  # the discriminator never stepped
        assert torch.equal(v, d_before[k]), k
    # The EMA lags the live generator: different weights, and validation uses it.
    live, avg = recipe.nets["G"].state_dict(), recipe.nets["G_ema"].state_dict()
    assert any(not torch.equal(live[k], avg[k]) for k in live if live[k].is_floating_point())
    assert recipe.inference_G is recipe.nets["G_ema"]


def test_ema_is_checkpointed_exported_and_recorded(data_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(data_dir, tmp_path / "run")
    train(cfg, progress=False)
    state = checkpoint.load(Path(cfg.out) / "ckpt.pt")
    assert set(state["nets"]) == {"G", "G_ema"}
    G, _, _, _ = load_generator(cfg.out)
    for k, v in G.state_dict().items():  # export takes the average, not the live weights
        assert torch.equal(v, state["nets"]["G_ema"][k]), k
    path = export_run(cfg.out, tmp_path / "p.safetensors", dtype=None)
    options = read_metadata(path)["recipe"]["options"]
    assert options["objective"] == "reconstruction" and options["ema"] == 0.9 and options["prefill"] == "ns"
    engine = create_engine("pconv", weights=path)
    image, mask = _scene()
    filled = engine.fill(image, mask, {}).image
    assert np.array_equal(filled[mask == 0], image[mask == 0]) and np.isfinite(filled).all()


def test_bad_objective_and_ema_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="objective must be 'paper' or 'reconstruction'"):
        make_recipe(_cfg(tmp_path, tmp_path, objective="psnr"))
    with pytest.raises(TrainingError, match=r"ema must be a decay in \[0, 1\)"):
        make_recipe(_cfg(tmp_path, tmp_path, ema=1.5))
    with pytest.raises(TrainingError, match="hole_loss must be 'l1' or 'rmse'"):
        make_recipe(_cfg(tmp_path, tmp_path, hole_loss="l2"))
