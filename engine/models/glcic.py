"""GLCIC: Iizuka, Simo-Serra, Ishikawa, "Globally and Locally Consistent Image Completion",
SIGGRAPH 2017 (ACM TOG 36(4)).

Completion network exactly as Table 2 (§3.2): 17 layers —
conv 5×5/64; conv 3×3 s2/128; conv 3×3/128; conv 3×3 s2/256; conv 3×3/256 ×2; dilated 3×3/256
with η = 2, 4, 8, 16; conv 3×3/256 ×2; deconv 4×4 ½/128; conv 3×3/128; deconv 4×4 ½/64;
conv 3×3/32; output conv 3×3/3 + sigmoid. ReLU after every layer but the last (Table 2 caption);
BatchNorm after every convolution except the last (§3.5, last paragraph but two).
Input (§3.2, §3.4): RGB with the completion region overwritten by the training set's mean pixel,
plus a binary mask channel (1 = fill) → 4 channels; output RGB in [0, 1] (sigmoid).
Post-processing (§3.5 "Simple post-processing"): fast marching (Telea 2004) then Poisson blending —
the engine option ``poisson``, via :func:`engine.blend.poisson_blend`.

Parameter count at width 1.0: 6,063,200 conv weights + 2,979 biases + 5,952 BatchNorm γ/β
= 6,072,131 ≈ 6.07 M (tests/test_models_glcic.py recomputes it from the table).

Choices where the paper is silent (also commented in the code):
- Padding: "same" (dilation·(k−1)/2) for convolutions, 1 for the 4×4 stride-½ deconvolutions, so
  the output has the input's size whenever H and W are multiples of 4 (two stride-2 levels).
- Mean pixel: the authors' code subtracts the dataset mean from the image and fills holes with it
  (REFERENCE.md); we do the same (so holes are 0 after subtraction). Default: the ImageNet mean
  (0.485, 0.456, 0.406), a widely documented natural-image mean; training records the corpus mean
  in the weights' ``config["mean"]`` and the engine rebuilds with it.
- Width multiplier: all layers but the 3-channel output have ``scaled(c, width)`` channels.

The shipped weights are the prefill variant of this network (:mod:`engine.residual`, not in the
paper); this module is the paper's network and the seams that variant composes with.

Engine: native resolution 512 — the paper's timings start at 512² (Table 4) and the authors' code
caps the long edge at 600 px, while training images have a 256–384 px short side (§3.5), so a long
side of ~512 px matches the scale the network learned. Pad multiple 4 (two stride-2 levels).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.blend import poisson_blend
from engine.layers import ConvNormAct, scaled
from engine.paper import PaperNetwork
from engine.registry import CAP_LEARNED, CAP_POISSON, EngineSpec, FillOutput, OptionSpec, register
from engine.torch_engine import TorchEngine

#: Default mean pixel (RGB in [0, 1]): the ImageNet mean; see the module docstring.
DEFAULT_MEAN = (0.485, 0.456, 0.406)

#: Table 2 rows before the output layer: (type, kernel, dilation, stride, outputs).
TABLE2 = (
    ("conv", 5, 1, 1, 64),
    ("conv", 3, 1, 2, 128),
    ("conv", 3, 1, 1, 128),
    ("conv", 3, 1, 2, 256),
    ("conv", 3, 1, 1, 256),
    ("conv", 3, 1, 1, 256),
    ("conv", 3, 2, 1, 256),
    ("conv", 3, 4, 1, 256),
    ("conv", 3, 8, 1, 256),
    ("conv", 3, 16, 1, 256),
    ("conv", 3, 1, 1, 256),
    ("conv", 3, 1, 1, 256),
    ("deconv", 4, 1, 2, 128),
    ("conv", 3, 1, 1, 128),
    ("deconv", 4, 1, 2, 64),
    ("conv", 3, 1, 1, 32),
)


class CompletionNetwork(PaperNetwork):
    """GLCIC completion network (Table 2). ``width`` scales channels; ``mean`` is the RGB mean
    pixel in [0, 1] that fills the holes (training records the corpus mean here).

    forward(image, hole): image float32 N×3×H×W RGB in [0, 1] (hole pixels are replaced by the
    mean here, so their value is irrelevant); hole float32 N×1×H×W, 1 = hole; H, W multiples of 4.
    Returns float32 N×3×H×W RGB in [0, 1] (sigmoid), uncomposited.
    """

    heads = ("layers.16",)  # the output layer (engine.paper.PaperNetwork)

    def __init__(self, width: float = 1.0, mean: Sequence[float] = DEFAULT_MEAN) -> None:
        super().__init__()
        if len(mean) != 3:
            raise ValueError(f"mean must have 3 values (RGB), got {mean!r}")
        self.width = width
        # Not persistent: the mean travels in the weights' metadata config, not in the tensors.
        self.register_buffer("mean", torch.tensor([float(v) for v in mean]).view(1, 3, 1, 1), persistent=False)
        layers: list[nn.Module] = []
        cin = 4  # RGB + mask
        for kind, k, dilation, stride, c in TABLE2:
            cout = scaled(c, width)
            if kind == "deconv":
                layers.append(ConvNormAct(cin, cout, k, stride=stride, padding=1, transposed=True))
            else:
                layers.append(ConvNormAct(cin, cout, k, stride=stride, dilation=dilation))
            cin = cout
        # Output layer: conv 3×3 to RGB, sigmoid, no BatchNorm (§3.5).
        layers.append(ConvNormAct(cin, 3, 3, norm=False, act="sigmoid"))
        self.layers = nn.Sequential(*layers)

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        cin = self.layers[-1][0].in_channels
        self.layers[-1] = ConvNormAct(cin + extra_inputs, outputs, 3, norm=False, act=None)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        v = self.variant
        # Holes take the mean pixel, then the mean is subtracted: holes become exactly 0.
        x = torch.cat([v.hole_input(image - self.mean, hole), hole], dim=1)
        feats = v.head_input(self.layers[:-1](x), image, hole, skip=x)
        return v.head_output(self.layers[-1](feats), image)


class GLCICEngine(TorchEngine):
    """GLCIC engine; option ``poisson`` adds the paper's Telea + Poisson post-processing."""

    network = CompletionNetwork

    def run(
        self, image: torch.Tensor, hole: torch.Tensor, options: Mapping[str, Any]
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        return self.module(image, hole), {}

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        """As :meth:`TorchEngine.fill`; with ``options["poisson"]`` the network's fill is
        Poisson-blended onto a Telea fill, which may change the hole and its 1-px border
        (:func:`engine.blend.poisson_band`) only."""
        out = super().fill(image, mask, options)
        if options.get("poisson", False):
            out.image = poisson_blend(image, out.image, mask)
        return out


SPEC = register(
    EngineSpec(
        name="glcic",
        display_name="GLCIC (globally & locally consistent)",
        paper="Iizuka, Simo-Serra, Ishikawa, Globally and Locally Consistent Image Completion, SIGGRAPH 2017",
        native_resolution=512,
        pad_multiple=4,
        loader=GLCICEngine,
        capabilities=frozenset({CAP_LEARNED, CAP_POISSON}),
        default_weights="glcic.safetensors",
        options=(
            OptionSpec(
                "poisson",
                "bool",
                False,
                "Poisson blending",
                "Telea fill + Poisson blend of the network's fill (paper's post-processing; touches a 1-px band around the hole)",
            ),
        ),
        description="Dilated-convolution completion net; good for compact object holes.",
    )
)
