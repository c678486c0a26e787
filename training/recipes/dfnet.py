"""DFNet recipe (Hong et al. 2019, §3.3 "Loss Functions", §4.1).

Structure loss (λ_l1 · L1) on the fusion outputs P = the last 6 decoder levels, texture loss
(λ_p perceptual + λ_s style + λ_tv TV) on Q = the last 3, each against the ground truth resized to
that level's resolution (area averaging; the paper does not say how). Weights from the authors' code
(REFERENCE.md): L1 1, perceptual 0.1, style 240 (VGG16 pool1–3), TV 0.1 — TV on the *outputs*
(the official code computed it on the targets, which has no effect). Perceptual/style use I_out
only (the paper defines them on the prediction; it does not composite per level).
Optimiser: Adam 2e-4 (authors' code), ×0.1 step decay every ``decay_every`` of the run (code: every
5 of 20 epochs → 0.25). Masks: the authors' own stroke masks (REFERENCE.md) ≈ free-form strokes.

Fusion options (issue #18; not in the paper, all off by default). The shipped prefill weights
were trained with the reconstruction objective, whose loss reads only the finest output: the five
coarser fusion blocks got no gradient at all (their alphas stayed exactly sigmoid(−4.6) = 0.0099),
and the finest block's raw completion got its gradient through an alpha of 0.01, so it never beat
the prefill and its alpha was pushed further towards 0. The options:

- ``w_levels``: with the reconstruction objective, the paper's multi-scale structure term (L1 of
  every coarser P level's blended output Î_k against the resized ground truth, whole image), so
  every fusion block gets a gradient — towards 0 outside the hole, where I_k is the photo itself.
- ``w_raw``: L1 of each P level's raw completion C_k against the resized ground truth inside the
  (resized) hole, so the raw decoder output learns to be worth blending in whatever its alpha is.
- ``raw_warmup``: fraction of the run (phase "raw") with every alpha network A held (no gradient,
  BatchNorm frozen): the raw completions train first, at the alphas the run started from; then the
  alphas are freed (phase of the objective).
- ``gate_lr``: learning-rate factor for the alpha networks (their sigmoid' is 0.01 at the prefill
  variant's start).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.dfnet import DFNet, DFNetOutput
from training import losses
from training.errors import TrainingError
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
        "w_levels": 0.0,
        "w_raw": 0.0,
        "raw_warmup": 0.0,
        "gate_lr": 1.0,
    }
    log_keys = ("loss", "l1", "perceptual", "style", "tv")

    def __init__(self, cfg: Any, data_mean: tuple[float, float, float] | None = None) -> None:
        super().__init__(cfg, data_mean)
        if not 0.0 <= float(self.opts["raw_warmup"]) < 1.0:
            raise TrainingError(f"raw_warmup must be a fraction of the run in [0, 1), not {self.opts['raw_warmup']!r}")
        objective_phase = self.phase  # the paper's, or the reconstruction objective's constant phase
        warm_end = self.frac_step(float(self.opts["raw_warmup"]))
        self.phase = lambda step: "raw" if step < warm_end else objective_phase(step)  # type: ignore[method-assign]
        if self.opts["objective"] == "reconstruction":
            self.log_keys = ("loss", "hole", "band", "raw", "levels")  # type: ignore[misc]
        elif self.opts["w_raw"]:
            self.log_keys = (*self.log_keys, "raw")  # type: ignore[misc]

    def alpha_parameters(self) -> list[nn.Parameter]:
        """The parameters of every fusion block's alpha network A (the gates)."""
        return [p for block in self.G.fusion for p in block.alpha.parameters()]

    def set_train_mode(self, step: int) -> None:
        super().set_train_mode(step)
        held = self.phase(step) == "raw"
        for block in self.G.fusion:
            block.alpha.requires_grad_(not held)
            if held:
                block.alpha.eval()  # BatchNorm statistics held too: alpha is exactly the start's

    def paper_config(self) -> dict[str, Any]:
        return {"fusion_blocks": int(self.opts["fusion_blocks"])}

    def build_nets(self) -> dict[str, nn.Module]:
        return {"G": self.generator()}

    def build_optimizers(self) -> None:
        gates = {id(p) for p in self.alpha_parameters()}
        rest = [p for p in self.G.parameters() if id(p) not in gates]
        lr = float(self.opts["lr"])
        opt = torch.optim.Adam(
            [{"params": rest}, {"params": self.alpha_parameters(), "lr": lr * float(self.opts["gate_lr"])}], lr=lr
        )
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
        logs = {"loss": loss, "l1": l1, "perceptual": perc, "style": style, "tv": tv}
        if o["w_raw"]:
            logs["raw"] = self.raw_term(result, image, hole)
            loss = loss + float(o["w_raw"]) * logs["raw"]
            logs["loss"] = loss
        self.update(loss, "G", self.G.parameters())
        self.step_schedulers()
        return scalars(logs)

    def raw_term(self, result: DFNetOutput, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        """Mean over the P levels of the L1 of the raw completion C_k inside the level's hole."""
        total = image.new_zeros(())
        raws = result.raws[-int(self.opts["p_levels"]) :]
        for raw in raws:
            size = tuple(raw.shape[-2:])
            h = _resize(hole, size)
            total = total + ((raw - _resize(image, size)).abs() * h).sum() / (3 * h.sum()).clamp_min(1.0)
        return total / len(raws)

    def levels_term(self, result: DFNetOutput, image: torch.Tensor) -> torch.Tensor:
        """Mean over the coarser P levels of the L1 of the blended output Î_k (whole image)."""
        coarse = result.outputs[-int(self.opts["p_levels"]) : -1]
        if not coarse:
            return image.new_zeros(())
        return sum((x - _resize(image, tuple(x.shape[-2:]))).abs().mean() for x in coarse) / len(coarse)

    def reconstruction_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, float]:
        """The reconstruction objective on the final image, plus ``w_levels`` × the coarser levels'
        structure term and ``w_raw`` × the raw completions' hole term (module docstring)."""
        o = self.opts
        result = self.G(self.net_input(image, hole), hole)
        loss, l_hole, l_band = self.reconstruction_loss(result.image, image, hole)
        zero = image.new_zeros(())
        l_raw = self.raw_term(result, image, hole) if o["w_raw"] else zero
        l_levels = self.levels_term(result, image) if o["w_levels"] else zero
        loss = loss + float(o["w_raw"]) * l_raw + float(o["w_levels"]) * l_levels
        self.update(loss, "G", self.G.parameters())
        self.step_schedulers()
        return scalars({"loss": loss, "hole": l_hole, "band": l_band, "raw": l_raw, "levels": l_levels})


RECIPE = DFNetRecipe
