"""BatchNorm folding at load keeps every engine's output (engine.fuse)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.fuse import fold_batchnorm, prepare_for_inference
from engine.registry import get_spec, list_specs

LEARNED = [s.name for s in list_specs() if s.learned]


def _randomise_bn(module: nn.Module) -> None:
    """Non-trivial BN statistics and affine parameters, as a trained network has."""
    g = torch.Generator().manual_seed(5)
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.copy_(torch.rand(bn.num_features, generator=g) * 0.4 - 0.2)
            bn.running_var.copy_(torch.rand(bn.num_features, generator=g) * 1.5 + 0.5)
            bn.weight.data.copy_(torch.rand(bn.num_features, generator=g) + 0.5)
            bn.bias.data.copy_(torch.rand(bn.num_features, generator=g) * 0.2 - 0.1)


def _image(out: object) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    return out.image if hasattr(out, "image") else out.out  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", LEARNED)
def test_folded_network_gives_the_same_output(name: str) -> None:
    loader = get_spec(name).loader
    torch.manual_seed(0)
    ref = loader.build(0.125, {})
    _randomise_bn(ref)
    ref.eval()
    fused = loader.build(0.125, {})
    fused.load_state_dict(ref.state_dict())
    prepare_for_inference(fused)
    n_bn = sum(isinstance(m, nn.BatchNorm2d) for m in ref.modules())
    left = sum(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    if name in ("glcic", "dfnet"):
        assert n_bn > 0 and left == 0  # every BN of these follows a plain convolution
    x = torch.rand(1, 3, 256, 256)
    hole = torch.zeros(1, 1, 256, 256)
    hole[..., 60:160, 80:200] = 1
    with torch.inference_mode():
        a, b = _image(ref(x * (1 - hole), hole)), _image(fused(x * (1 - hole), hole))
    assert torch.allclose(a, b, atol=1e-5), float((a - b).abs().max())


def test_fold_handles_transposed_convolutions_and_missing_bias() -> None:
    torch.manual_seed(1)
    for conv in (nn.ConvTranspose2d(4, 6, 4, 2, 1), nn.Conv2d(4, 6, 3, padding=1, bias=False)):
        seq = nn.Sequential(conv, nn.BatchNorm2d(6), nn.ReLU())
        _randomise_bn(seq)
        seq.eval()
        x = torch.randn(2, 4, 8, 8)
        want = seq(x)
        assert fold_batchnorm(seq) == 1 and isinstance(seq[1], nn.Identity)
        assert torch.allclose(seq(x), want, atol=1e-5)
