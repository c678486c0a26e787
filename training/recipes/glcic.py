"""GLCIC recipe (Iizuka et al. 2017, §3.3–3.5, Algorithm 1).

Three phases as fractions of the run (paper: T_C = 90k, T_D = 10k of 500k iterations): the
completion network alone with the weighted MSE (0.18), the context discriminators alone (0.02),
then both jointly with the generator loss MSE + α·GAN, α = 0.0004. ADADELTA for all networks (lr 1,
torch's ρ = 0.9, ε = 1e-6: Zeiler's method has no learning rate to set). The discriminators see
completed images (known pixels from the input); local patches of ``size/2`` (paper 128 at 256²)
centred on the hole, a random patch for real images (§3.3). Real and completed batches go through
the discriminator as one concatenated batch (one BatchNorm statistic per step; the paper is silent).
Masks (§3.5): one rectangular hole of 96–128 px at 256² ("box"). The hole fill value is the
training data's mean pixel, recorded in the model config (``mean``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from engine.models.glcic import DEFAULT_MEAN, CompletionNetwork
from training import losses
from training.discriminators import GLCICDiscriminator, crop_patches, hole_boxes
from training.errors import TrainingError
from training.recipes.base import Recipe, scalars, set_requires_grad


class GLCICRecipe(Recipe):
    engine = "glcic"
    network = CompletionNetwork
    paper = "Iizuka et al., SIGGRAPH 2017, §3.3–3.5, Algorithm 1"
    default_masks: ClassVar[dict[str, float]] = {"box": 1.0}
    needs_data_mean = True
    defaults: ClassVar[dict[str, Any]] = {
        "alpha": 0.0004,
        "tc_fraction": 0.18,
        "td_fraction": 0.02,
        "lr": 1.0,
        # "adadelta" (the paper) or "adam" (β = 0.9, 0.999; DESIGN.md's calibration runs used Adam 4e-4).
        "optimizer": "adadelta",
    }
    log_keys = ("loss", "mse", "g_adv", "d_loss")

    def paper_config(self) -> dict[str, Any]:
        return {"mean": [float(v) for v in (self.data_mean or DEFAULT_MEAN)]}

    def build_nets(self) -> dict[str, nn.Module]:
        size = self.cfg.size
        local = max(32, size // 2 // 32 * 32)
        return {
            "G": self.generator(),
            "D": GLCICDiscriminator(width=self.cfg.width, global_size=size, local_size=local),
        }

    def build_optimizers(self) -> None:
        kind = self.opts["optimizer"]
        if kind not in ("adadelta", "adam"):
            raise TrainingError(f"GLCIC optimizer must be 'adadelta' or 'adam', not {kind!r}")
        for name in ("G", "D"):
            params = self.nets[name].parameters()
            opt: torch.optim.Optimizer = (
                torch.optim.Adadelta(params, lr=self.opts["lr"])
                if kind == "adadelta"
                else torch.optim.Adam(params, lr=self.opts["lr"])
            )
            self.optimizers[name] = opt
            self.schedulers[name] = self.lambda_scheduler(opt, lambda s: 1.0)

    def phase(self, step: int) -> str:
        tc = self.frac_step(self.opts["tc_fraction"])
        td = self.frac_step(self.opts["tc_fraction"] + self.opts["td_fraction"])
        return "completion" if step < tc else "discriminator" if step < td else "joint"

    def _d_logits(
        self, real: torch.Tensor, fake: torch.Tensor, hole: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        D = self.nets["D"]
        size = D.local_size
        n, _, h, w = real.shape
        fake_corners = hole_boxes(hole, size)
        real_corners = [
            (int(torch.randint(0, h - size + 1, ())), int(torch.randint(0, w - size + 1, ()))) for _ in range(n)
        ]
        logits = D(
            torch.cat([real, fake]),
            torch.cat([crop_patches(real, real_corners, size), crop_patches(fake, fake_corners, size)]),
        )
        return logits[:n], logits[n:]

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, Any]:
        phase = self.phase(step)
        G, D = self.nets["G"], self.nets["D"]
        logs: dict[str, Any] = {}
        if phase == "discriminator":
            with torch.no_grad():
                out = G(self.net_input(image, hole), hole)
        else:
            out = G(self.net_input(image, hole), hole)
        comp = losses.composite(out, image, hole)
        if phase != "completion":
            real_l, fake_l = self._d_logits(image, comp.detach(), hole)
            d_loss = losses.bce_d(real_l, fake_l)
            self.update(d_loss, "D", D.parameters())
            logs["d_loss"] = d_loss
        if phase != "discriminator":
            mse = losses.weighted_mse(out, image, hole)
            loss = mse
            if phase == "joint":
                set_requires_grad(D, False)
                _, fake_l = self._d_logits(image, comp, hole)
                g_adv = losses.bce_g(fake_l)
                set_requires_grad(D, True)
                loss = mse + self.opts["alpha"] * g_adv
                logs["g_adv"] = g_adv
            self.update(loss, "G", G.parameters())
            logs.update(loss=loss, mse=mse)
        else:
            logs["loss"] = logs["d_loss"]
        self.step_schedulers()
        return scalars(logs)


RECIPE = GLCICRecipe
