"""ISNet — Interactive Separation Network for image inpainting (Li, Lu, Zhang et al., 2021).

Paper: ``/work/shared/papers/isnet-interactive-separation.txt``. What is built, and from where:

- §2.2, Eq. 1: ``I_pred = G(I_gt ⊙ M)`` — the generator sees only the masked RGB image (REFERENCE.md:
  the official generator does too). **The mask is not concatenated** by default, as in the paper;
  ``mask_input=True`` adds it as a 4th channel (a documented deviation to measure, not the default).
- §2.2: a head embeds the image into 32 channels at full resolution; 4 stages follow; a Final Fusion
  (FF) decodes the two output branches to 32 channels, then to RGB.
- §2 / §2.1, Fig. 1–2: every stage has two branches (stage 1: only the first) and three steps:
  *Inpainting* — 4 residual blocks [He et al.] per branch; *Interaction* — the second branch is
  scaled down by one stride-2 convolution and the first branch by n stride-2 convolutions (n = stage
  index) to the same resolution and concatenated (new second branch); the second branch is brought
  up by n − 1 sub-pixel (PixelShuffle) convolutions and concatenated with the first branch (new first
  branch); *Aggregation* — a 3×3 convolution compresses each to the channels of its scale:
  32, 64, 128, 256, 512 for scales 1, 1/2, 1/4, 1/8, 1/16. So after stage n the branches are at
  full resolution (32 ch) and at 1/2ⁿ (32·2ⁿ ch); input sides must be multiples of 16.
- §2.2: spectral normalisation on every layer (``torch.nn.utils.parametrizations.spectral_norm``,
  so exported weights carry ``original``/``_u``/``_v`` and reload to identical eval outputs).

Where the paper is silent (assumptions, checked against Table 1's 23.63 M parameters at width 1.0 —
this layout gives 24.7 M, +4.5 %; Table 2's 1.55 M per residual block per stage vs 1.62 M here):
- head: 7×7 conv; all other convs 3×3; zero padding; LeakyReLU(0.2) after every conv except the last;
  the residual block is conv–LReLU–conv + identity, then LReLU (He et al. apply the ReLU after the sum).
- the k-th of the n stride-2 convs on the first branch doubles its channels (32 → 64 → …), so it
  arrives with the channels of the target scale; the second branch's stride-2 conv doubles too.
- each sub-pixel step: 3×3 conv to 4× the channels of the next finer scale, PixelShuffle(2), LReLU.
- Final Fusion: the 1/16 branch goes up by 4 sub-pixel steps to 32 channels at full resolution,
  is concatenated with the first branch and fused by a 3×3 conv to 32 channels; a 3×3 conv gives RGB,
  squashed by (tanh + 1) / 2 into [0, 1].
- stage 1's first-branch Aggregation has nothing to concatenate; it is still a 3×3 conv (32 → 32).

Widths: ``width`` scales channels as ``max(8, round(c·width))``.

The shipped weights are the prefill variant of this network (:mod:`engine.residual`, not in the
paper); this module is the paper's network and the seams that variant composes with.
"""

from __future__ import annotations

import torch
from torch import nn

from engine.attention import sn_conv
from engine.paper import PaperNetwork
from engine.registry import CAP_LEARNED, EngineSpec, register
from engine.torch_engine import TorchEngine

NATIVE = 256  # trained on 256² Places2/CelebA crops (EdgeConnect protocol the paper follows)
PAD_MULTIPLE = 16  # second branch reaches 1/16 after stage 4
SCALE_CHANNELS = (32, 64, 128, 256, 512)  # §2.1 Aggregation: channels at scales 1, 1/2, …, 1/16
N_STAGES = 4
N_BLOCKS = 4  # §2.1 / Table 2


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2)


def _conv_act(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(sn_conv(cin, cout, 3, stride=stride), _act())


class ResidualBlock(nn.Module):
    """conv3×3 – LReLU – conv3×3, plus identity, then LReLU; both convs spectrally normalised."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(sn_conv(channels, channels), _act(), sn_conv(channels, channels))
        self.act = _act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class SubPixelUp(nn.Module):
    """×2 up-sampling by sub-pixel convolution (Shi et al.): conv to 4·cout, PixelShuffle(2), LReLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = sn_conv(cin, 4 * cout)
        self.shuffle = nn.PixelShuffle(2)
        self.act = _act()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.shuffle(self.conv(x)))


def _upsampler(ch: tuple[int, ...], top: int) -> nn.Sequential:
    """Sub-pixel steps from scale 1/2^top (ch[top] channels) to full resolution (ch[0])."""
    return nn.Sequential(*(SubPixelUp(ch[k], ch[k - 1]) for k in range(top, 0, -1)))


