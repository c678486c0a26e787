"""The classical fills, registered as engines: always available, no weights, the baselines.

Telea: fast-marching method (Telea 2004). Navier–Stokes: fluid-dynamics based (Bertalmio et al. 2001).
PatchMatch: exemplar-based fill by the texture stage's synthesiser (engine/texture.py), no learned guide.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.registry import CAP_FULL_RES, Engine, EngineSpec, FillOutput, OptionSpec, register

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
    """Exemplar-based fill: coarse-to-fine PatchMatch and voting (Barnes et al. 2009, Wexler et al.
    2007; :func:`engine.texture.synthesize`) that copies the whole band of the photo's own patches.

    Our choice, not from the papers: the search is steered by the low-pass of OpenCV's Navier–Stokes
    fill (``follow_guide=False``: it weighs in the patch distance, it does not fix the result's
    structure). Measured on 12 evaluation photos (50-60 % holes): unsteered, the few sources left
    get copied everywhere and structure falls 3 dB below NS's (texture distance 0.81× NS's); steered,
    0.71× with structure 0.4 dB above NS. Holes no wider than ``engine.texture.THIN_RADIUS`` (scratches)
    keep the Navier–Stokes fill. Any box at full resolution: the synthesiser picks its working scale."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: Path | None = None) -> None:
        super().__init__(spec, device)

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        from engine.texture import SPLIT_SIGMA, TextureOptions, synthesize  # numba loads only when this engine runs

        hole = np.where(mask > 127, 255, 0).astype(np.uint8)
        steer = cv2.inpaint(np.ascontiguousarray(image), hole, 5, cv2.INPAINT_NS)
        # Split σ 4 at any hole size: the measured setting above (its guide only steers the search).
        # Four EM iterations at every level, not two: the whole band is copied, so each finer level
        # needs more rounds to settle (50-60 % holes, 18 photos: texture 0.71× NS's against 0.77×,
        # structure +0.24 dB; about 30 % slower).
        opts = TextureOptions(
            seed=int(options.get("seed", 0)), follow_guide=False, split_sigma=SPLIT_SIGMA, em_iterations=(4, 4)
        )
        return FillOutput(synthesize(image, hole, steer, opts))


PATCHMATCH = register(
    EngineSpec(
        name="patchmatch",
        display_name="PatchMatch (exemplar)",
        paper="Barnes et al., PatchMatch, SIGGRAPH 2009; Wexler et al., Space-Time Completion of Video, PAMI 2007",
        native_resolution=0,
        pad_multiple=1,
        loader=PatchMatchEngine,
        capabilities=frozenset({CAP_FULL_RES}),
        options=(
            OptionSpec("seed", "int", 0, "Seed", "the same seed gives the same fill", minimum=0, maximum=2**31 - 1),
        ),
        description="Copies patches of the photo itself into the hole: real texture, continues regular "
        "patterns; may put wrong content into holes across structure.",
    )
)
