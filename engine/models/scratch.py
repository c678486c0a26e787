"""Scratch-and-dust segmentation U-Net (a damage *detector*, not an inpainting engine).

Anchor: Wan et al., "Bringing Old Photos Back to Life", CVPR 2020, §3.3 ("Scratch detection"):
a U-Net trained on synthetic scratches to output a per-pixel damage probability, with a loss that
copes with the few positive pixels of thin structures (they use a weighted cross entropy; the
project's recipe uses BCE + soft Dice, see training/recipes/scratch.py). Where we deviate for
the 2-core CPU budget:

- width: the paper's U-Net has 64…1024 channels over 5 levels; ``width=1.0`` here means base 16,
  doubled per level up to 4 levels (16, 32, 64, 128). Channels scale as ``max(4, round(c * width))``.
  The shipped weights record their width; ``benchmarks/restore_speed.py`` measures seconds per megapixel.
- each level is two 3×3 conv + BatchNorm + ReLU blocks (folded at inference by engine.fuse);
  downsampling is max-pooling (keeps a 1 px bright or dark line's response, which average pooling
  would dilute), upsampling bilinear + 1×1 conv (no checkerboard artefacts along thin lines).
- the input is the RGB scan in [0, 1] plus its luma minus a 7×7 box-blurred luma: the local
  contrast a scratch stands out by, which otherwise costs the first layers capacity.
- optional **oriented line evidence** (``lines`` > 0 orientations; not in the paper, our choice):
  the luma average-pooled to 1/2 and 1/4 resolution, its local contrast there, averaged along
  ``lines`` oriented line kernels of 21 px (42 and 84 px of the scan), split into its bright and
  dark part and reduced to *max minus mean over orientations* (× the pooling factor, so a 1 px line
  reads alike at both scales): high where contrast keeps one sign along a line (a scratch), near
  zero in isotropic texture (foliage, fur, grain), whatever the orientation. The small U-Net's
  receptive field (~100 px) cannot tell a long straight scratch over busy texture from twigs; this
  prior is the line-integral cue of classical film-scratch detectors, given as 4 extra input maps
  (bright/dark × 2 scales, upsampled bilinearly) for the network to weigh. Off in the shipped file:
  it lit up plank gaps as brightly as scratches (model card, "Not shipped").

This module deliberately registers no :class:`~engine.registry.EngineSpec` (``engine.registry``
imports every module here): it registers a detector with :mod:`engine.detectors` instead, so it
never shows up among the inpainting engines of the CLI, the GUI picker or the compare grid.

Forward contract (differs from the inpainting engines': there is no hole input):
``forward(image)`` with ``image`` float32 N×3×H×W RGB in [0, 1], H and W multiples of
``2 ** (depth - 1)``; returns damage *logits* float32 N×1×H×W (sigmoid → probability).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine.detectors import DetectorSpec, register_detector


def _ch(c: int, width: float) -> int:
    return max(4, round(c * width))


class _Block(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


LINE_KERNEL = 21  # px at the pooled scale
LINE_SCALES = (2, 4)  # pooling factors: the kernels span 42 and 84 px of the scan


def line_kernels(orientations: int, length: int = LINE_KERNEL) -> torch.Tensor:
    """float32 orientations×1×length×length averaging kernels (each sums to 1) along lines through
    the centre at angles k·π/orientations: an antialiased 1 px line (weight falling linearly from 1 on
    the line to 0 at 1 px from it), so a thin scratch is not averaged with the picture beside it."""
    r = (length - 1) / 2
    yy, xx = torch.meshgrid(torch.arange(length) - r, torch.arange(length) - r, indexing="ij")
    out = []
    for k in range(orientations):
        a = math.pi * k / orientations
        across = (-math.sin(a) * xx + math.cos(a) * yy).abs()
        along = (math.cos(a) * xx + math.sin(a) * yy).abs()
        w = (1.0 - across).clamp(0, 1) * (along <= r + 0.5)
        out.append(w / w.sum())
    return torch.stack(out)[:, None].float()


class ScratchUNet(nn.Module):
    """U-Net: ``depth`` levels, base channels 16·width doubling per level up to ``cap``·width (0: no
    cap); logits out. ``lines``: number of orientations of the oriented line evidence inputs (0: none).

    Context: a scratch and a mast, a wire or an outline look alike in a 100 px window; what tells them
    apart is what they connect to and whether the picture continues along them. Each extra level
    doubles the receptive field (depth 4 ≈ 140 px, depth 6 ≈ 570 px) at little cost, since the deep
    levels run at 1/16 and 1/32 of the resolution; ``cap`` keeps their channel count (and the
    weights file) small. The first level stays at full resolution: the head that draws 1 px lines."""

    def __init__(self, width: float = 1.0, depth: int = 4, base: int = 16, lines: int = 0, cap: int = 0) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError("depth must be at least 2")
        if lines < 0 or lines == 1:
            raise ValueError("lines must be 0 (off) or at least 2 orientations")
        self.depth = depth
        self.lines = lines
        # A buffer, not a parameter: the kernels are fixed geometry, not learned (persistent=False
        # keeps them out of the weights file; they are rebuilt from ``lines``).
        self.register_buffer("line_k", line_kernels(lines) if lines else torch.zeros(0), persistent=False)
        chans = [_ch(min(base * 2**i, cap) if cap else base * 2**i, width) for i in range(depth)]
        self.enc = nn.ModuleList()
        cin = 4 + (2 * len(LINE_SCALES) if lines else 0)  # RGB + local luma contrast (+ line evidence)
        for c in chans:
            self.enc.append(_Block(cin, c))
            cin = c
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for i in range(depth - 2, -1, -1):
            self.up.append(nn.Conv2d(chans[i + 1], chans[i], 1))
            self.dec.append(_Block(2 * chans[i], chans[i]))
        self.head = nn.Conv2d(chans[0], 1, 1)
        # Damage is rare: start at p ≈ 0.01 so the first steps are not spent unlearning p = 0.5.
        nn.init.constant_(self.head.bias, -4.6)

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return 2 ** (self.depth - 1)

    @property
    def context(self) -> int:
        """Px of real image a tile needs on each side: 6 × the size multiple, plus the reach of
        the coarsest line kernel when the line inputs are on."""
        reach = max(LINE_SCALES) * (LINE_KERNEL // 2 + 1) if self.lines else 0
        return 6 * self.multiple + reach

    def line_evidence(self, luma: torch.Tensor) -> torch.Tensor:
        """N×4×H×W line evidence (bright, dark at 1/2 scale; bright, dark at 1/4), ≥ 0 in luma units,
        of an N×1×H×W luma in [0, 1] (see the module docstring)."""
        pad = LINE_KERNEL // 2
        maps = []
        for s in LINE_SCALES:
            # Linear until the end: the pooled luma's own contrast (against a 9×9 box of the pooled
            # scale, so a thin line's dark core is not cancelled by the bright halo a tighter box puts
            # beside it), line-averaged with its *sign*: texture averages towards 0 along any line
            # while a scratch keeps its sign over the whole kernel.
            pooled = F.avg_pool2d(luma, s, ceil_mode=True)
            contrast = pooled - F.avg_pool2d(pooled, 9, stride=1, padding=4, count_include_pad=False)
            r = F.conv2d(contrast, self.line_k, padding=pad)
            r = torch.stack([r.clamp(min=0), (-r).clamp(min=0)], 1)  # N×2×orientations×h×w: bright, dark
            r = r.amax(2) - r.mean(2)
            maps.append(F.interpolate(r, size=luma.shape[-2:], mode="bilinear", align_corners=False) * s)
        return torch.cat(maps, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        luma = 0.299 * image[:, 0:1] + 0.587 * image[:, 1:2] + 0.114 * image[:, 2:3]
        contrast = luma - F.avg_pool2d(luma, 7, stride=1, padding=3, count_include_pad=False)
        x = torch.cat([image, contrast * 4.0], 1)
        if self.lines:
            x = torch.cat([x, self.line_evidence(luma) * 4.0], 1)
        skips = []
        for i, block in enumerate(self.enc):
            if i:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips[:-1]), strict=True):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


DETECTOR = register_detector(
    DetectorSpec(
        name="scratch",
        display_name="Scratch & dust U-Net",
        paper="Wan et al., Bringing Old Photos Back to Life, CVPR 2020, §3.3",
        default_weights="scratch.safetensors",
        network=ScratchUNet,
    )
)
