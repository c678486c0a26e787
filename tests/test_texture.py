"""Texture stage (engine/texture.py) and the structure / texture metrics (engine/metrics.py)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from engine.errors import Cancelled
from engine.imageio import load_image, load_mask
from engine.metrics import structure_psnr, texture_distance
from engine.paths import SAMPLES
from engine.texture import (
    LOCK_SIGMA,
    TextureOptions,
    needs_texture,
    structure_lock_for,
    synthesize,
    texture_features,
    texture_share,
)


def _stripes(size: int = 160) -> np.ndarray:
    """uint8 size×size×3 RGB: vertical stripes (period 6 px) plus fine noise, a texture with a clear statistic."""
    rng = np.random.default_rng(3)
    x = np.arange(size)
    base = 128 + 60 * np.sign(np.sin(2 * np.pi * x / 6.0))
    img = np.repeat(np.repeat(base[None, :, None], size, 0), 3, 2) + rng.normal(0, 6, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def _hole(size: int = 160, r: int = 30) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cv2.circle(mask, (size // 2, size // 2), r, 255, -1)
    return mask


def test_metrics_blur_and_noise_raise_texture_but_blur_keeps_structure() -> None:
    img, mask = _stripes(), _hole()
    hole = mask > 0
    blurred = img.copy()
    blurred[hole] = cv2.GaussianBlur(img, (0, 0), 3)[hole]
    noisy = img.copy()
    noise = np.random.default_rng(1).normal(0, 40, img.shape)
    noisy[hole] = np.clip(img.astype(float) + noise, 0, 255).astype(np.uint8)[hole]
    assert texture_distance(img, img, mask) == 0.0
    assert texture_distance(img, blurred, mask) > 100
    assert texture_distance(img, noisy, mask) > 100
    # Blur costs (almost) nothing in structure; a flat grey hole costs a lot.
    flat = img.copy()
    flat[hole] = 30
    assert structure_psnr(img, blurred) > structure_psnr(img, flat) + 10
    assert np.isnan(texture_distance(img, img, np.zeros_like(mask)))


def test_texture_stage_keeps_known_pixels_and_is_deterministic() -> None:
    img, mask = _stripes(), _hole()
    garbage = img.copy()
    garbage[mask > 0] = 255  # hole contents must not matter
    fill = cv2.inpaint(garbage, mask, 5, cv2.INPAINT_NS)
    a = synthesize(garbage, mask, fill, TextureOptions(seed=4))
    b = synthesize(img, mask, fill, TextureOptions(seed=4))
    assert np.array_equal(a, b)
    assert np.array_equal(a[mask == 0], img[mask == 0])
    assert a.dtype == np.uint8 and a.shape == img.shape


def test_texture_stage_brings_back_the_photo_statistics() -> None:
    img, mask = _stripes(), _hole()
    fill = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
    textured = synthesize(img, mask, fill)
    assert texture_distance(img, textured, mask) < 0.6 * texture_distance(img, fill, mask)
    # The engine's structure stays: within 1 dB of the engine alone in the blurred comparison.
    assert structure_psnr(img, textured) > structure_psnr(img, fill) - 1.0
    unguided = synthesize(img, mask, None)
    assert texture_distance(img, unguided, mask) < 0.6 * texture_distance(img, fill, mask)


def test_structure_lock_follows_the_holes_share_of_the_crop() -> None:
    # Object holes with much photo around: the photo's patches decide every band; a scattered hole
    # filling much of the crop keeps the engine's low band.
    assert structure_lock_for(0.05) == structure_lock_for(0.2) == 0.0
    assert structure_lock_for(0.4) == structure_lock_for(0.6) == 1.0
    shares = np.linspace(0, 1, 41)
    assert np.all(np.diff([structure_lock_for(x) for x in shares]) >= 0)
    img, mask = _stripes(), _hole()
    fill = np.full_like(img, 90)  # an engine that predicts a dark flat hole
    blur = lambda a: cv2.GaussianBlur(a.astype(np.float32), (0, 0), LOCK_SIGMA)  # noqa: E731
    inner = cv2.erode(mask, np.ones((25, 25), np.uint8)) > 0  # away from the edge's blur
    free = synthesize(img, mask, fill, TextureOptions(structure_lock=0.0))
    locked = synthesize(img, mask, fill, TextureOptions(structure_lock=1.0))
    assert np.array_equal(free[mask == 0], locked[mask == 0])
    # Locked, the hole's low band is the engine's (dark); free, the photo's patches bring their own.
    assert abs(blur(locked)[inner].mean() - 90) < 8
    assert abs(blur(free)[inner].mean() - blur(img)[inner].mean()) < abs(
        blur(locked)[inner].mean() - blur(img)[inner].mean()
    )


def test_texture_share_tells_texture_from_smooth_surroundings() -> None:
    img, mask = _stripes(), _hole()
    y, x = np.mgrid[0:160, 0:160]
    smooth = np.dstack([x, y, x + y]).astype(np.uint8)
    assert texture_share(img, mask > 0) > 0.5 > 0.05 > texture_share(smooth, mask > 0)


def test_exemplar_fill_copies_sharp_patches_and_seeds_vary_it() -> None:
    img, mask = _stripes(), _hole()
    a = synthesize(img, mask, None, TextureOptions(seed=1))
    b = synthesize(img, mask, None, TextureOptions(seed=2))
    hole = mask > 0
    # No averaging at the end: every hole pixel is a pixel of the photo (sources are known pixels).
    photo = {tuple(p) for p in img[~hole]}
    assert all(tuple(p) in photo for p in a[hole])
    assert np.array_equal(a, synthesize(img, mask, None, TextureOptions(seed=1)))
    assert (a[hole] != b[hole]).any(axis=1).mean() > 0.3


def test_texture_stage_skips_thin_scratches_and_strength_zero() -> None:
    img = _stripes()
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.line(mask, (10, 20), (150, 140), 255, 2)
    assert not needs_texture(mask)
    fill = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
    assert np.array_equal(synthesize(img, mask, fill), np.where(mask[..., None] > 0, fill, img))
    big = _hole()
    fill = cv2.inpaint(img, big, 5, cv2.INPAINT_NS)
    assert np.array_equal(synthesize(img, big, fill, TextureOptions(strength=0)), fill)


def test_texture_stage_is_cancellable() -> None:
    img, mask = _stripes(), _hole()
    with pytest.raises(Cancelled):
        synthesize(img, mask, None, cancel=lambda: True)


def test_pipeline_texture_option_keeps_known_pixels_and_adds_texture() -> None:
    from engine.pipeline import InpaintError, InpaintOptions, inpaint

    img, mask = _stripes(), _hole()
    plain = inpaint(img, mask, "ns").image
    textured = inpaint(img, mask, "ns", InpaintOptions(texture=1.0)).image
    assert np.array_equal(textured[mask == 0], img[mask == 0])
    assert texture_distance(img, textured, mask) < 0.6 * texture_distance(img, plain, mask)
    with pytest.raises(InpaintError, match="texture strength"):
        inpaint(img, mask, "ns", InpaintOptions(texture=-1))


def test_cli_texture_flag(tmp_path) -> None:
    from engine.cli import main
    from engine.imageio import load_image, save_image

    img, mask = _stripes(), _hole()
    save_image(tmp_path / "p.png", img)
    save_image(tmp_path / "m.png", np.repeat(mask[..., None], 3, 2))
    for strength, name in ((0, "a.png"), (1, "b.png")):
        args = ["run", "--engine", "ns", "--image", str(tmp_path / "p.png"), "--mask", str(tmp_path / "m.png")]
        assert main([*args, "--output", str(tmp_path / name), "--texture", str(strength), "-q"]) == 0
    a, b = load_image(tmp_path / "a.png").rgb, load_image(tmp_path / "b.png").rgb
    assert texture_distance(img, b, mask) < 0.6 * texture_distance(img, a, mask)


def test_texture_is_on_by_default_for_learned_engines_only() -> None:
    from engine.pipeline import DEFAULT_TEXTURE, InpaintOptions, texture_strength
    from engine.registry import get_spec

    opts = InpaintOptions()
    assert texture_strength(opts, get_spec("pconv")) == DEFAULT_TEXTURE > 0
    for name in ("ns", "telea", "patchmatch"):
        assert texture_strength(opts, get_spec(name)) == 0.0
    assert texture_strength(InpaintOptions(texture=0.0), get_spec("pconv")) == 0.0


def test_patchmatch_engine_copies_texture_at_full_resolution() -> None:
    from engine.pipeline import InpaintOptions, inpaint

    img, mask = _stripes(320), _hole(320, 60)
    plain = inpaint(img, mask, "ns").image
    # A hole bigger than max_hole_pixels: classical fills would be downscaled, patchmatch is not.
    opts = InpaintOptions(max_hole_pixels=2000)
    a = inpaint(img, mask, "patchmatch", opts)
    b = inpaint(img, mask, "patchmatch", opts)
    assert np.array_equal(a.image, b.image)  # deterministic for the (default) seed
    assert np.array_equal(a.image[mask == 0], img[mask == 0])
    assert a.texture == 0.0  # no texture stage after an exemplar fill
    assert texture_distance(img, a.image, mask) < 0.6 * texture_distance(img, plain, mask)
    assert texture_distance(img, a.image, mask) < 0.6 * texture_distance(
        img, inpaint(img, mask, "ns", opts).image, mask
    )
    other = inpaint(img, mask, "patchmatch", InpaintOptions(seed=5)).image
    assert not np.array_equal(other, a.image)  # the run's seed reaches the engine


def test_keep_untextured_returns_both_composites_from_one_run() -> None:
    from engine.pipeline import InpaintOptions, inpaint

    img, mask = _stripes(), _hole()
    res = inpaint(img, mask, "ns", InpaintOptions(texture=1.0, keep_untextured=True))
    assert res.untextured is not None and res.texture == 1.0 and 0 < res.texture_seconds <= res.seconds
    assert np.array_equal(res.untextured, inpaint(img, mask, "ns").image)
    assert np.array_equal(res.untextured[mask == 0], img[mask == 0])
    assert inpaint(img, mask, "ns", InpaintOptions(keep_untextured=True)).untextured is None  # no stage ran


def test_pipeline_reports_progress_inside_the_texture_stage() -> None:
    from engine.pipeline import InpaintOptions, inpaint

    img, mask = _stripes(), _hole()
    seen: list[tuple[float, str]] = []
    inpaint(img, mask, "ns", InpaintOptions(texture=1.0), progress=lambda f, m: seen.append((f, m)))
    inside = [f for f, m in seen if "texture: level" in m]
    assert len(inside) >= 3 and all(0.5 <= f < 1.0 for f in inside)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)  # never goes backwards


def test_big_crop_is_finished_at_its_own_resolution() -> None:
    # A hole with more targets than WORK_PIXELS is worked at a lower scale, then copied and settled at
    # the crop's own resolution: the photo's own pixels (only seams between copies are mixed), no
    # upscaled blur.
    from engine.texture import WORK_PIXELS

    img, mask = _stripes(480), _hole(480, 170)
    assert np.count_nonzero(mask) > WORK_PIXELS
    out = synthesize(img, mask, None, TextureOptions(seed=3))
    hole = mask > 0
    photo = {tuple(p) for p in img[~hole]}
    assert np.mean([tuple(p) in photo for p in out[hole]]) > 0.95
    assert np.array_equal(out[~hole], img[~hole])
    ns = cv2.inpaint(img, mask, 5, cv2.INPAINT_NS)
    assert texture_distance(img, out, mask) < 0.5 * texture_distance(img, ns, mask)


def _steps(out: np.ndarray, hole: np.ndarray) -> tuple[float, float]:
    """99.5th percentile of the largest-channel step between 4-neighbours inside ``hole`` and outside it."""
    g = out.astype(np.float32)
    dx, dy = np.abs(np.diff(g, axis=1)).max(2), np.abs(np.diff(g, axis=0)).max(2)
    hx, hy = hole[:, 1:] & hole[:, :-1], hole[1:] & hole[:-1]
    inside = np.concatenate([dx[hx], dy[hy]])
    outside = np.concatenate([dx[~hx], dy[~hy]])
    return float(np.percentile(inside, 99.5)), float(np.percentile(outside, 99.5))


def test_seams_between_copies_are_blended_at_full_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    # Worked at 2× below the crop's resolution, the field is upsampled in 2 px blocks: taking each
    # pixel from its best patch then cuts between copies along those blocks, steps a smooth photo
    # never has. The weighted mean of the covering copies at the seams keeps the photo's steps.
    import engine.texture as texture

    rng = np.random.default_rng(1)
    field = cv2.GaussianBlur(rng.normal(0, 1, (760, 760, 3)).astype(np.float32), (0, 0), 6)
    img = np.clip(128 + field / field.std() * 40, 0, 255).astype(np.uint8)
    mask = _hole(760, 300)
    assert texture.working_scale(mask) >= texture.SEAM_BLEND_SCALES[1]
    hole = mask > 0
    blended, photo = _steps(synthesize(img, mask, None, TextureOptions(seed=3)), hole)
    monkeypatch.setattr(texture, "SEAM_BLEND_SCALES", (100.0, 200.0))  # best patch alone
    cut, _ = _steps(synthesize(img, mask, None, TextureOptions(seed=3)), hole)
    assert blended <= 1.25 * photo < cut / 2


def test_thin_strokes_keep_the_engines_low_band() -> None:
    # Strokes a few pixels wide: the network's low band is close to the truth, the patches add grain.
    img = _stripes()
    mask = np.zeros(img.shape[:2], np.uint8)
    for y in range(20, 150, 30):
        cv2.line(mask, (10, y), (150, y + 10), 255, 9)
    fill = np.full_like(img, 90)
    out = synthesize(img, mask, fill)
    blur = lambda a: cv2.GaussianBlur(a.astype(np.float32), (0, 0), LOCK_SIGMA)  # noqa: E731
    free = synthesize(img, mask, fill, TextureOptions(structure_lock=0.0))
    hole = mask > 0
    err = lambda a: float(np.abs(blur(a) - blur(np.where(hole[..., None], fill, img)))[hole].mean())  # noqa: E731
    assert err(out) < 0.5 * err(free)
    assert texture_distance(img, out, mask) < texture_distance(img, np.where(hole[..., None], fill, img), mask)


def test_a_sliver_of_a_photo_keeps_the_fill() -> None:
    img = _stripes(40)[:5]
    mask = np.zeros((5, 40), np.uint8)
    mask[1:4, 10:30] = 255
    fill = np.full_like(img, 77)
    guided = synthesize(img, mask, fill)
    assert np.array_equal(guided, np.where(mask[..., None] > 0, fill, img))
    plain = synthesize(img, mask, None)
    assert np.array_equal(plain[mask == 0], img[mask == 0]) and plain.shape == img.shape


@pytest.mark.parametrize("priced", [False, True])
def test_onion_peel_picks_the_exhaustive_best_source(priced: bool) -> None:
    # The kernel drops candidates early and searches a layer in parallel; it must still choose, for every
    # hole pixel, the source an exhaustive scan over the same sources chooses (mean squared difference
    # over known pixels + lam × that of the guide + the source's own cost + the pair's price), layer by layer.
    from engine.patch_kernels import onion_peel

    rng = np.random.default_rng(5)
    h = w = 24
    r, lam = 3, 0.7
    img = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    guide = cv2.GaussianBlur(img, (0, 0), 2.0)
    hole = np.zeros((h, w), bool)
    hole[9:15, 10:16] = True
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    hy, hx = np.nonzero(hole)
    layer = np.ceil(dist[hy, hx]).astype(np.int32)
    order = np.argsort(layer, kind="stable")
    hy, hx, layer = hy[order].astype(np.int64), hx[order].astype(np.int64), layer[order]
    valid = np.zeros((h, w), bool)
    valid[r : h - r, r : w - r] = True
    valid &= ~(cv2.dilate(hole.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)
    vy, vx = (a.astype(np.int64) for a in np.nonzero(valid))
    index = np.full((h, w), -1, np.int32)
    index[hy, hx] = np.arange(len(hy), dtype=np.int32)
    nnf = np.zeros((len(hy), 2), np.int64)
    cost = rng.uniform(0, 3000, len(vy)).astype(np.float32) if priced else np.zeros(len(vy), np.float32)
    wants = rng.uniform(0, 3, len(hy)).astype(np.float32)
    haves = rng.uniform(0, 3, len(vy)).astype(np.float32)
    unit = 2000.0 if priced else 0.0
    got = img.copy()
    empty = np.zeros(0, np.float32)
    onion_peel(
        got, ~hole, guide, lam, vy, vx, hy, hx, layer, r, nnf, index,
        *((cost, wants, haves, unit) if priced else (empty, empty, empty, 0.0)),
    )  # fmt: skip

    want, known = img.copy(), ~hole
    for value in np.unique(layer):
        picks = []
        for y, x, wk in zip(hy[layer == value], hx[layer == value], wants[layer == value], strict=True):
            ys, xs = np.mgrid[y - r : y + r + 1, x - r : x + r + 1]
            inside = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
            ys, xs = ys[inside], xs[inside]
            k = known[ys, xs]
            costs = []
            for sy, sx, c, hs in zip(vy, vx, cost, haves, strict=True):
                sys_, sxs = ys - y + sy, xs - x + sx
                d = ((want[ys, xs] - want[sys_, sxs]) ** 2).sum(axis=1)
                g = ((guide[ys, xs] - guide[sys_, sxs]) ** 2).sum(axis=1)
                pair = unit * min(1.0, max(0.0, float(wk) - float(hs)))
                costs.append(d[k].sum() / k.sum() + lam * g.sum() / len(ys) + c + pair)
            s = int(np.argmin(costs))
            picks.append((y, x, vy[s], vx[s]))
        for y, x, sy, sx in picks:
            want[y, x] = want[sy, sx]
            known[y, x] = True
    assert np.array_equal(got, want)


def test_a_learned_engines_prefill_is_made_at_the_completions_working_scale() -> None:
    # When the completion follows at full strength the prefill is only its guide: made at the working
    # scale (not at 24 MP), while the prefill alone (texture off, or a small hole) keeps full resolution.
    from engine.pipeline import _guide_limit
    from engine.texture import working_scale

    big = np.zeros((3000, 4000), np.uint8)
    cv2.ellipse(big, (2000, 1500), (500, 700), 0, 0, 360, 255, -1)
    scale = working_scale(big)
    assert scale > 2
    assert _guide_limit(big, 0) == round(4000 / scale)
    assert _guide_limit(big, 300) == 300  # a smaller limit already set stays
    small = _hole(160, 30)
    assert working_scale(small) == 1.0 and _guide_limit(small, 0) == 0
    scratch = np.zeros((3000, 4000), np.uint8)
    cv2.line(scratch, (0, 0), (3999, 2999), 255, 2)  # a thin scratch: no completion, full-size prefill
    assert _guide_limit(scratch, 0) == 0


def test_a_deep_hole_is_guided_by_the_engine_scaled_to_the_holes_depth() -> None:
    # A learned engine guiding the completion runs where the hole's mean depth is GUIDE_DEPTH px (at
    # most GUIDE_MAX_SCALE× down); thin strokes keep the engine's size.
    from engine.pipeline import GUIDE_DEPTH, GUIDE_MAX_SCALE, _guide_engine_side

    def depth(mask: np.ndarray) -> float:
        hole = (mask > 127).astype(np.uint8)
        return float(cv2.distanceTransform(hole, cv2.DIST_L2, 3)[hole > 0].mean())

    strokes = np.zeros((512, 512), np.uint8)
    for k in range(8):
        cv2.line(strokes, (0, 40 + 60 * k), (511, 70 + 60 * k), 255, 9)
    assert depth(strokes) < GUIDE_DEPTH and _guide_engine_side(strokes, 512) == 0

    blob = np.zeros((512, 512), np.uint8)
    cv2.ellipse(blob, (256, 256), (120, 150), 0, 0, 360, 255, -1)
    side = _guide_engine_side(blob, 512)
    assert 2 * GUIDE_DEPTH < depth(blob) < 3 * GUIDE_DEPTH
    assert side == round(512 * GUIDE_DEPTH / depth(blob))  # scaled so the hole is GUIDE_DEPTH deep
    small = cv2.resize(blob, (side, side), interpolation=cv2.INTER_AREA)
    assert abs(depth(small) - GUIDE_DEPTH) < 2

    # A 24 MP box the crop strategy already brings to 512 px: the depth counts at 512, the scale is capped.
    big = np.zeros((3000, 4000), np.uint8)
    cv2.ellipse(big, (2000, 1500), (1900, 1450), 0, 0, 360, 255, -1)
    assert _guide_engine_side(big, 512) == round(512 / GUIDE_MAX_SCALE)


def test_the_guiding_engine_sees_the_deep_hole_scaled_down_and_only_when_the_completion_follows() -> None:
    from engine.pipeline import InpaintOptions, _guide_engine_side, inpaint
    from engine.registry import Engine, EngineSpec, FillOutput

    class Recording(Engine):
        def __init__(self, spec: EngineSpec, device: str = "cpu", weights: object = None) -> None:
            super().__init__(spec, device)
            self.prefill = "ns"
            self.sizes: list[tuple[int, int]] = []

        def fill(self, image: np.ndarray, mask: np.ndarray, options: dict) -> FillOutput:
            self.sizes.append(image.shape[:2])
            base = cv2.inpaint(image, mask, 5, cv2.INPAINT_NS)
            return FillOutput(base, {}, base)

    engine = Recording(EngineSpec("rec", "Recording", "-", 512, 8, Recording))
    img = _stripes(512)
    mask = np.zeros((512, 512), np.uint8)
    cv2.ellipse(mask, (256, 256), (120, 150), 0, 0, 360, 255, -1)
    side = _guide_engine_side(mask, 512)
    out = inpaint(img, mask, engine, InpaintOptions(texture=1.0, strategy="full")).image
    inpaint(img, mask, engine, InpaintOptions(texture=0.0, strategy="full"))
    padded = -(-side // 8) * 8  # the pipeline pads to the spec's multiple
    assert side < 256 and engine.sizes == [(padded, padded), (512, 512)]
    # Evaluation keeps the fill alone at the engine's size and scores the same completion as the default.
    kept = inpaint(img, mask, engine, InpaintOptions(texture=1.0, strategy="full", keep_untextured=True))
    assert engine.sizes[2:] == [(512, 512), (padded, padded)]
    assert np.array_equal(kept.image, out) and kept.untextured is not None
    assert np.array_equal(out[mask == 0], img[mask == 0]) and out.shape == img.shape


def test_a_textured_hole_is_not_filled_from_smooth_ground_of_the_same_colour() -> None:
    # Fine 2×2-px grain below, a flat band of the grain's mean colour above (a calm lake beyond pebbles):
    # at the coarse levels both are the same flat grey, so features measured per level let the pyramid
    # lay the flat band into the hole (before: gradient energy 0 in the hole, on all four seeds). The
    # texture features come from the full resolution and travel with the copies.
    for seed in range(2):
        rng = np.random.default_rng(seed)
        img = np.full((192, 256, 3), 110, np.uint8)
        grain = rng.integers(-45, 46, (96, 128)).repeat(2, 0).repeat(2, 1)
        img[64:] = np.clip(110 + grain[64:, :, None], 0, 255)
        mask = np.zeros((192, 256), np.uint8)
        cv2.circle(mask, (128, 130), 34, 255, -1)
        inner = cv2.erode(mask, np.ones((5, 5), np.uint8)) > 0

        out = synthesize(img, mask)
        assert np.array_equal(out[mask == 0], img[mask == 0])
        assert _grain_energy(out, inner) > 0.8 * _grain_energy(img, inner)


def _grain_energy(img: np.ndarray, where: np.ndarray) -> float:
    """Mean |Laplacian| of luma (uint8 H×W×3 RGB) over ``where`` (bool H×W)."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F))[where].mean())


