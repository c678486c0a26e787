"""ISNet recipe (Li et al. 2021, §2.2, eq. 2–3), on EdgeConnect's training code as the paper is.

L_G = L_l1 + 0.1 (−L_D) + 0.1 L_perc + 250 L_style + 10 L_FM (eq. 2); hinge loss for the
discriminator (eq. 3), here the spectral-normalised EdgeConnect patch discriminator; L_FM over its
five activations. Where ISNet is silent the EdgeConnect defaults it was built on are used: L1
normalised by the hole fraction (REFERENCE.md), Adam lr 1e-4 with β = (0, 0.9), discriminator lr
0.1 × the generator's, the discriminator judging the raw prediction; perceptual/style on VGG19
conv1_1…conv5_1 (EdgeConnect uses relu1_1…relu5_1 / relu2_2…relu5_2; one layer set keeps one VGG
pass). Masks: the irregular-mask family plus rectangles (EdgeConnect's mixed mask mode).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.isnet import ISNet
from training import losses
from training.discriminators import ISNetDiscriminator
from training.recipes.base import Recipe, scalars, set_requires_grad


class ISNetRecipe(Recipe):
    engine = "isnet"
    network = ISNet
    paper = "Li et al., ISNet, §2.2 eq. (2)–(3)"
    default_masks: ClassVar[dict[str, float]] = {"irregular": 0.5, "rectangle": 0.5}
    vgg_arch = "vgg19"
    defaults: ClassVar[dict[str, Any]] = {
        "w_l1": 1.0,
        "w_adv": 0.1,
        "w_perceptual": 0.1,
        "w_style": 250.0,
        "w_fm": 10.0,
        "lr": 1e-4,
        "d2g_lr": 0.1,
        "beta1": 0.0,
        "beta2": 0.9,
    }
    log_keys = ("loss", "l1", "g_adv", "perceptual", "style", "fm", "d_loss")

    def build_nets(self) -> dict[str, nn.Module]:
        return {"G": self.generator(), "D": ISNetDiscriminator(width=self.cfg.width)}

    def build_optimizers(self) -> None:
        betas = (self.opts["beta1"], self.opts["beta2"])
        for name, lr in (("G", self.opts["lr"]), ("D", self.opts["lr"] * self.opts["d2g_lr"])):
            opt = torch.optim.Adam(self.nets[name].parameters(), lr=lr, betas=betas)
            self.optimizers[name] = opt
            self.schedulers[name] = self.lambda_scheduler(opt, lambda s: 1.0)

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, Any]:
        o = self.opts
        G, D = self.nets["G"], self.nets["D"]
        out = G(self.net_input(image, hole), hole)
        d_real, d_fake = D(image), D(out.detach())
        d_loss = losses.hinge_d(d_real.logits, d_fake.logits)
        self.update(d_loss, "D", D.parameters())
        set_requires_grad(D, False)
        fake = D(out)
        with torch.no_grad():
            real_feats = D(image).features
        set_requires_grad(D, True)
        g_adv = losses.hinge_g(fake.logits)
        fm = losses.feature_matching(real_feats, fake.features)
        l1 = losses.l1_hole_normalised(out, image, hole)
        comp = losses.composite(out, image, hole)
        perc, s_out, _ = self.perceptual_style(out, comp, image)
        if self.vgg is not None:
            # EdgeConnect's perceptual/style compare the prediction only; drop the composite half.
            with torch.no_grad():
                f_gt = self.vgg_feats(image)
            perc = losses.perceptual(self.vgg_feats(out), f_gt)
        loss = o["w_l1"] * l1 + o["w_adv"] * g_adv + o["w_perceptual"] * perc + o["w_style"] * s_out + o["w_fm"] * fm
        self.update(loss, "G", G.parameters())
        self.step_schedulers()
        return scalars(
            {"loss": loss, "l1": l1, "g_adv": g_adv, "perceptual": perc, "style": s_out, "fm": fm, "d_loss": d_loss}
        )


RECIPE = ISNetRecipe
