"""PartialConv2d (PConv §3.1) and the PConv U-Net (appendix Table 2)."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from engine.layers import PartialConv2d, scaled
from engine.models.pconv import DECODER, ENCODER, SPEC, PConvUNet


def _naive_pconv(layer: PartialConv2d, x: torch.Tensor, mask: torch.Tensor, y: int, xx: int) -> torch.Tensor:
    """Eq. (1) written out for one output position of a stride-1 layer (zero padding = hole)."""
    k, p = layer.kernel_size, layer.padding
    xp = torch.nn.functional.pad(x * mask, (p, p, p, p))
    mp = torch.nn.functional.pad(mask.expand_as(x), (p, p, p, p))
    win_x = xp[0, :, y : y + k, xx : xx + k]
    win_m = mp[0, :, y : y + k, xx : xx + k]
    total = win_m.sum()
    if total == 0:
        return torch.zeros(layer.out_channels)
    w = layer.conv.weight  # C_out×C_in×k×k
    raw = (w * win_x[None]).sum(dim=(1, 2, 3))
    return raw * (win_m.numel() / total) + layer.bias


def test_partial_conv_matches_equation_1_and_2() -> None:
    torch.manual_seed(0)
    layer = PartialConv2d(3, 5, 3)
    torch.nn.init.normal_(layer.bias)
    x = torch.randn(1, 3, 9, 9)
    mask = (torch.rand(1, 3, 9, 9) > 0.5).float()  # multi-channel mask, channels differ
    mask[:, :, 2:7, 2:7] = 0  # a hole larger than the kernel: some outputs see no valid input
    out, new_mask = layer(x, mask)
    assert out.shape == (1, 5, 9, 9) and new_mask.shape == (1, 5, 9, 9)
    for y, xx in [(0, 0), (0, 4), (4, 4), (3, 4), (8, 8), (5, 1)]:
        expected = _naive_pconv(layer, x, mask, y, xx)
        torch.testing.assert_close(out[0, :, y, xx], expected, atol=1e-5, rtol=1e-5)
    # Eq. (2): valid iff the window held at least one valid value; same for every output channel.
    window_sum = torch.nn.functional.conv2d(mask.sum(1, keepdim=True), torch.ones(1, 1, 3, 3), padding=1)
    assert torch.equal(new_mask[0, 0], (window_sum[0, 0] > 0).float())
    assert torch.equal(new_mask[0, 0], new_mask[0, 4])
    assert (new_mask[0, 0, 4, 4] == 0) and torch.all(out[0, :, 4, 4] == 0)  # no valid input: zero, bias too


def test_partial_conv_border_is_a_hole_and_rescaled() -> None:
    """A constant image with a full mask gives the same output at the corner as inside: the zero
    padding counts as hole and sum(1)/sum(M) re-weights (partial convolution as padding)."""
    layer = PartialConv2d(2, 1, 3, bias=False)
    with torch.no_grad():
        layer.conv.weight.fill_(1.0)
    out, new_mask = layer(torch.ones(1, 2, 6, 6), torch.ones(1, 2, 6, 6))
    assert torch.allclose(out, torch.full_like(out, 18.0))
    assert torch.all(new_mask == 1)
    # A plain zero-padded convolution would give 8 at the corner instead of 18.
    plain = torch.nn.functional.conv2d(torch.ones(1, 2, 6, 6), layer.conv.weight, padding=1)
    assert plain[0, 0, 0, 0] == 8


def test_partial_conv_single_channel_mask_broadcasts_and_ignores_holes() -> None:
    torch.manual_seed(1)
    layer = PartialConv2d(4, 6, 5, stride=2)
    x = torch.randn(2, 4, 16, 16)
    mask = torch.ones(2, 1, 16, 16)
    mask[:, :, 4:12, 3:10] = 0
    noisy = x.clone()
    noisy[:, :, 4:12, 3:10] = torch.randn(2, 4, 8, 7) * 100
    a, ma = layer(x, mask)
    b, mb = layer(noisy, mask.expand(2, 4, 16, 16))
    assert a.shape == (2, 6, 8, 8)
    assert torch.equal(a, b) and torch.equal(ma, mb)


def _table2_parameters() -> int:
    """Parameter count of appendix Table 2, from its rows: conv weights + one bias per filter
    (eq. 1's b) + BatchNorm γ and β for every layer marked BatchNorm=Y."""
    total, cin = 0, 3
    enc_out = []
    for i, (k, c) in enumerate(ENCODER):
        total += cin * c * k * k + c + (2 * c if i > 0 else 0)
        enc_out.append(c)
        cin = c
    skips = [*enc_out[-2::-1], 3]  # Concat1 w/ PConv7 ... Concat7 w/ PConv1, Concat8 w/ input
    for i, (skip, c) in enumerate(zip(skips, DECODER, strict=True)):
        last = i == len(DECODER) - 1
        total += (cin + skip) * c * 9 + c + (0 if last else 2 * c)
        cin = c
    return total


def test_parameter_count_matches_table_2() -> None:
    expected = _table2_parameters()
    # 32,848,849 conv weights + 5,507 biases + 10,880 BatchNorm γ/β.
    assert expected == 32_865_236
    model = PConvUNet(width=1.0)
    count = sum(p.numel() for p in model.parameters())
    assert count == expected
    assert abs(count - 32.8e6) / 32.8e6 < 0.005  # "≈ 32.8 M"


def test_width_scales_channels() -> None:
    model = PConvUNet(width=0.125)
    assert model.encoder[0].conv.out_channels == scaled(64, 0.125) == 8
    assert model.encoder[-1].conv.out_channels == 64
    assert model.decoder[-1].conv.out_channels == 3  # RGB output is never scaled


def _hole(h: int, w: int) -> torch.Tensor:
    hole = torch.zeros(1, 1, h, w)
    hole[:, :, 60:150, 40:200] = 1
    hole[:, :, 0:20, 230:256] = 1  # touches the border
    return hole


def test_output_is_independent_of_hole_content() -> None:
    """Called directly with the hole NOT zeroed: zeros vs noise inside the hole -> identical output."""
    torch.manual_seed(0)
    model = PConvUNet(width=0.125).eval()
    hole = _hole(256, 256)
    image = torch.rand(1, 3, 256, 256)
    zeros = image * (1 - hole)
    noise = image * (1 - hole) + hole * torch.rand(1, 3, 256, 256) * 50.0
    with torch.no_grad():
        a = model(zeros, hole)
        b = model(noise, hole)
    assert a.shape == (1, 3, 256, 256)
    assert torch.equal(a, b)
    assert a.min() >= 0 and a.max() <= 1  # eval mode clamps to [0, 1]


def test_mask_becomes_all_valid_after_enough_layers() -> None:
    model = PConvUNet(width=0.125).eval()
    hole = _hole(256, 256)
    with torch.no_grad():
        _feats, masks = model.encode(torch.rand(1, 3, 256, 256), hole)
    assert len(masks) == 9  # input + PConv1..8
    assert masks[0].shape == (1, 1, 256, 256)  # one channel: the same for every feature channel
    fractions = [float(m.mean()) for m in masks]
    assert fractions[0] < 0.8
    assert all(b >= a for a, b in itertools.pairwise(fractions))  # holes only shrink
    assert fractions[-1] == 1.0 and fractions[1] < 1.0
    assert masks[-1].shape == (1, 1, 1, 1)


def test_implicit_group_masks_equal_explicit_channel_masks() -> None:
    """The fast path (single-channel masks per concatenated group) computes the paper's layer on
    explicit C-channel masks exactly (up to float summation order)."""
    torch.manual_seed(1)
    model = PConvUNet(width=0.125).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    image, hole = torch.rand(2, 3, 256, 256), torch.cat([_hole(256, 256), 1 - _hole(256, 256)])
    with torch.no_grad():
        fast = model(image, hole)
        x, m = image, (1 - hole).expand(-1, 3, -1, -1)
        feats, masks = [x], [m]
        for block in model.encoder:
            x, m = block(x, m)  # generic path: explicit C-channel masks
            feats.append(x)
            masks.append(m)
        for i, block in enumerate(model.decoder):
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            m = F.interpolate(m, scale_factor=2.0, mode="nearest")
            x, m = block(torch.cat([x, feats[-2 - i]], 1), torch.cat([m, masks[-2 - i]], 1))
    assert torch.allclose(fast, x.clamp(0, 1), atol=1e-5)


def test_training_mode_keeps_linear_output() -> None:
    torch.manual_seed(0)
    model = PConvUNet(width=0.125).train()
    out = model(torch.rand(2, 3, 256, 256) * 3, _hole(256, 256).expand(2, -1, -1, -1))
    out.abs().mean().backward()
    assert model.encoder[0].conv.conv.weight.grad is not None


def test_spec() -> None:
    assert SPEC.pad_multiple == 256 and SPEC.native_resolution == 512
    assert SPEC.default_weights == "pconv.safetensors" and SPEC.learned


@pytest.mark.parametrize("size", [(256, 512), (512, 256)])
def test_non_square_multiples_of_256(size: tuple[int, int]) -> None:
    model = PConvUNet(width=0.125).eval()
    h, w = size
    hole = torch.zeros(1, 1, h, w)
    hole[..., 10:60, 20:90] = 1
    with torch.no_grad():
        assert model(torch.rand(1, 3, h, w), hole).shape == (1, 3, h, w)
