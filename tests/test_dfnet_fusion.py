"""DFNet recipe fusion options (issue #18): gradients reach every fusion block's alpha network,
and the "raw" warm-up phase holds the alphas while the raw completions train."""

from __future__ import annotations

import pytest
import torch

from training.config import TrainConfig
from training.errors import TrainingError
from training.loop import make_recipe


def _recipe(tmp_path, steps: int = 4, **options: object):
    cfg = TrainConfig(
        engine="dfnet", data=str(tmp_path), out=str(tmp_path / "run"), size=256, width=0.125, steps=steps, batch=2,
        vgg="none", recipe={"prefill": "ns", "objective": "reconstruction", "blur_sigmas": [2, 4], **options},
    )  # fmt: skip
    return make_recipe(cfg, {"mean": [0.5, 0.5, 0.5]})


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    y, x = torch.meshgrid(torch.linspace(0, 1, 256), torch.linspace(0, 1, 256), indexing="ij")
    image = (torch.stack([x, y, (x * y)]) * 0.8 + 0.1).unsqueeze(0).repeat(2, 1, 1, 1)
    image = (image + 0.05 * torch.rand_like(image)).clamp(0, 1)
    hole = torch.zeros(2, 1, 256, 256)
    hole[:, :, 64:160, 80:200] = 1
    return image, hole


def _alpha_grads(recipe) -> list[float]:
    """Per fusion block (coarse → fine): the largest |gradient| over its alpha network's parameters."""
    out = []
    for block in recipe.G.fusion:
        grads = [p.grad.abs().max().item() for p in block.alpha.parameters() if p.grad is not None]
        out.append(max(grads) if grads else 0.0)
    return out


def test_without_level_terms_only_the_finest_alpha_gets_a_gradient(tmp_path) -> None:
    # The diagnosis of #18: the reconstruction objective reads the finest output only.
    recipe = _recipe(tmp_path)
    recipe.set_train_mode(0)
    recipe.train_step(0, *_batch())
    grads = _alpha_grads(recipe)
    assert grads[-1] > 0 and grads[:-1] == [0.0] * 5, grads


def test_level_terms_reach_every_alpha_network(tmp_path) -> None:
    recipe = _recipe(tmp_path, w_levels=1.0, w_raw=1.0)
    recipe.set_train_mode(0)
    logs = recipe.train_step(0, *_batch())
    assert set(logs) == {"loss", "hole", "band", "raw", "levels"}
    assert logs["loss"] == pytest.approx(logs["hole"] + logs["band"] + logs["raw"] + logs["levels"], rel=1e-5)
    assert all(g > 0 for g in _alpha_grads(recipe)), _alpha_grads(recipe)


def test_raw_warmup_holds_the_alphas_then_frees_them(tmp_path) -> None:
    recipe = _recipe(tmp_path, w_levels=1.0, w_raw=1.0, raw_warmup=0.5, lr=1e-2)
    assert [recipe.phase(s) for s in range(4)] == ["raw", "raw", "reconstruction", "reconstruction"]
    image, hole = _batch()
    alpha_before = [p.detach().clone() for p in recipe.alpha_parameters()]
    alpha_buffers = [b.clone() for blk in recipe.G.fusion for b in blk.alpha.buffers()]
    raw_before = [blk.raw[0].weight.detach().clone() for blk in recipe.G.fusion]
    for s in range(2):
        recipe.set_train_mode(s)
        recipe.train_step(s, image, hole)
    # Held: parameters and BatchNorm statistics exactly as at the start, no gradient at all.
    assert all(torch.equal(a, b) for a, b in zip(alpha_before, recipe.alpha_parameters(), strict=True))
    assert all(p.grad is None for p in recipe.alpha_parameters())
    after_buffers = [b for blk in recipe.G.fusion for b in blk.alpha.buffers()]
    assert all(torch.equal(a, b) for a, b in zip(alpha_buffers, after_buffers, strict=True))
    # ... while every level's raw completion trained.
    assert all(not torch.equal(a, blk.raw[0].weight) for a, blk in zip(raw_before, recipe.G.fusion, strict=True))
    recipe.set_train_mode(2)
    recipe.train_step(2, image, hole)
    assert all(g > 0 for g in _alpha_grads(recipe))
    moved = [not torch.equal(a, b) for a, b in zip(alpha_before, recipe.alpha_parameters(), strict=True)]
    assert any(moved)


def test_gate_lr_scales_the_alpha_networks_learning_rate(tmp_path) -> None:
    recipe = _recipe(tmp_path, gate_lr=10.0, lr=1e-4)
    groups = recipe.optimizers["G"].param_groups
    assert [g["lr"] for g in groups] == pytest.approx([1e-4, 1e-3])
    assert {id(p) for p in groups[1]["params"]} == {id(p) for p in recipe.alpha_parameters()}
    with pytest.raises(TrainingError, match="raw_warmup"):
        _recipe(tmp_path, raw_warmup=1.5)


def test_holed_fusion_base_starts_at_the_prefill_and_blends_with_the_holed_input() -> None:
    from engine.models.dfnet import DFNet, scale_to
    from engine.residual import build_network

    torch.manual_seed(0)
    net = build_network(DFNet, 0.125, {"prefill": "ns", "blur_sigmas": [2.0], "fusion_base": "holed"}).eval()
    image, hole = _batch()
    with torch.no_grad():
        out = net(image, hole)
    for raw, alpha, blended in zip(out.raws, out.alphas, out.outputs, strict=True):
        size = tuple(raw.shape[-2:])
        holed, prefilled = scale_to(image * (1 - hole), size), scale_to(image, size)
        assert torch.equal(raw, prefilled)  # C_k = B_k + 0: the prediction starts at the prefill
        assert 0.05 < alpha.mean().item() < 0.95  # the paper's gate initialisation, bias 0
        assert torch.allclose(blended, alpha * prefilled + (1 - alpha) * holed, atol=1e-6)


def test_holed_fusion_base_trains_alphas_open_in_the_hole(tmp_path) -> None:
    recipe = _recipe(tmp_path, steps=10, fusion_base="holed", w_levels=1.0, lr=1e-2)
    assert recipe.model_config()["fusion_base"] == "holed"
    image, hole = _batch()
    for s in range(10):
        recipe.set_train_mode(s)
        recipe.train_step(s, image, hole)
    with torch.no_grad():  # train mode: BatchNorm on the batch, as the steps saw it
        alphas = recipe.G(recipe.net_input(image, hole), hole).alphas
    for a in alphas:  # after 10 steps every level's alpha is higher in the hole than outside
        h = torch.nn.functional.interpolate(hole, size=tuple(a.shape[-2:]), mode="area") >= 0.5
        inside, outside = a.mean(1, keepdim=True)[h].mean(), a.mean(1, keepdim=True)[~h].mean()
        assert inside > outside + 0.01, (inside, outside)
    with pytest.raises(TrainingError, match="fusion_base"):
        _recipe(tmp_path, fusion_base="zeros")
