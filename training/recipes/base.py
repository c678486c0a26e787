"""The recipe interface the loop drives, and helpers shared by the five recipes.

A recipe owns its networks (``nets``: the generator under ``"G"`` — the engine's module — plus
discriminators), optimisers and LR schedulers, decides the phase from the step (phase lengths are
fractions of ``cfg.steps``, so the schedule scales with the run), and performs one training
iteration on a batch. Everything that must survive a resume is in ``nets``, ``optimizers`` and
``schedulers`` (saved by the loop) or is a pure function of the step.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from engine.paper import PaperNetwork
from engine.residual import build_network, prefill_batch, variant_config
from training import distributed, losses
from training.config import TrainConfig
from training.errors import TrainingError
from training.vgg import VGGFeatures, build_vgg

#: Options every recipe takes besides its paper's. Both are deviations made for the CPU budget and
#: are recorded in the weights' metadata, so model cards state them.
COMMON_DEFAULTS: dict[str, Any] = {
    # "paper": the paper's losses and phases. "reconstruction": the generator alone on an L1 loss
    # over the hole plus an equal L1 term over its 5-px boundary band (the BPE band of the
    # evaluation protocol) — the PSNR/BPE-oriented training used for prefill-residual weights.
    "objective": "paper",
    # Exponential moving average of the generator's weights (decay per step; 0 = off). Validation
    # and export then use the average, which smooths out the step-to-step noise that Adam puts into
    # a residual's small corrections (measured on PConv at lr 1e-3, step 300: live weights 35.49 dB
    # validation PSNR, their average 35.57 dB, Navier–Stokes 35.57 dB).
    "ema": 0.0,
    # The reconstruction objective's hole term: "l1" (mean |error|) or "rmse" (root of the mean
    # squared error: the conditional mean, which PSNR rewards, with a scale comparable to the L1
    # band term). The band term is always L1 (BPE is a mean absolute error).
    "hole_loss": "l1",
    # Extra L1 terms on the hole's error average-pooled by 4 and 16 px (0 = off): the low-frequency,
    # predictable part of the error without the photo's unpredictable texture, i.e. a gradient with
    # far less noise per batch than the per-pixel terms give.
    "lowpass": 0.0,
    # Weight of the reconstruction objective's L1 term on the 5-px edge band (the BPE band).
    "band_weight": 1.0,
    # The prefill-residual variant of the network (engine.residual; DESIGN.md): "ns" or "telea" makes the
    # generator a correction of that classical fill, None trains the paper's network. Its two options:
    # blur sigmas (px) of the learned smoothing in the correction, and radii (px) of the edge maps
    # its head also sees (networks whose head does not see the input yet: GLCIC, ISNet, DeepGIN).
    "prefill": None,
    "blur_sigmas": [],
    "edge_radii": [],
    # DFNet with a prefill (issue #18): "holed" makes each fusion block blend a correction of the
    # prefill with the paper's holed input (engine.residual.PrefillResidual), None the prefill itself.
    "fusion_base": None,
    # Largest global L2 norm of each optimiser step's gradient (0 = no clipping). A prefill residual
    # trained with a heavy band term can take one outsized step and never come back (measured:
    # DeepGIN at lr 1e-3, band weight 12: 35.66 dB validation at step 500, 12.67 dB at step 600).
    "clip_grad": 0.0,
}


class Recipe:
    """Base class. Subclasses set the class attributes and implement :meth:`build_nets`,
    :meth:`build_optimizers` and :meth:`train_step`."""

    engine: ClassVar[str]
    paper: ClassVar[str]
    #: Mask generator mix the paper trained with (names from training.masks.GENERATORS).
    default_masks: ClassVar[dict[str, float]]
    #: Recipe options (loss weights, learning rates, phase fractions) and their published values.
    defaults: ClassVar[dict[str, Any]]
    #: VGG architecture for perceptual/style terms, or None if the paper uses none.
    vgg_arch: ClassVar[str | None] = None
    #: Loss names written to the logs (fixed CSV columns).
    log_keys: ClassVar[tuple[str, ...]] = ("loss",)
    #: The generator's paper network (engine.models); :meth:`generator` builds it or its variant.
    network: ClassVar[type[PaperNetwork]]

    def __init__(self, cfg: TrainConfig, data_mean: tuple[float, float, float] | None = None) -> None:
        unknown = set(cfg.recipe) - set(self.defaults) - set(COMMON_DEFAULTS)
        if unknown:
            raise TrainingError(
                f"recipe {self.engine} has no option(s) {sorted(unknown)}; "
                f"options: {', '.join(sorted({*self.defaults, *COMMON_DEFAULTS}))}"
            )
        self.cfg = cfg
        self.opts: dict[str, Any] = {**COMMON_DEFAULTS, **self.defaults, **cfg.recipe}
        if self.opts["objective"] not in ("paper", "reconstruction"):
            raise TrainingError(f"objective must be 'paper' or 'reconstruction', not {self.opts['objective']!r}")
        if self.opts["hole_loss"] not in ("l1", "rmse"):
            raise TrainingError(f"hole_loss must be 'l1' or 'rmse', not {self.opts['hole_loss']!r}")
        try:
            self.variant_config = variant_config(self.opts, self.network)
        except ValueError as exc:
            raise TrainingError(str(exc)) from None
        if not 0.0 <= float(self.opts["ema"]) < 1.0:
            raise TrainingError(f"ema must be a decay in [0, 1), not {self.opts['ema']!r}")
        self.data_mean = data_mean
        #: Where the networks live and train; the loop moves each batch here.
        self.device = distributed.process_device(cfg.device)
        self.vgg: VGGFeatures | None = build_vgg(self.vgg_arch, cfg.vgg) if self.vgg_arch else None
        if self.vgg is not None:
            self.vgg.to(self.device)
        self.nets: dict[str, nn.Module] = self.build_nets()
        for net in self.nets.values():
            net.to(device=self.device, memory_format=torch.channels_last)  # before the optimisers see them
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, torch.optim.lr_scheduler.LRScheduler] = {}
        self.build_optimizers()
        if self.opts["ema"]:
            ema = copy.deepcopy(self.nets["G"]).requires_grad_(False)
            self.nets["G_ema"] = ema
        if self.opts["objective"] == "reconstruction":
            # Instance attributes shadow the paper's phases and step (discriminators stay idle).
            self.phase = lambda step: "reconstruction"  # type: ignore[method-assign]
            self.train_step = self.reconstruction_step  # type: ignore[method-assign]
            self.log_keys = ("loss", "hole", "band")  # type: ignore[misc]

    # --- to implement ------------------------------------------------------------------------------
    def model_config(self) -> dict[str, Any]:
        """Build kwargs of the engine module (besides width), recorded in the exported weights:
        :meth:`paper_config` plus the variant's entries (engine.residual.variant_config)."""
        return {**self.paper_config(), **self.variant_config}

    def paper_config(self) -> dict[str, Any]:
        """Build kwargs of the paper network itself (besides width)."""
        return {}

    def generator(self) -> nn.Module:
        """The generator: the paper network, or its variant when the options ask for one."""
        return build_network(self.network, self.cfg.width, self.model_config())

    def prefill_method(self) -> str | None:
        """The classical fill the variant's generator starts from (recipe option ``prefill``), or None."""
        return self.variant_config.get("prefill")

    def net_input(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        """What the generator sees: holes zeroed (the papers), or holding the variant's classical fill."""
        method = self.prefill_method()
        return prefill_batch(image, hole, method) if method else image * (1 - hole)

    def build_nets(self) -> dict[str, nn.Module]:
        raise NotImplementedError

    def build_optimizers(self) -> None:
        raise NotImplementedError

    def phase(self, step: int) -> str:
        return "train"

    def train_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, float]:
        """One iteration at 0-based ``step`` on image N×3×H×W in [0, 1] and hole N×1×H×W (1 = hole)."""
        raise NotImplementedError

    def predict(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        """Final image (N×3×H×W, [0, 1], uncomposited) of the generator (its EMA when kept) in eval mode."""
        out = self.inference_G(self.net_input(image, hole), hole)
        return _final(out)

    @property
    def inference_G(self) -> nn.Module:  # noqa: N802 - the papers' name
        """The generator validation and export use: the weight average when ``ema`` is on."""
        return self.nets.get("G_ema", self.nets["G"])

    def update_ema(self, step: int) -> None:
        """After an optimiser step: G_ema ← d·G_ema + (1 − d)·G; buffers (BatchNorm statistics) copied.

        The decay ramps up as (1 + step) / (10 + step) so the first, noisiest steps do not dominate."""
        ema = self.nets.get("G_ema")
        if ema is None:
            return
        d = min(float(self.opts["ema"]), (1.0 + step) / (10.0 + step))
        with torch.no_grad():
            for avg, live in zip(ema.parameters(), self.nets["G"].parameters(), strict=True):
                avg.lerp_(live, 1.0 - d)
            for avg, live in zip(ema.buffers(), self.nets["G"].buffers(), strict=True):
                avg.copy_(live)

    def reconstruction_step(self, step: int, image: torch.Tensor, hole: torch.Tensor) -> dict[str, float]:
        """Objective "reconstruction": generator only, L1 (or RMSE, option ``hole_loss``) over the hole
        + ``band_weight`` × L1 over its 5-px edge band (each over its own pixels, so hole size does not
        rescale the loss)."""
        out = _final(self.G(self.net_input(image, hole), hole))
        loss, l_hole, l_band = self.reconstruction_loss(out, image, hole)
        self.update(loss, "G", self.G.parameters())
        self.step_schedulers()
        return scalars({"loss": loss, "hole": l_hole, "band": l_band})

    def reconstruction_loss(
        self, out: torch.Tensor, image: torch.Tensor, hole: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss, hole term, band term) of the reconstruction objective for output ``out`` against
        ``image`` (both N×3×H×W in [0, 1]) with ``hole`` N×1×H×W (1 = hole)."""
        diff = (out - image).abs()
        band = losses.boundary_band(hole)
        count = (3 * hole.sum()).clamp_min(1.0)
        if self.opts["hole_loss"] == "rmse":
            l_hole = ((diff.square() * hole).sum() / count + 1e-12).sqrt()
        else:
            l_hole = (diff * hole).sum() / count
        l_band = (diff * band).sum() / (3 * band.sum()).clamp_min(1.0)
        loss = l_hole + float(self.opts["band_weight"]) * l_band
        if self.opts["lowpass"]:
            err = (out - image) * hole
            for k in (4, 16):
                pooled_hole = F.avg_pool2d(hole, k)
                pooled = F.avg_pool2d(err, k).abs().sum() / (3 * pooled_hole.sum()).clamp_min(1e-6)
                loss = loss + float(self.opts["lowpass"]) * pooled
        return loss, l_hole, l_band

    # --- shared ------------------------------------------------------------------------------------
    @property
    def G(self) -> nn.Module:  # noqa: N802 - the papers' name
        return self.nets["G"]

    def describe(self) -> dict[str, Any]:
        """What the run's config.json and the exported metadata record about the recipe."""
        return {
            "engine": self.engine,
            "paper": self.paper,
            "options": self.opts,
            "masks": self.cfg.masks or self.default_masks,
            "vgg": {"arch": self.vgg_arch, "weights": str(self.cfg.vgg)} if self.vgg_arch else None,
            "phases": self.phase_table(),
        }

    def phase_table(self) -> list[tuple[str, int]]:
        """[(phase, first step)] for this run's length."""
        out: list[tuple[str, int]] = []
        for s in range(self.cfg.steps):
            p = self.phase(s)
            if not out or out[-1][0] != p:
                out.append((p, s))
        return out

    def set_train_mode(self, step: int) -> None:
        """Train mode for every net (recipes override to freeze parts per phase); the EMA copy is
        never trained."""
        for net in self.nets.values():
            net.train()
        if "G_ema" in self.nets:
            self.nets["G_ema"].eval()

    def frac_step(self, fraction: float) -> int:
        """First step of a phase starting at ``fraction`` of the run."""
        return round(fraction * self.cfg.steps)

    def lambda_scheduler(
        self, opt: torch.optim.Optimizer, fn: Callable[[int], float]
    ) -> torch.optim.lr_scheduler.LambdaLR:
        return torch.optim.lr_scheduler.LambdaLR(opt, fn)

    def update(self, loss: torch.Tensor, opt_name: str, params: Iterable[nn.Parameter]) -> None:
        """zero grads → backward → average across ranks → optimiser step."""
        opt = self.optimizers[opt_name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        params = list(params)
        distributed.average_gradients(params)
        if self.opts["clip_grad"]:
            torch.nn.utils.clip_grad_norm_(params, float(self.opts["clip_grad"]))
        opt.step()

    def step_schedulers(self) -> None:
        """Advance every schedule by one step (all LR factors are functions of the step)."""
        with warnings.catch_warnings():
            # A discriminator idle in this phase has not stepped its optimiser; its schedule still advances.
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
            for sched in self.schedulers.values():
                sched.step()

    def sync_buffers(self) -> None:
        """Rank 0's BatchNorm statistics / spectral-norm vectors to all ranks (DDP broadcast_buffers)."""
        for net in self.nets.values():
            distributed.broadcast_module(net, params=False)

    def vgg_feats(self, x: torch.Tensor) -> list[torch.Tensor]:
        assert self.vgg is not None
        return self.vgg(x)

    def perceptual_style(
        self, out: torch.Tensor, comp: torch.Tensor, gt: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(perceptual(out)+perceptual(comp), style(out), style(comp)) on the recipe's VGG; zeros without one."""
        if self.vgg is None:
            zero = out.new_zeros(())
            return zero, zero, zero
        with torch.no_grad():
            f_gt = self.vgg_feats(gt)
        f_out, f_comp = self.vgg_feats(out), self.vgg_feats(comp)
        perc = losses.perceptual(f_out, f_gt) + losses.perceptual(f_comp, f_gt)
        return perc, losses.style(f_out, f_gt), losses.style(f_comp, f_gt)


def _final(out: Any) -> torch.Tensor:
    """The final image of a network output (tensor, NamedTuple with ``out``, or object with ``image``)."""
    if isinstance(out, torch.Tensor):
        return out
    for attr in ("image", "out"):
        if hasattr(out, attr):
            return getattr(out, attr)
    raise TypeError(f"cannot find the final image in {type(out).__name__}")


def scalars(values: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    """Detached Python floats for logging."""
    return {k: float(v.detach()) if isinstance(v, torch.Tensor) else float(v) for k, v in values.items()}


def set_requires_grad(net: nn.Module, flag: bool) -> None:
    for p in net.parameters():
        p.requires_grad_(flag)
