"""Discriminators used only in training (GLCIC, DeepGIN, ISNet).

Channel counts take the same ``width`` multiplier as the generators (``max(8, round(c * width))``),
so a width-0.5 run halves the discriminators too (CPU budget); ``width=1`` is the paper.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def ch(c: int, width: float) -> int:
    """Scaled channel count, at least 8."""
    return max(8, round(c * width))


def _glcic_trunk(channels: list[int], width: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in = 3
    for c in channels:
        c = ch(c, width)
        # GLCIC Table 3: 5×5 convolutions, stride 2, BatchNorm + ReLU (§3.4 "BN after all convolutional
        # layers except the last layers" — the last layers are the FC heads).
        layers += [nn.Conv2d(c_in, c, 5, stride=2, padding=2), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        c_in = c
    return nn.Sequential(*layers)


class GLCICDiscriminator(nn.Module):
    """GLCIC §3.3 / Table 3: global (6 convs + FC 1024) and local (5 convs + FC 1024) context
    discriminators, concatenated to 2048 and mapped by one FC layer to a logit (sigmoid = P(real)).

    ``global_size``: side the whole image is resized to (paper 256). ``local_size``: side of the patch
    around the completed region (paper 128). Both must be multiples of 64 / 32 respectively so the
    trunks end on whole feature maps (4×4 at the paper's sizes). Returns logits N×1.
    """

    def __init__(self, width: float = 1.0, global_size: int = 256, local_size: int = 128) -> None:
        super().__init__()
        if global_size % 64 or local_size % 32:
            raise ValueError("GLCIC discriminator sizes must be multiples of 64 (global) and 32 (local)")
        self.global_size, self.local_size = global_size, local_size
        self.global_trunk = _glcic_trunk([64, 128, 256, 512, 512, 512], width)
        self.local_trunk = _glcic_trunk([64, 128, 256, 512, 512], width)
        c = ch(512, width)
        self.global_fc = nn.Linear(c * (global_size // 64) ** 2, 1024)
        self.local_fc = nn.Linear(c * (local_size // 32) ** 2, 1024)
        self.head = nn.Linear(2048, 1)

    def forward(self, image: torch.Tensor, local_patch: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] != self.global_size or image.shape[-2] != self.global_size:
            image = F.interpolate(image, size=(self.global_size,) * 2, mode="bilinear", align_corners=False)
        g = F.relu(self.global_fc(self.global_trunk(image).flatten(1)))
        loc = F.relu(self.local_fc(self.local_trunk(local_patch).flatten(1)))
        return self.head(torch.cat([g, loc], dim=1))


def hole_boxes(hole: torch.Tensor, size: int) -> list[tuple[int, int]]:
    """Top-left corners of ``size``-square patches centred on each sample's hole bounding box.

    ``hole``: N×1×H×W (1 = hole). Patches are shifted to stay inside the image; a sample without
    a hole gets the centre patch (GLCIC: a random patch for real images; the caller picks those).
    """
    n, _, h, w = hole.shape
    out: list[tuple[int, int]] = []
    for i in range(n):
        ys, xs = torch.nonzero(hole[i, 0] > 0.5, as_tuple=True)
        if len(ys):
            cy = (int(ys.min()) + int(ys.max())) // 2
            cx = (int(xs.min()) + int(xs.max())) // 2
        else:
            cy, cx = h // 2, w // 2
        y0 = min(max(cy - size // 2, 0), h - size)
        x0 = min(max(cx - size // 2, 0), w - size)
        out.append((y0, x0))
    return out


def crop_patches(images: torch.Tensor, corners: list[tuple[int, int]], size: int) -> torch.Tensor:
    """Stack of ``size``² crops of ``images`` (N×C×H×W) at the given corners."""
    return torch.stack([images[i, :, y : y + size, x : x + size] for i, (y, x) in enumerate(corners)])


class _SNPatch(nn.Module):
    """Spectral-normalised convolution stack returning its output and every layer's activations."""

    def __init__(self, specs: list[tuple[int, int, int, int]], in_ch: int, last_act: bool = False) -> None:
        super().__init__()
        self.convs = nn.ModuleList()
        c_in = in_ch
        for c_out, k, s, p in specs:
            self.convs.append(spectral_norm(nn.Conv2d(c_in, c_out, k, stride=s, padding=p)))
            c_in = c_out
        self.last_act = last_act

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        feats: list[torch.Tensor] = []
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i < len(self.convs) - 1 or self.last_act:
                x = F.leaky_relu(x, 0.2)
            feats.append(x)
        return x, feats


class DeepGINDiscriminator(nn.Module):
    """DeepGIN §3.2 "Conditional Multi-Scale Discriminators": D1 at full scale (256²) and D2 at half
    (128²), each an SN PatchGAN on the concatenation (I_in, I) of two RGB images, ending at H/4 × W/4.

    The paper fixes the input scales, the conditioning, SN after every convolution and the H/2²
    output; layer count and channels are not given: we use pix2pixHD-style 4×4 convs 64-128 stride 2
    then 256 and 1 at stride 1 (one logit per patch). Returns [logits of D1, logits of D2].
    """

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        specs = [(ch(64, width), 4, 2, 1), (ch(128, width), 4, 2, 1), (ch(256, width), 3, 1, 1), (1, 3, 1, 1)]
        self.d1 = _SNPatch(specs, 6)
        self.d2 = _SNPatch(specs, 6)

    def forward(self, image_in: torch.Tensor, image: torch.Tensor) -> list[torch.Tensor]:
        x = torch.cat([image_in, image], dim=1)
        small = F.avg_pool2d(x, 2)
        return [self.d1(x)[0], self.d2(small)[0]]


class ISNetOutput(NamedTuple):
    logits: torch.Tensor
    features: list[torch.Tensor]


class ISNetDiscriminator(nn.Module):
    """ISNet §2.2: the EdgeConnect discriminator with spectral normalisation — 4×4 convs 64, 128, 256
    (stride 2), 512 and 1 (stride 1), LeakyReLU 0.2; returns patch logits and all five activations
    (for the feature-matching loss)."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        specs = [
            (ch(64, width), 4, 2, 1),
            (ch(128, width), 4, 2, 1),
            (ch(256, width), 4, 2, 1),
            (ch(512, width), 4, 1, 1),
            (1, 4, 1, 1),
        ]
        self.net = _SNPatch(specs, 3)

    def forward(self, image: torch.Tensor) -> ISNetOutput:
        logits, feats = self.net(image)
        return ISNetOutput(logits, feats)
