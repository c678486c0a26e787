"""Warm starts from exported weights into a network with more input channels."""

from __future__ import annotations

import torch


def widen_inputs(tensors: dict[str, torch.Tensor], net: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Conv weights that lack input channels the network now has (e.g. a head given ``edge_radii``
    maps on top of the init file's inputs) get zero weights for the new inputs, so the warm start
    computes exactly what the init file did. Any other shape difference is left to load_state_dict."""
    own = net.state_dict()
    out = dict(tensors)
    for key, value in tensors.items():
        target = own.get(key)
        if (
            target is not None
            and value.dim() == 4
            and target.dim() == 4
            and value.shape[0] == target.shape[0]
            and value.shape[2:] == target.shape[2:]
            and value.shape[1] < target.shape[1]
        ):
            pad = value.new_zeros(value.shape[0], target.shape[1] - value.shape[1], *value.shape[2:])
            out[key] = torch.cat([value, pad], dim=1)
    return out
