"""GLCIC completion network (Iizuka et al. 2017, Table 2) and its Poisson post-processing option."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.blend import poisson_band
from engine.models.glcic import DEFAULT_MEAN, SPEC, TABLE2, CompletionNetwork, GLCICEngine
from engine.registry import CAP_POISSON, create_engine
from engine.torch_engine import export_module


def _table2_parameters() -> int:
    """Table 2 counted by hand: every layer has k×k×C_in×C_out weights + C_out biases; all but the
    output layer have BatchNorm (γ, β per channel, §3.5). Input is 4 channels (RGB + mask)."""
    total, cin = 0, 4
    for _kind, k, _dil, _stride, c in TABLE2:
        total += k * k * cin * c + c + 2 * c
        cin = c
    return total + 3 * 3 * cin * 3 + 3  # output conv 3×3 → 3, no BatchNorm


def test_parameter_count_matches_table_2() -> None:
    expected = _table2_parameters()
    assert expected == 6_072_131  # 6,063,200 weights + 2,979 biases + 5,952 BatchNorm γ/β
    count = sum(p.numel() for p in CompletionNetwork(width=1.0).parameters())
    assert count == expected
    assert abs(count - 6.07e6) / 6.07e6 < 0.002


def test_layers_follow_table_2() -> None:
    net = CompletionNetwork(width=1.0)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    assert len(convs) == 17
    assert convs[0].in_channels == 4 and convs[0].kernel_size == (5, 5)
    assert [c.dilation[0] for c in convs[6:10]] == [2, 4, 8, 16]
    assert [isinstance(c, torch.nn.ConvTranspose2d) for c in convs].count(True) == 2
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(bns) == 16  # every layer but the output
    assert isinstance(net.layers[-1][-1], torch.nn.Sigmoid)


@pytest.mark.parametrize("size", [(68, 92), (4, 8), (128, 36)])
def test_output_size_equals_input_for_multiples_of_4(size: tuple[int, int]) -> None:
    h, w = size
    net = CompletionNetwork(width=0.125).eval()
    hole = torch.zeros(1, 1, h, w)
    hole[..., : h // 2, : w // 2] = 1
    with torch.no_grad():
        out = net(torch.rand(1, 3, h, w), hole)
    assert out.shape == (1, 3, h, w)
    assert out.min() >= 0 and out.max() <= 1  # sigmoid


def test_holes_take_the_mean_pixel() -> None:
    """Whatever the hole holds, the network sees the mean pixel there (and mean subtraction)."""
    torch.manual_seed(0)
    net = CompletionNetwork(width=0.125, mean=(0.2, 0.5, 0.7)).eval()
    hole = torch.zeros(1, 1, 32, 32)
    hole[..., 8:20, 4:28] = 1
    image = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        a = net(image * (1 - hole), hole)
        b = net(image * (1 - hole) + hole * torch.rand(1, 3, 32, 32), hole)
        c = net(image * (1 - hole) + hole * torch.tensor([0.2, 0.5, 0.7]).view(1, 3, 1, 1), hole)
    assert torch.equal(a, b) and torch.equal(a, c)
    assert "mean" not in net.state_dict()  # travels in the metadata config, not the tensors
    assert torch.allclose(CompletionNetwork(0.125).mean.flatten(), torch.tensor(DEFAULT_MEAN))


@pytest.fixture
def engine(tmp_path):
    torch.manual_seed(0)
    config = {"mean": [0.45, 0.44, 0.40]}
    module = GLCICEngine.build(0.125, config)
    path = export_module(module, tmp_path / "glcic.safetensors", "glcic", 0.125, config, dtype=None)
    return create_engine("glcic", weights=path)


def _scene() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    rng = np.random.default_rng(1)
    image = np.stack([x * 2, y * 3, 255 - x * 2], axis=2) + rng.normal(0, 8, (64, 96, 3))
    mask = np.zeros((64, 96), np.uint8)
    mask[20:44, 30:70] = 255
    return np.clip(image, 0, 255).astype(np.uint8), mask


def test_config_mean_is_rebuilt_from_metadata(engine) -> None:
    assert torch.allclose(engine.module.mean.flatten(), torch.tensor([0.45, 0.44, 0.40]))
    assert CAP_POISSON in engine.spec.capabilities


def test_poisson_option_changes_only_hole_and_band(engine) -> None:
    image, mask = _scene()
    plain = engine.fill(image, mask, SPEC.resolve_options({}))
    blended = engine.fill(image, mask, SPEC.resolve_options({"poisson": True}))
    band = poisson_band(mask)
    assert np.array_equal(plain.image[mask == 0], image[mask == 0])
    assert np.array_equal(blended.image[~band], image[~band])
    assert np.array_equal(blended.image[~band], plain.image[~band])
    assert not np.array_equal(blended.image[mask > 0], plain.image[mask > 0])  # it does something
    assert blended.image.dtype == np.uint8 and blended.image.shape == image.shape


def test_poisson_option_parses_strings() -> None:
    assert SPEC.resolve_options({"poisson": "yes"}) == {"poisson": True}
    assert SPEC.resolve_options(None) == {"poisson": False}


def test_spec() -> None:
    assert SPEC.pad_multiple == 4 and SPEC.native_resolution == 512
    assert SPEC.default_weights == "glcic.safetensors" and SPEC.learned
