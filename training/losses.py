"""Loss terms of the five papers, as pure functions of tensors.

Shapes: images N×3×H×W in [0, 1]; ``hole`` N×1×H×W with 1 = hole (note: PConv writes M with 0 = hole;
here ``1 - hole`` is PConv's M). Every function returns a scalar tensor.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def hole_valid_l1(out: torch.Tensor, gt: torch.Tensor, hole: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """PConv §3.3: (L_hole, L_valid), each ||·||_1 divided by N = C·H·W (the element count of I_gt)."""
    diff = (out - gt).abs()
    return (hole * diff).mean(), ((1 - hole) * diff).mean()


def l1_hole_normalised(out: torch.Tensor, gt: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """ISNet/EdgeConnect L1: mean |out − gt| over the image divided by the mean hole fraction."""
    return (out - gt).abs().mean() / hole.mean().clamp_min(1e-6)


def weighted_mse(out: torch.Tensor, gt: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """GLCIC eq. (2): ||M_c ⊙ (C(x, M_c) − x)||², averaged over all elements (the paper gives no norm)."""
    return (hole * (out - gt)).pow(2).mean()


def perceptual(feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_p ||ψ_p(a) − ψ_p(b)||_1 / N_ψp (PConv eq. 3, one image pair)."""
    return sum((fa - fb).abs().mean() for fa, fb in zip(feats_a, feats_b, strict=True))  # type: ignore[return-value]


def gram(f: torch.Tensor) -> torch.Tensor:
    """Gram matrix N×C×C of features N×C×H×W, normalised by K_p = 1/(C·H·W) (PConv eq. 4)."""
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def style(feats_a: Sequence[torch.Tensor], feats_b: Sequence[torch.Tensor]) -> torch.Tensor:
    """Σ_p (1/C_p²) ||K_p (ψᵀψ(a) − ψᵀψ(b))||_1 (PConv eq. 4/5; averaged over the batch too)."""
    return sum((gram(fa) - gram(fb)).abs().mean() for fa, fb in zip(feats_a, feats_b, strict=True))  # type: ignore[return-value]


def dilate_hole(hole: torch.Tensor, pixels: int = 1) -> torch.Tensor:
    """The hole grown by ``pixels`` (square structuring element), as float 0/1."""
    k = 2 * pixels + 1
    return F.max_pool2d(hole, k, stride=1, padding=pixels)


def tv_region(img: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """PConv eq. (6): total variation of ``img`` on R = 1-px dilation of the hole, / N (all elements).

    A horizontal pair counts when both pixels are in R, likewise vertical pairs.
    """
    region = dilate_hole(hole, 1)
    n = img.numel()
    rh = region[:, :, :, 1:] * region[:, :, :, :-1]
    rv = region[:, :, 1:, :] * region[:, :, :-1, :]
    dh = (img[:, :, :, 1:] - img[:, :, :, :-1]).abs() * rh
    dv = (img[:, :, 1:, :] - img[:, :, :-1, :]).abs() * rv
    return (dh.sum() + dv.sum()) / n


def tv(img: torch.Tensor) -> torch.Tensor:
    """Total variation over the whole image: mean |right − left| + mean |down − up| (DFNet §3.3)."""
    return (img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean() + (img[:, :, 1:, :] - img[:, :, :-1, :]).abs().mean()


def bce_d(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """GLCIC discriminator: −[log D(real) + log(1 − D(fake))], with D = sigmoid(logits) (stable form)."""
    return F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def bce_g(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator side of the BCE game. GLCIC eq. (5) minimises log(1 − D(fake)); as is standard
    (Goodfellow et al. 2014, and every GLCIC re-implementation) the non-saturating −log D(fake) is used:
    same fixed point, usable gradients when D wins early."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss: E[max(0, 1 − D(real))] + E[max(0, 1 + D(fake))] (DeepGIN eq. 2, ISNet eq. 3)."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss: −E[D(fake)]."""
    return -fake.mean()


def feature_matching(real_feats: Sequence[torch.Tensor], fake_feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """ISNet/EdgeConnect L_FM: Σ_layers mean |D_l(fake) − D_l(real)|, the real side detached."""
    return sum((ff - fr.detach()).abs().mean() for fr, ff in zip(real_feats, fake_feats, strict=True))  # type: ignore[return-value]


def boundary_band(hole: torch.Tensor, n: int = 5) -> torch.Tensor:
    """Hole pixels within ``n`` px (Euclidean) of a known pixel: N×1×H×W in {0, 1}, as
    :func:`engine.metrics.boundary_band` (the BPE band; the image border is not an edge)."""
    r = torch.arange(-n, n + 1, dtype=hole.dtype, device=hole.device)
    disk = ((r[:, None] ** 2 + r[None, :] ** 2) <= n * n).to(hole.dtype)[None, None]
    near_known = F.conv2d((1 - hole).contiguous(), disk, padding=n) > 0.5
    return hole * near_known.to(hole.dtype)


def composite(out: torch.Tensor, gt: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """I_comp: the prediction in the hole, the ground truth elsewhere."""
    return hole * out + (1 - hole) * gt
