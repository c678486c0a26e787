"""Engine specs, the engine interface, and the registry the CLI and GUI are filled from.

Adding an engine is one file: a module in ``engine/models/`` (or ``engine/classical.py``) that
calls :func:`register` with an :class:`EngineSpec` at import time. :func:`list_specs` imports
every module of ``engine.models`` on first use, so nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from engine.errors import InpaintError
from engine.paths import weights_search_path

#: Capability flags an engine may declare.
CAP_LEARNED = "learned"  # needs a weights file
CAP_ALPHA_MAPS = "alpha_maps"  # returns extras["alpha_maps"] (DFNet)
CAP_POISSON = "poisson"  # supports the Telea + Poisson post-processing option (GLCIC)
CAP_FULL_RES = "full_resolution"  # fills any box at full size, choosing its own working scale (patchmatch)
# Takes a source exclusion: ``fill`` gets the real hole as its mask and the pixels it must never copy
# from (uint8 H×W, 255 = excluded, disjoint from the hole, the tile's size) as ``options[EXCLUDE_OPTION]``
# (patchmatch). Engines without it are given the excluded pixels as part of their hole instead.
CAP_EXCLUDE = "exclude"
#: Reserved key of the options dict :meth:`Engine.fill` gets (never an :class:`OptionSpec` name).
EXCLUDE_OPTION = "exclude"


@dataclass(frozen=True)
class OptionSpec:
    """One engine-specific option, described so that CLI and GUI can build a control for it."""

    name: str
    kind: Literal["bool", "int", "float", "choice"]
    default: Any
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: Any) -> Any:
        """Convert a CLI/GUI value to this option's type, or raise :class:`InpaintError`."""
        try:
            if self.kind == "bool":
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                        raise ValueError(value)
                    return low in {"1", "true", "yes", "on"}
                return bool(value)
            if self.kind == "int":
                out: Any = int(value)
            elif self.kind == "float":
                out = float(value)
            else:
                out = str(value)
                if out not in self.choices:
                    raise ValueError(value)
                return out
        except (TypeError, ValueError):
            allowed = f" (one of {', '.join(self.choices)})" if self.choices else ""
            raise InpaintError(f"option {self.name}={value!r} is not a valid {self.kind}{allowed}") from None
        if self.minimum is not None and out < self.minimum:
            raise InpaintError(f"option {self.name}={out} is below the minimum {self.minimum}")
        if self.maximum is not None and out > self.maximum:
            raise InpaintError(f"option {self.name}={out} is above the maximum {self.maximum}")
        return out


@dataclass
class FillOutput:
    """What an engine returns for one (padded) tile.

    ``image``: uint8 H×W×3 RGB, same size as the input tile. ``extras``: engine-specific
    outputs, e.g. ``{"alpha_maps": [float32 h×w×3 arrays in [0, 1], ...]}`` for DFNet.
    ``base``: uint8 H×W×3 RGB classical prefill the image is a correction of (prefill engines, whose
    :attr:`Engine.prefill` names the method), else None; the pipeline then scales back only the
    correction ``image - base`` of a downscaled tile (see ``engine.pipeline._fill_tile``).
    """

    image: np.ndarray
    extras: dict[str, Any] = field(default_factory=dict)
    base: np.ndarray | None = None


class Engine(ABC):
    """A ready-to-run engine (weights loaded). Created by :func:`create_engine`."""

    spec: EngineSpec
    device: str

    def __init__(self, spec: EngineSpec, device: str = "cpu") -> None:
        self.spec = spec
        self.device = device
        #: Working side the crop strategy resizes boxes to (0 = any size). Learned engines take it
        #: from their weights' training crop size when recorded, else the spec's paper value.
        self.native_resolution = spec.native_resolution
        #: Classical fill (a key of ``engine.blend.PREFILLS``) this engine's output corrects, or None.
        self.prefill: str | None = None

    @abstractmethod
    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        """Fill the hole of one tile.

        image: uint8 H×W×3 RGB, H and W multiples of ``spec.pad_multiple`` (the pipeline pads).
        mask: uint8 H×W, 255 = hole, 0 = keep. Values inside the hole must not influence the result.
        options: engine options already coerced by :meth:`EngineSpec.resolve_options`; an engine with
        :data:`CAP_EXCLUDE` may also find the source exclusion under :data:`EXCLUDE_OPTION`.
        The returned image may differ from the input outside the hole; the pipeline composites.
        """


