"""The interface every paper network of :mod:`engine.models` shares, and the seams a variant composes with.

Every inpainting network of :mod:`engine.models` subclasses :class:`PaperNetwork` and computes its paper. At the few
points where a *variant* of the paper (today only the prefill residual of :mod:`engine.residual`,
a deviation made for the CPU training budget) computes something else, the forward calls a seam
of ``self.variant``; the default, :data:`PAPER`, makes every seam the paper's own step, so a network
without a variant is exactly its paper. A variant is installed on a built network (it replaces or
re-initialises the layers the network names below) and never adds layers inside the trunk, so
the tensor names and the parameter order of a network stay those of its paper.

What a network declares for a variant (all optional; a network declares what it has):

- ``heads``: attribute paths of the layers that turn features into an image, the one that gives
  the final image first (GLCIC ``"layers.16"``). With :meth:`PaperNetwork.rebuild_head` the
  variant can replace the first by a linear layer of the same kind with more inputs or outputs;
  the others must already be linear (the variant only re-initialises them).
- ``head_sees_input``: the first head already sees the network input (PConv's last layer gets the
  input image through its skip connection), so a variant need not append it.
- ``reads_hole``: False for networks that mask the hole out (partial convolutions): a fill in the
  hole is invisible to them, so a variant hands them the filled image as a second channel group
  through :meth:`PaperNetwork.widen_input` and the ``masked_input`` seam.
- ``gates``: paths of the last convolution of each sigmoid gate that blends a prediction with the
  network's input image (DFNet's alpha maps), and ``blend_channels``: channels of the features a
  network hands to the ``blend_image`` seam; ``gate_heads``: paths of the ``Sequential(conv, sigmoid)``
  layers that make the prediction each gate blends in (DFNet's raw completions C_k).

The seams (:class:`PaperVariant`) are called by the networks' forwards; see each method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn


class PaperVariant:
    """The paper's behaviour at every seam (the identity, or the paper's own hole value). Variants
    (:class:`engine.residual.PrefillResidual`) subclass it and override what they change; they hold
    no weights (a network's layers stay in the network) and are installed by their ``apply``."""

    def hole_input(self, x: torch.Tensor, hole: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        """``x`` (N×C×H×W, the input as the network's first layer reads it) with its hole set to the
        paper's hole value ``fill`` (zeros; white; 0 after the mean pixel was subtracted)."""
        out = x * (1.0 - hole)
        return out + fill * hole if fill else out

    def masked_input(self, image: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For networks that mask the hole out: (what the first partial convolution convolves,
        its mask summed over the input channels N×1×H×W, the mask of the input image where a skip
        connection concatenates it N×1×H×W). ``valid``: N×1×H×W, 1 = known pixel."""
        return image * valid, valid * image.shape[1], valid

    def head_input(
        self, feats: torch.Tensor, image: torch.Tensor, hole: torch.Tensor, skip: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The features the first head sees (N×C×H×W). ``skip``: the network input as the network
        centres it, for a variant that appends it (default ``[image·2 − 1, hole·2 − 1]``)."""
        return feats

    def head_output(
        self,
        raw: torch.Tensor,
        base: torch.Tensor,
        act: Callable[[torch.Tensor], torch.Tensor] | None = None,
        main: bool = True,
    ) -> torch.Tensor:
        """The image a head's result ``raw`` stands for: ``act(raw)`` in the paper (``act`` = the
        paper's output activation outside the head module, if any). ``base``: the network's input
        image at the head's resolution, which a variant corrects instead; ``main``: the first head."""
        return act(raw) if act is not None else raw

    def blend_image(self, network: nn.Module, base: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """The image a gate blends the prediction with: the network's input ``base`` in the paper;
        ``feats`` are the features a variant may read a correction of ``base`` from."""
        return base

    def fusion_images(
        self, image: torch.Tensor, hole: torch.Tensor, size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(I_k, B_k) for a gate at ``size`` = (h, w), from the network input ``image`` N×3×H×W and
        ``hole`` N×1×H×W (1 = hole): I_k is what the gate blends the prediction with (the paper: the
        input, area-resized); B_k, if not None, the image the prediction is a correction of (the
        paper: None, the prediction is the network's own)."""
        return _area(image, size), None


def _area(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return x if tuple(x.shape[-2:]) == tuple(size) else F.interpolate(x, size=size, mode="area")


#: The paper itself: every network's default variant.
PAPER = PaperVariant()


class PaperNetwork(nn.Module):
    """Base of the paper networks: the uniform forward contract (docs/CONTRIBUTING-CONTRACTS.md)
    plus the declarations of the module docstring. ``variant`` is a plain attribute (no weights)."""

    variant: PaperVariant = PAPER
    heads: ClassVar[tuple[str, ...]] = ()
    head_sees_input: ClassVar[bool] = False
    reads_hole: ClassVar[bool] = True
    gates: tuple[str, ...] = ()
    gate_heads: tuple[str, ...] = ()
    has_gate_heads: ClassVar[bool] = False  # the class builds gate_heads (checked before building)
    blend_channels: int = 0

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        """Replace head ``name`` (its path) by a *linear* layer of the same kind (no output
        activation) with ``extra_inputs`` more input channels and ``outputs`` output channels."""
        raise NotImplementedError(f"{type(self).__name__} cannot rebuild its head {name!r}")

    def widen_input(self, extra_inputs: int) -> None:
        """For networks that mask the hole out: let the first layer take ``extra_inputs`` more
        input channels (a second channel group, valid everywhere)."""
        raise NotImplementedError(f"{type(self).__name__} cannot widen its input layer")
