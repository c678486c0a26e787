"""DFNet (Hong et al. 2019): fusion outputs, alpha range, blend formula, engine extras."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.models.dfnet import DECODER, ENCODER, SPEC, DFNet, DFNetEngine, DFNetOutput, scale_to
from engine.registry import CAP_ALPHA_MAPS, create_engine
from engine.torch_engine import export_module


def _inputs(n: int = 1, h: int = 256, w: int = 256, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    hole = torch.zeros(n, 1, h, w)
    hole[..., h // 4 : h // 2, w // 3 : w // 2 + 20] = 1
    image = torch.rand(n, 3, h, w, generator=gen) * (1 - hole)
    return image, hole


@pytest.fixture(scope="module")
def net() -> DFNet:
    torch.manual_seed(0)
    model = DFNet(width=0.125)
    # Non-trivial BatchNorm statistics so eval mode is not the identity normalisation.
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
    return model.eval()


def test_fusion_outputs_count_and_resolutions(net: DFNet) -> None:
    image, hole = _inputs(h=256, w=512)
    with torch.no_grad():
        out = net(image, hole)
    assert isinstance(out, DFNetOutput)
    assert len(out.outputs) == len(out.alphas) == len(out.raws) == 6
    # Six finest decoder levels, coarse -> fine: 1/32 ... 1/1.
    sizes = [tuple(t.shape[-2:]) for t in out.outputs]
    assert sizes == [(256 // f, 512 // f) for f in (32, 16, 8, 4, 2, 1)]
    for group in (out.outputs, out.alphas, out.raws):
        assert all(t.shape[:2] == (1, 3) for t in group)
    assert out.image is out.outputs[-1]


@pytest.mark.parametrize("blocks", [1, 3, 8])
def test_fusion_block_count_is_configurable(blocks: int) -> None:
    model = DFNet(width=0.125, fusion_blocks=blocks).eval()
    image, hole = _inputs()
    with torch.no_grad():
        out = model(image, hole)
    assert len(out.outputs) == blocks
    assert out.outputs[0].shape[-1] == 256 // 2 ** (blocks - 1)
    assert out.image.shape == (1, 3, 256, 256)


def test_bad_fusion_block_count() -> None:
    with pytest.raises(ValueError):
        DFNet(width=0.125, fusion_blocks=0)


def test_alpha_and_outputs_in_unit_range(net: DFNet) -> None:
    image, hole = _inputs(seed=3)
    with torch.no_grad():
        out = net(image, hole)
    for t in [*out.alphas, *out.raws, *out.outputs]:
        assert torch.isfinite(t).all()
        assert t.min() >= 0.0 and t.max() <= 1.0


def test_final_output_is_the_blend_formula(net: DFNet) -> None:
    """Î_1 = α ⊙ C + (1 − α) ⊙ I_1, with I_1 the (zero-filled) input at full resolution."""
    image, hole = _inputs(seed=5)
    with torch.no_grad():
        out = net(image, hole)
    alpha, raw = out.alphas[-1], out.raws[-1]
    torch.testing.assert_close(out.image, alpha * raw + (1 - alpha) * image, atol=1e-6, rtol=0)
    # Coarser levels blend with the input resized to their size (area averaging).
    a, c = out.alphas[2], out.raws[2]
    i_k = torch.nn.functional.avg_pool2d(image, 256 // a.shape[-1])
    torch.testing.assert_close(out.outputs[2], a * c + (1 - a) * i_k, atol=1e-6, rtol=0)
    torch.testing.assert_close(scale_to(image, tuple(a.shape[-2:])), i_k, atol=1e-6, rtol=0)


def test_architecture_follows_reference() -> None:
    model = DFNet(width=1.0)
    kernels = [layer[0].kernel_size[0] for layer in model.encoder]
    channels = [layer[0].out_channels for layer in model.encoder]
    assert kernels == [k for k, _ in ENCODER] == [7, 5, 5, 3, 3, 3, 3, 3]
    assert channels == [64, 128, 256, 512, 512, 512, 512, 512]
    assert all(layer[0].stride == (2, 2) for layer in model.encoder)
    assert not isinstance(model.encoder[0][1], torch.nn.BatchNorm2d)  # no BN on the first layer
    assert all(isinstance(layer[1], torch.nn.BatchNorm2d) for layer in model.encoder[1:])
    assert [layer[0].out_channels for layer in model.decoder] == list(DECODER)
    assert model.encoder[0][0].in_channels == 4  # RGB + mask
    count = sum(p.numel() for p in model.parameters())
    assert 32.5e6 < count < 33.5e6  # 32,931,660 (see benchmarks/engines.py)


def test_engine_extras_alpha_maps(tmp_path) -> None:
    torch.manual_seed(0)
    module = DFNetEngine.build(0.125, {})
    path = export_module(module, tmp_path / "dfnet.safetensors", "dfnet", 0.125, {}, dtype=None)
    engine = create_engine("dfnet", weights=path)
    assert CAP_ALPHA_MAPS in engine.spec.capabilities
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    mask = np.zeros((256, 256), np.uint8)
    mask[80:160, 90:200] = 255
    out = engine.fill(image, mask, {})
    maps = out.extras["alpha_maps"]
    assert [m.shape for m in maps] == [(256 // f, 256 // f, 3) for f in (32, 16, 8, 4, 2, 1)]
    for m in maps:
        assert isinstance(m, np.ndarray) and m.dtype == np.float32
        assert m.min() >= 0.0 and m.max() <= 1.0
    assert out.image.shape == image.shape and out.image.dtype == np.uint8
    assert np.array_equal(out.image[mask == 0], image[mask == 0])


def test_spec() -> None:
    assert SPEC.pad_multiple == 256 and SPEC.native_resolution == 512
    assert SPEC.default_weights == "dfnet.safetensors" and SPEC.learned
