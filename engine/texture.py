"""Exemplar completion: the photo's own patches fill the hole at every scale, a learned engine's fill
steers where the photo has structure. The fill behind the ``patchmatch`` engine and the stage every
learned engine runs after its network (README, "Photo texture").

Not part of any of the five papers. The method (Wexler et al., PAMI 2007; Barnes et al., SIGGRAPH
2009; Newson et al., "Non-local patch-based image inpainting", IPOL 2017), with a learned guide:

1. **Working resolution.** The crop is brought down (INTER_AREA) until its targets (pixels whose
   7×7 patch touches the hole) number at most :data:`WORK_PIXELS`; a 512² crop is worked at full size.
2. **Pyramid, coarse to fine.** The coarsest level (long side about :data:`COARSEST` px) starts by
   onion peeling (Newson et al. §4.3): layer by layer from the edge inwards, each hole pixel from the
   source patch that best matches its known pixels and, with an engine, the engine's low-pass there;
   where the structure lock (step 5) is full it starts from the engine's fill instead.
3. **EM at every level.** A PatchMatch search for every target among patches lying wholly in known,
   not excluded pixels; the patch distance compares colour and two texture features (the local mean
   of |∂x| and |∂y| of luma, Newson et al. §3.2: plain colour distances prefer smooth sources inside
   a textured hole), measured on the photo at the crop's own resolution, brought down to every level
   and copied into the hole with the pixels (:func:`texture_features`; ground textures: 1.10 → 1.00×
   G'MIC's texture), and, when an engine's fill is given, adds ``λ`` × the squared difference of a
   Gaussian low-pass of the estimate, whose hole holds the engine's fill: a source must agree with
   the predicted structure. ``λ`` is chosen per level (strong where the pyramid decides the layout,
   weak where it decides the grain) and per crop (weaker where the photo around the hole is
   textured: :func:`texture_share`); it enters the search as √λ × the low-pass, three more feature
   channels. A source farther than one equivalent hole radius from the hole pays for the
   distance unless it has the grain of the hole's surroundings (:data:`PROXIMITY`,
   :func:`_proximity_cost`; our addition, in the spirit of Content-Aware Fill's sampling area): a
   whole-boat hole took a dark, flat middle from the far shore without it. A source much smoother
   than the photo around the hole near the target pays too (:data:`SMOOTH`, :func:`_smooth_price`;
   ours as well): otherwise EM drifts to the smooth sources its own smooth start fits, and a stone
   table on a meadow became a flat blob. Each hole pixel is then
   taken from the single best-fitting patch covering it (Newson et al. §4.4), at every level: the
   weighted mean of the covering patches (Wexler §3.2, ``blend_levels``) blurs the estimate, and a
   blurred estimate draws its matches from the photo's smooth parts, so rock and gravel came out as
   smooth blobs (on 24 ground textures of ``ufoai-textures``, texture 1.40× G'MIC's
   with the weighted mean, 1.04× without; train photos: texture 0.67 → 0.64× NS: ``python -m
   benchmarks.fill_tuning``, docs/fill-completion.md).
   The field is upsampled to seed the next level, whose estimate is re-voted from its own pixels.
4. **Full resolution.** At a working scale below 1 the field is scaled up, each hole pixel copies
   the photo under its own match, and one PatchMatch pass at the crop's own resolution (propagation,
   search within two blocks) settles the seams; targets whose patch is one coherent copy are already
   exact and skip it. Where the covering copies disagree (their seams) a pixel is their weighted mean,
   not the best one's, so seams do not follow the field's blocks. A 24 MP photo gets 24 MP texture.
5. **Structure lock** (with an engine): across a hole that is a large share of its crop
   (:data:`STRUCTURE_LOCKS`) or made of thin strokes (:data:`THIN_LOCK`) the engine's σ 4 px band
   replaces the completion's — with little photo left around the hole, or a few pixels from it, the
   network's layout is closer to the truth than any patch's; the photo's patches keep the finer band.
   Settings chosen on train photos only: ``python -m benchmarks.fill_tuning``.

``strength`` (0–2) blends the result over the engine's fill (1 = the exemplar completion as it is).
Skipped, returning the fill: holes no wider than :data:`THIN_RADIUS` px from a known pixel (scratches,
specks: a diffusion fill of a ≤ 5 px gap is invisible) and crops with nothing to copy from.
Deterministic for a seed (counter-based hash, serial search, per-pixel parallel voting); different
seeds give different fills (variations). Hot loops are numba (engine/patch_kernels.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from engine.errors import Cancelled
from engine.patch_kernels import NotCached, cached_only, onion_peel, rescore, search, vote

PATCH = 7
#: Matching targets at the working resolution, at most (speed: benchmarks/texture.py).
WORK_PIXELS = 70_000
#: Holes no wider than this (max distance of a hole pixel to a known one, px) are left as filled.
THIN_RADIUS = 2.5
#: Long side (px) below which no coarser pyramid level is made.
COARSEST = 64
#: σ (px at the finest level, halved per coarser level) of the low-pass the guide term compares in
#: untextured surroundings: the structure, not the grain; it grows with :func:`texture_share`.
GUIDE_SIGMA = 6.0
#: Sources the onion peel searches exhaustively, at most (a seeded subset beyond).
ONION_SOURCES = 1000
#: σ (px, working resolution) of the band the structure lock takes from the engine (the σ of the
#: structure metric, engine/metrics.py).
LOCK_SIGMA = 4.0
#: (hole share of the crop, structure lock) points, linear between, constant beyond: with little
#: photo left around a scattered hole the network knows the layout better than the patches do.
STRUCTURE_LOCKS = ((0.2, 0.0), (0.4, 1.0))
#: (mean distance of the hole's pixels to the known ones, px at the working resolution) → full lock,
#: no lock, linear between: across thin strokes the network's low band is close to the truth and a
#: copied one is off by the patches' misalignment.
THIN_LOCK = (6.0, 12.0)
#: Working scales (×) between which the full-resolution pass goes from taking each pixel from its best
#: patch to the weighted mean of the covering patches (seams between copies; :func:`_full_resolution`).
SEAM_BLEND_SCALES = (1.0, 2.0)

Progress = Callable[[float, str], None]
#: ``search``'s "every target is active".
ALL = np.zeros(0, np.bool_)
#: Weight of the cost of far sources (:class:`TextureOptions` ``proximity``): a whole-boat hole of the
#: boats sample took its dark middle from the far shore without it. Chosen on train photos and ground
#: textures (benchmarks/fill_tuning.py; docs/fill-completion.md, eighth session).
PROXIMITY = 0.2
#: Weight of the price of sources much smoother than the hole's surroundings (:class:`TextureOptions`
#: ``smooth``, :func:`_smooth_price`).
SMOOTH = 0.2
#: ``search``'s "no cost per source".
NO_COST = np.zeros((0, 0), np.float32)
#: ``search``'s and ``onion_peel``'s "no price per pair".
NO_WANT = np.zeros(0, np.float32)
#: ``vote``'s "no second plane".
NONE = np.zeros((0, 0, 3), np.float32)


@dataclass(frozen=True)
class TextureOptions:
    """How the exemplar completion runs.

    ``strength``: blend over the engine's fill (0 = the fill as it is, 1 = the completion, up to 2).
    ``guide_coarse`` / ``guide_fine``: weight of the engine's low-pass in the patch distance at the
    coarsest / finest level (geometric between), for a target in untextured surroundings; in textured
    surroundings it is scaled by ``1 − texture_relief × texture_share``. ``features``: weight of the
    texture features. ``guide_sigma`` + ``guide_sigma_texture`` × texture_share: σ (px, finest level)
    of the guide's low-pass. ``em_iterations``: (coarsest level, every finer level).
    """

    strength: float = 1.0
    seed: int = 0
    guide_coarse: float = 2.0
    guide_fine: float = 0.5
    texture_relief: float = 1.0
    features: float = 1.0
    guide_sigma: float = GUIDE_SIGMA
    guide_sigma_texture: float = 24.0
    em_iterations: tuple[int, int] = (6, 3)
    share_sigma: float = 3.0
    #: Hole shares of the crop where the share lock (:data:`STRUCTURE_LOCKS`) starts and is full.
    lock_shares: tuple[float, float] = (STRUCTURE_LOCKS[0][0], STRUCTURE_LOCKS[1][0])
    #: EM at this many coarsest levels votes the weighted mean of the patches (Wexler et al.); the
    #: finer levels take each pixel from its best patch. 0 (shipped): best patch at every level.
    blend_levels: int = 0
    # Share of the engine's low band (σ LOCK_SIGMA) put back into the result: None = by the hole's
    # share of the crop (:func:`structure_lock_for`).
    structure_lock: float | None = None
    #: At a structure lock of at least this the coarsest level starts from the engine's fill, not by
    #: onion peeling (the lock replaces most of the layout the peel would choose).
    onion_lock: float = 1.0
    #: Cost of a source patch per pixel by its distance to the hole (:func:`_proximity_cost`):
    #: ``proximity`` × U × (distance / the hole's equivalent radius − ``proximity_free``) where
    #: positive, U = the mean squared colour difference of two pixels around the hole, × how unlike
    #: the texture around the hole the source's is (full beyond a ratio of ``proximity_gate``). 0 = none.
    proximity: float = PROXIMITY
    proximity_free: float = 1.0
    proximity_gate: float = 2.0
    #: Price of a source for a target (:func:`_smooth_price`): ``smooth`` × U × clip(log₂ of how many
    #: times smoother the source is than the photo around the hole near the target, − log₂
    #: ``smooth_slack``, 0, 1). 0 = none.
    smooth: float = SMOOTH
    smooth_slack: float = 2.0


# ------------------------------------------------------------------------------------ helpers
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


def texture_features(img: np.ndarray, sizes: list[tuple[int, int]], hole: np.ndarray | None = None) -> list[np.ndarray]:
    """The texture features of the known photo at each of ``sizes`` (Newson et al., 2014 and IPOL 2017,
    §3.2): |∂x| and |∂y| of luma (Sobel / 4, 0–255 scale) at ``img``'s own resolution, over the pixels
    whose gradient sees no ``hole`` pixel (every pixel for None), brought to each size (w, h) by area
    averaging, then their local (7×7) mean there, normalised by the share of such pixels. img: float32
    H×W×3 RGB; hole: bool H×W. Returns [float32 h×w×3 (fx, fy, 0; the third plane lets the colour kernels
    carry it)] per size; 0 where no such pixel is near.

    Measured at the crop's own resolution, not on each pyramid level: at a coarse level pebbles and a
    dark, smooth far shore are both smooth (mean |∂x| 8.6 and 5.9 at 1/16 of the boats sample) and only
    the full resolution tells them apart (30 and 1.0), so a level's own gradients let the coarse levels
    lay smooth sources into a textured hole. A known pixel of a level averages known pixels only."""
    h, w = img.shape[:2]
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    seen = np.ones((h, w), np.float32) if hole is None else (~_dilate(hole, 1)).astype(np.float32)
    grads = []
    for dx, dy in ((1, 0), (0, 1)):
        grad = cv2.Sobel(grey, cv2.CV_32F, dx, dy, ksize=3, borderType=cv2.BORDER_REFLECT)
        np.abs(grad, out=grad)
        grad *= seen
        grad *= 0.25
        grads.append(grad)
    out = []
    for size in sizes:
        same = size == (w, h)
        count = cv2.blur(seen if same else _resize(seen, size, area=True), (PATCH, PATCH))
        np.maximum(count, 1e-3, out=count)
        planes = np.zeros((size[1], size[0], 3), np.float32)
        for k, grad in enumerate(grads):
            small = grad if same else _resize(grad, size, area=True)
            planes[..., k] = cv2.blur(small, (PATCH, PATCH), borderType=cv2.BORDER_REFLECT) / count
        out.append(planes)
    return out


def _features(
    img: np.ndarray, tex: np.ndarray, weight: float, guide: np.ndarray | None = None, lam: float = 0.0
) -> np.ndarray:
    """Per-pixel match features: the colour (``img`` float32 H×W×3 RGB), √weight × the texture
    features (``tex``, :func:`texture_features`, carried into the hole by the copies), then, when
    ``lam`` > 0, √lam × ``guide`` (float32 H×W×3, the engine's low-pass): float32 H×W×5 (or ×8),
    C-contiguous. Squared differences of these sum to the patch distance of the module docstring."""
    planes = [img, tex[..., :2] * math.sqrt(weight)] + (
        [guide * math.sqrt(lam)] if guide is not None and lam > 0 else []
    )
    return np.ascontiguousarray(np.dstack(planes).astype(np.float32))


def texture_share(img: np.ndarray, hole: np.ndarray, sigma: float = 3.0) -> float:
    """How textured the known photo around ``hole`` is, 0–1: the share of the variance of luma
    within 24 px of the hole's edge that lies in the fine band (luma minus its σ ``sigma`` px blur).
    img: float32 or uint8 H×W×3 RGB; hole: bool H×W."""
    grey = cv2.cvtColor(img.astype(np.float32), cv2.COLOR_RGB2GRAY)
    ring = _dilate(hole, 24) & ~hole
    if not ring.any():
        return 0.0
    fine = grey - cv2.GaussianBlur(grey, (0, 0), sigma)
    total = float(grey[ring].var()) + 1e-6
    return float(np.clip(float(np.mean(fine[ring] ** 2)) / total, 0.0, 1.0))


@dataclass
class _Level:
    """One pyramid level: ``img`` float32 h×w×3 (the estimate), ``tex`` float32 h×w×3 (its texture
    features: the photo's outside the hole, copied with the pixels inside), ``hole``/``valid`` bool
    h×w, targets ``ty``/``tx`` int64, ``index`` int32 h×w, hole pixels ``hy``/``hx`` int64."""

    img: np.ndarray
    tex: np.ndarray
    hole: np.ndarray
    valid: np.ndarray
    ty: np.ndarray
    tx: np.ndarray
    index: np.ndarray
    hy: np.ndarray
    hx: np.ndarray


def _level(img: np.ndarray, tex: np.ndarray, hole: np.ndarray, exclude: np.ndarray | None) -> _Level:
    r = PATCH // 2
    h, w = hole.shape
    valid = ~_dilate(hole if exclude is None else hole | exclude, r)
    valid[:r], valid[h - r :], valid[:, :r], valid[:, w - r :] = False, False, False, False
    ty, tx = np.nonzero(_dilate(hole, r))
    index = np.full((h, w), -1, np.int32)
    index[ty, tx] = np.arange(len(ty), dtype=np.int32)
    hy, hx = np.nonzero(hole)
    return _Level(
        img, tex, hole, valid, ty.astype(np.int64), tx.astype(np.int64), index, hy.astype(np.int64), hx.astype(np.int64)
    )


def _random_field(level: _Level, seed: int, count: int | None = None) -> np.ndarray:
    """``count`` (default: one per target) random valid source centres, int64 count×2 (y, x)."""
    count = len(level.ty) if count is None else count
    rng = np.random.default_rng(seed)
    h, w = level.valid.shape
    out = np.zeros((count, 2), np.int64)
    todo = np.arange(count)
    for _ in range(8):  # rejection sampling: no O(H×W) list of valid pixels on a 24 MP crop
        if not len(todo):
            return out
        y, x = rng.integers(0, h, len(todo)), rng.integers(0, w, len(todo))
        ok = level.valid[y, x]
        out[todo[ok], 0], out[todo[ok], 1] = y[ok], x[ok]
        todo = todo[~ok]
    vy, vx = np.nonzero(level.valid)  # few valid pixels: pick among them
    pick = rng.integers(0, len(vy), len(todo))
    out[todo, 0], out[todo, 1] = vy[pick], vx[pick]
    return out


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
    out = np.stack([cy, cx], axis=1)
    out[~ok] = _random_field(fine, seed, int(np.count_nonzero(~ok)))
    return out


def _onion_start(
    lv: _Level,
    guide: np.ndarray,
    lam: float,
    features: float,
    seed: int,
    cost: np.ndarray | None = None,
    price: _Price | None = None,
) -> np.ndarray:
    """Fill ``lv.img``'s and ``lv.tex``'s hole by onion peeling (in place; the texture features, weighted
    by ``features``, are matched and copied with the colour); returns the field it leaves (random
    where a target is not a hole pixel)."""
    nnf = _random_field(lv, seed)
    dist = cv2.distanceTransform(lv.hole.astype(np.uint8), cv2.DIST_L2, 3)
    layer = np.ceil(dist[lv.hy, lv.hx]).astype(np.int32)
    order = np.argsort(layer, kind="stable")
    vy, vx = np.nonzero(lv.valid)
    # A seeded half of the sources (at most ONION_SOURCES): exhaustive search stays cheap, and
    # different seeds start from different layouts, so variations differ in more than grain.
    count = min(ONION_SOURCES, max(64, len(vy) // 2), len(vy))
    keep = np.sort(np.random.default_rng(seed + 7).choice(len(vy), count, replace=False))
    vy, vx = vy[keep], vx[keep]
    per_source = np.zeros(0, np.float32) if cost is None else np.ascontiguousarray(cost[vy, vx] / PATCH**2)
    want, have, unit = NO_WANT, NO_WANT, 0.0
    if price is not None:  # per mean over the patch, like the cost
        want = np.ascontiguousarray(price.want[lv.hy[order], lv.hx[order]])
        have, unit = np.ascontiguousarray(price.have[vy, vx]), price.unit / PATCH**2
    known = ~lv.hole
    k = math.sqrt(features)
    carried = np.ascontiguousarray(np.dstack([lv.img, lv.tex[..., :2] * k]))
    onion_peel(
        carried, known, guide, lam, vy.astype(np.int64), vx.astype(np.int64), lv.hy[order], lv.hx[order], layer[order],
        PATCH // 2, nnf, lv.index, per_source, want, have, unit,
    )  # fmt: skip
    lv.img[lv.hole] = carried[lv.hole, :3]
    # The features' copy, from their source pixels (not unweighted from ``carried``: a zero weight).
    src = nnf[lv.index[lv.hy, lv.hx]]
    lv.tex[lv.hy, lv.hx] = lv.tex[src[:, 0], src[:, 1]]
    return nnf


def _ring(lv: _Level) -> np.ndarray:
    """The known pixels within 8 px of ``lv``'s hole (bool h×w): the surroundings the proximity cost compares with."""
    return _dilate(lv.hole, 8) & ~lv.hole


def _unit(lv: _Level, ring: np.ndarray | None = None) -> float:
    """U: the mean squared colour difference (summed over channels) of two pixels of the known ring
    (:func:`_ring`, unless given) around ``lv``'s hole, i.e. twice the ring's summed variance."""
    ring = _ring(lv) if ring is None else ring
    return 2.0 * float(lv.img[ring].var(axis=0).sum()) if ring.any() else 1.0


def _proximity_cost(lv: _Level, weight: float, free: float = 1.0, gate: float = 2.0) -> np.ndarray | None:
    """Per source centre of ``lv``, the cost added to its patch distance (a sum over 7×7 pixels):
    ``weight`` × U (:func:`_unit`) × 49 × (its distance to the hole / the hole's equivalent radius √(area/π) −
    ``free``, 0 where negative) × how unlike the texture around the hole its own is (0–1: |ln| of the
    ratio of its texture features, |∂x| + |∂y| + 1, to their median on the ring within 8 px of the hole,
    over ln ``gate``; no gating for ``gate`` ≤ 1). float32 h×w, or None where every source costs 0.

    Why: the patch distance is blind to where a source lies, and a dark, smooth stretch far away (the
    far shore behind a boat) fits a dark estimate as well as anything; nearby photo is likelier the
    same surface (the sampling area of Photoshop's Content-Aware Fill is the hole's surroundings). In
    units of the hole's own size, so a photo and its 24 MP original pay alike; within ``free`` radii
    nothing, so a hole still chooses among all the sources around it. Far sources with the grain of the
    hole's surroundings pay little or nothing: charged in full, they made a flat band next to fine
    grain relatively cheaper, and a grain hole beside a flat band got a flat patch in 3 of 40 random
    scenes (0 of 40 without the cost, 0 of 40 gated)."""
    if weight <= 0:
        return None
    far = cv2.distanceTransform((~lv.hole).astype(np.uint8), cv2.DIST_L2, 5)
    depth = max(1.0, math.sqrt(float(np.count_nonzero(lv.hole)) / math.pi))
    excess = np.maximum(far / np.float32(depth) - np.float32(free), 0.0)
    if not excess.any():  # every source within the free band (a scattered hole): no cost to look up
        return None
    ring = _ring(lv)
    if gate > 1:
        grain = lv.tex[..., 0] + lv.tex[..., 1]
        level = float(np.median(grain[ring])) if ring.any() else 0.0
        unlike = np.clip(np.abs(np.log((grain + 1.0) / (level + 1.0))) / math.log(gate), 0.0, 1.0)
        excess *= unlike
    if not excess.any():
        return None
    return np.ascontiguousarray((excess * np.float32(weight * _unit(lv, ring) * PATCH**2)).astype(np.float32))


@dataclass(frozen=True)
class _Price:
    """A price per (target, source) pair for the kernels: ``unit`` × clip(want[t] − have[s], 0, 1).
    ``want``: float32 h×w (read at the targets); ``have``: float32 h×w (read at the sources)."""

    want: np.ndarray
    have: np.ndarray
    unit: float


def _smooth_price(lv: _Level, weight: float, slack: float = 2.0) -> _Price | None:
    """The price of sources much smoother than the photo around the hole near the target, or None.

    The grain of a pixel is log₂(1 + |∂x| + |∂y|) of its texture features (:func:`texture_features`).
    A target expects the grain of the known ring (:func:`_ring`) around it: the ring's grain spread
    into the hole by normalised convolution (Gaussian, σ half the hole's depth), a known
    target its own. A source whose grain is below the expectation by more than log₂ ``slack`` pays
    ``weight`` × U (:func:`_unit`) × 49 per unit of the shortfall, up to one unit.

    Why: the patch distance compares colours, and the average a fill starts from is smoother than the
    photo, so EM drifts to smooth sources that fit it, level after level (a 12 MP photo of a mountain
    meadow, a stone table removed: the share of the hole's sources under 0.4× the ring's grain rose
    from 0.43 at the coarsest level to 0.74 at the finest, and the hole became a dark, flat blob copied
    from a forest in shadow and smooth patches of ground). The texture features alone do not stop
    it: they are copied with the pixels, so a smooth fill matches smooth sources. A target whose
    surroundings are smooth (a sky) wants nothing and pays nothing."""
    if weight <= 0:
        return None
    ring = _ring(lv)
    if not ring.any():
        return None
    have = np.log2(1.0 + lv.tex[..., 0] + lv.tex[..., 1]).astype(np.float32)
    # Half the hole's depth: a disc's half radius; a few px across scattered strokes (and a cheap blur).
    sigma = max(2.0, 0.5 * float(cv2.distanceTransform(lv.hole.astype(np.uint8), cv2.DIST_L2, 3).max()))
    weights = ring.astype(np.float32)
    total = np.maximum(cv2.GaussianBlur(weights, (0, 0), sigma), 1e-12)
    spread = cv2.GaussianBlur(have * weights, (0, 0), sigma) / total
    want = np.where(lv.hole, spread, have).astype(np.float32) - np.float32(math.log2(max(slack, 1.0)))
    if not lv.valid.any() or not (want[lv.ty, lv.tx] > have[lv.valid].min()).any():
        return None  # no target can pay: skip the lookups
    return _Price(want, have, weight * _unit(lv, ring) * PATCH**2)


def _sigma2(dist: np.ndarray) -> float:
    """σ² of the vote's weights: the 75th percentile of the match distances (Wexler et al. §3.2)."""
    return max(float(np.percentile(dist, 75)), 1e-3) if len(dist) else 1.0


def structure_lock_for(hole_share: float, shares: tuple[float, float] | None = None) -> float:
    """The structure lock (0–1) for a hole covering ``hole_share`` (0–1) of the crop: 0 up to
    ``shares[0]``, 1 from ``shares[1]`` (default :data:`STRUCTURE_LOCKS`), linear between."""
    if shares is None:
        shares = (STRUCTURE_LOCKS[0][0], STRUCTURE_LOCKS[1][0])
    return float(np.interp(hole_share, shares, (STRUCTURE_LOCKS[0][1], STRUCTURE_LOCKS[1][1])))


def _structure_lock(options: TextureOptions, hole: np.ndarray, work_hole: np.ndarray) -> float:
    """The structure lock (0–1) of a guided completion: ``options.structure_lock`` if set, else the
    larger of :func:`structure_lock_for` the hole's share of the crop (``hole``, bool H×W) and the
    thin-stroke lock of its mean depth at the working resolution (``work_hole``, :data:`THIN_LOCK`)."""
    if options.structure_lock is not None:
        return options.structure_lock
    depth = float(cv2.distanceTransform(work_hole.astype(np.uint8), cv2.DIST_L2, 3)[work_hole].mean())
    thin = float(np.clip((THIN_LOCK[1] - depth) / (THIN_LOCK[1] - THIN_LOCK[0]), 0.0, 1.0))
    return max(structure_lock_for(float(hole.mean()), options.lock_shares), thin)


def working_scale(mask: np.ndarray) -> float:
    """How many times smaller than the crop the completion works (≥ 1): the scale that brings the
    targets (pixels whose 7×7 patch touches the hole; mask uint8 H×W, > 127 = hole) to
    :data:`WORK_PIXELS`."""
    targets = int(np.count_nonzero(_dilate(mask > 127, PATCH // 2)))
    return max(1.0, math.sqrt(targets / WORK_PIXELS))


def max_hole_radius(mask: np.ndarray) -> float:
    """Largest distance (px) of a hole pixel (mask > 127) to the nearest known pixel."""
    hole = (mask > 127).astype(np.uint8)
    if not hole.any():
        return 0.0
    return float(cv2.distanceTransform(hole, cv2.DIST_L2, 3).max())


def needs_texture(mask: np.ndarray) -> bool:
    """False for holes the completion skips: empty, or no wider than :data:`THIN_RADIUS` px."""
    return max_hole_radius(mask) > THIN_RADIUS


# ---------------------------------------------------------------------------------- the fill
def synthesize(
    image: np.ndarray,
    mask: np.ndarray,
    fill: np.ndarray | None = None,
    options: TextureOptions | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """Exemplar completion of the hole of one crop; pixels outside the hole are returned unchanged.

    image: uint8 H×W×3 RGB (hole contents are ignored). mask: uint8 H×W, > 127 = hole.
    fill: uint8 H×W×3 RGB, an engine's result for this crop (its hole pixels guide the structure),
    or None for a plain exemplar fill. exclude: bool or uint8 H×W (> 0 = never copied from: a shadow,
    another person), or None. Returns uint8 H×W×3 RGB. ``progress(fraction, message)`` is called
    between EM iterations; ``cancel()`` is polled there and True raises ``Cancelled``.
    """
    options = options or TextureOptions()
    report = progress or (lambda _f, _m: None)
    hole_full = mask > 127
    excl = None if exclude is None or not np.any(exclude) else (np.asarray(exclude) > 0) & ~hole_full
    big_h, big_w = hole_full.shape
    r = PATCH // 2
    guided = fill is not None
    composite = np.where(hole_full[..., None], fill, image).astype(np.uint8) if guided else image.copy()
    if not hole_full.any() or (guided and (options.strength <= 0 or not needs_texture(mask))):
        return composite
    if min(big_h, big_w) < 2 * PATCH:  # a sliver of a photo: too small for a pyramid of 7×7 patches
        return composite if guided else _fallback(image, hole_full)
    comp = composite.astype(np.float32)

    scale = working_scale(mask)
    work = (max(PATCH * 2, round(big_w / scale)), max(PATCH * 2, round(big_h / scale)))
    sizes = [work]
    while max(sizes[-1]) / 2 >= COARSEST and min(sizes[-1]) / 2 >= PATCH * 3:
        sizes.append((round(sizes[-1][0] / 2), round(sizes[-1][1] / 2)))
    sizes.reverse()  # coarsest first

    levels: list[_Level] = []
    for size, tex in zip(sizes, texture_features(comp, sizes, hole_full), strict=True):
        full_size = size == (big_w, big_h)
        img = comp.copy() if full_size else _resize(comp, size, area=True)
        hole = _shrink_mask(hole_full, size)
        levels.append(_level(img, tex, hole, None if excl is None else _shrink_mask(excl, size)))
    if not all(lv.valid.any() for lv in levels):
        return composite if guided else _fallback(image, hole_full)
    lock = _structure_lock(options, hole_full, levels[-1].hole) if guided else 0.0
    if guided and lock >= options.onion_lock:
        # The coarsest level starts from the engine's fill (below), so its hole starts with the fill's features.
        first = levels[0]
        first.tex[first.hole] = texture_features(comp, [sizes[0]])[0][first.hole]
    # At the working resolution: the same share for a photo and its 24 MP original.
    share = texture_share(levels[-1].img, levels[-1].hole, options.share_sigma) if guided else 0.0
    relief = min(1.0, options.texture_relief * share)
    guide_sigma = options.guide_sigma + options.guide_sigma_texture * share

    iters = [options.em_iterations[0]] + [options.em_iterations[1]] * (len(levels) - 1)
    total, done = sum(iters) + 1, 0
    nnf = np.zeros((0, 2), np.int64)
    for li, lv in enumerate(levels):
        sigma = max(0.5, guide_sigma / 2 ** (len(levels) - 1 - li))
        guide = cv2.GaussianBlur(lv.img, (0, 0), sigma) if guided else np.zeros_like(lv.img)
        frac = li / max(1, len(levels) - 1)
        lam_level = options.guide_coarse ** (1 - frac) * options.guide_fine**frac if guided else 0.0
        lam = lam_level * (1.0 - relief)
        near = _proximity_cost(lv, options.proximity, options.proximity_free, options.proximity_gate)
        price = _smooth_price(lv, options.smooth, options.smooth_slack)
        want, have, unit = NO_WANT, NO_COST, 0.0
        if price is not None:
            want, have, unit = np.ascontiguousarray(price.want[lv.ty, lv.tx]), price.have, price.unit
        if li == 0 and guided and lock >= options.onion_lock:
            nnf = _random_field(lv, options.seed)  # the layout is the engine's anyway: start from its fill
        elif li == 0:
            nnf = _onion_start(lv, guide, lam, options.features, options.seed, near, price)
        else:
            nnf = _upsample_field(levels[li - 1], nnf, lv, options.seed + li)
            # The estimate at this level is re-voted from its own pixels under the upsampled field:
            # the plain mean of the patches covering each pixel (their distances are not known yet;
            # rescoring them and taking the best patch drew smoother sources: 1.55× G'MIC's texture
            # against 1.04× on the ground textures).
            dist = np.zeros(len(lv.ty), np.float64)
            _vote_level(lv, nnf, dist, 1.0)
        dist = np.zeros(len(lv.ty), np.float64)
        for it in range(iters[li]):
            if cancel is not None and cancel():
                raise Cancelled()
            feat = _features(lv.img, lv.tex, options.features, guide, lam)
            search(
                feat, lv.ty, lv.tx, lv.index, nnf, dist, lv.valid, r, options.seed, it + 16 * li, 32, 1 << 30, ALL,
                NO_COST if near is None else near, want, have, unit,
            )  # fmt: skip
            _vote_level(lv, nnf, dist, _sigma2(dist) if li < options.blend_levels else 0.0)
            done += 1
            report(done / total, f"texture: level {li + 1} of {len(levels)}")
    if cancel is not None and cancel():
        raise Cancelled()

    # The finest level: each pixel from its best-fitting patch alone.
    finest = levels[-1]
    if scale == 1.0:
        rescore(_features(finest.img, finest.tex, options.features, guide, lam), finest.ty, finest.tx, nnf, dist, r)
        result = finest.img.copy()
        vote(comp, finest.hy, finest.hx, finest.index, nnf, dist, r, 0.0, result, NONE, NONE)
    else:
        result = _full_resolution(comp, hole_full, excl, finest, nnf, scale, options.seed)
    if guided and lock > 0:
        # The engine's low band (σ LOCK_SIGMA at the working resolution) replaces the completion's.
        def low(a: np.ndarray) -> np.ndarray:
            if scale == 1.0:
                return cv2.GaussianBlur(a, (0, 0), LOCK_SIGMA)
            return _resize(cv2.GaussianBlur(_resize(a, work, area=True), (0, 0), LOCK_SIGMA), (big_w, big_h), False)

        result = result + lock * (low(comp) - low(np.where(hole_full[..., None], result, comp)))
    if guided and options.strength != 1.0:
        result = comp + options.strength * (result - comp)
    out = image.copy()
    out[hole_full] = np.clip(np.rint(result[hole_full]), 0, 255).astype(np.uint8)
    report(1.0, "texture: done")
    return out


def load_cached_kernels() -> bool:
    """Load the numba kernels as :func:`warm_up_kernels` does, from numba's cache only: True when all
    were there; False (compiling nothing) when one was not: the first run after an install, or after
    numba, the CPU or engine/patch_kernels.py changed. Nothing else may compile meanwhile."""
    try:
        with cached_only():
            warm_up_kernels()
    except NotCached:
        return False
    return True


def _vote_level(lv: _Level, nnf: np.ndarray, dist: np.ndarray, sigma2: float) -> None:
    """``lv``'s hole (estimate and texture features) re-voted from the patches of ``nnf`` (in place;
    ``sigma2`` as :func:`engine.patch_kernels.vote`; one pass for both planes)."""
    vote(lv.img, lv.hy, lv.hx, lv.index, nnf, dist, PATCH // 2, sigma2, lv.img, lv.tex, lv.tex)


def warm_up_kernels() -> None:
    """Compile the numba kernels (the first run after an install: ~6 s on 2 cores) or load them from
    numba's cache (~0.3 s), with two fills of a 48² crop, plain and guided. The editor calls it on a
    background thread at start-up so that its first texture fill does not wait for the compiler; every
    kernel a fill of any size uses has the same argument types, so nothing is compiled later."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    mask = np.zeros((48, 48), np.uint8)
    mask[16:32, 16:32] = 255
    synthesize(image, mask)
    synthesize(image, mask, image)


def _full_resolution(
    comp: np.ndarray,
    hole: np.ndarray,
    excl: np.ndarray | None,
    finest: _Level,
    nnf: np.ndarray,
    scale: float,
    seed: int,
) -> np.ndarray:
    """The finest level at the crop's own resolution (``scale`` > 1 times the working one): the field
    is scaled up (each target takes its working parent's offset, blocks of ``scale`` px), each hole
    pixel copies the photo under its own match, and one PatchMatch pass on the colours at full
    resolution (propagation, and random search within two blocks) settles the seams, after which
    each pixel is the weighted mean of the patches covering it (Wexler et al.; σ² ramped by
    :data:`SEAM_BLEND_SCALES` from 0, the best patch alone, to the 75th percentile of the distances).
    Only targets whose patch is not one coherent copy are searched: a patch copied whole under one
    offset already equals its source (distance 0), and on a 24 MP photo most of them are.
    comp: float32 H×W×3 RGB, the crop (hole filled); returns float32 H×W×3."""
    r = PATCH // 2
    full = _level(comp.copy(), np.zeros_like(comp), hole, excl)
    field = _upsample_field(finest, nnf, full, seed + 99)
    # Sources are valid centres (their whole patch is known photo), so every hole pixel gets a copy.
    at = full.index[full.hy, full.hx]
    full.img[full.hy, full.hx] = comp[field[at, 0], field[at, 1]]
    # Offset maps (target → its source), with a value no copy has outside the hole: a target is a
    # coherent copy when its 7×7 window holds one offset and no known pixel.
    # Within the targets' bounding box (the crop's margin holds none).
    y0, y1, x0, x1 = full.ty.min(), full.ty.max() + 1, full.tx.min(), full.tx.max() + 1
    big = np.float32(1e7)
    oy = np.full((y1 - y0, x1 - x0), big, np.float32)
    ox = np.full((y1 - y0, x1 - x0), big, np.float32)
    oy[full.hy - y0, full.hx - x0] = field[at, 0] - full.hy
    ox[full.hy - y0, full.hx - x0] = field[at, 1] - full.hx
    kernel = np.ones((PATCH, PATCH), np.uint8)
    same = (cv2.dilate(oy, kernel) == cv2.erode(oy, kernel)) & (cv2.dilate(ox, kernel) == cv2.erode(ox, kernel))
    same &= oy < big
    active = ~same[full.ty - y0, full.tx - x0]
    full_dist = np.zeros(len(full.ty), np.float64)
    search(
        full.img, full.ty, full.tx, full.index, field, full_dist, full.valid, r, seed, 99, 4,
        math.ceil(2 * scale), active, NO_COST, NO_WANT, NO_COST, 0.0,
    )  # fmt: skip
    out = full.img.copy()
    # Where the covering patches disagree (the seams between copies), their weighted mean: a best-patch
    # choice there cuts along the upsampled field's blocks, straight steps `scale` px wide at 100 %.
    # Coherent copies agree, so they stay exact. Ramped in by SEAM_BLEND_SCALES
    # (train photos, benchmarks/fill_tuning.py: 10 → 11 bar criteria; docs/fill-completion.md).
    lo, hi = SEAM_BLEND_SCALES
    blend = float(np.clip((scale - lo) / (hi - lo), 0.0, 1.0))
    vote(
        full.img, full.hy, full.hx, full.index, field, full_dist, r, _sigma2(full_dist[active]) * blend, out, NONE, NONE
    )
    return out


def _fallback(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Nothing to copy from: a Telea fill of the hole (uint8 H×W×3 RGB)."""
    return cv2.inpaint(np.ascontiguousarray(image), hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
