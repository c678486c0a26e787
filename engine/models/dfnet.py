"""DFNet: Hong, Xiong, Ji, Fan, "Deep Fusion Network for Image Completion", ACM MM 2019.

- §3.2 / Fig. 4: a U-Net "like the one used in [13, 18]" (pix2pix / PConv) whose last decoder
  layers carry fusion blocks. The paper gives no layer table; the layer sizes follow the authors'
  code as summarised in REFERENCE.md: encoder of 8 stride-2 convolutions, kernels 7,5,5,3,3,3,3,3,
  channels 64,128,256,512,512,512,512,512, BatchNorm + ReLU (no BatchNorm on the first); decoder
  of nearest ×2 upsampling + skip concatenation + 3×3 convolution + BatchNorm + LeakyReLU(0.2)
  with output channels 512,512,512,512,256,128,64 and a final 4 (the last skip is the 4-channel
  network input).
- §3.1 fusion block on decoder features F_k: raw completion C_k = M(F_k) = 1×1 conv + sigmoid
  (3 channels); alpha α_k = A(·) = convolutions 1×1 → 3×3 → 1×1, the first two with BatchNorm +
  LeakyReLU, sigmoid on the last; 3-channel ("channel-wise", the better choice in §3.1) alpha;
  Î_k = α_k ⊙ C_k + (1 − α_k) ⊙ I_k with I_k the input image resized to F_k's resolution.
- §3.2 / §4.3: fusion blocks on the 6 finest decoder levels (the (6, 3) model), configurable;
  at test time only the finest result Î_1 is used.

Choices where the paper is silent (also commented in the code):
- A's input: §3.1's text says alpha is produced "from raw completion and the scaled input image",
  its formula writes A(F_k, I_k); we follow the text: A(concat(C_k, I_k)) — 6 channels in, cheap at
  every level, and it makes alpha a function of exactly the two images it blends.
- A's hidden width: ``scaled(32, width)`` channels (≥ 8).
- Network input: RGB in [0, 1] with hole pixels zeroed, plus the hole mask (1 = hole) → 4 channels.
  I_k is that zero-filled image resized with area averaging (box filter; exact for 2^k factors).
- The last decoder layer (4 channels) keeps BatchNorm + LeakyReLU like the others; the image
  comes from the fusion block's own 1×1 conv + sigmoid, not from that layer.
- Width multiplier: all encoder/decoder channels ``scaled(c, width)`` except the final 4.

The shipped weights are the prefill variant of this network (:mod:`engine.residual`, not in the
paper): its fusion blocks already blend with the input image, so the variant needs no correction
layer — it starts every alpha near 0 (``gates``) and may smooth the finest block's image from the
half-resolution decoder features (the ``blend_image`` seam).

Engine: native resolution 512 (Places2 models are trained and tested at 512², §4.1), pad
multiple 256 = 2⁸ for the 8 stride-2 levels. ``extras["alpha_maps"]``: the alpha maps, coarsest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.layers import ConvNormAct, scaled
from engine.paper import PaperNetwork
from engine.registry import CAP_ALPHA_MAPS, CAP_LEARNED, EngineSpec, register
from engine.torch_engine import TorchEngine

#: Encoder: (kernel, channels) of the 8 stride-2 convolutions.
ENCODER = ((7, 64), (5, 128), (5, 256), (3, 512), (3, 512), (3, 512), (3, 512), (3, 512))
#: Decoder output channels, coarse to fine (the last equals the 4-channel input it is concatenated with).
DECODER = (512, 512, 512, 512, 256, 128, 64, 4)
IN_CHANNELS = 4  # RGB + hole mask


def scale_to(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize ``image`` (N×C×H×W) to ``size`` = (h, w) the way DFNet builds I_k: area averaging.

    Training uses it to build the per-level targets of the multi-scale losses (§3.3).
    """
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="area")


class FusionBlock(nn.Module):
    """§3.1 / Fig. 2: raw completion M, alpha A and blend B on one decoder level."""

    def __init__(self, feat_channels: int, hidden: int) -> None:
        super().__init__()
        self.raw = nn.Sequential(nn.Conv2d(feat_channels, 3, 1), nn.Sigmoid())  # M(F_k)
        self.alpha = nn.Sequential(  # A(C_k, I_k): 1×1 → 3×3 → 1×1
            ConvNormAct(6, hidden, 1, act="lrelu"),
            ConvNormAct(hidden, hidden, 3, act="lrelu"),
            nn.Conv2d(hidden, 3, 1),
            nn.Sigmoid(),
        )

    def forward(
        self, feat: torch.Tensor, image_k: torch.Tensor, base_k: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, ...]:
        raw = self.raw(feat)
        if base_k is not None:  # a variant's raw completion: a correction of base_k (engine.paper)
            raw = (base_k + raw).clamp(0.0, 1.0)
        alpha = self.alpha(torch.cat([raw, image_k], dim=1))
        blended = alpha * raw + (1.0 - alpha) * image_k  # B(α_k, C_k, I_k)
        return blended, alpha, raw


