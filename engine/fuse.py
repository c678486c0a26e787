"""Inference-time rewrites of a loaded network that keep its outputs (up to float rounding).

- Batch normalisation folded into the convolution before it: in eval mode BN is a per-channel
  affine map, so ``BN(conv(x))`` is one convolution with rescaled weights and a new bias. The
  arithmetic is torch's own (:func:`torch.nn.utils.fusion.fuse_conv_bn_weights`, the routine behind
  ``fuse_conv_bn_eval``, which also handles transposed convolutions). Saves one full pass over every
  feature map (GLCIC: ~15 % of its CPU forward at 512²).

Tried and dropped (no gain measured by ``benchmarks/engines.py``): baking ISNet's spectral-norm
parametrizations into plain weights.

Only for inference: the folded module has no BatchNorm statistics left to train.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.fusion import fuse_conv_bn_weights


def fold_conv_bn(conv: nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> None:
    """Fold ``bn`` (eval statistics) into ``conv`` in place; ``bn`` must then be dropped.

    In place (new ``weight``/``bias`` parameters on the same module object), unlike
    ``fuse_conv_bn_eval``, which returns a copy: a network may hold the convolution under a
    second name, and that reference must see the folded weights too.
    """
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("cannot fold a BatchNorm without running statistics")
    if parametrize.is_parametrized(conv, "weight"):
        # conv.weight is recomputed from the parametrization on every access: new values cannot be stored.
        raise ValueError("cannot fold a BatchNorm into a convolution with a parametrized weight")
    with torch.no_grad():
        conv.weight, conv.bias = fuse_conv_bn_weights(
            conv.weight,
            conv.bias,
            bn.running_mean,
            bn.running_var,
            bn.eps,
            bn.weight,
            bn.bias,
            transpose=isinstance(conv, nn.ConvTranspose2d),
        )


def _foldable(conv: nn.Module, bn: nn.Module) -> bool:
    return (
        isinstance(conv, nn.Conv2d | nn.ConvTranspose2d)
        and isinstance(bn, nn.BatchNorm2d)
        # torch's fusion rescales the output-channel dimension of an ungrouped weight.
        and conv.groups == 1
        and not parametrize.is_parametrized(conv, "weight")
        and bn.track_running_stats
        and bn.running_mean is not None
    )


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every BatchNorm2d that directly follows a Conv2d/ConvTranspose2d inside an
    ``nn.Sequential`` of ``module`` (replaced by Identity). Returns how many were folded."""
    folded = 0
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for a, b in itertools.pairwise(list(seq._modules)):
            conv, bn = seq._modules[a], seq._modules[b]
            if conv is not None and bn is not None and _foldable(conv, bn):
                fold_conv_bn(conv, bn)  # type: ignore[arg-type]
                seq._modules[b] = nn.Identity()
                folded += 1
    return folded


def prepare_for_inference(module: nn.Module) -> nn.Module:
    """eval mode with BatchNorm folded; returns ``module`` (changed in place)."""
    module.eval()
    fold_batchnorm(module)
    return module
