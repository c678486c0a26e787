"""DeepGIN — Deep Generative Inpainting Network (Li, Siu, Liu, Wang, Lun; ECCV-W 2020).

Paper: ``/work/shared/papers/deepgin-extreme-inpainting.txt``. What is built, and from where:

- §3: input ``I_in`` and mask ``M`` (1 = hole) in [0, 1]; the network works at 256×256.
- §4.1, Fig. 2: coarse generator G1(I_in, M) → I_coarse, an encoder–decoder with 6 Spatial
  Pyramid Dilation (SPD) ResNet blocks using 8 dilation rates; refinement generator G2(I_coarse, M)
  "similar to G1" with 6 SPD blocks using 4 rates and an SA block in the middle, Multi-Scale
  Self-Attention at 16², 32² and 64² (channels reduced by plain convolutions before the SA blocks),
  and Back Projection at the 64² decoder layer: a low-resolution completed image Ī_lr is output,
  and a learned weight map scales the back-projected residual that is added to I_out.
- Fig. 3c/d: SPD block — the first convolution is split across the dilation rates (each branch
  outputs C/k channels), so it has exactly as many weights as a standard ResNet block
  (:class:`engine.attention.SPDResBlock`; tested).
- §5: no batch normalisation anywhere; §5.1: ESRGAN's smaller initialisation (×0.1 on residual
  branches) for the deep generator.
- §6.1: images larger than 256² are split with the sub-sampling method into interleaved sub-images
  that are completed separately and regrouped (:func:`split_subimages` / :func:`merge_subimages`).
- REFERENCE.md (official inference): holes are filled with white before the network; an optional
  5-way self-ensemble (rotations 0/90/180/270 and a flip, averaged).

Fig. 2 is a drawing the text does not describe layer by layer, so layer shapes are chosen (see
comments) to reproduce the parameter counts of Table 1 at ``width=1.0``: 8.168 M for the coarse
generator alone and 42.930 M for the full model (SPDResBlk-MSSA-BP). This layout (7×7 head, 4×4
stride-2 convolutions, bilinear ×2 + 3×3 decoder, LeakyReLU 0.2, replicate padding, dilation rates
{1,2,3,4,5,6,8,10} and {2,3,4,5}) agrees with the authors' public code, which was read for these
facts only; no code was taken from it.

Widths: ``width`` scales every channel count as ``max(8, 8·round(c·width/8))`` (multiples of 8 so
the SPD split across 8 rates and the SA halving stay integral).

The shipped weights are the prefill variant of this network (:mod:`engine.residual`, not in the
paper); this module is the paper's network and the seams that variant composes with (G2's output
layer is the first head; G1's output and Ī_lr are further heads).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from engine.attention import SelfAttention, SPDResBlock
from engine.paper import PaperNetwork
from engine.registry import CAP_LEARNED, EngineSpec, OptionSpec, register
from engine.torch_engine import TorchEngine

NATIVE = 256  # §3: "we fix the input to 256 × 256"
PAD_MULTIPLE = 16  # G2 has four stride-2 levels (256 → 16); also keeps BP's ×4 exact
COARSE_RATES = (1, 2, 3, 4, 5, 6, 8, 10)  # Fig. 3d: 8 rates (values not in the text; see docstring)
REFINE_RATES = (2, 3, 4, 5)  # Fig. 3c: 4 rates
N_BLOCKS = 6


def _ch(c: int, width: float) -> int:
    return max(8, 8 * round(c * width / 8))


def _conv(cin: int, cout: int, k: int = 3, stride: int = 1) -> nn.Conv2d:
    # 4×4 stride-2 convolutions halve exactly with padding 1; odd kernels keep the size.
    pad = 1 if k == 4 else (k - 1) // 2
    return nn.Conv2d(cin, cout, k, stride, pad, padding_mode="replicate")


def _act() -> nn.Module:
    return nn.LeakyReLU(0.2)


def _up() -> nn.Module:
    # Paper silent on the upsampler; bilinear ×2 + 3×3 conv avoids transposed-conv checkerboards.
    return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)


def unit_range(x: torch.Tensor) -> torch.Tensor:
    """Values clamped to [0, 1] with an identity gradient (straight-through).

    The paper's generators end in a plain convolution (no squashing); the uniform contract wants
    [0, 1] outputs, and a hard clamp would block the L1 gradient of pixels that overshoot.
    """
    return x + (x.clamp(0.0, 1.0) - x).detach()


def lr_target(image: torch.Tensor) -> torch.Tensor:
    """I_gt^lr of §4.2: ``image`` (N×3×H×W) down-sampled 4× by 4×4 area averaging (paper: method unstated)."""
    return F.avg_pool2d(image, 4)


class DeepGINOutput(NamedTuple):
    """All N×3 tensors in [0, 1]. ``out`` (I_out, H×W) is the final image; ``coarse`` (I_coarse,
    H×W) is G1's output; ``lr`` (Ī_lr, H/4×W/4) is the low-resolution image used for back projection."""

    out: torch.Tensor
    coarse: torch.Tensor
    lr: torch.Tensor


