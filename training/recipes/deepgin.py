"""DeepGIN recipe (Li et al. 2020, §3.3 losses, §4.2 "Two-Stage Training").

Warm-up: generators with the L1 loss only (paper: 10 of 110 epochs → ``warmup_fraction`` 0.09).
Main stage: L_total = L_L1 + λ_adv L_adv,G + λ_perc L_perc + λ_style L_style + λ_tv L_tv (eq. 7) with
λ_hole 5, λ_adv 0.001, λ_perc 0.05, λ_style 80, λ_tv 0.1; L_L1 = λ_hole L_hole + L_valid summed over
(I_coarse, I_gt), (I_out, I_gt) and (I_lr, I_gt^lr) (eq. 1); perceptual and style on VGG19
conv1_1…conv5_1 for I_out and I_complt (eq. 4, 5); TV on I_complt (eq. 6); hinge losses with the two
conditional SN PatchGANs D1 (256²) and D2 (128²) on (I_in, I) (eq. 2, 3). Adam β = (0.5, 0.999),
G 1e-4, D 4e-4; the main stage keeps the rates for its first 10% then decays them linearly to 0
(paper: 10 epochs constant, 90 decaying). I_in given to the discriminators is the masked input
with white holes, as the network sees it. Masks: the AIM 2020 mix (rectangles, free-form, cellular
automata, equal chance).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.deepgin import DeepGIN, lr_target
from training import losses
from training.discriminators import DeepGINDiscriminator
from training.recipes.base import Recipe, scalars, set_requires_grad


class DeepGINRecipe(Recipe):
    engine = "deepgin"
    network = DeepGIN
    paper = "Li et al., ECCV-W 2020, eq. (1)–(7), §4.2"
    default_masks: ClassVar[dict[str, float]] = {"rectangle": 1.0, "aim_free_form": 1.0, "cellular": 1.0}
    vgg_arch = "vgg19"
    defaults: ClassVar[dict[str, Any]] = {
        "w_hole": 5.0,
        "w_adv": 0.001,
        "w_perceptual": 0.05,
        "w_style": 80.0,
        "w_tv": 0.1,
        "lr_g": 1e-4,
        "lr_d": 4e-4,
        "beta1": 0.5,
        "warmup_fraction": 0.09,
        "constant_fraction": 0.1,
    }
    log_keys = ("loss", "l1", "g_adv", "perceptual", "style", "tv", "d_loss")

    def build_nets(self) -> dict[str, nn.Module]:
        return {
            "G": self.generator(),
            "D": DeepGINDiscriminator(width=self.cfg.width),
        }

    def build_optimizers(self) -> None:
        warm = self.frac_step(self.opts["warmup_fraction"])
        main = max(1, self.cfg.steps - warm)
        flat = warm + round(self.opts["constant_fraction"] * main)

        def schedule(s: int) -> float:
            return 1.0 if s < flat else max(0.0, 1.0 - (s - flat) / max(1, self.cfg.steps - flat))

        for name, lr in (("G", self.opts["lr_g"]), ("D", self.opts["lr_d"])):
            opt = torch.optim.Adam(self.nets[name].parameters(), lr=lr, betas=(self.opts["beta1"], 0.999))
            self.optimizers[name] = opt
            self.schedulers[name] = self.lambda_scheduler(opt, schedule)

    def phase(self, step: int) -> str:
        return "warmup" if step < self.frac_step(self.opts["warmup_fraction"]) else "adversarial"

    def _l1(self, x: torch.Tensor, gt: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        l_hole, l_valid = losses.hole_valid_l1(x, gt, hole)
        return self.opts["w_hole"] * l_hole + l_valid

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, Any]:
        o = self.opts
        G, D = self.nets["G"], self.nets["D"]
        known = image * (1 - hole)
        x = self.net_input(image, hole)
        res = G(x, hole)
        hole_lr = torch.nn.functional.max_pool2d(hole, 4)
        l1 = (
            self._l1(res.coarse, image, hole)
            + self._l1(res.out, image, hole)
            + self._l1(res.lr, lr_target(image), hole_lr)
        )
        logs: dict[str, Any] = {"l1": l1}
        if self.phase(step) == "warmup":
            self.update(l1, "G", G.parameters())
            logs["loss"] = l1
        else:
            comp = losses.composite(res.out, image, hole)
            cond = x if self.prefill_method() else known + hole  # I_in as the network sees it (white holes)
            d_real, d_fake = D(cond, image), D(cond, comp.detach())
            d_loss = sum(losses.hinge_d(r, f) for r, f in zip(d_real, d_fake, strict=True))
            self.update(d_loss, "D", D.parameters())
            set_requires_grad(D, False)
            g_adv = sum(losses.hinge_g(f) for f in D(cond, comp))
            set_requires_grad(D, True)
            perc, s_out, s_comp = self.perceptual_style(res.out, comp, image)
            tv = losses.tv(comp)
            loss = l1 + o["w_adv"] * g_adv + o["w_perceptual"] * perc + o["w_style"] * (s_out + s_comp) + o["w_tv"] * tv
            self.update(loss, "G", G.parameters())
            logs.update(loss=loss, g_adv=g_adv, perceptual=perc, style=s_out + s_comp, tv=tv, d_loss=d_loss)
        self.step_schedulers()
        return scalars(logs)


RECIPE = DeepGINRecipe
