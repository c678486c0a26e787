"""``inpaint(image, mask, engine, options) -> Result``: the one entry point GUI and CLI use.

Strategies for photos larger than an engine's working size:

- ``crop`` (default): one box per connected hole region, grown by a context margin, shifted
  inside the image, overlapping boxes merged; each box is resized so its long side is at most the
  engine's native resolution, padded to the engine's multiple, filled, un-padded, resized back,
  and only hole pixels are pasted into the full-resolution photo. Engines without a native size
  (classical) work at full resolution, except on boxes whose hole exceeds ``max_hole_pixels``.
  Prefill engines (``Engine.prefill``) have only their correction resized back, added to the
  classical prefill computed as the classical engine would for that box.
- ``resize``: the whole photo scaled so its long side is at most ``resize_limit``, filled, and the
  hole pixels scaled back up.
- ``full``: the whole photo at full size (slow on big photos; what a researcher may want).

Pixels outside the hole are never changed unless ``feather > 0``, which blends a band of that
many pixels *outside* the hole (documented: it touches that band only).

Source control (``InpaintOptions.exclude``): excluded pixels (a removed object's shadow, another
person) are never copied into the hole. An engine without :data:`~engine.registry.CAP_EXCLUDE` is run
with them added to its hole, so it never sees them; one with it (patchmatch) gets the real hole and the
exclusion under ``options[EXCLUDE_OPTION]``. The texture stage gets the exclusion too. Only the real hole
is pasted: excluded pixels outside it stay as they are. Crop boxes are chosen on the real hole and then
grown where the exclusion takes much of their context (:func:`widen_for_exclude`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from engine.blend import classical_prefill, paste
from engine.errors import Cancelled, InpaintError
from engine.fill_cache import cached_fill
from engine.registry import CAP_EXCLUDE, CAP_FULL_RES, EXCLUDE_OPTION, Engine, EngineSpec, create_engine

STRATEGIES = ("crop", "resize", "full")

Progress = Callable[[float, str], None]
CancelCheck = Callable[[], bool]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)

#: Most fills one request for variations may ask for (:func:`variation_seeds`).
MAX_VARIATIONS = 16
#: Mean hole depth (px) a learned engine guiding the exemplar completion is scaled to, and the least /
#: most it is scaled down for it (:func:`_guide_engine_side`).
GUIDE_DEPTH = 18.0
GUIDE_MIN_SCALE = 1.25
GUIDE_MAX_SCALE = 3.0


@dataclass
class InpaintOptions:
    """How to run an engine on a photo. Defaults are what the editor uses."""

    strategy: str = "crop"
    margin: int = 128  # crop: minimum context (px, full resolution) around each hole
    margin_ratio: float = 0.5  # crop: context also at least this fraction of the hole's long side
    resize_limit: int = 1024  # resize: long side limit (px)
    feather: int = 0  # px outside the hole blended with the fill (0 = hard paste)
    # crop, engines of any size (classical): a box whose hole has more pixels than this is filled
    # at a scale that brings it down to this many (0 = always full resolution). Diffusion fills
    # cost time per hole pixel (Telea: ~7 µs/px, 8 s for a 5 % hole in 24 MP) and are smooth, so
    # a big hole loses nothing visible at a lower scale; thin scratches stay at full resolution.
    max_hole_pixels: int = 150_000
    # Texture stage (engine/texture.py) after the engine's fill, per box at full resolution: strength
    # of the copied high band, 0 = off, None = the engine's default (:func:`default_texture`: on for
    # learned engines, whose fills are smooth; off for the classical baselines).
    texture: float | None = None
    seed: int = 0  # texture stage and the patchmatch engine: the same seed gives the same result
    # Also return the composite before the texture stage (Result.untextured): evaluation scores an
    # engine with and without texture from one run of the engine.
    keep_untextured: bool = False
    engine_options: dict[str, Any] = field(default_factory=dict)
    # Pixels never used as a source: uint8 H×W, the image's size, > 127 = excluded (a removed object's
    # shadow, another person). Where it overlaps the hole, the hole wins. None = any known pixel.
    exclude: np.ndarray | None = None

    def validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InpaintError(f"unknown strategy {self.strategy!r}; choose one of: {', '.join(STRATEGIES)}")
        if self.margin < 0 or self.feather < 0 or self.margin_ratio < 0 or self.max_hole_pixels < 0:
            raise InpaintError("margin, margin ratio, feather and max hole pixels must not be negative")
        if self.texture is not None and not 0.0 <= self.texture <= 2.0:
            raise InpaintError(f"texture strength {self.texture} must be between 0 (off) and 2")
        if self.resize_limit < 16:
            raise InpaintError(f"resize limit {self.resize_limit} is too small (minimum 16 px)")


@dataclass
class Result:
    """Outcome of one fill.

    ``image``: uint8 H×W×3 RGB at the input's size; ``mask``: the binarised uint8 H×W mask used;
    ``boxes``: the regions processed, (x0, y0, x1, y1) in image pixels; ``extras``: engine extras
    of the box with the largest hole, with ``extras["box"]`` giving that box.
    """

    image: np.ndarray
    mask: np.ndarray
    engine: str
    seconds: float
    strategy: str
    boxes: list[Box] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    texture: float = 0.0  # strength of the texture stage that ran (0 = none)
    untextured: np.ndarray | None = None  # the composite before it (options.keep_untextured)
    texture_seconds: float = 0.0  # of ``seconds``, the time the texture stage took


#: Texture strength learned engines get when the caller does not choose (InpaintOptions.texture None).
DEFAULT_TEXTURE = 1.0


def default_texture(spec: EngineSpec) -> float:
    """Texture strength ``spec`` gets by default: :data:`DEFAULT_TEXTURE` for learned engines (their
    fills are smooth: the networks learned to blur), 0 for the classical ones (baselines, kept as
    OpenCV / the exemplar fill make them)."""
    return DEFAULT_TEXTURE if spec.learned else 0.0


def texture_strength(options: InpaintOptions, spec: EngineSpec) -> float:
    """The texture strength a run of ``spec`` with ``options`` uses."""
    return default_texture(spec) if options.texture is None else float(options.texture)


def check_inputs(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Validate array types/sizes; return the mask binarised to {0, 255} (threshold: > 127 = hole)."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InpaintError("image must be a uint8 H×W×3 RGB array")
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise InpaintError("mask must be a H×W single-channel array (255 = hole)")
    if mask.shape != image.shape[:2]:
        raise InpaintError(
            f"mask is {mask.shape[1]}×{mask.shape[0]} but the image is {image.shape[1]}×{image.shape[0]}; "
            "resize the mask (CLI: --resize-mask)"
        )
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise InpaintError(f"image of {image.shape[1]}×{image.shape[0]} px is too small to inpaint")
    return check_mask(mask)


def check_exclude(exclude: np.ndarray | None, hole: np.ndarray) -> np.ndarray | None:
    """``exclude`` binarised to uint8 {0, 255} without the ``hole`` (binary, the image's size), or
    None when it excludes nothing. Raises :class:`InpaintError` for a bad array or one that leaves no
    pixel outside hole and exclusion."""
    if exclude is None:
        return None
    if not isinstance(exclude, np.ndarray) or exclude.ndim != 2:
        raise InpaintError("exclude mask must be a H×W single-channel array (255 = never copy from here)")
    if exclude.shape != hole.shape:
        raise InpaintError(
            f"exclude mask is {exclude.shape[1]}×{exclude.shape[0]} but the image is {hole.shape[1]}×{hole.shape[0]}; "
            "resize the exclude mask (CLI: --resize-mask)"
        )
    binary = check_mask(exclude)
    binary[hole > 0] = 0  # the hole wins
    if not binary.any():
        return None
    if np.count_nonzero(binary) + np.count_nonzero(hole) == hole.size:
        raise InpaintError("the hole and the exclude mask cover the whole image: no pixel is left to fill from")
    return binary


def variation_seeds(seed: int, n: int) -> list[int]:
    """The seeds of ``n`` variations of a run with ``seed``: ``seed``, ``seed + 1``, … (the first is the
    plain run). Raises :class:`InpaintError` unless 1 <= n <= :data:`MAX_VARIATIONS`."""
    if not 1 <= n <= MAX_VARIATIONS:
        raise InpaintError(f"variations must be between 1 and {MAX_VARIATIONS}, not {n}")
    return [seed + k for k in range(n)]


def seed_matters(spec: EngineSpec, options: InpaintOptions) -> bool:
    """Whether a run of ``spec`` with ``options`` changes with ``options.seed``: the texture stage runs,
    or the engine takes the run's seed (patchmatch, unless ``engine_options`` fixes its own)."""
    takes_seed = any(o.name == "seed" for o in spec.options) and "seed" not in options.engine_options
    return takes_seed or texture_strength(options, spec) > 0


def check_mask(mask: np.ndarray) -> np.ndarray:
    """``mask`` (H×W, any real dtype) binarised to uint8 {0, 255}, > 127 = hole."""
    if mask.dtype == np.uint8:
        # One pass, no temporaries: np.where would build a 24 MP int64 array first (~0.3 s).
        return cv2.threshold(mask, 127, 255, cv2.THRESH_BINARY)[1]
    return np.multiply(mask > 127, 255, dtype=np.uint8)


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    engine: Engine | str,
    options: InpaintOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    device: str = "cpu",
) -> Result:
    """Fill the hole of ``image`` given by ``mask`` with ``engine``.

    image: uint8 H×W×3 RGB. mask: uint8 H×W, > 127 = hole. ``engine`` is an :class:`Engine` or a
    registered name (then built on ``device``). ``progress(fraction, message)`` is called as boxes
    finish; ``cancel()`` is polled between boxes and a True answer raises :class:`Cancelled`.
    Raises :class:`InpaintError` for bad input. The input arrays are never modified.
    ``options.exclude`` marks pixels never copied into the hole (see the module's docstring).
    """
    options = options or InpaintOptions()
    options.validate()
    binary = check_inputs(image, mask)
    excl = check_exclude(options.exclude, binary)
    start = time.perf_counter()
    if isinstance(engine, str):
        engine = create_engine(engine, device=device)
    engine_options = engine.spec.resolve_options(options.engine_options)
    if "seed" in engine_options and "seed" not in options.engine_options:
        engine_options["seed"] = options.seed  # exemplar engines (patchmatch) share the run's seed
    strength = texture_strength(options, engine.spec)
    report = progress or (lambda _f, _m: None)
    if not binary.any():
        return Result(
            image.copy(),
            binary,
            engine.spec.name,
            0.0,
            options.strategy,
            note="mask is empty: nothing to fill, image unchanged",
        )

    if options.strategy == "crop":
        boxes = hole_boxes(binary, engine.native_resolution, options.margin, options.margin_ratio)
        if excl is not None:
            boxes = widen_for_exclude(boxes, binary, excl, engine.native_resolution)
        limit = engine.native_resolution
    elif options.strategy == "resize":
        boxes = [(0, 0, image.shape[1], image.shape[0])]
        limit = options.resize_limit
    else:
        boxes = [(0, 0, image.shape[1], image.shape[0])]
        limit = 0

    out = image.copy()
    plain = image.copy() if options.keep_untextured and strength > 0 else None
    extras: dict[str, Any] = {}
    biggest = -1
    texture_seconds = 0.0
    name = engine.spec.display_name
    for i, box in enumerate(boxes):
        if cancel is not None and cancel():
            raise Cancelled()
        report(i / len(boxes), f"{name}: region {i + 1} of {len(boxes)}")
        x0, y0, x1, y1 = box
        area = int(np.count_nonzero(binary[y0:y1, x0:x1]))
        tile_excl = None if excl is None else excl[y0:y1, x0:x1]
        if tile_excl is not None and not tile_excl.any():
            tile_excl = None
        # The pixels an engine without CAP_EXCLUDE fills: hole and exclusion (its cost grows with them).
        fill_area = area if tile_excl is None else area + int(np.count_nonzero(tile_excl))
        # Any-size (classical) engines fill a box whose hole exceeds max_hole_pixels at this scale;
        # full-resolution engines (patchmatch) choose their own working scale.
        reduced = 0
        big = options.max_hole_pixels and fill_area > options.max_hole_pixels
        if options.strategy == "crop" and big and CAP_FULL_RES not in engine.spec.capabilities:
            reduced = max(16, round(max(x1 - x0, y1 - y0) * (options.max_hole_pixels / fill_area) ** 0.5))
        box_limit = limit or reduced
        # The scale a classical engine would fill this box at: a prefill engine's prefill uses it.
        prefill_limit = reduced if options.strategy == "crop" else limit
        guide_side = _guide_engine_side(binary[y0:y1, x0:x1], box_limit) if engine.prefill and strength == 1.0 else 0
        if plain is None and guide_side:
            box_limit = prefill_limit = guide_side
        elif plain is None and engine.prefill and strength == 1.0:
            prefill_limit = _guide_limit(binary[y0:y1, x0:x1], prefill_limit)
        filled, box_extras = _fill_tile(
            engine, out[y0:y1, x0:x1], binary[y0:y1, x0:x1], box_limit, engine_options, prefill_limit, tile_excl
        )
        if plain is not None:
            _paste_box(plain, filled, binary, box, options.feather)
            if guide_side:
                # The fill alone was kept at the engine's own scale; the completion is guided as it is
                # without keep_untextured (evaluation scores both from one call). Counted as texture time.
                t0 = time.perf_counter()
                filled = _fill_tile(
                    engine, out[y0:y1, x0:x1], binary[y0:y1, x0:x1], guide_side, engine_options, guide_side, tile_excl
                )[0]
                texture_seconds += time.perf_counter() - t0
        if strength > 0:
            from engine.texture import TextureOptions, synthesize  # numba loads only when asked for

            def stage(f: float, message: str, i: int = i) -> None:
                report((i + 0.5 + 0.5 * f) / len(boxes), f"{name}: {message}, region {i + 1} of {len(boxes)}")

            report((i + 0.5) / len(boxes), f"{name}: texture, region {i + 1} of {len(boxes)}")
            t0 = time.perf_counter()
            source = out[y0:y1, x0:x1]
            if tile_excl is not None:
                # Excluded pixels are no source; at the hole's edge the patch distances and the guide's
                # low-pass see the engine's fill there (it never saw them), not the shadow.
                source = np.where(tile_excl[..., None] > 0, filled, source)
            filled = synthesize(
                source, binary[y0:y1, x0:x1], filled,
                TextureOptions(strength=strength, seed=options.seed), progress=stage, cancel=cancel,
                exclude=tile_excl,
            )  # fmt: skip
            texture_seconds += time.perf_counter() - t0
        _paste_box(out, filled, binary, box, options.feather)
        if area > biggest:
            biggest, extras = area, {**box_extras, "box": box}
    if cancel is not None and cancel():
        raise Cancelled()
    report(1.0, f"{name}: done")
    seconds = time.perf_counter() - start
    return Result(
        out, binary, engine.spec.name, seconds, options.strategy, boxes, extras, "", strength, plain, texture_seconds
    )


