"""The learned-smoothing correction head of prefill networks (engine.residual, recipe option
``blur_sigmas``): the blur is a normalised ≈ Gaussian, a zero head returns the prefill exactly, the
coefficients mix in exactly the blurred prefill, and the option travels from the recipe into the
exported weights and the engine."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.models.deepgin import DeepGIN
from engine.models.dfnet import DFNet
from engine.models.glcic import CompletionNetwork
from engine.models.isnet import ISNet
from engine.models.pconv import PConvUNet
from engine.registry import create_engine
from engine.residual import apply_correction, box_blur, box_width, build_network, edge_maps, head_channels
from engine.weights import read_metadata
from tests.synthetic import blurred_photo_folder, gradient_photo
from training.config import TrainConfig
from training.errors import TrainingError
from training.export import export_run
from training.loop import make_recipe, train

SIGMAS = (2.0, 8.0)
NETWORKS = {"deepgin": DeepGIN, "dfnet": DFNet, "glcic": CompletionNetwork, "isnet": ISNet, "pconv": PConvUNet}


@pytest.mark.parametrize("sigma", [2.0, 4.0, 8.0, 16.0])
def test_box_blur_is_a_normalised_gaussian_of_about_sigma(sigma: float) -> None:
    impulse = torch.zeros(1, 1, 129, 129)
    impulse[0, 0, 64, 64] = 1.0
    out = box_blur(impulse, sigma)[0, 0]
    r = torch.arange(129, dtype=torch.float32) - 64
    assert float(out.sum()) == pytest.approx(1.0, abs=1e-5)
    variance = float((out * r[:, None] ** 2).sum())  # per axis
    w = box_width(sigma)
    assert variance == pytest.approx(3 * (w * w - 1) / 12, rel=1e-4)
    assert abs(variance**0.5 - sigma) / sigma < 0.25  # the odd box width rounds sigma
    assert torch.allclose(out, out.flip(0), atol=1e-7) and torch.allclose(out, out.T, atol=1e-7)


def test_box_blur_keeps_constants_up_to_the_border() -> None:
    # Border windows average in-image pixels only: a flat image stays flat (no darkened edges).
    flat = torch.full((2, 3, 40, 56), 0.3)
    assert torch.allclose(box_blur(flat, 8.0), flat, atol=1e-6)
    with pytest.raises(ValueError, match="blur sigma must be positive"):
        box_blur(flat, 0.0)


def test_edge_maps_mark_pixels_at_least_r_inside_the_hole() -> None:
    hole = torch.zeros(1, 1, 40, 40)
    hole[0, 0, 10:30, 10:30] = 1  # a 20×20 square hole
    hole[0, 0, 0:6, 20:40] = 1  # a hole touching the top and right borders
    maps = edge_maps(hole, [3, 8])
    assert maps.shape == (1, 2, 40, 40) and set(maps.unique().tolist()) <= {-1.0, 1.0}
    inside = maps > 0
    assert inside[0, 0, 13:27, 13:27].all() and int(inside[0, 0, 10:30, 10:30].sum()) == 14 * 14
    assert int(inside[0, 1, 10:30, 10:30].sum()) == 4 * 4
    # The image border is not an edge: the corner hole's pixels 3 px from the known ones count.
    assert inside[0, 0, 0:3, 23:40].all() and not inside[0, 0, 3:6].any()
    assert not inside[hole.expand(1, 2, 40, 40) == 0].any()
    assert edge_maps(hole, []).shape == (1, 0, 40, 40)


def test_edge_maps_distance_transform_equals_the_square_dilations() -> None:
    """The CPU path (one chessboard distance transform) gives the max-pooling path's maps exactly,
    on scattered holes touching every border, a batch of two and a photo with no known pixel."""
    rng = np.random.default_rng(3)
    holes = torch.from_numpy((rng.random((2, 1, 61, 83)) < 0.7).astype(np.float32))
    holes[1, 0] = 1.0  # all hole: no known pixel anywhere
    holes[0, 0, :, :5] = 1.0
    radii = [1, 3, 6, 12, 24]
    fast = edge_maps(holes, radii)
    pooled = edge_maps(holes.clone().requires_grad_(True), radii).detach()  # the torch path
    assert torch.equal(fast, pooled) and int((fast[0] > 0).sum()) > 0


def test_warm_start_widens_a_head_to_new_edge_inputs_without_changing_the_output() -> None:
    from training.warmstart import widen_inputs

    torch.manual_seed(0)
    old = build_network(ISNet, 0.125, {"prefill": "ns", "blur_sigmas": SIGMAS}).eval()
    with torch.no_grad():
        old.to_rgb.weight.normal_(0, 0.05)  # a trained head
    new = build_network(ISNet, 0.125, {"prefill": "ns", "blur_sigmas": SIGMAS, "edge_radii": [3, 6]}).eval()
    new.load_state_dict(widen_inputs(old.state_dict(), new))
    image, hole = torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)
    hole[..., 16:48, 8:40] = 1
    with torch.no_grad():
        assert torch.allclose(new(image, hole), old(image, hole), atol=1e-6)
    assert new.to_rgb.weight.shape[1] == old.to_rgb.weight.shape[1] + 2


def test_apply_correction_mixes_in_the_blurred_prefill() -> None:
    torch.manual_seed(0)
    prefill = torch.rand(1, 3, 32, 48)
    raw = torch.zeros(1, head_channels(SIGMAS), 32, 48)
    assert torch.equal(apply_correction(prefill, raw, SIGMAS), prefill)
    raw[:, 4] = 1.0  # coefficient 1 on sigma 8: the prefill becomes its blur
    assert torch.allclose(apply_correction(prefill, raw, SIGMAS), box_blur(prefill, 8.0), atol=1e-6)
    raw[:, 4] = 0.5
    raw[:, :3] = 0.1  # plus the free correction
    want = 0.5 * prefill + 0.5 * box_blur(prefill, 8.0) + 0.1
    assert torch.allclose(apply_correction(prefill, raw, SIGMAS), want, atol=1e-6)
    with pytest.raises(ValueError, match="raw has 3 channels, the head needs 5"):
        apply_correction(prefill, raw[:, :3], SIGMAS)


def test_only_the_coefficients_get_gradients_from_the_blur() -> None:
    prefill = torch.rand(1, 3, 16, 16, requires_grad=True)
    raw = torch.zeros(1, head_channels(SIGMAS), 16, 16, requires_grad=True)
    apply_correction(prefill, raw, SIGMAS).sum().backward()
    assert raw.grad is not None and float(raw.grad[:, 3:].abs().sum()) > 0
    assert prefill.grad is not None and torch.equal(prefill.grad, torch.ones_like(prefill))  # identity path only


EDGE_NETWORKS = ("deepgin", "glcic", "isnet")  # heads that see the network input take edge_radii


@pytest.mark.parametrize(("name", "edges"), [(n, False) for n in sorted(NETWORKS)] + [(n, True) for n in EDGE_NETWORKS])
def test_untrained_blur_head_engine_is_the_ns_fill_and_ignores_hole_contents(
    name: str, edges: bool, tmp_path: Path
) -> None:
    from engine.blend import classical_prefill
    from engine.torch_engine import export_module

    torch.manual_seed(0)
    config: dict[str, object] = {"prefill": "ns", "blur_sigmas": list(SIGMAS)}
    if edges:
        config["edge_radii"] = [3, 12]
    module = build_network(NETWORKS[name], 0.125, config)
    path = export_module(module, tmp_path / f"{name}.safetensors", name, 0.125, config, dtype=None)
    engine = create_engine(name, weights=path)
    image = gradient_photo(256, 256, np.random.default_rng(3), noise=8, offset=30)
    mask = np.zeros((256, 256), np.uint8)
    cv2.ellipse(mask, (128, 120), (60, 40), 15, 0, 360, 255, -1)
    filled = engine.fill(image, mask, {}).image
    prefill = classical_prefill(image, mask, "ns")
    assert np.abs(filled.astype(int) - prefill).max() <= (3 if name == "dfnet" else 0)  # DFNet: alphas at 0.01
    # A training-like nudge of every weight (free correction and coefficients) changes the fill,
    # still independently of what the hole held.
    with torch.no_grad():
        for p in engine.module.parameters():
            p.add_(0.01 * torch.randn_like(p))
    scribbled = image.copy()
    scribbled[mask > 0] = 0
    a, b = engine.fill(image, mask, {}).image, engine.fill(scribbled, mask, {}).image
    assert np.array_equal(a, b) and not np.array_equal(a, filled)
    assert np.array_equal(a[mask == 0], image[mask == 0])


def _cfg(data: Path, out: Path, **recipe: object) -> TrainConfig:
    return TrainConfig(
        engine="glcic", data=str(data), val=str(data), out=str(out), size=64, width=0.125, steps=2, batch=2,
        val_every=2, ckpt_every=2, val_count=2, masks={"blob": 1.0},
        recipe={"objective": "reconstruction", "optimizer": "adam", "lr": 1e-3, **recipe},
    )  # fmt: skip


def test_blur_sigmas_train_export_and_load(tmp_path: Path) -> None:
    data = blurred_photo_folder(tmp_path / "photos")
    cfg = _cfg(
        data, tmp_path / "run", prefill="ns", blur_sigmas=[2, 8], edge_radii=[3], band_weight=3.0, hole_loss="rmse"
    )
    result = train(cfg, progress=False)
    assert all(np.isfinite(v) for h in result.history for v in h.values())
    path = export_run(cfg.out, tmp_path / "glcic.safetensors", dtype=None)
    meta = read_metadata(path)
    assert meta["config"]["prefill"] == "ns" and meta["config"]["blur_sigmas"] == [2.0, 8.0]
    assert meta["config"]["edge_radii"] == [3]
    engine = create_engine("glcic", weights=path)
    assert engine.module.variant.blur_sigmas == (2.0, 8.0) and engine.module.variant.edge_radii == (3,)
    image = gradient_photo(64, 64, np.random.default_rng(1), noise=4, offset=20)
    mask = np.zeros((64, 64), np.uint8)
    mask[20:40, 16:48] = 255
    out = engine.fill(image, mask, {}).image
    assert np.array_equal(out[mask == 0], image[mask == 0]) and np.isfinite(out).all()


def test_band_weight_scales_the_band_term(tmp_path: Path) -> None:
    image = torch.rand(2, 3, 64, 64)
    hole = torch.zeros(2, 1, 64, 64)
    hole[:, :, 16:48, 16:48] = 1
    logs = {}
    for weight in (1.0, 3.0):
        torch.manual_seed(0)
        recipe = make_recipe(_cfg(tmp_path, tmp_path, prefill="ns", band_weight=weight), {"mean": [0.5] * 3})
        logs[weight] = recipe.train_step(0, image, hole)
    assert logs[1.0]["band"] == pytest.approx(logs[3.0]["band"])
    assert logs[3.0]["loss"] == pytest.approx(logs[3.0]["hole"] + 3.0 * logs[3.0]["band"], rel=1e-5)


def test_clip_grad_bounds_the_gradient_norm(tmp_path: Path) -> None:
    image = torch.rand(2, 3, 64, 64)
    hole = torch.zeros(2, 1, 64, 64)
    hole[:, :, 16:48, 16:48] = 1
    norms = {}
    for clip in (0.0, 1e-3):
        torch.manual_seed(0)
        recipe = make_recipe(_cfg(tmp_path, tmp_path, clip_grad=clip), {"mean": [0.5] * 3})
        recipe.train_step(0, image, hole)
        grads = [p.grad for p in recipe.G.parameters() if p.grad is not None]
        norms[clip] = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
    assert norms[0.0] > 1e-2  # unclipped, the first step's gradient is far larger than the limit
    assert norms[1e-3] == pytest.approx(1e-3, rel=1e-3)


def test_blur_sigmas_are_checked(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match="blur_sigmas needs a prefill"):
        make_recipe(_cfg(tmp_path, tmp_path, blur_sigmas=[4]), {"mean": [0.5] * 3})
    with pytest.raises(TrainingError, match="blur_sigmas must be a list of positive numbers"):
        make_recipe(_cfg(tmp_path, tmp_path, prefill="ns", blur_sigmas=[0]), {"mean": [0.5] * 3})
    with pytest.raises(TrainingError, match="edge_radii needs blur_sigmas"):
        make_recipe(_cfg(tmp_path, tmp_path, prefill="ns", edge_radii=[3]), {"mean": [0.5] * 3})
    with pytest.raises(TrainingError, match=r"edge_radii must be a list of whole numbers ≥ 1"):
        make_recipe(_cfg(tmp_path, tmp_path, prefill="ns", blur_sigmas=[2], edge_radii=[0]), {"mean": [0.5] * 3})
    pconv = _cfg(tmp_path, tmp_path, prefill="ns", blur_sigmas=[2], edge_radii=[3])
    pconv.engine, pconv.size = "pconv", 256
    del pconv.recipe["optimizer"]
    with pytest.raises(TrainingError, match="a network whose head sees its input"):
        make_recipe(pconv, None)
    recipe = make_recipe(
        _cfg(tmp_path, tmp_path, prefill="ns", blur_sigmas=[2], edge_radii=[3, 6]), {"mean": [0.5] * 3}
    )
    assert recipe.model_config()["edge_radii"] == [3, 6] and recipe.G.variant.edge_radii == (3, 6)
