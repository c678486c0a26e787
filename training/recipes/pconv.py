"""PConv recipe (Liu et al. 2018, §3.3 loss, §4 "Training Procedure").

L_total = L_valid + 6 L_hole + 0.05 L_perceptual + 120 (L_style_out + L_style_comp) + 0.1 L_tv  (eq. 7),
VGG16 pool1–3, TV on the 1-px dilated hole region of I_comp (eq. 6). Adam 2e-4 with BatchNorm on,
then fine-tuning at 5e-5 with the encoder's BatchNorm frozen (running statistics and γ/β fixed),
decoder BatchNorm still training. Paper: 10 days + 1 day of fine-tuning → ``finetune_fraction`` 0.1.
Masks: the NVIDIA irregular masks are not available offline; the PConv-style generator stands in.
The raw linear output (train mode) is what the losses see, as in the paper.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.pconv import PConvUNet
from training import losses
from training.recipes.base import Recipe, scalars


class PConvRecipe(Recipe):
    engine = "pconv"
    network = PConvUNet
    paper = "Liu et al., ECCV 2018, eq. (7) and §4"
    default_masks: ClassVar[dict[str, float]] = {"irregular": 1.0}
    vgg_arch = "vgg16"
    defaults: ClassVar[dict[str, Any]] = {
        "w_valid": 1.0,
        "w_hole": 6.0,
        "w_perceptual": 0.05,
        "w_style": 120.0,
        "w_tv": 0.1,
        "lr": 2e-4,
        "finetune_lr": 5e-5,
        "finetune_fraction": 0.1,
    }
    log_keys = ("loss", "valid", "hole", "perceptual", "style_out", "style_comp", "tv")

    def build_nets(self) -> dict[str, nn.Module]:
        return {"G": self.generator()}

    def build_optimizers(self) -> None:
        opt = torch.optim.Adam(self.G.parameters(), lr=self.opts["lr"])
        self.optimizers["G"] = opt
        start = self.frac_step(1 - self.opts["finetune_fraction"])
        ratio = self.opts["finetune_lr"] / self.opts["lr"]
        self.schedulers["G"] = self.lambda_scheduler(opt, lambda s: 1.0 if s < start else ratio)

    def phase(self, step: int) -> str:
        return "train" if step < self.frac_step(1 - self.opts["finetune_fraction"]) else "finetune"

    def set_train_mode(self, step: int) -> None:
        self.G.train()
        frozen = self.phase(step) == "finetune"
        for block in self.G.encoder:
            if isinstance(block.bn, nn.BatchNorm2d):
                block.bn.train(not frozen)  # eval mode: running statistics used, not updated
                block.bn.requires_grad_(not frozen)

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, Any]:
        o = self.opts
        out = self.G(self.net_input(image, hole), hole)
        comp = losses.composite(out, image, hole)
        l_hole, l_valid = losses.hole_valid_l1(out, image, hole)
        perc, s_out, s_comp = self.perceptual_style(out, comp, image)
        tv = losses.tv_region(comp, hole)
        loss = o["w_valid"] * l_valid + o["w_hole"] * l_hole + o["w_perceptual"] * perc
        loss = loss + o["w_style"] * (s_out + s_comp) + o["w_tv"] * tv
        self.update(loss, "G", self.G.parameters())
        self.step_schedulers()
        return scalars(
            {
                "loss": loss,
                "valid": l_valid,
                "hole": l_hole,
                "perceptual": perc,
                "style_out": s_out,
                "style_comp": s_comp,
                "tv": tv,
            }
        )


RECIPE = PConvRecipe