@dataclass
class DFNetOutput:
    """All fusion-block results, each a list ordered coarse → fine (finest = Î_1, full size).

    ``outputs``: Î_k, float N×3×h×w in [0, 1]; ``alphas``: α_k, N×3×h×w in [0, 1];
    ``raws``: C_k, N×3×h×w in [0, 1]. The final image is :attr:`image` = ``outputs[-1]``.
    """

    outputs: list[torch.Tensor]
    alphas: list[torch.Tensor]
    raws: list[torch.Tensor]

    @property
    def image(self) -> torch.Tensor:
        return self.outputs[-1]


class DFNet(PaperNetwork):
    """Deep Fusion Network. ``width`` scales channels (1.0 = paper); ``fusion_blocks`` (1–8) is
    how many of the finest decoder levels get a fusion block (paper: 6).

    forward(image, hole): image float32 N×3×H×W RGB in [0, 1], hole pixels zeroed; hole float32
    N×1×H×W, 1 = hole; H, W multiples of 256. Returns :class:`DFNetOutput` (final image: ``.image``).
    """

    has_gate_heads: ClassVar[bool] = True

    def __init__(self, width: float = 1.0, fusion_blocks: int = 6) -> None:
        super().__init__()
        if not 1 <= fusion_blocks <= len(DECODER):
            raise ValueError(f"fusion_blocks must be 1..{len(DECODER)}, got {fusion_blocks}")
        self.width = width
        self.fusion_blocks = fusion_blocks
        enc_ch = [scaled(c, width) for _, c in ENCODER]
        self.encoder = nn.ModuleList()
        cin = IN_CHANNELS
        for i, ((k, _), cout) in enumerate(zip(ENCODER, enc_ch, strict=True)):
            self.encoder.append(ConvNormAct(cin, cout, k, stride=2, norm=i > 0, act="relu"))
            cin = cout
        skips = [*enc_ch[-2::-1], IN_CHANNELS]  # encoder 7..1, then the network input
        dec_ch = [scaled(c, width) for c in DECODER[:-1]] + [DECODER[-1]]
        self.decoder = nn.ModuleList()
        for skip, cout in zip(skips, dec_ch, strict=True):
            self.decoder.append(ConvNormAct(cin + skip, cout, 3, act="lrelu"))
            cin = cout
        hidden = scaled(32, width)
        self.fusion = nn.ModuleList(FusionBlock(c, hidden) for c in dec_ch[-fusion_blocks:])
        # engine.paper.PaperNetwork: the alpha gates, and the features the finest blend is handed.
        self.gates = tuple(f"fusion.{k}.alpha.2" for k in range(fusion_blocks))
        self.gate_heads = tuple(f"fusion.{k}.raw" for k in range(fusion_blocks))
        self.blend_channels = dec_ch[-2]

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> DFNetOutput:
        x = torch.cat([image, hole], dim=1)
        skips = [x]
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        first_fused = len(self.decoder) - self.fusion_blocks
        outputs: list[torch.Tensor] = []
        alphas: list[torch.Tensor] = []
        raws: list[torch.Tensor] = []
        last = len(self.decoder) - 1
        for i, layer in enumerate(self.decoder):
            half = x  # the decoder features at half the next level's resolution
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            x = layer(torch.cat([x, skips[-2 - i]], dim=1))
            if i >= first_fused:
                image_k, base_k = self.variant.fusion_images(image, hole, tuple(x.shape[-2:]))
                if i == last and base_k is None:
                    image_k = self.variant.blend_image(self, image_k, half)
                elif i == last:
                    base_k = self.variant.blend_image(self, base_k, half)
                out, alpha, raw = self.fusion[i - first_fused](x, image_k, base_k)
                outputs.append(out)
                alphas.append(alpha)
                raws.append(raw)
        return DFNetOutput(outputs, alphas, raws)


class DFNetEngine(TorchEngine):
    """DFNet engine; extras["alpha_maps"] = float32 h×w×3 arrays in [0, 1], coarsest first."""

    network = DFNet

    def run(
        self, image: torch.Tensor, hole: torch.Tensor, options: Mapping[str, Any]
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        result = self.module(image, hole)
        maps = [np.ascontiguousarray(a[0].permute(1, 2, 0).float().cpu().numpy()) for a in result.alphas]
        return result.image, {"alpha_maps": maps}


SPEC = register(
    EngineSpec(
        name="dfnet",
        display_name="DFNet (deep fusion)",
        paper="Hong et al., Deep Fusion Network for Image Completion, ACM MM 2019",
        native_resolution=512,
        pad_multiple=256,
        loader=DFNetEngine,
        capabilities=frozenset({CAP_LEARNED, CAP_ALPHA_MAPS}),
        default_weights="dfnet.safetensors",
        description="U-Net with learned alpha blending at six scales: smooth transitions at the hole edge.",
    )
)
