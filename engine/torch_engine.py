"""Shared plumbing for learned engines: weights -> nn.Module -> tile in, tile out.

A network module in ``engine/models/`` subclasses :class:`TorchEngine`, implements
:meth:`TorchEngine.build` (module from width + config) and :meth:`TorchEngine.run` (tensors in,
tensors out), and registers an :class:`~engine.registry.EngineSpec` whose ``loader`` is the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engine.blend import classical_prefill
from engine.errors import InpaintError
from engine.fuse import prepare_for_inference
from engine.paper import PaperNetwork
from engine.registry import Engine, EngineSpec, FillOutput
from engine.residual import build_network
from engine.weights import load_weights


def image_to_tensor(image: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """uint8 H×W×3 RGB -> float32 1×3×H×W in [0, 1] (channels_last memory format)."""
    t = torch.from_numpy(np.ascontiguousarray(image)).to(device)
    t = t.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
    return t.contiguous(memory_format=torch.channels_last)


def mask_to_tensor(mask: np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """uint8 H×W (255 = hole) -> float32 1×1×H×W with 1 = hole, 0 = known."""
    return torch.from_numpy((mask > 127).astype(np.float32)).to(device)[None, None]


def tensor_to_image(t: torch.Tensor) -> np.ndarray:
    """float 1×3×H×W in [0, 1] -> uint8 H×W×3 RGB (rounded, clipped)."""
    arr = t.detach().float().clamp(0, 1).mul(255.0).round().to(torch.uint8)
    return arr[0].permute(1, 2, 0).contiguous().cpu().numpy()


class TorchEngine(Engine):
    """Base for learned engines. Loads weights, rebuilds the module from metadata, runs it."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: Path | None = None) -> None:
        super().__init__(spec, device)
        if weights is None:
            raise InpaintError(f"engine {spec.name} needs a weights file")
        tensors, meta = load_weights(weights, expected_engine=spec.name)
        self.metadata = meta
        self.weights_path = Path(weights)
        module = self.build(float(meta.get("width", 1.0)), dict(meta.get("config", {})))
        try:
            # Shipped weights are fp16; the module stays fp32 (bf16/fp16 are slow on CPU).
            module.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()})
        except RuntimeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "shape mismatch"
            raise InpaintError(
                f"weights file {weights} does not fit engine {spec.name} at width {meta.get('width')}: {first}"
            ) from None
        # Residual engines (config "prefill", a deviation from the papers made for the CPU training
        # budget, see DESIGN.md) see a classical fill in the hole instead of zeros.
        self.prefill = meta.get("config", {}).get("prefill") or None
        self.module = prepare_for_inference(module).to(device).to(memory_format=torch.channels_last)
        # A network trained on 256² crops fills best at about that scale (REFERENCE.md: downscaling
        # a big photo to the training scale beats running at full size), so crops are resized to
        # the trained size when the weights record it, rounded up to the pad multiple — unless the
        # weights name their own working size (``native_resolution``, chosen by evaluation).
        trained = int(meta.get("recipe", {}).get("size", 0) or 0) if isinstance(meta.get("recipe"), dict) else 0
        trained = int(meta.get("native_resolution", 0) or 0) or trained
        if trained > 0:
            multiple = max(1, spec.pad_multiple)
            self.native_resolution = -(-trained // multiple) * multiple

    #: The paper network (an :class:`engine.paper.PaperNetwork`); engines whose forward output is
    #: the final image only set this.
    network: type[PaperNetwork] | None = None

    @classmethod
    def build(cls, width: float, config: dict[str, Any]) -> nn.Module:
        """The network for ``width`` (1.0 = paper) and ``config`` (metadata ``config`` dict): the
        paper network, or its prefill variant when the config says so (engine.residual.build_network)."""
        if cls.network is None:
            raise NotImplementedError(f"{cls.__name__} sets no network and does not override build()")
        return build_network(cls.network, width, config)

    def run(
        self, image: torch.Tensor, hole: torch.Tensor, options: Mapping[str, Any]
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """image: float32 1×3×H×W RGB in [0, 1]; hole: float32 1×1×H×W, 1 = hole.

        Returns the completed image (same shape, [0, 1]) and extras (numpy arrays only). The
        default is one forward whose output is the image; multi-output networks override this.
        """
        return self.module(image, hole), {}

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        m = mask_to_tensor(mask, self.device)
        base = None
        if self.prefill:
            # The prefill reads known pixels only, so the hole's old content cannot leak in.
            base = classical_prefill(image, mask, self.prefill)
            x = image_to_tensor(base, self.device)
        else:
            # Holes are zeroed before the network so the hole's old content can never leak in.
            x = image_to_tensor(image, self.device) * (1.0 - m)
        with torch.inference_mode():
            out, extras = self.run(x, m, options)
        out = out * m + x * (1.0 - m)
        return FillOutput(tensor_to_image(out), extras, base)


def export_module(
    module: nn.Module,
    path: str | Path,
    engine: str,
    width: float,
    config: dict[str, Any] | None = None,
    dtype: torch.dtype | None = torch.float16,
    **metadata: Any,
) -> Path:
    """Write ``module``'s state dict as engine weights (see :mod:`engine.weights`).

    ``dtype=None`` keeps fp32 (tests use it for exact round-trips); shipped weights are fp16.
    """
    from engine.weights import save_weights

    meta = {"engine": engine, "width": float(width), "config": dict(config or {}), **metadata}
    return save_weights(path, module.state_dict(), meta, dtype=dtype)
