"""Inference-time rewrites of a loaded network that keep its outputs (up to float rounding).

- Batch normalisation folded into the convolution before it: in eval mode BN is a per-channel
  affine map ``y = (x − μ)·γ/σ + β`` (σ = sqrt(var + eps)), so ``BN(conv(x))`` is a convolution
  with weights scaled by γ/σ and bias ``(b − μ)·γ/σ + β``. Saves one full pass over every feature
  map (GLCIC: ~15 % of its CPU forward at 512²).

Tried and dropped (no gain measured by ``benchmarks/engines.py``): baking ISNet's spectral-norm
parametrizations into plain weights.

Only for inference: the folded module has no BatchNorm statistics left to train.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn


def fold_conv_bn(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` (eval statistics) into ``conv`` in place; ``bn`` must then be dropped."""
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics")
    with torch.no_grad():
        scale = bn.running_var.add(bn.eps).rsqrt()
        if bn.weight is not None:
            scale = scale * bn.weight
        shift = -bn.running_mean * scale
        if bn.bias is not None:
            shift = shift + bn.bias
        w = conv.weight
        # Output channels are dim 0 of a Conv2d weight and dim 1 of a ConvTranspose2d weight.
        view = (1, -1, 1, 1) if isinstance(conv, nn.ConvTranspose2d) else (-1, 1, 1, 1)
        w.mul_(scale.view(view))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(scale)
        new_bias = bias * scale + shift
        if conv.bias is None:
            conv.bias = nn.Parameter(new_bias)
        else:
            conv.bias.copy_(new_bias)


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every BatchNorm2d that directly follows a Conv2d/ConvTranspose2d inside an
    ``nn.Sequential`` of ``module`` (replaced by Identity). Returns how many were folded."""
    folded = 0
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        names = list(seq._modules)
        for a, b in itertools.pairwise(names):
            conv, bn = seq._modules[a], seq._modules[b]
            if (
                isinstance(conv, nn.Conv2d | nn.ConvTranspose2d)
                and isinstance(bn, nn.BatchNorm2d)
                and conv.groups == 1
                and bn.track_running_stats
            ):
                fold_conv_bn(conv, bn)
                seq._modules[b] = nn.Identity()
                folded += 1
    return folded


def prepare_for_inference(module: nn.Module) -> nn.Module:
    """eval mode with BatchNorm folded; returns ``module`` (changed in place)."""
    module.eval()
    fold_batchnorm(module)
    return module
