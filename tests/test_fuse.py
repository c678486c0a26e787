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


def test_fold_matches_torch_fuse_conv_bn_eval_and_keeps_the_module() -> None:
    """The folded weights are torch's own (fuse_conv_bn_eval on a copy), stored on the same conv object."""
    import copy

    from torch.nn.utils.fusion import fuse_conv_bn_eval

    torch.manual_seed(2)
    for conv, transpose in ((nn.Conv2d(3, 5, 3, padding=1), False), (nn.ConvTranspose2d(3, 5, 4, 2, 1), True)):
        seq = nn.Sequential(conv, nn.BatchNorm2d(5))
        _randomise_bn(seq)
        seq.eval()
        want = fuse_conv_bn_eval(copy.deepcopy(conv), seq[1], transpose=transpose)
        assert fold_batchnorm(seq) == 1
        assert seq[0] is conv  # in place: another reference to the conv sees the fold
        torch.testing.assert_close(conv.weight, want.weight, rtol=0, atol=0)
        torch.testing.assert_close(conv.bias, want.bias, rtol=0, atol=0)


def test_fold_is_exact_up_to_float_rounding_in_float64() -> None:
    """In float64 the folded stack differs from conv → BN only by rounding (~1e-15), not by any approximation."""
    torch.manual_seed(3)
    seq = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()).double()
    _randomise_bn(seq)
    seq.eval()
    x = torch.randn(2, 4, 16, 16, dtype=torch.float64)
    with torch.no_grad():
        want = seq(x)
        assert fold_batchnorm(seq) == 1 and seq[0].weight.dtype == torch.float64
        assert float((seq(x) - want).abs().max()) < 1e-12


def test_parametrized_and_grouped_convolutions_are_left_alone() -> None:
    """A spectral-normed conv recomputes its weight each call (nothing to store a fold in); a grouped
    conv's weight layout is not the one torch's fusion rescales: both keep their BatchNorm."""
    from torch.nn.utils.parametrizations import spectral_norm

    torch.manual_seed(4)
    for conv in (spectral_norm(nn.Conv2d(4, 6, 3, padding=1)), nn.Conv2d(4, 6, 3, padding=1, groups=2)):
        seq = nn.Sequential(conv, nn.BatchNorm2d(6))
        _randomise_bn(seq)
        seq.eval()
        x = torch.randn(1, 4, 8, 8)
        want = seq(x)
        assert fold_batchnorm(seq) == 0 and isinstance(seq[1], nn.BatchNorm2d)
        assert torch.allclose(seq(x), want)


@pytest.mark.parametrize("name", ["glcic", "dfnet"])
def test_shipped_weights_folded_equal_unfolded(name: str) -> None:
    """The shipped weights, loaded as the engine loads them (folded), give the unfolded network's output."""
    from engine.paths import BUNDLED_WEIGHTS
    from engine.registry import create_engine
    from engine.weights import load_weights

    path = BUNDLED_WEIGHTS / f"{name}.safetensors"
    if not path.is_file():
        pytest.skip(f"no shipped {name} weights")
    engine = create_engine(name, weights=path)
    folded = engine.module
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    ref = get_spec(name).loader.build(float(engine.metadata.get("width", 1.0)), dict(engine.metadata["config"]))
    tensors, _ = load_weights(path, expected_engine=name)
    ref.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()})
    ref.eval()
    assert any(isinstance(m, nn.BatchNorm2d) for m in ref.modules())
    g = torch.Generator().manual_seed(6)
    side = 256  # a multiple of every engine's pad multiple (DFNet: 256)
    x = torch.rand(1, 3, side, side, generator=g)
    hole = torch.zeros(1, 1, side, side)
    hole[..., 60:180, 80:200] = 1
    with torch.inference_mode():
        a = _image(ref(x * (1 - hole), hole))
        b = _image(folded(x * (1 - hole), hole))
    assert torch.allclose(a, b, atol=1e-4), float((a - b).abs().max())