@dataclass(frozen=True)
class EngineSpec:
    """Static description of an engine; ``loader(spec, device, weights_path)`` builds it."""

    name: str
    display_name: str
    paper: str
    native_resolution: int  # side the network works at; 0 = any size (classical engines)
    pad_multiple: int
    loader: Callable[[EngineSpec, str, Path | None], Engine]
    capabilities: frozenset[str] = frozenset()
    default_weights: str | None = None  # file name looked up in the weights search path
    options: tuple[OptionSpec, ...] = ()
    description: str = ""

    @property
    def learned(self) -> bool:
        return CAP_LEARNED in self.capabilities

    def weights_path(self) -> Path | None:
        """First weights file found in the search path, or None."""
        if self.default_weights is None:
            return None
        for folder in weights_search_path():
            candidate = folder / self.default_weights
            if candidate.is_file():
                return candidate
        return None

    def availability(self) -> tuple[bool, str]:
        """(available, reason). Learned engines need their weights file."""
        if not self.learned:
            return True, "always available"
        path = self.weights_path()
        if path is None:
            where = ", ".join(str(p) for p in weights_search_path())
            return False, f"no weights file {self.default_weights} (searched {where})"
        return True, f"weights {path}"

    def resolve_options(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overlaid with ``given``; unknown names raise :class:`InpaintError`."""
        known = {o.name: o for o in self.options}
        out = {o.name: o.default for o in self.options}
        for key, value in (given or {}).items():
            if key not in known:
                names = ", ".join(known) or "none"
                raise InpaintError(f"engine {self.name} has no option {key!r} (options: {names})")
            out[key] = known[key].coerce(value)
        return out


_REGISTRY: dict[str, EngineSpec] = {}
_DISCOVERED = False


def register(spec: EngineSpec) -> EngineSpec:
    """Add ``spec`` to the registry (idempotent for the same name) and return it."""
    if any(o.name == EXCLUDE_OPTION for o in spec.options):
        raise ValueError(f"engine {spec.name}: option name {EXCLUDE_OPTION!r} is reserved for the source exclusion")
    _REGISTRY[spec.name] = spec
    return spec


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    _DISCOVERED = True
    importlib.import_module("engine.classical")
    import engine.models as models_pkg

    for info in pkgutil.iter_modules(models_pkg.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"engine.models.{info.name}")


def list_specs() -> list[EngineSpec]:
    """All registered engines: classical first, then learned ones, each group by name."""
    _discover()
    return sorted(_REGISTRY.values(), key=lambda s: (s.learned, s.name))


def get_spec(name: str) -> EngineSpec:
    """The spec called ``name`` (case-insensitive) or :class:`InpaintError` listing the choices."""
    key = name.strip().lower()
    if key not in _REGISTRY:
        # The classical engines first: `inpaint run --engine ns` then never imports the networks
        # (torch), a second of a short run's start-up.
        importlib.import_module("engine.classical")
    if key not in _REGISTRY:
        _discover()
    spec = _REGISTRY.get(key)
    if spec is None:
        names = ", ".join(s.name for s in list_specs())
        raise InpaintError(f"unknown engine {name!r}; choose one of: {names}")
    return spec


def create_engine(name: str, device: str = "cpu", weights: str | Path | None = None) -> Engine:
    """Build a ready engine. ``weights`` overrides the search path for learned engines.

    Raises :class:`InpaintError` for an unknown name, missing/invalid weights or a bad device.
    """
    spec = get_spec(name)
    device = check_device(device)
    path = Path(weights) if weights is not None else spec.weights_path()
    if spec.learned and path is None:
        raise InpaintError(
            f"engine {spec.name} has no weights: {spec.availability()[1]}. "
            f"Train and export them with `python -m training`, or pass --weights FILE."
        )
    return spec.loader(spec, device, path)


def check_device(device: str) -> str:
    """Validate a device string ("cpu", "cuda", "cuda:N"); CUDA only when torch sees a GPU."""
    device = (device or "cpu").strip().lower()
    if device == "cpu":
        return device
    if device.startswith("cuda"):
        import torch  # local: classical-only use never pays for importing torch

        if not torch.cuda.is_available():
            raise InpaintError(f"device {device!r} requested but no CUDA GPU is available; use --device cpu")
        return device
    raise InpaintError(f"unknown device {device!r}; use cpu or cuda")


def available_devices() -> list[str]:
    """Devices the user may pick: always "cpu", plus "cuda" when a GPU is visible."""
    try:
        import torch

        return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    except ImportError:  # pragma: no cover - torch is a hard dependency
        return ["cpu"]
