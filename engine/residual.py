"""The correction head of a prefill-residual network (an option for the CPU training budget).

A prefill network (config ``prefill``) sees a classical fill in the hole and adds a correction to
it. Trained from scratch on CPU, a free per-pixel correction (3 channels) did not beat the
Navier–Stokes fill in runs of 500–3,000 steps: the per-batch gradient is dominated by the photo's
unpredictable texture (resources/weights/*.md). With ``blur_sigmas`` the network's output layer
also emits one coefficient map per sigma, and the correction becomes

    correction = free + Σ_k a_k ⊙ (G_σk ∗ prefill − prefill)

i.e. the network learns *where and how much* to smooth its prefill at each scale (the
conditional mean PSNR rewards is smoother than a diffusion fill's streaks) while the free part can
still add content. Each coefficient map is one number per pixel fed by every pixel of its scale, so
its gradient averages the texture noise out; in a scratch experiment (a 6-layer CNN, 256² crops,
MSE, Adam 1e-3, batch 8) this head beat Navier–Stokes by 0.8 dB on held-out crops within 400
steps where the free head alone stayed below it. Not in any of the five papers; model cards say so.

The blur is three passes of a box filter (≈ Gaussian by the central limit theorem); each pass is
separable and uses running sums, so its cost does not grow with sigma (8× faster than average
pooling for sigmas 2–16 at 256², measured).

``edge_radii`` (GLCIC, ISNet, DeepGIN) also feed the head maps of "at least r px inside the
hole" (:func:`edge_maps`). Those heads see only their input image and hole besides tiny final
features, so a 3×3 head could tell the hole's 1-px rim from its inside but not the 5-px band that
BPE scores from the interior: with a heavy band loss the coefficients had to trade interior
smoothing (PSNR) against the band (BPE) and stayed near the prefill (measured, issue #6 notes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F


def box_width(sigma: float) -> int:
    """The odd box width nearest to sqrt(4·sigma² + 1), the (real) width whose three passes have
    variance 3·(w² − 1)/12 = sigma². The odd rounding moves the effective sigma by up to ≈ 25 % for
    small sigmas (2 → 2.45); the coefficients learn whatever the basis is."""
    if sigma <= 0:
        raise ValueError(f"blur sigma must be positive, got {sigma}")
    w = math.sqrt(4.0 * sigma * sigma + 1.0)
    return max(3, 2 * round((w - 1) / 2) + 1)


def _box_1d(x: torch.Tensor, radius: int, dim: int) -> torch.Tensor:
    """Mean over the window [i − radius, i + radius] along ``dim`` (-1 or -2) of float N×C×H×W ``x``,
    counting in-image pixels only. Running sums make the cost independent of the radius."""
    n = x.shape[dim]
    pad = [radius + 1, radius] if dim == -1 else [0, 0, radius + 1, radius]
    csum = F.pad(x, pad).cumsum(dim)
    total = csum.narrow(dim, 2 * radius + 1, n) - csum.narrow(dim, 0, n)
    i = torch.arange(n, dtype=x.dtype, device=x.device)
    count = (i + radius).clamp(max=n - 1) - (i - radius).clamp(min=0) + 1
    return total / (count.view(-1, 1) if dim == -2 else count)


def box_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """≈ Gaussian blur of float N×C×H×W ``image``: three separable box passes of :func:`box_width`;
    at the image border the average runs over in-image pixels only (no padding value leaks in)."""
    radius = box_width(sigma) // 2
    x = image
    for _ in range(3):
        x = _box_1d(_box_1d(x, radius, -1), radius, -2)
    return x


def head_sigmas(prefill: str | None, blur_sigmas: Sequence[float]) -> tuple[float, ...]:
    """The blur sigmas a network's head uses: ``blur_sigmas`` as floats for a prefill network, none
    otherwise (the smoothing head corrects a prefill; a paper network has nothing to smooth)."""
    return tuple(float(v) for v in blur_sigmas) if prefill else ()


def head_radii(blur_sigmas: Sequence[float], edge_radii: Sequence[int]) -> tuple[int, ...]:
    """The edge radii a head uses: ``edge_radii`` as ints when it has a smoothing head, else none.
    Raises ValueError for a radius below 1."""
    radii = tuple(int(r) for r in edge_radii) if blur_sigmas else ()
    if any(r < 1 for r in radii):
        raise ValueError(f"edge radii must be at least 1 px, got {list(edge_radii)}")
    return radii


def edge_maps(hole: torch.Tensor, radii: Sequence[int]) -> torch.Tensor:
    """hole float N×1×H×W (1 = hole) -> float N×R×H×W in {−1, 1}: map k is +1 on hole pixels with
    no known pixel within ``radii[k]`` px (Chebyshev distance, i.e. a square window), −1 elsewhere.
    Beyond the image border counts as hole (the border is not an edge, as in the BPE band)."""
    known = 1.0 - hole
    maps = []
    for r in radii:
        k = 2 * r + 1
        # Separable square dilation of the known pixels; max pooling pads with −inf, not known.
        near = F.max_pool2d(F.max_pool2d(known, (1, k), 1, (0, r)), (k, 1), 1, (r, 0))
        maps.append(hole * (1.0 - near))
    return torch.cat(maps, dim=1) * 2.0 - 1.0 if maps else hole.new_zeros(hole.shape[0], 0, *hole.shape[2:])


def head_channels(blur_sigmas: Sequence[float]) -> int:
    """Output channels of a prefill network's last layer: 3 (free RGB correction) + one per sigma."""
    return 3 + len(blur_sigmas)


def blur_correction(prefill: torch.Tensor, coeffs: torch.Tensor, blur_sigmas: Sequence[float]) -> torch.Tensor:
    """Σ_k coeffs[:, k] ⊙ (G_σk ∗ prefill − prefill): prefill float N×3×H×W, coeffs float N×K×H×W
    (K = len(blur_sigmas)) -> float N×3×H×W. The blurred prefill carries no gradient (the prefill is
    an input), so only the coefficients learn."""
    if coeffs.shape[1] != len(blur_sigmas):
        raise ValueError(f"coeffs has {coeffs.shape[1]} channels for {len(blur_sigmas)} blur sigmas")
    with torch.no_grad():
        base = prefill.detach()
        details = [box_blur(base, s) - base for s in blur_sigmas]
    out = torch.zeros_like(prefill)
    for k, detail in enumerate(details):
        out = out + coeffs[:, k : k + 1] * detail
    return out


def apply_correction(prefill: torch.Tensor, raw: torch.Tensor, blur_sigmas: Sequence[float]) -> torch.Tensor:
    """prefill float N×3×H×W RGB in [0, 1] (the network input with its holes filled), raw float
    N×(3+K)×H×W from the zero-initialised output layer -> prefill + correction (unclamped).

    Zero ``raw`` returns ``prefill`` exactly."""
    if raw.shape[1] != head_channels(blur_sigmas):
        raise ValueError(f"raw has {raw.shape[1]} channels, the head needs {head_channels(blur_sigmas)}")
    out = prefill + raw[:, :3]
    if blur_sigmas:
        out = out + blur_correction(prefill, raw[:, 3:], blur_sigmas)
    return out