class CoarseGenerator(nn.Module):
    """G1 (§4.1): 4-channel input (image with white holes, mask) → raw RGB (unbounded)."""

    def __init__(self, width: float = 1.0, rates: Sequence[int] = COARSE_RATES, blocks: int = N_BLOCKS) -> None:
        super().__init__()
        c32, c64, c128, c256 = (_ch(c, width) for c in (32, 64, 128, 256))
        self.encoder = nn.Sequential(
            _conv(4, c32, 7), _act(),
            _conv(c32, c64, 4, 2), _act(),
            _conv(c64, c128, 4, 2), _act(),
            _conv(c128, c256, 4, 2), _act(),
        )  # fmt: skip
        self.blocks = nn.Sequential(*(SPDResBlock(c256, rates) for _ in range(blocks)))  # at H/8 (32² for 256²)
        self.decoder = nn.Sequential(
            _up(), _conv(c256, c128), _act(),
            _up(), _conv(c128, c64), _act(),
            _up(), _conv(c64, c32), _act(),
            _conv(c32, 3, 7),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.blocks(self.encoder(x)))


class RefineGenerator(PaperNetwork):
    """G2 (§4.1): 4-channel input (composited coarse image, mask) → raw (I_out before BP, alpha, Ī_lr).

    Encoder to H/16 (16² for 256²); SPD blocks with an SA block after the third ("an SA block in
    between at the middle layers"); MSSA: the 64² and 32² encoder features are reduced to half their
    channels by a 3×3 conv, passed through SA, and concatenated into the decoder at the same scale
    (then fused by a 3×3 conv). The 64² decoder layer also emits Ī_lr; the last layer emits I_out
    and a sigmoid weight map for the back-projected residual.
    """

    def __init__(self, width: float = 1.0, rates: Sequence[int] = REFINE_RATES, blocks: int = N_BLOCKS) -> None:
        super().__init__()
        c32, c64, c128, c256, c512 = (_ch(c, width) for c in (32, 64, 128, 256, 512))
        self.enc1 = nn.Sequential(_conv(4, c32, 7), _act())
        self.enc2 = nn.Sequential(_conv(c32, c64, 4, 2), _act())  # H/2
        self.enc3 = nn.Sequential(_conv(c64, c128, 4, 2), _act())  # H/4 (64²)
        self.enc4 = nn.Sequential(_conv(c128, c256, 4, 2), _act())  # H/8 (32²)
        self.enc5 = nn.Sequential(_conv(c256, c512, 4, 2), _act())  # H/16 (16²)
        self.reduce3 = nn.Sequential(_conv(c128, c128 // 2), _act())
        self.reduce4 = nn.Sequential(_conv(c256, c256 // 2), _act())
        self.sa64 = SelfAttention(c128 // 2)
        self.sa32 = SelfAttention(c256 // 2)
        half = blocks // 2
        self.mid_a = nn.Sequential(*(SPDResBlock(c512, rates) for _ in range(half)))
        self.sa16 = SelfAttention(c512)
        self.mid_b = nn.Sequential(*(SPDResBlock(c512, rates) for _ in range(blocks - half)))
        self.dec1 = nn.Sequential(_up(), _conv(c512, c256), _act())  # H/8
        self.mix1 = nn.Sequential(_conv(c256 + c256 // 2, c256), _act())
        self.dec2 = nn.Sequential(_up(), _conv(c256, c128), _act())  # H/4
        self.mix2 = nn.Sequential(_conv(c128 + c128 // 2, c128), _act())
        self.lr_head = nn.Sequential(_conv(c128, c32), _act(), _conv(c32, 3))  # Ī_lr at H/4
        self.dec3 = nn.Sequential(_up(), _conv(c128, c64), _act())  # H/2
        self.dec4 = nn.Sequential(_up(), _conv(c64, c32), _act())  # H
        self.to_rgb = _conv(c32, 3, 7)
        self.to_alpha = _conv(c32, 1)  # BP weight ("learning to weight the BP residual")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        e3 = self.enc3(self.enc2(self.enc1(x)))
        e4 = self.enc4(e3)
        m = self.mid_b(self.sa16(self.mid_a(self.enc5(e4))))
        d = self.mix1(torch.cat([self.dec1(m), self.sa32(self.reduce4(e4))], dim=1))
        d = self.mix2(torch.cat([self.dec2(d), self.sa64(self.reduce3(e3))], dim=1))
        lr = self.lr_head(d)
        d = self.dec4(self.dec3(d))
        alpha = torch.sigmoid(self.to_alpha(d))
        return self.to_rgb(self.variant.head_input(d, x[:, :3], x[:, 3:4])), alpha, lr


class DeepGIN(PaperNetwork):
    """The DeepGIN generator (G1 + G2), uniform forward contract.

    ``forward(image, hole)``: image float32 N×3×H×W RGB in [0, 1] with hole pixels zeroed, hole
    float32 N×1×H×W (1 = hole); H, W multiples of 16 (256 is the paper's size). Returns
    :class:`DeepGINOutput` (``out`` is the final image). Raw predictions; the caller composites.
    """

    # engine.paper.PaperNetwork: G2's output conv first, then G1's and the Ī_lr head's (all linear).
    heads = ("refine.to_rgb", "coarse.decoder.9", "refine.lr_head.2")

    def __init__(
        self, width: float = 1.0, coarse_rates: Sequence[int] = COARSE_RATES, refine_rates: Sequence[int] = REFINE_RATES
    ) -> None:
        super().__init__()
        self.width = width
        self.coarse = CoarseGenerator(width, coarse_rates)
        self.refine = RefineGenerator(width, refine_rates)
        self._init_weights()

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        old = self.refine.to_rgb
        self.refine.to_rgb = _conv(old.in_channels + extra_inputs, outputs, 7)

    def _init_weights(self) -> None:
        # §5.1 cites ESRGAN's "smaller initialisation": Kaiming init, scaled by 0.1 on the residual
        # branches (SPD blocks) so the deep stack starts close to identity; SA output convs stay zero.
        for conv in self.modules():
            if isinstance(conv, nn.Conv2d):
                nn.init.kaiming_normal_(conv.weight, a=0.2, mode="fan_in", nonlinearity="leaky_relu")
                nn.init.zeros_(conv.bias)
        for block in self.modules():
            if isinstance(block, SPDResBlock):
                for conv in block.modules():
                    if isinstance(conv, nn.Conv2d):
                        conv.weight.data.mul_(0.1)
            elif isinstance(block, SelfAttention):
                nn.init.zeros_(block.w.weight)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> DeepGINOutput:
        h, w = image.shape[-2:]
        if h % PAD_MULTIPLE or w % PAD_MULTIPLE:
            raise ValueError(f"DeepGIN needs sides that are multiples of {PAD_MULTIPLE}, got {w}×{h}")
        v = self.variant
        known = image * (1.0 - hole)
        # Official inference fills holes with white (REFERENCE.md); §4.1: G1 sees (I_in, M).
        coarse = self.coarse(torch.cat([v.hole_input(image, hole, fill=1.0), hole], dim=1))
        coarse = unit_range(v.head_output(coarse, image, main=False))
        # §3: G2 sees I_coarse and M; the known pixels are put back first so G2 refines only the hole.
        merged = coarse * hole + known
        raw, alpha, lr = self.refine(torch.cat([merged, hole], dim=1))
        completed = unit_range(v.head_output(raw, merged)) * hole + known
        # Back projection (§4.1, Fig. 2): compare Ī_lr with the down-sampled completed image and add
        # the up-sampled residual, weighted per pixel by the learned alpha. The prefill variant's Ī_lr
        # head corrects the down-sampled *completed* image, so the residual is that correction alone
        # and starts at zero. Correcting G2's input instead (as the shipped weights up to issue #16
        # did) made the residual undo G2's correction at scales of 4 px and more: with alpha ≈ 1 in
        # the hole, back projection put the Navier–Stokes fill's low frequencies back (measured: +0.17 dB over
        # Navier–Stokes with it, +1.09 dB with alpha = 0, same weights; resources/weights/deepgin.md).
        lr = unit_range(v.head_output(lr, lr_target(completed), main=False))
        residual = lr - lr_target(completed)
        out = completed + alpha * F.interpolate(residual, scale_factor=4, mode="bilinear", align_corners=False)
        return DeepGINOutput(out=unit_range(out), coarse=coarse, lr=lr)


# --- sub-sampling (§6.1) and self-ensemble (REFERENCE.md) ------------------------------------------------


def split_subimages(x: torch.Tensor, sy: int, sx: int) -> torch.Tensor:
    """Interleaved sub-sampling: N×C×H×W → (N·sy·sx)×C×(H/sy)×(W/sx).

    Pixel (i, j) goes to sub-image (i mod sy, j mod sx) at position (i // sy, j // sx); sub-images
    are ordered n-major, then row phase, then column phase. H and W must be multiples of sy and sx.
    """
    n, c, h, w = x.shape
    if h % sy or w % sx:
        raise ValueError(f"cannot split {w}×{h} into {sx}×{sy} interleaved sub-images")
    y = x.reshape(n, c, h // sy, sy, w // sx, sx).permute(0, 3, 5, 1, 2, 4)
    return y.reshape(n * sy * sx, c, h // sy, w // sx)


def merge_subimages(x: torch.Tensor, sy: int, sx: int) -> torch.Tensor:
    """Inverse of :func:`split_subimages`: (N·sy·sx)×C×h×w → N×C×(h·sy)×(w·sx)."""
    nss, c, h, w = x.shape
    n = nss // (sy * sx)
    y = x.reshape(n, sy, sx, c, h, w).permute(0, 3, 4, 1, 5, 2)
    return y.reshape(n, c, h * sy, w * sx)


_Transform = Callable[[torch.Tensor], torch.Tensor]
# (forward, inverse) pairs on the spatial dims: identity, rotations by 90/180/270 degrees, horizontal flip.
ENSEMBLE: tuple[tuple[_Transform, _Transform], ...] = (
    (lambda t: t, lambda t: t),
    (lambda t: torch.rot90(t, 1, (2, 3)), lambda t: torch.rot90(t, -1, (2, 3))),
    (lambda t: torch.rot90(t, 2, (2, 3)), lambda t: torch.rot90(t, -2, (2, 3))),
    (lambda t: torch.rot90(t, 3, (2, 3)), lambda t: torch.rot90(t, -3, (2, 3))),
    (lambda t: torch.flip(t, (3,)), lambda t: torch.flip(t, (3,))),
)


def subsample_factors(h: int, w: int, native: int = NATIVE) -> tuple[int, int]:
    """Sub-sampling factors (sy, sx) so every sub-image side is at most ``native``."""
    return max(1, math.ceil(h / native)), max(1, math.ceil(w / native))


def complete(
    module: DeepGIN,
    image: torch.Tensor,
    hole: torch.Tensor,
    ensemble: bool = False,
    native: int = NATIVE,
    chunk: int = 2,
) -> torch.Tensor:
    """Run DeepGIN on an image of any size; returns I_out (N×3×H×W in [0, 1], uncomposited).

    image: float32 N×3×H×W RGB in [0, 1], holes zeroed (or filled, for a variant that fills them);
    hole: float32 N×1×H×W, 1 = hole.
    Images with a side above ``native`` are replicate-padded so that each side is a multiple of
    16·s (s = ceil(side / native)) and split into s_y·s_x interleaved sub-images of at most
    native² (exactly 256² for a 512² input, as in the paper); each is completed, optionally with the
    5-way self-ensemble, and the results are regrouped and cropped. ``chunk`` sub-images per forward
    bounds memory (the 64² self-attention holds 16.7 M scores per image).
    """
    _, _, h, w = image.shape
    sy, sx = subsample_factors(h, w, native)
    ph, pw = (-h) % (PAD_MULTIPLE * sy), (-w) % (PAD_MULTIPLE * sx)
    if ph or pw:
        # Paper silent on sizes that do not divide; replicate keeps edge statistics, hole included.
        image = F.pad(image, (0, pw, 0, ph), mode="replicate")
        hole = F.pad(hole, (0, pw, 0, ph), mode="replicate")
    xs, ms = split_subimages(image, sy, sx), split_subimages(hole, sy, sx)
    transforms = ENSEMBLE if ensemble else ENSEMBLE[:1]
    outs = []
    for start in range(0, xs.shape[0], chunk):
        x, m = xs[start : start + chunk], ms[start : start + chunk]
        acc = torch.zeros_like(x)
        for fwd, inv in transforms:
            acc += inv(module(fwd(x), fwd(m)).out)
        outs.append(acc / len(transforms))
    return merge_subimages(torch.cat(outs, dim=0), sy, sx)[:, :, :h, :w]


class DeepGINEngine(TorchEngine):
    """Engine wrapper: sub-sampling for large tiles, optional self-ensemble."""

    network = DeepGIN

    def run(
        self, image: torch.Tensor, hole: torch.Tensor, options: Mapping[str, Any]
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        # Sub-sample only above the weights' own working size: weights exported for 512² (chosen by
        # evaluation) fill a 512² crop whole. Interleaving independently completed sub-images breaks the
        # hole-edge geometry the smoothing head's edge maps measure, and adds a checkerboard.
        ensemble = bool(options.get("self_ensemble", False))
        return complete(self.module, image, hole, ensemble=ensemble, native=self.native_resolution), {}


SPEC = register(
    EngineSpec(
        name="deepgin",
        display_name="DeepGIN",
        paper="Li et al., DeepGIN: Deep Generative Inpainting Network for Extreme Image Inpainting (ECCV-W 2020)",
        native_resolution=NATIVE,
        pad_multiple=PAD_MULTIPLE,
        loader=DeepGINEngine,
        capabilities=frozenset({CAP_LEARNED}),
        default_weights="deepgin.safetensors",
        options=(
            OptionSpec(
                "self_ensemble",
                "bool",
                False,
                "Self-ensemble (5×)",
                help="Average the results for rotations 0/90/180/270° and a flip: slightly smoother, 5× slower.",
            ),
        ),
        description="Coarse-to-fine generator with spatial-pyramid dilation, multi-scale self-attention and "
        "back projection; crops above the weights' working size are completed as interleaved sub-images.",
    )
)
