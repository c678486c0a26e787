"""DFNet recipe (Hong et al. 2019, §3.3 "Loss Functions", §4.1).

Structure loss (λ_l1 · L1) on the fusion outputs P = the last 6 decoder levels, texture loss
(λ_p perceptual + λ_s style + λ_tv TV) on Q = the last 3, each against the ground truth resized to
that level's resolution (area averaging; the paper does not say how). Weights from the authors' code
(REFERENCE.md): L1 1, perceptual 0.1, style 240 (VGG16 pool1–3), TV 0.1 — TV on the *outputs*
(the official code computed it on the targets, which has no effect). Perceptual/style use I_out
only (the paper defines them on the prediction; it does not composite per level).
Optimiser: Adam 2e-4 (authors' code), ×0.1 step decay every ``decay_every`` of the run (code: every
5 of 20 epochs → 0.25). Masks: the authors' own stroke masks (REFERENCE.md) ≈ free-form strokes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.dfnet import DFNet
from training import losses
from training.recipes.base import Recipe, scalars


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return x if tuple(x.shape[-2:]) == size else F.interpolate(x, size=size, mode="area")


class DFNetRecipe(Recipe):
    engine = "dfnet"
    network = DFNet
    paper = "Hong et al., ACM MM 2019, §3.3 (P = 6, Q = 3)"
    default_masks: ClassVar[dict[str, float]] = {"free_form": 1.0}
    vgg_arch = "vgg16"
    defaults: ClassVar[dict[str, Any]] = {
        "p_levels": 6,
        "q_levels": 3,
        "w_l1": 1.0,
        "w_perceptual": 0.1,
        "w_style": 240.0,
        "w_tv": 0.1,
        "lr": 2e-4,
        "decay_every": 0.25,
        "decay": 0.1,
        "fusion_blocks": 6,
    }
    log_keys = ("loss", "l1", "perceptual", "style", "tv")

    def paper_config(self) -> dict[str, Any]:
        return {"fusion_blocks": int(self.opts["fusion_blocks"])}

    def build_nets(self) -> dict[str, nn.Module]:
        return {"G": self.generator()}

    def build_optimizers(self) -> None:
        opt = torch.optim.Adam(self.G.parameters(), lr=self.opts["lr"])
        self.optimizers["G"] = opt
        every = max(1, self.frac_step(self.opts["decay_every"]))
        decay = self.opts["decay"]
        self.schedulers["G"] = self.lambda_scheduler(opt, lambda s: decay ** (s // every))

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, Any]:
        o = self.opts
        result = self.G(self.net_input(image, hole), hole)
        outs = result.outputs  # coarse → fine
        p = outs[-int(o["p_levels"]) :]
        q = outs[-int(o["q_levels"]) :]
        l1 = sum((x - _resize(image, tuple(x.shape[-2:]))).abs().mean() for x in p)
        perc = style = tv = image.new_zeros(())
        for x in q:
            gt = _resize(image, tuple(x.shape[-2:]))
            if self.vgg is not None:
                with torch.no_grad():
                    f_gt = self.vgg_feats(gt)
                f_x = self.vgg_feats(x)
                perc = perc + losses.perceptual(f_x, f_gt)
                style = style + losses.style(f_x, f_gt)
            tv = tv + losses.tv(x)
        loss = o["w_l1"] * l1 + o["w_perceptual"] * perc + o["w_style"] * style + o["w_tv"] * tv
        self.update(loss, "G", self.G.parameters())
        self.step_schedulers()
        return scalars({"loss": loss, "l1": l1, "perceptual": perc, "style": style, "tv": tv})


RECIPE = DFNetRecipe
