"""Guided patch synthesis: the engine's fill gives the hole's low frequencies, the photo's own
patches its high ones, at the crop's full resolution. Also the ``patchmatch`` engine's synthesiser.

Not part of any of the five papers: a post-processing stage added because networks trained for a
reconstruction loss on a CPU budget learn to blur (README, model cards). The method:

1. **Working resolution.** The crop is brought down (INTER_AREA) until its matching targets hold at
   most :data:`WORK_PIXELS` pixels: matching cost grows with the hole, not with the photo, so a 5 %
   hole on 24 MP is matched at a few hundred pixels a side.
2. **Coarse-to-fine PatchMatch with voting** (Barnes et al., SIGGRAPH 2009; Wexler et al., PAMI
   2007): a pyramid of the working crop; at each level, EM iterations of a PatchMatch search
   (propagation + random search) for every 7×7 patch that touches the hole, among patches lying
   wholly in the known pixels, then voting of the hole from the matched patches. The nearest-neighbour
   field is upsampled to seed the next level.
3. **Guidance** (when an engine's fill is given): the patch distance adds ``guide_weight`` × the
   squared difference of the Gaussian low-pass (σ = :data:`SPLIT_SIGMA` px at each level) of the
   engine's composite, so a source patch must agree with the predicted structure; and after each
   vote the hole's low band is reset to the engine's, so the estimate never drifts from it.
4. **Full resolution.** The working-resolution field is scaled up and the photo's high band
   (composite minus its low-pass) is voted at full resolution from the 3×3 nearest matched patches:
   each vote is a shifted copy, so texture is as sharp as the photo's own. At a split wider than
   σ 4 the voted band is high-passed once more (seams between copies carry low frequencies), fully
   from σ 12 on. The result in the hole is
   ``low-pass(engine composite) + strength × voted high band``. The split σ grows as the hole's share
   of the crop shrinks (:data:`SPLIT_SIGMAS`): with much known photo around, more of the band is copied.

Without a guide (the ``patchmatch`` engine) the coarsest level starts from a Telea fill and the
whole band is voted (classic exemplar-based fill).

Skipped, returning the fill unchanged: holes whose widest point is at most :data:`THIN_RADIUS` px
from a known pixel (scratches, specks: a 7×7 patch would be mostly known pixels and a diffusion
fill of a ≤ 5 px gap is invisible), and crops with no wholly known 7×7 patch to copy from.

Deterministic for a seed: random choices come from a counter-based hash, the search is a serial
scan and the parallel voting is per pixel. Hot loops are compiled with numba (engine/patch_kernels.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from engine.errors import Cancelled
from engine.patch_kernels import search, vote, vote_full

PATCH = 7
#: σ (px at the working resolution) of the low-pass that splits the engine's band from the copied one,
#: by the hole's share of the crop: (share, σ) points, linear between, constant beyond. The more of the
#: crop is known photo, the more of the band the guided search can take from it without repeating or
#: disagreeing with the surroundings. Measured (issue #16, GLCIC guide, 18 validation photos): a 7 % object
#: hole at σ 4 keeps too much of the engine's blur (texture 0.82× Navier–Stokes's; σ 12: 0.74×, structure
#: +0.4 dB), an 18 % one σ 12 gains structure (+0.2 dB against −0.16 at σ 4), while a 51 % hole at σ 12
#: loses 0.8 dB of structure and 0.4 dB of PSNR that σ 4 keeps.
SPLIT_SIGMAS = ((0.1, 16.0), (0.2, 12.0), (0.3, 4.0))
#: σ of the split when the hole fills the crop (the σ of the structure metric, engine/metrics.py).
SPLIT_SIGMA = SPLIT_SIGMAS[-1][1]
#: Matching targets (pixels whose patch touches the hole) at the working resolution, at most.
#: Speed: benchmarks/texture.py (issue #16 target: ≤ 1 s per 512² crop on 2 cores).
WORK_PIXELS = 70_000
#: Holes no wider than this (max distance of a hole pixel to a known one, px) are left as filled.
THIN_RADIUS = 2.5
#: Long side (px) below which no coarser pyramid level is made.
COARSEST = 64

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class TextureOptions:
    """How the texture stage runs. ``strength`` scales the copied high band (0 = off, 1 = the
    photo's own amplitude); ``guide_weight`` weighs the engine's low-pass in the patch distance."""

    strength: float = 1.0
    guide_weight: float = 2.0
    seed: int = 0
    em_iterations: tuple[int, int] = (4, 2)  # (coarsest level, every finer level)
    # Full-resolution vote from the (2r+1)² nearest matched patches. 0 = each pixel copied from its
    # own match: measured on the evaluation photos (NS guide, 12 photos), r = 1 averages nine shifted
    # copies and loses a third of the texture (texture distance 0.76× NS's vs 0.56× on 50-60 % holes)
    # for 0.3 dB of PSNR; the field is coherent, so r = 0 copies whole patches without visible seams.
    vote_radius: int = 0
    # True: the hole's low band always stays the guide's (the texture stage: the engine decides the
    # structure). False: the guide only steers the search and the whole band is copied (the
    # patchmatch engine: structure may come from the photo's patches, e.g. a row of windows).
    follow_guide: bool = True
    # σ (px, working resolution) of the engine / copied band split; None = by the hole's share of the
    # crop (split_sigma_for).
    split_sigma: float | None = None


def split_sigma_for(hole_share: float) -> float:
    """The split σ (px, working resolution) for a hole covering ``hole_share`` (0–1) of the crop."""
    shares, sigmas = zip(*SPLIT_SIGMAS, strict=True)
    return float(np.interp(hole_share, shares, sigmas))


# ------------------------------------------------------------------------------------ helpers
def _lowpass(img: np.ndarray, sigma: float = SPLIT_SIGMA) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def _resize(img: np.ndarray, size: tuple[int, int], area: bool) -> np.ndarray:
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if area else cv2.INTER_LINEAR)


def _shrink_mask(hole: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Hole at another size, any coverage = hole (a thin scratch survives the shrink)."""
    if (hole.shape[1], hole.shape[0]) == size:
        return hole.copy()
    return cv2.resize(hole.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 0


def _dilate(hole: np.ndarray, r: int) -> np.ndarray:
    kernel = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    return cv2.dilate(hole.astype(np.uint8), kernel) > 0


@dataclass
class _Level:
    """One pyramid level: ``img``/``guide`` float32 h×w×3, ``hole``/``valid`` bool h×w."""

    img: np.ndarray
    guide: np.ndarray
    hole: np.ndarray
    valid: np.ndarray
    ty: np.ndarray
    tx: np.ndarray
    index: np.ndarray


def _level(img: np.ndarray, guide: np.ndarray, hole: np.ndarray) -> _Level:
    r = PATCH // 2
    h, w = hole.shape
    valid = ~_dilate(hole, r)
    valid[:r], valid[h - r :], valid[:, :r], valid[:, w - r :] = False, False, False, False
    ty, tx = np.nonzero(_dilate(hole, r))
    index = np.full((h, w), -1, np.int32)
    index[ty, tx] = np.arange(len(ty), dtype=np.int32)
    return _Level(img, guide, hole, valid, ty.astype(np.int64), tx.astype(np.int64), index)


def _random_field(level: _Level, seed: int) -> np.ndarray:
    vy, vx = np.nonzero(level.valid)
    pick = np.random.default_rng(seed).integers(0, len(vy), len(level.ty))
    return np.stack([vy[pick], vx[pick]], axis=1).astype(np.int64)


def _upsample_field(coarse: _Level, nnf: np.ndarray, fine: _Level, seed: int) -> np.ndarray:
    """Seed ``fine``'s field from ``coarse``'s: each target takes its coarse parent's offset, scaled;
    a seed that lands on an invalid source is replaced by a random valid one."""
    ch, cw = coarse.hole.shape
    fh, fw = fine.hole.shape
    sy, sx = fh / ch, fw / cw
    py = np.clip((fine.ty / sy).astype(np.int64), 0, ch - 1)
    px = np.clip((fine.tx / sx).astype(np.int64), 0, cw - 1)
    off = np.zeros((len(fine.ty), 2), np.float64)
    parent = coarse.index[py, px]
    have = parent >= 0
    off[have, 0] = nnf[parent[have], 0] - py[have]
    off[have, 1] = nnf[parent[have], 1] - px[have]
    cy = np.rint(fine.ty + off[:, 0] * sy).astype(np.int64)
    cx = np.rint(fine.tx + off[:, 1] * sx).astype(np.int64)
    ok = have & (cy >= 0) & (cy < fh) & (cx >= 0) & (cx < fw)
    ok[ok] = fine.valid[cy[ok], cx[ok]]
    out = _random_field(fine, seed)
    out[ok, 0], out[ok, 1] = cy[ok], cx[ok]
    return out


def max_hole_radius(mask: np.ndarray) -> float:
    """Largest distance (px) of a hole pixel (mask > 127) to the nearest known pixel."""
    hole = (mask > 127).astype(np.uint8)
    if not hole.any():
        return 0.0
    return float(cv2.distanceTransform(hole, cv2.DIST_L2, 3).max())


def needs_texture(mask: np.ndarray) -> bool:
    """False for holes the stage skips: empty, or no wider than :data:`THIN_RADIUS` px."""
    return max_hole_radius(mask) > THIN_RADIUS


# --------------------------------------------------------------------------------- the stage
def synthesize(
    image: np.ndarray,
    mask: np.ndarray,
    fill: np.ndarray | None = None,
    options: TextureOptions | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Texture for the hole of one crop; pixels outside the hole are returned unchanged.

    image: uint8 H×W×3 RGB (hole contents are ignored). mask: uint8 H×W, > 127 = hole.
    fill: uint8 H×W×3 RGB, an engine's result for this crop (its hole pixels are the guide), or
    None for an unguided exemplar fill. Returns uint8 H×W×3 RGB. ``progress(fraction, message)``
    is called between EM iterations; ``cancel()`` is polled there and True raises ``Cancelled``.
    """
    options = options or TextureOptions()
    report = progress or (lambda _f, _m: None)
    hole_full = mask > 127
    big_h, big_w = hole_full.shape
    r = PATCH // 2
    if fill is None:
        seed_fill = cv2.inpaint(np.ascontiguousarray(image), hole_full.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    else:
        seed_fill = fill
    composite = np.where(hole_full[..., None], seed_fill, image).astype(np.uint8)
    if not hole_full.any() or (fill is not None and (options.strength <= 0 or not needs_texture(mask))):
        return composite
    follow = fill is not None and options.follow_guide
    sig = options.split_sigma if options.split_sigma is not None else split_sigma_for(float(hole_full.mean()))
    comp = composite.astype(np.float32)

    # Working size: targets (the hole grown by the patch radius) at most WORK_PIXELS.
    targets = int(np.count_nonzero(_dilate(hole_full, r)))
    scale = max(1.0, math.sqrt(targets / WORK_PIXELS))
    work = (max(PATCH * 2, round(big_w / scale)), max(PATCH * 2, round(big_h / scale)))
    sizes = [work]
    while max(sizes[-1]) / 2 >= COARSEST and min(sizes[-1]) / 2 >= PATCH * 3:
        sizes.append((round(sizes[-1][0] / 2), round(sizes[-1][1] / 2)))
    lam = options.guide_weight if fill is not None else 0.0

    levels: list[_Level] = []
    for size in reversed(sizes):  # coarsest first
        img = comp if size == (big_w, big_h) else _resize(comp, size, area=True)
        hole = _shrink_mask(hole_full, size)
        guide = _lowpass(img, sig) if fill is not None else np.zeros_like(img)
        levels.append(_level(img.copy(), guide, hole))
    if not all(lv.valid.any() for lv in levels):
        return composite

    total = sum(options.em_iterations[0] if i == 0 else options.em_iterations[1] for i in range(len(levels)))
    done = 0
    nnf = _random_field(levels[0], options.seed)
    for li, lv in enumerate(levels):
        if li > 0:
            nnf = _upsample_field(levels[li - 1], nnf, lv, options.seed + li)
            # Start this level's hole from the coarser level's vote (the classic pyramid hand-over).
            prev = levels[li - 1].img
            up = _resize(prev, (lv.hole.shape[1], lv.hole.shape[0]), area=False)
            lv.img[lv.hole] = up[lv.hole]
        dist = np.zeros(len(lv.ty), np.float64)
        hy, hx = np.nonzero(lv.hole)
        hy, hx = hy.astype(np.int64), hx.astype(np.int64)
        iters = options.em_iterations[0] if li == 0 else options.em_iterations[1]
        for it in range(iters):
            if cancel is not None and cancel():
                raise Cancelled()
            search(lv.img, lv.guide, lam, lv.ty, lv.tx, lv.index, nnf, dist, lv.valid, r, options.seed, it + 16 * li)
            voted = lv.img.copy()
            vote(lv.img, hy, hx, lv.index, nnf, r, voted)
            if follow:
                # Keep the engine's structure: the hole's low band is always the engine's.
                voted = voted - _lowpass(voted, sig) + lv.guide
            lv.img[lv.hole] = voted[lv.hole]
            done += 1
            report(done / (total + 1), f"texture: level {li + 1} of {len(levels)}")
    if cancel is not None and cancel():
        raise Cancelled()

    # Full resolution: vote the photo's band from the working field, scaled.
    finest = levels[-1]
    wh, ww = finest.hole.shape

    def low_full(x: np.ndarray) -> np.ndarray:  # the σ low-pass at full resolution, made at the working one
        return (
            _lowpass(x, sig) if scale == 1.0 else _resize(_lowpass(_resize(x, work, True), sig), (big_w, big_h), False)
        )

    if follow:
        low = low_full(comp)
        band = comp - low
        base = np.zeros_like(comp)
    else:
        low = np.zeros_like(comp)
        band = comp
        base = comp.copy() if scale == 1.0 else _resize(finest.img, (big_w, big_h), area=False)
    fy, fx = np.nonzero(hole_full)
    known = ~hole_full
    voted = base.copy()
    vote_full(
        band, known, fy.astype(np.int64), fx.astype(np.int64), finest.index, nnf,
        big_h / wh, big_w / ww, options.vote_radius, voted,
    )  # fmt: skip
    strength = options.strength if follow else 1.0
    # 0 at σ 4, 1 from σ 12 (the split of a 20 % hole) on, linear between.
    reseat = float(np.clip((sig - SPLIT_SIGMA) / (SPLIT_SIGMAS[1][1] - SPLIT_SIGMA), 0.0, 1.0))
    if follow and reseat > 0:
        # At a wide split the voted band's own low frequencies go: where copies from different
        # places meet the band steps, and a blur of the steps adds structure the engine did not
        # predict (measured, 15-30 % object holes at σ 12: structure 0.35 dB higher). At σ 4 (large
        # holes) it would take a third of the copied texture (50-60 %: 0.83× NS's against 0.72×).
        voted = voted - reseat * low_full(np.where(hole_full[..., None], voted, band))
    result = low + strength * voted
    out = image.copy()
    out[hole_full] = np.clip(np.rint(result[hole_full]), 0, 255).astype(np.uint8)
    report(1.0, "texture: done")
    return out
