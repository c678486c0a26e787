"""PConv: Liu et al., "Image Inpainting for Irregular Holes Using Partial Convolutions", ECCV 2018.

Network: the 16-layer U-Net of the paper's appendix (Table 2, "Details of Network Architecture"):

- encoder PConv1–8, stride 2, kernels 7,5,5,3,3,3,3,3, filters 64,128,256,512,512,512,512,512,
  BatchNorm on all but PConv1, ReLU;
- decoder: NearestUpSample ×2, Concat with the matching encoder output (Concat1 w/ PConv7 …
  Concat7 w/ PConv1, Concat8 w/ the input image), PConv9–16 3×3 stride 1 with filters
  512,512,512,512,256,128,64,3, BatchNorm + LeakyReLU(0.2) except PConv16 (neither).
- §3.2 "Network Design": skip links concatenate feature maps and masks separately; the last layer
  sees the original image with holes and the original mask (so it can copy known pixels).
- §3.1 / §3.2 "Implementation": masks are C×H×W like the features; §3.2 "Partial Convolution as
  Padding": image borders are treated as holes. Both live in :class:`engine.layers.PartialConv2d`.

Parameter count at width 1.0 (conv weights + PConv biases + BatchNorm γ/β): 32,865,236 ≈ 32.9 M
= 32,848,849 conv weights + 5,507 biases + 10,880 BatchNorm γ/β; see tests/test_models_pconv.py.

Choices where the paper is silent (each also commented in the code):
- input scaling: the image stays in [0, 1] (partial convolutions re-normalise by the valid count,
  so the fill value is irrelevant and no mean/std normalisation is needed);
- output: PConv16 has no activation (Table 2), so the module returns the raw linear output while
  training (gradients everywhere) and clamps to [0, 1] in eval mode (the engine contract);
- every PConv has a bias (eq. 1 has b), also those followed by BatchNorm;
- width multiplier: every layer but PConv16 has ``engine.layers.scaled(c, width)`` filters.

The shipped weights are the prefill variant of this network (:mod:`engine.residual`, not in the
paper). Partial convolutions mask the hole out, so that variant hands PConv1 the filled image as a
second, all-valid channel group (``reads_hole = False``, :meth:`PConvUNet.widen_input`); PConv16,
which sees the input image through Concat8, is its correction layer.

Engine: native resolution 512 (the paper trains and reports timings at 512×512, §3.2/§4), pad
multiple 256 = 2⁸ because the 8 stride-2 layers must divide the sides exactly for the skip
concatenations to line up.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from engine.layers import PartialConv2d, make_activation, scaled
from engine.paper import PaperNetwork
from engine.registry import CAP_LEARNED, EngineSpec, register
from engine.torch_engine import TorchEngine

#: Table 2, encoder: (kernel, filters) of PConv1–8 (all stride 2).
ENCODER = ((7, 64), (5, 128), (5, 256), (3, 512), (3, 512), (3, 512), (3, 512), (3, 512))
#: Table 2, decoder: filters of PConv9–16 (all 3×3, stride 1).
DECODER = (512, 512, 512, 512, 256, 128, 64, 3)


class PConvBlock(nn.Module):
    """PartialConv2d → optional BatchNorm → optional activation; passes the mask along."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, bn: bool, act: str | None) -> None:
        super().__init__()
        self.conv = PartialConv2d(cin, cout, kernel, stride=stride)
        self.bn = nn.BatchNorm2d(cout) if bn else nn.Identity()
        self.act = make_activation(act)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, new_mask = self.conv(x, mask)
        return self.act(self.bn(out)), new_mask

    def partial(self, masked: torch.Tensor, channel_sum: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """As :meth:`forward` on pre-masked input (see :meth:`PartialConv2d.partial`); N×1 mask out."""
        out, new_mask = self.conv.partial(masked, channel_sum)
        return self.act(self.bn(out)), new_mask


class PConvUNet(PaperNetwork):
    """PConv U-Net (appendix Table 2). ``width`` scales all filter counts (1.0 = paper).

    forward(image, hole): image float32 N×3×H×W RGB in [0, 1] (hole pixels may hold anything —
    they are masked out by the partial convolutions), hole float32 N×1×H×W with 1 = hole; H and W
    multiples of 256. Returns float32 N×3×H×W RGB: raw linear output in training mode, clamped to
    [0, 1] in eval mode. Uncomposited.
    """

    # engine.paper.PaperNetwork: PConv16 is the output layer; it sees the input image (Concat8).
    heads = ("decoder.7",)
    head_sees_input = True
    reads_hole = False

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        self.width = width
        enc_ch = [scaled(c, width) for _, c in ENCODER]
        self.encoder = nn.ModuleList()
        cin = 3
        for i, ((k, _), cout) in enumerate(zip(ENCODER, enc_ch, strict=True)):
            # PConv1 has no BatchNorm (Table 2).
            self.encoder.append(PConvBlock(cin, cout, k, stride=2, bn=i > 0, act="relu"))
            cin = cout
        # Skip sources for Concat1..8: PConv7, PConv6, ..., PConv1, then the input image.
        skips = [*enc_ch[-2::-1], 3]
        self.decoder = nn.ModuleList()
        for i, (skip, c) in enumerate(zip(skips, DECODER, strict=True)):
            last = i == len(DECODER) - 1
            cout = c if last else scaled(c, width)
            # PConv16: no BatchNorm, no nonlinearity (Table 2).
            self.decoder.append(PConvBlock(cin + skip, cout, 3, stride=1, bn=not last, act=None if last else "lrelu"))
            cin = cout

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        cin = self.decoder[-1].conv.in_channels
        self.decoder[-1] = PConvBlock(cin + extra_inputs, outputs, 3, stride=1, bn=False, act=None)

    def widen_input(self, extra_inputs: int) -> None:
        first = self.encoder[0].conv
        self.encoder[0] = PConvBlock(
            first.in_channels + extra_inputs, first.out_channels, first.kernel_size, stride=2, bn=False, act="relu"
        )

    def encode(self, image: torch.Tensor, hole: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Encoder pass. Returns ([input, PConv1..8 features], [input mask, PConv1..8 masks]);
        masks are N×1×H×W, 1 = valid, the same for every channel of their features."""
        masked, channel_sum, image_valid = self.variant.masked_input(image, 1.0 - hole)
        x, m = self.encoder[0].partial(masked, channel_sum)
        feats, masks = [image, x], [image_valid, m]
        for block in self.encoder[1:]:
            x, m = block.partial(x * m, m * x.shape[1])
            feats.append(x)
            masks.append(m)
        return feats, masks

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        feats, masks = self.encode(image, hole)
        x, m = feats[-1], masks[-1]
        for i, block in enumerate(self.decoder):
            skip_x, skip_m = feats[-2 - i], masks[-2 - i]
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            m = F.interpolate(m, scale_factor=2.0, mode="nearest")
            # §3.2: features and masks are concatenated separately. Each half's mask is the same
            # for all its channels, so the concatenated mask is kept implicit: the masked features
            # are concatenated, and the channel sum of the mask is C_x·m + C_skip·m_skip.
            masked = torch.cat([x * m, skip_x * skip_m], dim=1)
            x, m = block.partial(masked, m * x.shape[1] + skip_m * skip_x.shape[1])
        x = self.variant.head_output(x, image)
        # Table 2 gives PConv16 no activation: keep it linear for training, clamp for inference.
        return x if self.training else x.clamp(0.0, 1.0)


class PConvEngine(TorchEngine):
    """PConv U-Net engine (weights from ``pconv.safetensors``)."""

    network = PConvUNet


SPEC = register(
    EngineSpec(
        name="pconv",
        display_name="PConv (partial convolutions)",
        paper="Liu et al., Image Inpainting for Irregular Holes Using Partial Convolutions, ECCV 2018",
        native_resolution=512,
        pad_multiple=256,
        loader=PConvEngine,
        capabilities=frozenset({CAP_LEARNED}),
        default_weights="pconv.safetensors",
        description="U-Net of partial convolutions: ignores hole content, good on irregular holes and scratches.",
    )
)