def test_texture_features_see_only_the_known_photo_at_every_level() -> None:
    # Each level's features average the photo's own gradients, never the hole's contents; the fine-grain
    # half of the photo scores far above the flat half at every size, the coarsest included.
    rng = np.random.default_rng(4)
    img = np.full((160, 240, 3), 120.0, np.float32)
    img[:, 120:] += rng.integers(-40, 41, (160, 120, 1))
    hole = np.zeros((160, 240), bool)
    hole[50:110, 90:150] = True
    sizes = [(240, 160), (120, 80), (60, 40)]
    other = img.copy()
    other[hole] = rng.uniform(0, 255, (int(hole.sum()), 3))
    first, second = texture_features(img, sizes, hole), texture_features(other, sizes, hole)
    for (w, h), a, b in zip(sizes, first, second, strict=True):
        known = cv2.resize(hole.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_AREA) == 0
        assert a.shape == (h, w, 3) and np.array_equal(a[known], b[known])
        assert a[:, : w // 4, 0].mean() < 0.1 and a[:, -w // 4 :, 0].mean() > 5.0


def test_far_sources_pay_unless_they_have_the_grain_around_the_hole() -> None:
    # The proximity cost per source centre: nothing within one equivalent radius of the hole, growing
    # with the distance beyond it, and little for far sources with the grain of the hole's ring.
    from engine.texture import _level, _proximity_cost, _unit

    rng = np.random.default_rng(2)
    h = w = 200
    img = np.full((h, w, 3), 120.0, np.float32)
    img[:, :100] += rng.integers(-40, 41, (h, 100, 1))  # grain on the left, flat on the right
    hole = np.zeros((h, w), bool)
    cv2.circle(hole.view(np.uint8), (50, 100), 20, 1, -1)
    tex = texture_features(img, [(w, h)], hole)[0]
    lv = _level(img, tex, hole, None)
    radius = math.sqrt(hole.sum() / math.pi)
    unit = _unit(lv)
    cost = _proximity_cost(lv, 0.2)
    assert cost is not None and cost.shape == (h, w) and cost.dtype == np.float32
    assert cost[100, 50 + round(1.8 * radius)] == 0.0  # near: within one radius of the hole's edge
    # Far with the ring's grain (its features within a few % of the ring's median): a small share of what
    # a flat source as far from the hole pays.
    assert 0.0 <= cost[10, 90] < 0.2 * cost[100, 148]
    flat = [float(cost[100, x]) for x in (130, 160, 190)]  # far and flat, farther and farther
    assert 0.0 < flat[0] < flat[1] < flat[2]
    assert flat[2] - flat[1] == pytest.approx(0.2 * unit * 49 * 30 / radius, rel=0.05)
    assert _proximity_cost(lv, 0.0) is None


def test_sources_much_smoother_than_the_hole_surroundings_pay_where_the_surroundings_are_grain() -> None:
    # The smoothness price per (target, source): a target whose surroundings are grain wants grain, so a
    # smooth source pays the full unit and a grainy one nothing; a target beside a smooth sky wants nothing.
    from engine.texture import _level, _smooth_price, _unit

    rng = np.random.default_rng(3)
    h = w = 200
    img = np.full((h, w, 3), 120.0, np.float32)
    img[100:] += rng.integers(-40, 41, (100, w, 1))  # smooth above, grain below
    hole = np.zeros((h, w), bool)
    cv2.circle(hole.view(np.uint8), (100, 100), 30, 1, -1)  # across the edge between them
    lv = _level(img, texture_features(img, [(w, h)], hole)[0], hole, None)
    price = _smooth_price(lv, 0.2)
    assert price is not None and price.unit == pytest.approx(0.2 * _unit(lv) * 49)

    def paid(target: tuple[int, int], source: tuple[int, int]) -> float:
        return min(1.0, max(0.0, float(price.want[target] - price.have[source])))

    smooth, grain = (20, 20), (180, 20)
    assert paid((125, 100), smooth) == 1.0 and paid((125, 100), grain) == 0.0  # near the grain
    assert paid((100, 100), smooth) > 0.5  # the middle: half its ring is grain
    assert paid((75, 100), smooth) == 0.0 and paid((75, 100), grain) == 0.0  # near the smooth sky
    assert _smooth_price(lv, 0.0) is None


def test_a_stone_table_on_a_meadow_is_not_replaced_by_a_flat_blob() -> None:
    # The meadow sample (a real 2048 px photo) with its stone table masked: without the smoothness price the
    # completion drifted, level after level, to the smooth shadowed ground and the dark forest behind, and
    # left a dark, flat blob (flat share 0.58 / 0.54 on seeds 0 / 1).
    from engine.pipeline import InpaintOptions, inpaint
    from engine.registry import create_engine

    img = load_image(SAMPLES / "meadow.jpg").rgb
    mask = load_mask(SAMPLES / "meadow_mask.png")
    engine = create_engine("dfnet")
    for seed in (0, 1):
        out = inpaint(img, mask, engine, InpaintOptions(seed=seed)).image
        assert np.array_equal(out[mask == 0], img[mask == 0])
        assert _flat_share(out, mask) < 0.4


def test_a_whole_boat_hole_is_not_filled_with_a_flat_blob() -> None:
    # The boats sample at 2048 px with an ellipse over a whole boat (the 24 MP case of issue #38 brought
    # down): the learned engine's dark smear there was rendered with a dark, smooth stretch of the far
    # shore, a flat blob among pebbles (flat share 0.19 / 0.18 on seeds 0 / 1 without the proximity cost).
    from engine.pipeline import InpaintOptions, inpaint
    from engine.registry import create_engine

    img = load_image(SAMPLES / "boats.jpg").rgb
    img = cv2.resize(img, (2048, 1365), interpolation=cv2.INTER_AREA)
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(mask, (853, 887), (189, 235), 10, 0, 360, 255, -1)
    engine = create_engine("dfnet")
    for seed in (0, 1):
        out = inpaint(img, mask, engine, InpaintOptions(seed=seed)).image
        assert np.array_equal(out[mask == 0], img[mask == 0])
        assert _flat_share(out, mask) < 0.1


def _flat_share(img: np.ndarray, mask: np.ndarray) -> float:
    """Share of hole pixels (mask > 127) whose gradient energy (|∂x| + |∂y| of luma, 15×15 mean) is under a
    quarter of the median on the ring within 20 px of the hole: flat where the photo around is not."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    energy = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    energy = cv2.blur(energy, (15, 15))
    hole = mask > 127
    ring = (cv2.dilate(mask, np.ones((41, 41), np.uint8)) > 0) & ~hole
    return float((energy[hole] < 0.25 * np.median(energy[ring])).mean())
