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

This module deliberately registers no :class:`~engine.registry.EngineSpec` (``engine.registry``
imports every module here): it registers a detector with :mod:`engine.detectors` instead, so it
never shows up among the inpainting engines of the CLI, the GUI picker or the compare grid.

Forward contract (differs from the inpainting engines': there is no hole input):
``forward(image)`` with ``image`` float32 N×3×H×W RGB in [0, 1], H and W multiples of
``2 ** (depth - 1)``; returns damage *logits* float32 N×1×H×W (sigmoid → probability).
"""

from __future__ import annotations

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


class ScratchUNet(nn.Module):
    """U-Net: ``depth`` levels, base channels 16·width doubling per level; logits out."""

    def __init__(self, width: float = 1.0, depth: int = 4, base: int = 16) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError("depth must be at least 2")
        self.depth = depth
        chans = [_ch(base * 2**i, width) for i in range(depth)]
        self.enc = nn.ModuleList()
        cin = 4  # RGB + local luma contrast
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

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        luma = 0.299 * image[:, 0:1] + 0.587 * image[:, 1:2] + 0.114 * image[:, 2:3]
        contrast = luma - F.avg_pool2d(luma, 7, stride=1, padding=3, count_include_pad=False)
        x = torch.cat([image, contrast * 4.0], 1)
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