class Stage(nn.Module):
    """Stage ``index`` (1-based): Inpainting, Interaction, Aggregation (§2.1, Fig. 2).

    forward(b1, b2): b1 N×ch[0]×H×W; b2 N×ch[n-1]×H/2^(n-1)×W/2^(n-1), or None in stage 1.
    Returns (b1', b2') with b1' N×ch[0]×H×W and b2' N×ch[n]×H/2^n×W/2^n.
    """

    def __init__(self, index: int, ch: tuple[int, ...], blocks: int = N_BLOCKS) -> None:
        super().__init__()
        n = self.index = index
        two = n > 1
        # Inpainting
        self.inpaint1 = nn.Sequential(*(ResidualBlock(ch[0]) for _ in range(blocks)))
        self.inpaint2 = nn.Sequential(*(ResidualBlock(ch[n - 1]) for _ in range(blocks))) if two else None
        # Interaction: first branch down by n stride-2 convs, second by one; second up by n-1 sub-pixel steps.
        self.down1 = nn.Sequential(*(_conv_act(ch[k], ch[k + 1], stride=2) for k in range(n)))
        self.down2 = _conv_act(ch[n - 1], ch[n], stride=2) if two else None
        self.up2 = _upsampler(ch, n - 1) if two else None
        # Aggregation: 3×3 conv to the channels of each branch's scale.
        self.aggregate1 = _conv_act(2 * ch[0] if two else ch[0], ch[0])
        self.aggregate2 = _conv_act(2 * ch[n] if two else ch[n], ch[n])

    def forward(self, b1: torch.Tensor, b2: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        b1 = self.inpaint1(b1)
        if self.inpaint2 is None or self.down2 is None or self.up2 is None or b2 is None:
            return self.aggregate1(b1), self.aggregate2(self.down1(b1))
        b2 = self.inpaint2(b2)
        low = torch.cat([self.down1(b1), self.down2(b2)], dim=1)
        high = torch.cat([b1, self.up2(b2)], dim=1)
        return self.aggregate1(high), self.aggregate2(low)


def _unit_tanh(x: torch.Tensor) -> torch.Tensor:
    return (torch.tanh(x) + 1.0) / 2.0


class ISNet(PaperNetwork):
    """The ISNet generator, uniform forward contract.

    ``forward(image, hole)``: image float32 N×3×H×W RGB in [0, 1] with hole pixels zeroed, hole
    float32 N×1×H×W (1 = hole); H, W multiples of 16. Returns the raw prediction I_pred,
    float32 N×3×H×W in [0, 1] (the caller composites). ``stages[i]`` return (branch 1, branch 2).
    """

    heads = ("to_rgb",)  # the output conv (engine.paper.PaperNetwork)

    def __init__(
        self, width: float = 1.0, mask_input: bool = False, blocks: int = N_BLOCKS, stages: int = N_STAGES
    ) -> None:
        super().__init__()
        self.width = width
        self.mask_input = mask_input
        ch = tuple(max(8, round(c * width)) for c in SCALE_CHANNELS[: stages + 1])
        self.channels = ch
        self.head = nn.Sequential(sn_conv(4 if mask_input else 3, ch[0], 7), _act())
        self.stages = nn.ModuleList(Stage(i, ch, blocks) for i in range(1, stages + 1))
        self.fusion_up = _upsampler(ch, stages)
        self.fusion = _conv_act(2 * ch[0], ch[0])
        self.to_rgb = sn_conv(ch[0], 3)

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        # Not spectral-normalised: SN of a zero weight divides by zero, and an output layer feeds no
        # discriminator-facing features.
        self.to_rgb = nn.Conv2d(self.channels[0] + extra_inputs, outputs, 3, padding=1)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        h, w = image.shape[-2:]
        multiple = 2 ** len(self.stages)
        if h % multiple or w % multiple:
            raise ValueError(f"ISNet needs sides that are multiples of {multiple}, got {w}×{h}")
        v = self.variant
        x = v.hole_input(image, hole)  # Eq. 1: I ⊙ M with holes at 0 (the paper's M is 1 on known pixels)
        if self.mask_input:
            x = torch.cat([x, hole], dim=1)
        b1, b2 = self.head(x), None
        for stage in self.stages:
            b1, b2 = stage(b1, b2)
        assert b2 is not None
        y = self.fusion(torch.cat([b1, self.fusion_up(b2)], dim=1))  # Final Fusion (§2.2)
        return v.head_output(self.to_rgb(v.head_input(y, image, hole)), image, act=_unit_tanh)


class ISNetEngine(TorchEngine):
    """Engine wrapper: one forward on the padded tile (no engine options)."""

    network = ISNet


SPEC = register(
    EngineSpec(
        name="isnet",
        display_name="ISNet",
        paper="Li et al., Interactive Separation Network for Image Inpainting (ICIP 2021)",
        native_resolution=NATIVE,
        pad_multiple=PAD_MULTIPLE,
        loader=ISNetEngine,
        capabilities=frozenset({CAP_LEARNED}),
        default_weights="isnet.safetensors",
        description="Two-branch network that keeps a full-resolution stream beside a deepening low-resolution "
        "one and exchanges features between them at every stage; spectral normalisation throughout.",
    )
)
