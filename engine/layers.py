"""Shared building blocks for the paper networks in :mod:`engine.models`.

- :func:`scaled` — the width multiplier rule every network uses for its channel counts.
- :class:`PartialConv2d` — partial convolution with mask update, Liu et al. 2018 (PConv) §3.1
  eqs. (1)–(2), in the multi-channel form the paper's §3.2 "Implementation" describes (a mask of the
  same size C×H×W as the features) and with "partial convolution as padding" at image borders.
- :class:`ConvNormAct` — convolution (optionally dilated / strided / transposed) + BatchNorm + activation.

Tensors are float32 N×C×H×W; masks use the PConv convention **1 = valid, 0 = hole** inside
this module (the engine contract's ``hole`` tensor is 1 = hole; networks convert at their edge).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Smallest channel count a width-scaled layer may have (keeps tiny test/CPU widths trainable).
MIN_CHANNELS = 8


def scaled(channels: int, width: float) -> int:
    """Channel count of a paper layer with ``channels`` at width multiplier ``width``.

    ``max(MIN_CHANNELS, round(channels * width))``; ``width = 1.0`` gives the paper's count.
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    return max(MIN_CHANNELS, round(channels * width))


def make_activation(name: str | None) -> nn.Module:
    """``"relu"``, ``"lrelu"`` (LeakyReLU 0.2, the slope PConv and DFNet use), ``"sigmoid"`` or None."""
    if name is None:
        return nn.Identity()
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    if name == "sigmoid":
        return nn.Sigmoid()
    raise ValueError(f"unknown activation {name!r}")


def zero_init(conv: nn.Module) -> nn.Module:
    """Zero ``conv``'s weight and bias in place (a residual branch that starts as "add nothing")."""
    nn.init.zeros_(conv.weight)
    if getattr(conv, "bias", None) is not None:
        nn.init.zeros_(conv.bias)
    return conv


class PartialConv2d(nn.Module):
    """Partial convolution + mask update (PConv §3.1).

    For every output position, with X the input window, M its mask window (all C input channels ×
    k×k taps) and ``sum(1) = C·k·k``::

        x' = W^T (X ⊙ M) · sum(1) / sum(M) + b     if sum(M) > 0        (eq. 1)
           = 0                                      otherwise
        m' = clamp(sum(M), 0, 1)                                          (eq. 2)

    - The bias is added after the re-scaling and positions with no valid input are zeroed
      (bias included), as in the authors' layer (REFERENCE.md).
    - Zero padding of both ``X ⊙ M`` and ``M`` makes pixels outside the image count as holes —
      the paper's "partial convolution as padding" (§3.2): border outputs are re-weighted by the
      number of in-image valid taps instead of being pulled towards the padding value.
    - ``eps`` (1e-8) guards the division; it only matters where sum(M) = 0, which is zeroed anyway.
    - The updated mask is the same for every output channel (the window sum runs over all input
      channels), so it is returned as an expanded (no-copy) N×C_out×H'×W' view.

    forward(x, mask): x float N×C_in×H×W; mask N×C_in×H×W or N×1×H×W (broadcast over channels),
    1 = valid, 0 = hole. Returns (out N×C_out×H'×W', new_mask N×C_out×H'×W' in {0, 1} for a
    binary input mask). Values of ``x`` where ``mask = 0`` never influence the output.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        bias: bool = True,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        if padding is None:
            padding = dilation * (kernel_size - 1) // 2  # "same" size at stride 1
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.eps = eps
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, bias=False)
        # The bias is a separate parameter because it is added after the sum(1)/sum(M) scaling.
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if mask.shape[1] not in (1, self.in_channels):
            raise ValueError(f"mask has {mask.shape[1]} channels; expected 1 or {self.in_channels}")
        # sum(M) over the C×k×k window = a k×k box sum of the channel-summed mask.
        channel_sum = mask.sum(dim=1, keepdim=True) if mask.shape[1] > 1 else mask * self.in_channels
        out, new_mask = self.partial(x * mask, channel_sum)
        return out, new_mask.expand(x.shape[0], self.out_channels, -1, -1)

    def partial(self, masked: torch.Tensor, channel_sum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eq. (1)–(2) on inputs already multiplied by their mask.

        masked: float N×C_in×H×W (X ⊙ M); channel_sum: float N×1×H×W, the mask summed over the
        input channels. Returns (out N×C_out×H'×W', new_mask N×1×H'×W'). Networks whose masks are
        the same for every channel of a group (all of PConv's) call this directly: a single-channel
        mask per group avoids materialising C-channel masks, which cost more than the convolutions.
        """
        with torch.no_grad():
            window = torch.ones(1, 1, self.kernel_size, self.kernel_size, dtype=masked.dtype, device=masked.device)
            msum = F.conv2d(channel_sum, window, None, self.stride, self.padding, self.dilation)
            new_mask = msum.clamp(0.0, 1.0)
            ratio = (self.in_channels * self.kernel_size * self.kernel_size) / (msum + self.eps) * new_mask
        out = self.conv(masked) * ratio
        if self.bias is not None:
            out = out + self.bias.view(1, -1, 1, 1)
        return out * new_mask, new_mask


class ConvNormAct(nn.Sequential):
    """Conv2d (or ConvTranspose2d with ``transposed=True``) → optional BatchNorm → activation.

    ``padding`` defaults to "same" for stride 1 (``dilation·(k−1)/2``), i.e. H/stride outputs for
    even H; transposed layers must pass their padding explicitly.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        norm: bool = True,
        act: str | None = "relu",
        transposed: bool = False,
    ) -> None:
        if padding is None:
            padding = dilation * (kernel_size - 1) // 2
        conv: nn.Module
        if transposed:
            conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation)
        else:
            conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation)
        layers: list[nn.Module] = [conv]
        if norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers.append(make_activation(act))
        super().__init__(*layers)
