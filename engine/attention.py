"""Blocks shared by the DeepGIN and ISNet engines: SN helpers, self-attention, SPD / plain ResNet blocks.

- :func:`sn` / :func:`sn_conv`: spectral normalisation (Miyato et al.) through
  ``torch.nn.utils.parametrizations.spectral_norm``. The state dict of such a module holds
  ``parametrizations.weight.original`` plus the power-iteration vectors ``_u``/``_v``; in eval mode
  the stored vectors are used as they are, so an exported module reloads to identical outputs.
- :class:`SelfAttention`: the non-local block of Wang et al. (embedded Gaussian), which DeepGIN §4.1
  says its SA block is "exactly the same as".
- :class:`SPDResBlock`: DeepGIN's Spatial Pyramid Dilation ResNet block (DeepGIN §4.1, Fig. 3c/d).
- :class:`PlainResBlock`: the standard ResNet block of Fig. 3a (the StdResBlk ablation of Table 1),
  also the reference the SPD block's parameter count is compared with.

Tensors are float N×C×H×W throughout.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def sn(module: nn.Module) -> nn.Module:
    """``module`` with its ``weight`` spectrally normalised (parametrization API, exportable)."""
    return spectral_norm(module)


def sn_conv(
    cin: int,
    cout: int,
    kernel: int = 3,
    stride: int = 1,
    padding: int | None = None,
    dilation: int = 1,
    bias: bool = True,
    padding_mode: str = "zeros",
) -> nn.Module:
    """Spectrally normalised ``nn.Conv2d``; ``padding=None`` keeps the spatial size ("same")."""
    if padding is None:
        padding = dilation * (kernel - 1) // 2
    return sn(nn.Conv2d(cin, cout, kernel, stride, padding, dilation=dilation, bias=bias, padding_mode=padding_mode))


class SelfAttention(nn.Module):
    """Non-local block (embedded Gaussian) with residual connection; no batch norm.

    θ, φ, g are 1×1 convolutions to ``channels // 2``; attention = softmax over all positions of
    θ(x)ᵀφ(x); W (1×1 back to ``channels``) is zero-initialised so the block starts as identity.
    Memory grows as (H·W)² per image (64×64 maps: 16.7 M scores), which is why DeepGIN only uses it
    at 16², 32² and 64² (a 256² input).
    """

    def __init__(self, channels: int, inter: int | None = None) -> None:
        super().__init__()
        inter = inter or max(1, channels // 2)
        self.inter = inter
        self.theta = nn.Conv2d(channels, inter, 1)
        self.phi = nn.Conv2d(channels, inter, 1)
        self.g = nn.Conv2d(channels, inter, 1)
        self.w = nn.Conv2d(inter, channels, 1)
        nn.init.zeros_(self.w.weight)
        nn.init.zeros_(self.w.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        q = self.theta(x).reshape(n, 1, self.inter, h * w).transpose(2, 3)  # N×1×HW×C'
        k = self.phi(x).reshape(n, 1, self.inter, h * w).transpose(2, 3)
        v = self.g(x).reshape(n, 1, self.inter, h * w).transpose(2, 3)
        # softmax(q kᵀ) v, fused: never materialises the HW×HW score matrix (16.7 M floats at 64²),
        # which made the explicit bmm/softmax ~70% of DeepGIN's CPU time. scale=1: the non-local
        # paper has no 1/sqrt(d) scaling.
        y = F.scaled_dot_product_attention(q, k, v, scale=1.0)
        y = y.transpose(2, 3).reshape(n, self.inter, h, w)
        return x + self.w(y)


class SPDResBlock(nn.Module):
    """Spatial Pyramid Dilation ResNet block (DeepGIN Fig. 3c/d).

    The first convolution of a ResNet block is split into ``len(rates)`` parallel 3×3 branches, one
    per dilation rate, each mapping all ``channels`` inputs to ``channels / len(rates)`` outputs
    ("the output channel size of the first convolutions equals a quarter of the input channel size"
    for 4 rates); the branch outputs are concatenated back to ``channels`` and fused by a plain 3×3
    convolution, then added to the input. Weights: k · 9·C·(C/k) + 9·C·C = the same as
    :class:`PlainResBlock` with C channels (biases too: k · C/k + C = 2C).

    Padding: replicate (the paper is silent; replicate avoids the dark border zero padding gives with
    dilations up to 10 on 32² maps). ReLU inside the block as in the ResNet block [8] it modifies.
    """

    def __init__(self, channels: int, rates: Sequence[int]) -> None:
        super().__init__()
        k = len(rates)
        if channels % k:
            raise ValueError(f"SPD block: {channels} channels cannot be split across {k} dilation rates")
        self.rates = tuple(int(r) for r in rates)
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, channels // k, 3, padding=r, dilation=r, padding_mode="replicate") for r in self.rates
        )
        self.fuse = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="replicate")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([F.relu(branch(x)) for branch in self.branches], dim=1)
        return x + self.fuse(y)


class PlainResBlock(nn.Module):
    """Standard ResNet block (DeepGIN Fig. 3a): conv3×3 → ReLU → conv3×3, plus the input."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, padding_mode="replicate")
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, padding_mode="replicate")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters; for spectral-normed layers the ``original`` weight counts, ``_u``/``_v`` do not."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
