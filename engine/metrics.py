"""Evaluation metrics shared by ``inpaint eval`` and training validation (DESIGN.md protocol).

All functions take the ground truth and the *composited* result as uint8 H×W×3 RGB arrays and,
where relevant, the mask as uint8 H×W (> 127 = hole).

- PSNR (dB) over the whole image, data range 255.
- SSIM (scikit-image, Gaussian window σ = 1.5 as in Wang et al., per channel, averaged).
- L1: mean absolute error over the whole image, in % of 255.
- BPE (DFNet §4.2): mean absolute error over the band of hole pixels within ``n`` px of the
  hole's edge (we use n = 5), in % of 255.
- Detail ratio: mean |Laplacian| of luma over hole pixels, result over ground truth
  (1.0 = as much fine texture as the real photo; diffusion fills score ~0.1–0.3).
- Structure (dB): PSNR of the Gaussian-blurred (σ = 4 px) result against the blurred truth, whole
  image: blur earns nothing, plausible texture costs nothing.
- Texture (×1000, lower is better): sliced Wasserstein distance between the 7×7×3 patches of the
  result and of the truth centred on hole pixels, on the three finest Laplacian-pyramid bands
  (Karras et al., ICLR 2018, §5, restricted to the hole). 0 = the photo's own statistics; blur and
  added noise both raise it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from skimage.metrics import structural_similarity

#: Hole-ratio buckets of the PConv paper, as (low, high] fractions.
RATIO_BUCKETS: tuple[tuple[float, float], ...] = tuple((i / 10, (i + 1) / 10) for i in range(6))
BPE_BAND = 5


def psnr(gt: np.ndarray, out: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    mse = float(np.mean((gt.astype(np.float64) - out.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def ssim(gt: np.ndarray, out: np.ndarray) -> float:
    """Structural similarity (mean over channels), Gaussian-weighted as in the SSIM paper."""
    return float(
        structural_similarity(
            gt, out, channel_axis=2, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
    )


def l1_percent(gt: np.ndarray, out: np.ndarray) -> float:
    """Mean absolute error over all pixels and channels, in % of 255."""
    return float(np.mean(np.abs(gt.astype(np.float64) - out.astype(np.float64)))) / 255.0 * 100.0


def boundary_band(mask: np.ndarray, n: int = BPE_BAND) -> np.ndarray:
    """Boolean H×W: hole pixels whose distance to the nearest known pixel is at most ``n`` px.

    Distance is Euclidean (the 1-px ring just inside the edge has distance 1). The image border
    does not count as an edge.
    """
    hole = (mask > 127).astype(np.uint8)
    if not hole.any():
        return np.zeros(hole.shape, bool)
    if hole.all():
        return np.zeros(hole.shape, bool)
    dist = cv2.distanceTransform(hole, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (hole > 0) & (dist <= n)


def bpe(gt: np.ndarray, out: np.ndarray, mask: np.ndarray, n: int = BPE_BAND) -> float:
    """Boundary pixels error: mean |gt − out| over :func:`boundary_band`, in % of 255 (nan if no band)."""
    band = boundary_band(mask, n)
    if not band.any():
        return math.nan
    diff = np.abs(gt.astype(np.float64) - out.astype(np.float64))[band]
    return float(diff.mean()) / 255.0 * 100.0


def _luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def detail_ratio(gt: np.ndarray, out: np.ndarray, mask: np.ndarray) -> float:
    """Mean |Laplacian| of luma inside the hole, result / ground truth (nan if the truth is flat)."""
    hole = mask > 127
    if not hole.any():
        return math.nan
    lap_gt = np.abs(cv2.Laplacian(_luma(gt), cv2.CV_32F, ksize=3))[hole].mean()
    lap_out = np.abs(cv2.Laplacian(_luma(out), cv2.CV_32F, ksize=3))[hole].mean()
    return math.nan if lap_gt <= 1e-6 else float(lap_out / lap_gt)


STRUCTURE_SIGMA = 4.0
SWD_PATCH = 7
SWD_BANDS = 3
SWD_PROJECTIONS = 256
#: Patches per band at most (a fixed random subset beyond): keeps a 60 % hole of a 512² photo fast
#: while the sliced distance's sampling noise stays far below the differences it is used to rank.
SWD_MAX_PATCHES = 16384


def structure_psnr(gt: np.ndarray, out: np.ndarray, sigma: float = STRUCTURE_SIGMA) -> float:
    """PSNR (dB) between the Gaussian-blurred (σ px) result and the blurred truth, whole image."""
    blur = lambda a: cv2.GaussianBlur(a.astype(np.float32), (0, 0), sigma, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    mse = float(np.mean((blur(gt).astype(np.float64) - blur(out)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def laplacian_bands(rgb: np.ndarray, count: int = SWD_BANDS) -> list[np.ndarray]:
    """The ``count`` finest Laplacian-pyramid bands (OpenCV pyrDown/pyrUp) of uint8 H×W×3:
    float32 arrays, band k at 1/2^k of the size, values in roughly [-255, 255]."""
    bands: list[np.ndarray] = []
    level = rgb.astype(np.float32)
    for _ in range(count):
        h, w = level.shape[:2]
        if min(h, w) < 2:
            break
        down = cv2.pyrDown(level)
        bands.append(level - cv2.pyrUp(down, dstsize=(w, h)))
        level = down
    return bands


def _patches(band: np.ndarray, ys: np.ndarray, xs: np.ndarray, size: int) -> np.ndarray:
    """size×size×C patches of ``band`` centred on (ys, xs), reflect-padded: float32 N×(size²·C)."""
    r = size // 2
    padded = np.pad(band, ((r, r), (r, r), (0, 0)), mode="reflect")
    dy, dx = np.mgrid[0:size, 0:size]
    return padded[ys[:, None] + dy.ravel(), xs[:, None] + dx.ravel()].reshape(len(ys), -1)


def texture_distance(
    gt: np.ndarray,
    out: np.ndarray,
    mask: np.ndarray,
    projections: int = SWD_PROJECTIONS,
    max_patches: int = SWD_MAX_PATCHES,
    seed: int = 0,
) -> float:
    """Sliced Wasserstein distance ×1000 of hole-centred 7×7×3 patches, result vs truth (nan if no hole).

    Per band: the hole is the mask brought to the band's size (any coverage counts); the patches of
    both images are divided by the truth band's mean patch standard deviation (so every band counts
    alike and a flat photo band does not explode), projected on ``projections`` random unit vectors,
    and each projection's sorted values compared (mean absolute difference, the 1-D Wasserstein
    distance). Mean over projections and bands. Deterministic for a seed.
    """
    hole = (mask > 127).astype(np.uint8)
    if not hole.any():
        return math.nan
    rng = np.random.default_rng(seed)
    dims = SWD_PATCH * SWD_PATCH * 3
    dirs = rng.standard_normal((dims, projections)).astype(np.float32)
    dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
    scores: list[float] = []
    for band_gt, band_out in zip(laplacian_bands(gt), laplacian_bands(out), strict=True):
        h, w = band_gt.shape[:2]
        band_hole = cv2.resize(hole, (w, h), interpolation=cv2.INTER_AREA) > 0 if (h, w) != hole.shape else hole > 0
        ys, xs = np.nonzero(band_hole)
        if len(ys) == 0:
            continue
        if len(ys) > max_patches:
            pick = np.sort(rng.choice(len(ys), max_patches, replace=False))
            ys, xs = ys[pick], xs[pick]
        p_gt = _patches(band_gt, ys, xs, SWD_PATCH)
        p_out = _patches(band_out, ys, xs, SWD_PATCH)
        scale = float(p_gt.std(axis=1).mean())
        if scale <= 1e-6:
            scale = 1.0  # a flat band: compare in raw units rather than divide by zero
        proj_gt = np.sort(p_gt @ dirs, axis=0)
        proj_out = np.sort(p_out @ dirs, axis=0)
        scores.append(float(np.abs(proj_gt - proj_out).mean()) / scale)
    return math.nan if not scores else 1000.0 * float(np.mean(scores))


def hole_ratio(mask: np.ndarray) -> float:
    """Fraction of pixels in the hole."""
    return float(np.count_nonzero(mask > 127)) / mask.size


def ratio_bucket(ratio: float) -> str | None:
    """Label of the PConv hole-ratio bucket holding ``ratio`` ("10-20%"), or None outside (0, 0.6]."""
    for low, high in RATIO_BUCKETS:
        if low < ratio <= high:
            return f"{round(low * 100)}-{round(high * 100)}%"
    return None


def is_object_mask(mask: np.ndarray) -> bool:
    """True for a compact 'object' hole: one connected region filling ≥ 60 % of its convex hull."""
    hole = (mask > 127).astype(np.uint8)
    count, _labels = cv2.connectedComponents(hole, connectivity=8)
    if count != 2:
        return False
    contours, _ = cv2.findContours(hole, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull_area = cv2.contourArea(cv2.convexHull(np.concatenate(contours)))
    return hull_area > 0 and np.count_nonzero(hole) / hull_area >= 0.6


def mask_bucket(mask: np.ndarray) -> str | None:
    """Evaluation bucket of a mask: "object 5-15%" / "object 15-30%" for compact one-blob holes in
    those ranges, else the hole-ratio bucket (None if the ratio is outside every bucket)."""
    ratio = hole_ratio(mask)
    if is_object_mask(mask):
        if 0.05 < ratio <= 0.15:
            return "object 5-15%"
        if 0.15 < ratio <= 0.30:
            return "object 15-30%"
    return ratio_bucket(ratio)


def all_metrics(gt: np.ndarray, out: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Every protocol metric for one composited result."""
    return {
        "psnr": psnr(gt, out),
        "ssim": ssim(gt, out),
        "l1": l1_percent(gt, out),
        "bpe": bpe(gt, out, mask),
        "detail": detail_ratio(gt, out, mask),
        "structure": structure_psnr(gt, out),
        "texture": texture_distance(gt, out, mask),
    }
