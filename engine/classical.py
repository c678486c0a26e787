"""The classical fills, registered as engines: always available, no weights, the baselines.

Telea: fast-marching method (Telea 2004). Navier–Stokes: fluid-dynamics based (Bertalmio et al. 2001).
PatchMatch: the exemplar completion (engine/texture.py) with a Navier–Stokes guide instead of a network's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.registry import (
    CAP_EXCLUDE,
    CAP_FULL_RES,
    EXCLUDE_OPTION,
    Engine,
    EngineSpec,
    FillOutput,
    OptionSpec,
    register,
)

_RADIUS = OptionSpec(
    "radius", "int", 5, "Radius", "neighbourhood (px) each filled pixel is estimated from", minimum=1, maximum=64
)


class ClassicalEngine(Engine):
    """``cv2.inpaint`` with the method chosen by the spec (no weights, any size)."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: Path | None = None) -> None:
        super().__init__(spec, device)
        self.flag = cv2.INPAINT_TELEA if spec.name == "telea" else cv2.INPAINT_NS

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        # cv2.inpaint treats the channels independently, so RGB order needs no conversion.
        hole = np.where(mask > 127, 255, 0).astype(np.uint8)
        out = cv2.inpaint(np.ascontiguousarray(image), hole, int(options.get("radius", 5)), self.flag)
        return FillOutput(out)


TELEA = register(
    EngineSpec(
        name="telea",
        display_name="Telea (OpenCV)",
        paper="Telea, An Image Inpainting Technique Based on the Fast Marching Method, JGT 2004",
        native_resolution=0,
        pad_multiple=1,
        loader=ClassicalEngine,
        options=(_RADIUS,),
        description="Fast classical fill; smooth, good for thin scratches and small specks.",
    )
)

NAVIER_STOKES = register(
    EngineSpec(
        name="ns",
        display_name="Navier–Stokes (OpenCV)",
        paper="Bertalmio, Bertozzi, Sapiro, Navier-Stokes, Fluid Dynamics, and Image and Video Inpainting, CVPR 2001",
        native_resolution=0,
        pad_multiple=1,
        loader=ClassicalEngine,
        options=(_RADIUS,),
        description="Classical fill continuing isophotes; smooth, good for thin structures.",
    )
)


class PatchMatchEngine(Engine):
    """Exemplar-based fill: the photo's own patches, coarse to fine (:func:`engine.texture.synthesize`:
    PatchMatch search and EM, Barnes et al. 2009, Wexler et al. 2007, Newson et al. 2017).

    Our choice, not from the papers: the learned engines' guide is here OpenCV's Navier–Stokes fill
    (computed at most at :data:`GUIDE_HOLE_PIXELS`): the same completion as every learned engine runs,
    so one design serves all; on textured ground the guide weighs little and the photo's patches
    decide, across a wide scattered hole its low band keeps the layout (README, "Photo texture").
    Holes no wider than ``engine.texture.THIN_RADIUS`` (scratches) keep the Navier–Stokes fill. Any
    box at full resolution: the synthesiser picks its working scale.

    A source exclusion (``options[EXCLUDE_OPTION]``, :data:`CAP_EXCLUDE`) is never copied from, and the
    guide and the patch distances see the Navier–Stokes fill there instead (as for the hole)."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: Path | None = None) -> None:
        super().__init__(spec, device)

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        from engine.texture import TextureOptions, synthesize  # numba loads only when this engine runs

        hole = np.where(mask > 127, 255, 0).astype(np.uint8)
        exclude = options.get(EXCLUDE_OPTION)
        excluded = None if exclude is None else np.asarray(exclude) > 127
        blocked = hole if excluded is None else np.where(excluded, 255, hole).astype(np.uint8)
        steer = _smooth_fill(image, blocked)
        if excluded is not None:
            image = np.where(excluded[..., None], steer, image)  # nothing of the excluded pixels reaches the fill
        opts = TextureOptions(seed=int(options.get("seed", 0)))
        return FillOutput(synthesize(image, hole, steer, opts, exclude=excluded))


#: Hole pixels the Navier–Stokes guide is computed at, at most: it only steers through its low-pass,
#: and NS costs time per hole pixel (a 5 % hole of 24 MP: ~3.5 s at full resolution).
GUIDE_HOLE_PIXELS = 40_000


def _smooth_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Navier–Stokes fill of ``hole`` (uint8 H×W, 255 = hole) in uint8 H×W×3 RGB ``image``, at a
    scale that brings the hole down to :data:`GUIDE_HOLE_PIXELS`, scaled back up."""
    h, w = hole.shape
    area = int(np.count_nonzero(hole))
    if area <= GUIDE_HOLE_PIXELS:
        return cv2.inpaint(np.ascontiguousarray(image), hole, 5, cv2.INPAINT_NS)
    f = (GUIDE_HOLE_PIXELS / area) ** 0.5
    size = (max(2, round(w * f)), max(2, round(h * f)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_hole = np.where(cv2.resize(hole, size, interpolation=cv2.INTER_AREA) > 0, 255, 0).astype(np.uint8)
    filled = cv2.inpaint(small, small_hole, 5, cv2.INPAINT_NS)
    return np.where(hole[..., None] > 0, cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR), image)


PATCHMATCH = register(
    EngineSpec(
        name="patchmatch",
        display_name="PatchMatch (exemplar)",
        paper="Barnes et al., PatchMatch, SIGGRAPH 2009; Wexler et al., Space-Time Completion of Video, PAMI 2007",
        native_resolution=0,
        pad_multiple=1,
        loader=PatchMatchEngine,
        capabilities=frozenset({CAP_FULL_RES, CAP_EXCLUDE}),
        options=(
            OptionSpec("seed", "int", 0, "Seed", "the same seed gives the same fill", minimum=0, maximum=2**31 - 1),
        ),
        description="Copies patches of the photo itself into the hole: real texture, continues regular "
        "patterns; may put wrong content into holes across structure.",
    )
)
