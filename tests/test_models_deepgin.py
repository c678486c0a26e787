"""DeepGIN: SPD block, sub-sampling helpers, output shapes, engine behaviour (random weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.attention import PlainResBlock, SPDResBlock, count_parameters
from engine.models import deepgin
from engine.models.deepgin import (
    ENSEMBLE,
    DeepGIN,
    complete,
    merge_subimages,
    split_subimages,
    subsample_factors,
)
from engine.registry import CAP_LEARNED, create_engine, get_spec
from engine.torch_engine import export_module

WIDTH = 0.125


@pytest.fixture(scope="module")
def net() -> DeepGIN:
    torch.manual_seed(0)
    return DeepGIN(width=WIDTH).eval()


@pytest.fixture
def weights(tmp_path: Path, net: DeepGIN) -> Path:
    return export_module(net, tmp_path / "deepgin.safetensors", "deepgin", WIDTH, {}, dtype=None)


@pytest.mark.parametrize("channels,rates", [(64, deepgin.COARSE_RATES), (64, deepgin.REFINE_RATES), (256, (1, 2))])
def test_spd_block_splits_channels_without_extra_parameters(channels: int, rates: tuple[int, ...]) -> None:
    spd, plain = SPDResBlock(channels, rates), PlainResBlock(channels)
    assert count_parameters(spd) == count_parameters(plain)
    assert len(spd.branches) == len(rates)
    assert [b.dilation[0] for b in spd.branches] == list(rates)
    # Every branch sees all channels and emits its share; the shares concatenate back to C.
    assert all(b.in_channels == channels and b.out_channels == channels // len(rates) for b in spd.branches)
    assert sum(b.out_channels for b in spd.branches) == spd.fuse.in_channels == channels
    x = torch.randn(2, channels, 12, 12)
    assert spd(x).shape == x.shape


def test_spd_block_rejects_indivisible_channels() -> None:
    with pytest.raises(ValueError, match="cannot be split"):
        SPDResBlock(12, deepgin.COARSE_RATES)


def test_parameter_counts_match_table_1() -> None:
    model = DeepGIN(width=1.0)
    # Table 1: SPDResBlk-MSSA-BP 42.930 M; the coarse stage alone 8.168 M.
    assert count_parameters(model) / 1e6 == pytest.approx(42.930, abs=0.001)
    assert count_parameters(model.coarse) / 1e6 == pytest.approx(8.168, abs=0.001)


@pytest.mark.parametrize("sy,sx", [(2, 2), (2, 3), (1, 4)])
def test_subsampling_round_trip_is_exact(sy: int, sx: int) -> None:
    h, w = 4 * sy, 5 * sx
    x = torch.arange(2 * 3 * h * w, dtype=torch.float32).reshape(2, 3, h, w)
    subs = split_subimages(x, sy, sx)
    assert subs.shape == (2 * sy * sx, 3, h // sy, w // sx)
    # Pixel (i, j) of image n lands in sub-image (i mod sy, j mod sx) at (i // sy, j // sx).
    for n, i, j in [(0, 0, 0), (1, h - 1, w - 1), (0, 3, 2), (1, 1, w - 2)]:
        k = n * sy * sx + (i % sy) * sx + (j % sx)
        assert torch.equal(subs[k, :, i // sy, j // sx], x[n, :, i, j])
    assert torch.equal(merge_subimages(subs, sy, sx), x)


def test_subsample_factors_keep_subimages_at_most_native() -> None:
    assert subsample_factors(256, 256) == (1, 1)
    assert subsample_factors(512, 512) == (2, 2)
    assert subsample_factors(272, 768) == (2, 3)


def test_ensemble_transforms_invert_exactly() -> None:
    x = torch.arange(2 * 16 * 32, dtype=torch.float32).reshape(1, 2, 16, 32)
    assert len(ENSEMBLE) == 5
    for fwd, inv in ENSEMBLE:
        assert torch.equal(inv(fwd(x)), x)
    assert len({tuple(fwd(x).flatten().tolist()) for fwd, _ in ENSEMBLE}) == 5  # five distinct views


def test_output_shapes_for_256_input(net: DeepGIN) -> None:
    image = torch.rand(2, 3, 256, 256)
    hole = torch.zeros(2, 1, 256, 256)
    hole[:, :, 64:160, 96:200] = 1
    with torch.no_grad():
        out = net(image * (1 - hole), hole)
    assert out.coarse.shape == (2, 3, 256, 256)
    assert out.out.shape == (2, 3, 256, 256)
    assert out.lr.shape == (2, 3, 64, 64)  # Ī_lr: 4× down-sampled, "at the layer with spatial size 64×64"
    for t in out:
        assert torch.isfinite(t).all() and t.min() >= 0 and t.max() <= 1


def test_module_ignores_hole_content_and_rejects_bad_sizes(net: DeepGIN) -> None:
    torch.manual_seed(1)
    image = torch.rand(1, 3, 64, 96)
    hole = torch.zeros(1, 1, 64, 96)
    hole[..., 10:40, 20:70] = 1
    with torch.no_grad():
        a = net(image * (1 - hole), hole)
        b = net(image, hole)  # hole not zeroed: the module applies its own white fill
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y)
    with pytest.raises(ValueError, match="multiples of 16"):
        net(torch.rand(1, 3, 40, 64), torch.zeros(1, 1, 40, 64))


def test_large_input_is_completed_as_interleaved_subimages(net: DeepGIN) -> None:
    torch.manual_seed(2)
    # native=128 makes a 256² input take the path a 512² input takes at the paper's native 256.
    image = torch.rand(1, 3, 256, 256)
    hole = (torch.rand(1, 1, 256, 256) > 0.8).float()
    image = image * (1 - hole)
    with torch.no_grad():
        got = complete(net, image, hole, native=128)
        subs = net(split_subimages(image, 2, 2), split_subimages(hole, 2, 2)).out
    assert torch.allclose(got, merge_subimages(subs, 2, 2), atol=1e-6)


def test_engine_registration_and_shipped_weights_found() -> None:
    spec = get_spec("deepgin")
    assert spec.default_weights == "deepgin.safetensors"
    assert CAP_LEARNED in spec.capabilities
    assert spec.native_resolution == 256 and spec.pad_multiple % 16 == 0
    ok, reason = spec.availability()  # the shipped resources/weights/deepgin.safetensors
    assert ok, reason
    assert spec.resolve_options({})["self_ensemble"] is False


@pytest.mark.parametrize("shape", [(128, 96), (288, 320)])  # direct, and sub-sampled (2×2 sub-images)
def test_engine_output_independent_of_hole_content(weights: Path, shape: tuple[int, int]) -> None:
    engine = create_engine("deepgin", weights=weights)
    rng = np.random.default_rng(3)
    h, w = shape
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mask = np.zeros((h, w), np.uint8)
    mask[h // 4 : h // 2, w // 3 : 2 * w // 3] = 255
    other = image.copy()
    other[mask > 0] = rng.integers(0, 256, (int((mask > 0).sum()), 3), dtype=np.uint8)
    a = engine.fill(image, mask, {"self_ensemble": False})
    b = engine.fill(other, mask, {"self_ensemble": False})
    assert a.image.shape == (h, w, 3) and a.image.dtype == np.uint8
    assert np.array_equal(a.image, b.image)
    assert np.array_equal(a.image[mask == 0], image[mask == 0])  # known pixels kept


def test_engine_subsamples_only_above_the_weights_working_size(tmp_path: Path, net: DeepGIN) -> None:
    """Weights that name a 512² working size fill a 512² crop in one pass; the paper's 256 splits it."""
    torch.manual_seed(6)
    image = torch.rand(1, 3, 512, 512)
    hole = torch.zeros(1, 1, 512, 512)
    hole[..., 200:330, 150:300] = 1.0
    image = image * (1 - hole)
    whole = export_module(net, tmp_path / "w.safetensors", "deepgin", WIDTH, {}, dtype=None, native_resolution=512)
    for path, expect_whole in (
        (whole, True),
        (export_module(net, tmp_path / "p.safetensors", "deepgin", WIDTH, {}, dtype=None), False),
    ):
        engine = create_engine("deepgin", weights=path)
        with torch.no_grad():
            got, _ = engine.run(image, hole, {"self_ensemble": False})
            direct = engine.module(image, hole).out
        assert torch.allclose(got, direct, atol=1e-5) is expect_whole


def test_engine_self_ensemble_option(weights: Path) -> None:
    engine = create_engine("deepgin", weights=weights)
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[16:48, 8:40] = 255
    plain = engine.fill(image, mask, engine.spec.resolve_options({}))
    ens = engine.fill(image, mask, engine.spec.resolve_options({"self_ensemble": "yes"}))
    assert ens.image.shape == plain.image.shape
    assert np.array_equal(ens.image[mask == 0], image[mask == 0])
    assert not np.array_equal(ens.image, plain.image)  # random weights are not rotation-equivariant
