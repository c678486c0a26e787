"""ISNet: two branches per stage at the stated scales, parameter count, spectral norm, export round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from engine.attention import count_parameters
from engine.models.isnet import ISNet, ResidualBlock
from engine.registry import CAP_LEARNED, create_engine, get_spec
from engine.torch_engine import export_module

WIDTH = 0.125


@pytest.fixture(scope="module")
def net() -> ISNet:
    torch.manual_seed(0)
    return ISNet(width=WIDTH).eval()


def test_two_branches_at_stated_scales_per_stage() -> None:
    model = ISNet(width=0.25).eval()
    ch = model.channels
    assert ch == (8, 16, 32, 64, 128)  # 32, 64, 128, 256, 512 scaled by 0.25
    seen: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    inputs: list[int] = []

    def after(_m: nn.Module, _args: tuple, out: tuple[torch.Tensor, torch.Tensor]) -> None:
        seen.append((tuple(out[0].shape), tuple(out[1].shape)))

    def before(_m: nn.Module, args: tuple) -> None:
        inputs.append(0 if len(args) < 2 or args[1] is None else args[1].shape[-1])

    hooks = [s.register_forward_hook(after) for s in model.stages]
    hooks += [s.register_forward_pre_hook(before) for s in model.stages]
    with torch.no_grad():
        model(torch.rand(1, 3, 64, 96), torch.zeros(1, 1, 64, 96))
    for h in hooks:
        h.remove()
    assert len(seen) == 4
    for n, (b1, b2) in enumerate(seen, start=1):
        assert b1 == (1, ch[0], 64, 96)  # first branch: full resolution, 32·width channels
        assert b2 == (1, ch[n], 64 // 2**n, 96 // 2**n)  # second branch: 1/2ⁿ, 32·2ⁿ·width channels
    # Stage 1 sees only the first branch; stage n > 1 gets the second branch at 1/2^(n-1).
    assert inputs == [0, 48, 24, 12]
    for n, stage in enumerate(model.stages, start=1):
        assert len(stage.inpaint1) == 4 and all(isinstance(b, ResidualBlock) for b in stage.inpaint1)
        assert (stage.inpaint2 is None) == (n == 1)
        assert n == 1 or len(stage.inpaint2) == 4
        assert sum(isinstance(m, nn.Conv2d) and m.stride == (2, 2) for m in stage.down1.modules()) == n
        n_shuffle = sum(isinstance(m, nn.PixelShuffle) for m in stage.modules())
        assert n_shuffle == n - 1  # sub-pixel upsampling of the second branch


def test_parameter_count_close_to_paper() -> None:
    count = count_parameters(ISNet(width=1.0))
    print(f"ISNet width 1.0: {count / 1e6:.2f} M parameters (paper: 23.63 M)")
    assert abs(count / 23.63e6 - 1) < 0.15


def test_every_layer_is_spectrally_normalised(net: ISNet) -> None:
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(parametrize.is_parametrized(c, "weight") for c in convs)
    keys = net.state_dict().keys()
    assert any(k.endswith("parametrizations.weight.original") for k in keys)
    assert any(k.endswith("parametrizations.weight.0._u") for k in keys)


def test_output_range_shape_and_size_check(net: ISNet) -> None:
    image = torch.rand(2, 3, 32, 48)
    hole = torch.zeros(2, 1, 32, 48)
    hole[:, :, 8:24, 8:40] = 1
    with torch.no_grad():
        out = net(image * (1 - hole), hole)
        again = net(image, hole)  # hole content is ignored: the module masks it
    assert out.shape == (2, 3, 32, 48) and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out, again)
    with pytest.raises(ValueError, match="multiples of 16"):
        net(torch.rand(1, 3, 40, 48), torch.zeros(1, 1, 40, 48))


def test_mask_input_option_adds_a_channel() -> None:
    model = ISNet(width=WIDTH, mask_input=True)
    assert model.head[0].in_channels == 4
    assert model(torch.rand(1, 3, 16, 16), torch.ones(1, 1, 16, 16)).shape == (1, 3, 16, 16)


def test_export_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    torch.manual_seed(5)
    model = ISNet(width=WIDTH)
    model.train()
    with torch.no_grad():  # a few training-mode passes move the power-iteration vectors u, v
        for _ in range(3):
            model(torch.rand(1, 3, 32, 32), torch.zeros(1, 1, 32, 32))
    model.eval()
    path = export_module(model, tmp_path / "isnet.safetensors", "isnet", WIDTH, {}, dtype=None)
    engine = create_engine("isnet", weights=path)
    image = torch.rand(1, 3, 64, 64)
    hole = torch.zeros(1, 1, 64, 64)
    hole[..., 16:40, 20:50] = 1
    image = image * (1 - hole)
    with torch.no_grad():
        expected = model.to(memory_format=torch.channels_last)(image, hole)
        got = engine.module(image.contiguous(memory_format=torch.channels_last), hole)
    assert torch.equal(got, expected)
    for name, tensor in model.state_dict().items():
        assert torch.equal(engine.module.state_dict()[name], tensor), name


def test_engine_registration_and_shipped_weights_found() -> None:
    spec = get_spec("isnet")
    assert spec.default_weights == "isnet.safetensors"
    assert CAP_LEARNED in spec.capabilities
    assert spec.pad_multiple % 16 == 0 and spec.native_resolution == 256
    ok, reason = spec.availability()  # the shipped resources/weights/isnet.safetensors
    assert ok, reason


def test_engine_output_independent_of_hole_content(tmp_path: Path, net: ISNet) -> None:
    path = export_module(net, tmp_path / "isnet.safetensors", "isnet", WIDTH, {}, dtype=None)
    engine = create_engine("isnet", weights=path)
    rng = np.random.default_rng(6)
    image = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    mask = np.zeros((64, 80), np.uint8)
    mask[10:40, 20:60] = 255
    other = image.copy()
    other[mask > 0] = 255 - other[mask > 0]
    a, b = engine.fill(image, mask, {}), engine.fill(other, mask, {})
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.image[mask == 0], image[mask == 0])
    assert not np.array_equal(a.image[mask > 0], image[mask > 0])