def _paste_box(out: np.ndarray, filled: np.ndarray, binary: np.ndarray, box: Box, feather: int) -> None:
    """Composite one box's fill into ``out`` (in place): hole pixels, plus the feather band if any."""
    x0, y0, x1, y1 = box
    if feather > 0:
        out[y0:y1, x0:x1] = paste(out[y0:y1, x0:x1], filled, binary[y0:y1, x0:x1], feather)
    else:
        # In place, hole pixels only: no full-tile temporaries on big photos.
        np.copyto(out[y0:y1, x0:x1], filled, where=binary[y0:y1, x0:x1, None] > 0)


def _fill_tile(
    engine: Engine,
    tile: np.ndarray,
    tile_mask: np.ndarray,
    limit: int,
    engine_options: dict[str, Any],
    prefill_limit: int = 0,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Scale (long side <= limit; 0 = keep), pad, fill, un-pad and scale back one tile.

    ``exclude`` (uint8 {0, 255}, disjoint from ``tile_mask``, or None): pixels never to copy from. An
    engine with :data:`CAP_EXCLUDE` gets it, scaled and padded as the mask, as ``options[EXCLUDE_OPTION]``;
    any other engine (and a prefill) fills it as part of the hole, so never sees it.

    A prefill engine's downscaled result (``FillOutput.base`` set) is not scaled back as an image:
    its correction ``image - base`` is, and is added to :func:`_prefill_tile` at ``prefill_limit``
    (what the classical engine of that method gives for this box), so a zero correction returns
    exactly the classical engine's fill.
    """
    takes_exclude = exclude is not None and CAP_EXCLUDE in engine.spec.capabilities
    if exclude is not None and not takes_exclude:
        tile_mask = cv2.bitwise_or(tile_mask, exclude)
    h, w = tile_mask.shape
    small, small_mask = _downscale(tile, tile_mask, limit)
    padded, padded_mask, pads = pad_to_multiple(small, small_mask, engine.spec.pad_multiple)
    if takes_exclude:
        small_excl = exclude if small is tile else _shrink_mask(exclude, small.shape[1], small.shape[0])
        engine_options = {
            **engine_options,
            EXCLUDE_OPTION: pad_to_multiple(small, small_excl, engine.spec.pad_multiple)[1],
        }
    result = cached_fill(engine, padded, padded_mask, engine_options)
    filled = unpad(result.image, pads)
    if result.extras.get("alpha_maps") and any(pads):
        # Maps cover the tile, as the image does: crop each level's share of the padding.
        ph, pw = padded.shape[:2]
        result.extras["alpha_maps"] = [
            m[: max(1, round(m.shape[0] * (ph - pads[0]) / ph)), : max(1, round(m.shape[1] * (pw - pads[1]) / pw))]
            for m in result.extras["alpha_maps"]
        ]
    if small is tile:
        return filled, result.extras
    if result.base is not None and engine.prefill:
        # The network's correction is low-frequency: computed at the working size and added to a
        # full-resolution prefill, the hole's edge stays as sharp as the classical fill's (residual
        # upsampling as in Yi et al., CVPR 2020, "contextual residual aggregation").
        delta = filled.astype(np.float32) - unpad(result.base, pads).astype(np.float32)
        delta = cv2.resize(delta, (w, h), interpolation=cv2.INTER_LINEAR)
        base = _prefill_tile(engine.prefill, tile, tile_mask, prefill_limit).astype(np.float32)
        return np.clip(np.rint(base + delta), 0, 255).astype(np.uint8), result.extras
    return cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC), result.extras


def _guide_limit(tile_mask: np.ndarray, limit: int) -> int:
    """The prefill's long side (0 = full) when the exemplar completion follows at full strength: the
    fill is then only its guide, read at the completion's working scale (low-passed there), so a
    prefill finer than that is never seen (on a 24 MP photo a full-size Navier–Stokes fill costs ~0.5 s)."""
    from engine.texture import needs_texture, working_scale  # numba loads only when asked for

    if not needs_texture(tile_mask):
        return limit
    scale = working_scale(tile_mask)
    if scale <= 1.0:
        return limit
    work = max(16, round(max(tile_mask.shape) / scale))
    return min(limit, work) if limit else work


def _guide_engine_side(tile_mask: np.ndarray, limit: int) -> int:
    """The long side (px) to run a learned engine at when the exemplar completion follows at full
    strength, or 0 to keep ``limit`` (0 = the tile's own size). tile_mask: uint8 H×W, > 127 = hole.

    A deep hole is filled at a scale where its mean depth (mean distance of a hole pixel to the nearest
    known one) is about :data:`GUIDE_DEPTH` px, at most :data:`GUIDE_MAX_SCALE`× below ``limit``; below
    :data:`GUIDE_MIN_SCALE`× the engine keeps its size. The networks were trained on 256² crops; across a
    hole deeper than that the scaled-down network sees the photo around it and lays out the structure
    better, and the completion takes only the fill's low band (structure) from it anyway. Chosen on
    train photos (``python -m benchmarks.fill_tuning --pipeline``, docs/fill-completion.md)."""
    from engine.texture import THIN_RADIUS  # numba loads only when asked for

    hole = (tile_mask > 127).astype(np.uint8)
    dist = cv2.distanceTransform(hole, cv2.DIST_L2, 3)[hole > 0]
    if not dist.size or dist.max() <= THIN_RADIUS:  # the completion skips such holes (needs_texture)
        return 0
    long_side = max(tile_mask.shape)
    side = min(limit, long_side) if limit else long_side
    depth = float(dist.mean()) * side / long_side
    scale = min(depth / GUIDE_DEPTH, GUIDE_MAX_SCALE)
    return max(16, round(side / scale)) if scale >= GUIDE_MIN_SCALE else 0


def _downscale(tile: np.ndarray, tile_mask: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """``tile`` and ``tile_mask`` with long side <= ``limit`` (0 = keep; then the same objects)."""
    h, w = tile_mask.shape
    if not limit or max(h, w) <= limit:
        return tile, tile_mask
    scale = limit / max(h, w)
    sw, sh = max(2, round(w * scale)), max(2, round(h * scale))
    small = cv2.resize(tile, (sw, sh), interpolation=cv2.INTER_AREA)
    return small, _shrink_mask(tile_mask, sw, sh)


def _shrink_mask(mask: np.ndarray, sw: int, sh: int) -> np.ndarray:
    """``mask`` scaled to sw×sh: area-averaged then "any coverage = marked", so thin scratches survive."""
    return np.where(cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA) > 0, 255, 0).astype(np.uint8)


def _prefill_tile(method: str, tile: np.ndarray, tile_mask: np.ndarray, limit: int) -> np.ndarray:
    """:func:`classical_prefill` of one tile as :func:`_fill_tile` runs the classical engine
    ``method`` on it (same scaling; radius 5 is that engine's default): uint8 H×W×3 RGB."""
    h, w = tile_mask.shape
    small, small_mask = _downscale(tile, tile_mask, limit)
    filled = classical_prefill(small, small_mask, method)
    if small is tile:
        return filled
    # Known pixels stay the photo's (a feathered paste reads them), only the hole is scaled up.
    return np.where(tile_mask[..., None] > 127, cv2.resize(filled, (w, h), interpolation=cv2.INTER_CUBIC), tile)


def pad_to_multiple(
    image: np.ndarray, mask: np.ndarray, multiple: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """Reflect-pad bottom/right so both sides are multiples of ``multiple``.

    The mask is reflected too, so mirrored hole pixels stay holes. Returns (image, mask, (pad_y, pad_x)).
    """
    h, w = mask.shape
    m = max(1, int(multiple))
    py, px = (-h) % m, (-w) % m
    if py == 0 and px == 0:
        return image, mask, (0, 0)
    # numpy's reflect repeats the reflection when the pad exceeds the side (tiny tiles, big multiples).
    img = np.pad(image, ((0, py), (0, px), (0, 0)), mode="reflect" if min(h, w) > 1 else "edge")
    msk = np.pad(mask, ((0, py), (0, px)), mode="reflect" if min(h, w) > 1 else "edge")
    return img, msk, (py, px)


def unpad(image: np.ndarray, pads: tuple[int, int]) -> np.ndarray:
    """Remove the bottom/right padding added by :func:`pad_to_multiple`."""
    py, px = pads
    h, w = image.shape[:2]
    return image[: h - py, : w - px]


def hole_boxes(mask: np.ndarray, native: int, margin: int, margin_ratio: float) -> list[Box]:
    """One box per connected hole region (8-connected), grown, shifted inside, merged.

    Each box is the region's bounding box grown by ``max(margin, margin_ratio × long side)``, then
    enlarged to at least ``native`` px per side where the image allows (free context for a network),
    shifted to lie inside the image, and boxes that overlap are merged until none do.
    """
    h, w = mask.shape
    if mask.dtype != np.uint8:
        mask = check_mask(mask)
    # Threshold and label only inside the bounding rectangle of the nonzero pixels (a superset of
    # the holes): on a 24 MP photo with one object hole this is a few percent of the pixels
    # (labelling the whole frame cost ~0.35 s).
    ox, oy, ow, oh = cv2.boundingRect(mask)
    if ow == 0 or oh == 0:
        return []
    binary = check_mask(mask[oy : oy + oh, ox : ox + ow])
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    boxes: list[Box] = []
    for i in range(1, count):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        x, y = x + ox, y + oy
        grow = max(margin, round(margin_ratio * max(bw, bh)))
        boxes.append(_fit_box(x - grow, y - grow, x + bw + grow, y + bh + grow, native, w, h))
    return _merge(boxes, native, w, h)


def widen_for_exclude(boxes: list[Box], hole: np.ndarray, exclude: np.ndarray, native: int) -> list[Box]:
    """``boxes`` (from :func:`hole_boxes`) grown where the exclusion took their context.

    Each box grows by a quarter of its sides per step until the pixels it may copy from (neither hole
    nor excluded) are at least half the known pixels it had without the exclusion, or it covers the
    image; boxes that then overlap are merged. ``hole`` and ``exclude``: uint8 {0, 255}, disjoint.
    """
    h, w = hole.shape
    out: list[Box] = []
    for box in boxes:
        x0, y0, x1, y1 = box
        wanted = (x1 - x0) * (y1 - y0) - np.count_nonzero(hole[y0:y1, x0:x1])
        while box != (0, 0, w, h):
            x0, y0, x1, y1 = box
            blocked = np.count_nonzero(hole[y0:y1, x0:x1]) + np.count_nonzero(exclude[y0:y1, x0:x1])
            if 2 * ((x1 - x0) * (y1 - y0) - blocked) >= wanted:
                break
            gx, gy = max(16, (x1 - x0) // 4), max(16, (y1 - y0) // 4)
            box = _fit_box(x0 - gx, y0 - gy, x1 + gx, y1 + gy, native, w, h)
        out.append(box)
    return _merge(out, native, w, h)


def _fit_box(x0: int, y0: int, x1: int, y1: int, native: int, w: int, h: int) -> Box:
    def axis(a: int, b: int, size: int) -> tuple[int, int]:
        length = min(max(b - a, native), size)
        a = a - max(0, length - (b - a)) // 2
        a = min(max(a, 0), size - length)  # shift inside the image
        return a, a + length

    ax0, ax1 = axis(x0, x1, w)
    ay0, ay1 = axis(y0, y1, h)
    return ax0, ay0, ax1, ay1


def _merge(boxes: list[Box], native: int, w: int, h: int) -> list[Box]:
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    union = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    boxes[i] = _fit_box(*union, native, w, h)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda b: (b[1], b[0]))
