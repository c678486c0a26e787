"""VGG16/VGG19 feature extractors for perceptual and style losses.

Layer indices follow torchvision's ``vgg16().features`` / ``vgg19().features`` so a torchvision
state dict (``features.N.weight`` / ``features.N.bias``; ``classifier.*`` ignored) loads directly.
Inputs are RGB in [0, 1]; the ImageNet normalisation torchvision's weights expect is applied inside
(PConv authors' FAQ: "VGG inputs use torchvision's normalisation").

Weights (``weights=``):
- a path to a torchvision-format ``.pth`` (loaded with ``torch.load(weights_only=True)`` only) or a
  ``.safetensors`` file: the real ImageNet features, as the papers use;
- ``"random"``: a fixed seeded random VGG (Kaiming-normal, seed 0), a texture statistic in the spirit
  of random-filter texture synthesis (Ustyuzhaninov et al. 2017); identical on every machine;
- ``"none"``: no VGG; perceptual and style terms are switched off. This is the project's offline
  default (see :data:`OFFLINE_DEFAULT`): ImageNet VGG cannot be downloaded here, the published loss
  weights were tuned for ImageNet features (their scale on a random VGG is arbitrary), and the VGG
  passes would triple the cost of a CPU step. The choice is recorded in each run's config.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from training.errors import TrainingError

OFFLINE_DEFAULT = "none"
_CFG = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
#: Named layers -> index in ``features`` whose output is taken.
LAYERS = {
    # PConv §3.3 / DFNet: VGG16 pool1, pool2, pool3.
    "vgg16": {"pool1": 4, "pool2": 9, "pool3": 16},
    # DeepGIN §3.3: VGG19 conv1_1 … conv5_1, taken after their ReLU (the usual reading of "activation maps").
    "vgg19": {"conv1_1": 1, "conv2_1": 6, "conv3_1": 11, "conv4_1": 20, "conv5_1": 29},
}
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def make_features(arch: str) -> nn.Sequential:
    """torchvision-layout ``features`` for ``arch`` ("vgg16" or "vgg19")."""
    layers: list[nn.Module] = []
    c_in = 3
    for v in _CFG[arch]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c_in, int(v), 3, padding=1), nn.ReLU(inplace=False)]
            c_in = int(v)
    return nn.Sequential(*layers)


def load_torchvision_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a torchvision VGG checkpoint (.pth via weights_only torch.load, or .safetensors)."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"VGG weights file {path} does not exist")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise TrainingError(f"VGG weights file {path} could not be read ({type(exc).__name__}: {exc})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise TrainingError(f"VGG weights file {path} does not hold a state dict")
    return {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}


class VGGFeatures(nn.Module):
    """Frozen VGG returning the activations of ``layers`` (list of N×C×h×w tensors, in order)."""

    def __init__(self, arch: str = "vgg16", layers: tuple[str, ...] | None = None, weights: str | Path = "random"):
        super().__init__()
        if arch not in _CFG:
            raise TrainingError(f"unknown VGG {arch!r}; use vgg16 or vgg19")
        names = layers or tuple(LAYERS[arch])
        unknown = [n for n in names if n not in LAYERS[arch]]
        if unknown:
            raise TrainingError(f"{arch} has no layer {unknown[0]!r}; choose from {', '.join(LAYERS[arch])}")
        self.arch = arch
        self.indices = [LAYERS[arch][n] for n in names]
        features = make_features(arch)
        if str(weights) == "random":
            gen = torch.Generator().manual_seed(0)
            for m in features.modules():
                if isinstance(m, nn.Conv2d):
                    # Kaiming normal (fan_out, ReLU) as torchvision initialises VGG; explicit generator so
                    # the "random VGG" is the same network everywhere and never touches the global RNG.
                    std = (2.0 / (m.out_channels * 9)) ** 0.5
                    with torch.no_grad():
                        m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * std)
                        m.bias.zero_()
        else:
            state = load_torchvision_state(weights)
            feat = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
            try:
                features.load_state_dict(feat, strict=True)
            except RuntimeError as exc:
                raise TrainingError(
                    f"VGG weights file {weights} is not a torchvision {arch} checkpoint: {str(exc).splitlines()[0]}"
                ) from None
        # Only what the deepest requested layer needs.
        self.features = features[: max(self.indices) + 1]
        self.requires_grad_(False)
        self.eval()
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> VGGFeatures:  # always frozen, never in train mode
        return super().train(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.mean) / self.std
        out: list[torch.Tensor] = []
        wanted = set(self.indices)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in wanted:
                out.append(x)
        return out


def build_vgg(arch: str, weights: str | Path | None) -> VGGFeatures | None:
    """The VGG for ``weights`` (path, "random", or "none"/None -> None, terms disabled)."""
    if weights is None or str(weights) == "none":
        return None
    return VGGFeatures(arch, weights=weights)
