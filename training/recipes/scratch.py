"""Training recipe of the scratch-and-dust detector (engine/models/scratch.py).

Not an inpainting recipe: the loop of :mod:`training.loop` scores fills, this one segments damage, so
``python -m training train --engine scratch`` is routed here by :mod:`training.cli`. It keeps the
same run folder conventions: ``config.json``, resumable ``ckpt.pt`` (training.checkpoint, RNG
states included so a resumed run draws the same batches), ``train.csv`` and ``val.csv``.

Data: random multi-scale crops of the corpus's training photos (training.data), each turned into
a synthetic old scan by :func:`training.damage.make_old_photo` (profile "train"); a fraction
``clean`` of the crops is only aged, without damage, to teach the network that picture detail is
not damage. Loss: BCE + ``dice`` × soft Dice over the batch — Dice keeps the rare thin positives
from being drowned by the background (Wan et al. §3.3 weight their cross entropy for the same reason).
Validation: fixed crops of the validation photos with the "eval" damage profile; precision and
recall at 2 px tolerance (engine.restore.damage_scores) at probability 0.5, and the fraction of
pixels marked on the same crops aged but undamaged (false alarms).
"""

from __future__ import annotations

import csv
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from engine.damage import DetectionSettings
from engine.models.scratch import ScratchUNet
from engine.restore import damage_scores
from engine.weights import save_weights
from training import checkpoint, distributed
from training.config import TrainConfig, save_json
from training.damage import EVAL, TRAIN, make_old_photo
from training.damage_families import TRAIN_FAMILIES, mixed_damage
from training.data import CropDataset, ImageCache, center_crop, list_images, load_rgb, to_tensor
from training.distractors import draw_structure
from training.errors import TrainingError
from training.hard_negatives import HardNegatives

ENGINE = "scratch"
# clean_pick: an undamaged crop is the most line-rich of this many random crops (1 = any crop). Thin
# picture content (line art, planks, fibres) is what the detector takes for scratches, so the clean
# crops that teach "this is not damage" are drawn where it is dense.
# hard: the share of clean crops taken around the network's own false alarms on whole undamaged
# training photos (training.hard_negatives), mined every ``mine_every`` steps from ``mine_photos`` photos.
DEFAULTS: dict[str, Any] = {
    "lr": 2e-3, "dice": 1.0, "depth": 4, "clean": 0.15, "clean_pick": 1, "val_size": 384,
    "hard": 0.0, "mine_every": 50, "mine_photos": 2, "structure": 0.0, "warmup": 0, "lines": 0, "turn": 0.0,
    "families": 0, "cap": 0,
}  # fmt: skip
# families: 1 draws the damage from the training side of training.damage_families (mixed_damage over
# TRAIN_FAMILIES, 1–3 families per crop, on a sepia/grey/faded/colour scan with grain and JPEG) instead
# of training/damage.py's single generator (0, the runs before issue #39); a list of names draws only
# those (each must be a training family: a held-out one is refused). Validation then uses the same
# families on the validation photos. The held-out families are never drawn here.
# cap: the U-Net's channel count stops doubling at cap·width (0: no cap; engine/models/scratch.py).
# turn: the share of crops turned by 90° *before* damage is drawn. Picture lines then come in every
# direction while scratches keep the generator's near-vertical prior, so "horizontal line = picture"
# stops being a shortcut (the shipped weights took it: benchmarks/restore_orientation, model card).
# Undamaged crops are turned after the mined or line-rich crop is chosen. On its own (0.5, 2400 steps)
# it lit up plank gaps and still missed faint near-horizontal scratches (model card, not shipped).
# lines: orientations of the oriented line-evidence inputs (engine/models/scratch.py; 0 = off, the
# layout of the files before them). A file without them warm-starts a network with them (zero weights).
# warmup: steps of linear learning-rate ramp from 0 before the cosine decay. A warm start gets a fresh
# Adam whose first steps move every weight by about the full rate; without a ramp the stage-3 weights
# fell from precision 0.88 to 0.43 on the validation crops within 600 steps (run scratch-s4b).


def _opts(cfg: TrainConfig) -> dict[str, Any]:
    unknown = set(cfg.recipe) - set(DEFAULTS)
    if unknown:
        raise TrainingError(f"recipe scratch has no option(s) {sorted(unknown)}; options: {', '.join(DEFAULTS)}")
    opts = {**DEFAULTS, **cfg.recipe}
    family_set(opts["families"])  # a held-out or unknown family is refused before any work
    return opts


def build(cfg: TrainConfig) -> ScratchUNet:
    torch.manual_seed(cfg.seed)
    opts = _opts(cfg)
    return ScratchUNet(width=cfg.width, depth=int(opts["depth"]), lines=int(opts["lines"]), cap=int(opts["cap"])).to(
        memory_format=torch.channels_last
    )


def line_density(rgb: np.ndarray) -> float:
    """Mean thin-line contrast of a uint8 H×W×3 RGB crop: white + black top-hat of its luma with a
    5×5 ellipse (grey levels), the same response the classical scratch detector thresholds."""
    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    tophat = cv2.morphologyEx(luma, cv2.MORPH_TOPHAT, k).astype(np.float32)
    blackhat = cv2.morphologyEx(luma, cv2.MORPH_BLACKHAT, k).astype(np.float32)
    return float((tophat + blackhat).mean())


def batch(
    ds: CropDataset,
    n: int,
    rng: np.random.Generator,
    dmg: np.random.Generator,
    clean: float,
    pick: int = 1,
    hard: HardNegatives | None = None,
    hard_share: float = 0.0,
    structure: float = 0.0,
    turn: float = 0.0,
    families: tuple[str, ...] = (),
):
    """(scans N×3×s×s in [0, 1], targets N×1×s×s in {0, 1}) of freshly damaged crops.

    A share ``clean`` of them is aged but undamaged; of those, a share ``hard_share`` is a crop
    around a mined false alarm (``hard``, while its pool is not empty), the others, with ``pick`` > 1,
    the most line-rich of ``pick`` random crops (:func:`line_density`). A share ``structure`` of all
    crops first gets scratch-like picture structure (:func:`training.distractors.draw_structure`), and a
    share ``turn`` is turned by 90° before it is aged and damaged. ``families`` (names of training
    families; empty: off): age and damage with :func:`old_scan` instead of training/damage.py.
    """
    # First, in order, what needs the shared generators: each crop's choice, and its own damage generator
    # (seeded from ``dmg``), so that the ageing and damage below give the same batch on any thread count.
    plans = []
    for crop in ds.sample(n, rng):
        own = np.random.default_rng(dmg.integers(2**63))
        if structure > 0 and own.random() < structure:  # no draw at 0
            crop = draw_structure(crop, own)
        undamaged = own.random() < clean
        if undamaged:
            mined = hard.crop(ds, rng) if hard is not None and hard_share > 0 and rng.random() < hard_share else None
            if mined is not None:
                crop = mined
            elif pick > 1:
                crop = max([crop, *ds.sample(pick - 1, rng)], key=line_density)
        plans.append((crop, undamaged, own))

    def finish(plan: tuple[np.ndarray, bool, np.random.Generator]) -> tuple[np.ndarray, np.ndarray]:
        crop, undamaged, own = plan
        # after the choice of crop: the mined and line-rich undamaged crops are the picture lines the
        # network must stop telling from scratches by direction, so they are turned too
        if turn > 0 and own.random() < turn:  # no draw at 0, as above
            crop = np.ascontiguousarray(np.rot90(crop, 1 if own.random() < 0.5 else -1))
        if undamaged:
            aged = (old_scan(crop, own, families) if families else make_old_photo(crop, own, "train"))[0]
            return aged, np.zeros(aged.shape[:2], np.uint8)
        _, damaged, mask = old_scan(crop, own, families) if families else make_old_photo(crop, own, "train")
        return damaged, mask

    # Ageing and damage are numpy and OpenCV work that releases the GIL: one crop per core (on 2 cores
    # they were half of a training step, with the network idle).
    with ThreadPoolExecutor(max_workers=max(1, min(n, os.cpu_count() or 1))) as pool:
        done = list(pool.map(finish, plans))
    scans, masks = [d[0] for d in done], [d[1] for d in done]
    return to_tensor(scans), torch.from_numpy(np.stack(masks) > 127).float()[:, None]


def family_set(option: Any) -> tuple[str, ...]:
    """The training families the ``families`` option names: () for 0/false, all of TRAIN_FAMILIES for
    1/true, else the listed names, each of which must be a training family."""
    if isinstance(option, list | tuple):
        names = tuple(str(n) for n in option)
        wrong = [n for n in names if n not in TRAIN_FAMILIES]
        if wrong or not names:
            raise TrainingError(
                f"recipe option families: {', '.join(wrong) or '(empty)'} is not a training family; "
                f"one or more of {', '.join(TRAIN_FAMILIES)} (the held-out ones are never trained on)"
            )
        return names
    return TRAIN_FAMILIES if option else ()


def old_scan(
    rgb: np.ndarray, dmg: np.random.Generator, families: tuple[str, ...] = TRAIN_FAMILIES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(aged, damaged, mask) of a uint8 H×W×3 RGB crop: an old scan of it with 1–3 of ``families``
    drawn (:func:`training.damage_families.mixed_damage`, seeded from ``dmg``); uint8 H×W×3 RGB,
    uint8 H×W×3 RGB, uint8 H×W (255 = damage). The aged scan is the same print undamaged."""
    d = mixed_damage(rgb, families, int(dmg.integers(2**31)))
    return d.reference, d.damaged, d.mask


def loss_fn(logits: torch.Tensor, target: torch.Tensor, dice_w: float) -> tuple[torch.Tensor, float, float]:
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + dice_w * dice, float(bce.detach()), float(dice.detach())


def validation_set(
    paths: list[Path], size: int, seed: int = 4321, families: tuple[str, ...] = ()
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Fixed (aged, damaged, mask) crops of the validation photos: training/damage.py's eval profile,
    or with ``families`` those training families (:func:`old_scan`; never the held-out ones)."""
    rng = np.random.default_rng(seed)
    out = []
    for p in paths:
        rgb = load_rgb(p, size * 2)
        if rgb is not None:
            crop = center_crop(rgb, size)
            out.append(old_scan(crop, rng, families) if families else make_old_photo(crop, rng, "eval"))
    if not out:
        raise TrainingError("no readable validation photos")
    return out


@torch.no_grad()
def validate(net: ScratchUNet, val: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict[str, float]:
    net.eval()
    found, truths, alarms = [], [], []
    for aged, damaged, mask in val:
        probs = torch.sigmoid(net(to_tensor([damaged, aged]).to(distributed.module_device(net))))[:, 0].cpu().numpy()
        found.append(((probs[0] >= 0.5) * 255).astype(np.uint8))
        truths.append(mask)
        alarms.append(float((probs[1] >= 0.5).mean()))
    net.train()
    p, r = damage_scores(np.concatenate(found), np.concatenate(truths))
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-9), "false_alarm": float(np.mean(alarms))}


def lr_factor(step: int, steps: int, warmup: int = 0) -> float:
    """Learning-rate multiplier at ``step`` of a run of ``steps``: linear ramp over the first
    ``warmup`` steps, then cosine decay from 1 to 5 % at the end of the run."""
    if warmup > 0 and step < warmup:
        return (step + 1) / (warmup + 1)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, steps))))


def _warm_start(net: ScratchUNet, path: str) -> float:
    """Load exported detector weights into ``net`` (same width and depth); return their training
    seconds, so the new run's ``seconds`` counts the whole training time. The step count and the
    learning-rate schedule start afresh: a warm start is a new run. A file without the line-evidence
    inputs warm-starts a network with them: their first-layer weights start at zero, so the new
    network begins by computing exactly what the file did."""
    from engine.weights import load_weights
    from training.warmstart import widen_inputs

    try:
        tensors, meta = load_weights(path, expected_engine=ENGINE)
    except Exception as exc:  # InpaintError: missing, corrupt or another engine's file
        raise TrainingError(f"--init: {exc}") from None
    try:
        net.load_state_dict(
            widen_inputs({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}, net)
        )
    except RuntimeError as exc:
        raise TrainingError(f"--init {path} does not fit this detector: {str(exc).splitlines()[0]}") from None
    return float(meta.get("training_seconds", 0.0))


def _append(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict[str, float]:
    """Train (or continue) the detector; returns the last validation metrics."""
    opts = _opts(cfg)
    torch.set_num_threads(cfg.threads or 2)
    device = distributed.process_device(cfg.device)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    train_paths = list_images(cfg.data, cfg.split, "train") if cfg.split else list_images(cfg.data)
    val_paths = list_images(cfg.val or cfg.data, cfg.split, "val") if cfg.split else list_images(cfg.val or cfg.data)
    net = build(cfg).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=float(opts["lr"]))
    warmup = int(opts["warmup"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, cfg.steps, warmup))
    data_rng, dmg_rng = np.random.default_rng(cfg.seed), np.random.default_rng(cfg.seed + 1)
    step, seconds, metrics = 0, 0.0, {}
    hard = HardNegatives()
    ckpt = out / "ckpt.pt"
    if resume:
        state = checkpoint.load(ckpt)
        net.load_state_dict(state["nets"]["G"])
        opt.load_state_dict(state["optimizers"]["G"])
        sched.load_state_dict(state["schedulers"]["G"])
        checkpoint.restore_rng(state["rng"], data_rng, dmg_rng)
        step, seconds, metrics = int(state["step"]), float(state.get("seconds", 0.0)), dict(state.get("metrics", {}))
        hard.load(state.get("hard_negatives", []))
    elif cfg.init:
        seconds = _warm_start(net, cfg.init)
    save_json(out / "config.json", {**cfg.to_json(), "recipe_resolved": opts})
    ds = CropDataset(train_paths, cfg.size, ImageCache(cfg.cache_side, cfg.cache_mb << 20))
    families = family_set(opts["families"])
    val = validation_set(val_paths[: cfg.val_count], int(opts["val_size"]), families=families)

    def save() -> None:
        checkpoint.save(
            ckpt,
            {
                "step": step,
                "config": cfg.to_json(),
                "nets": {"G": net.state_dict()},
                "optimizers": {"G": opt.state_dict()},
                "schedulers": {"G": sched.state_dict()},
                "rng": checkpoint.capture_rng(data_rng, dmg_rng),
                "seconds": seconds,
                "metrics": metrics,
                "hard_negatives": hard.state(),
            },
        )

    net.train()
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="scratch")
    while step < cfg.steps:
        t0 = time.perf_counter()
        if float(opts["hard"]) > 0 and step % int(opts["mine_every"]) == 0:
            hard.mine(net, ds, int(opts["mine_photos"]), data_rng, dmg_rng)
        x, y = batch(
            ds,
            cfg.batch,
            data_rng,
            dmg_rng,
            float(opts["clean"]),
            int(opts["clean_pick"]),
            hard,
            float(opts["hard"]),
            float(opts["structure"]),
            float(opts["turn"]),
            families,
        )
        x, y = x.to(device), y.to(device)
        loss, bce, dice = loss_fn(net(x.contiguous(memory_format=torch.channels_last)), y, float(opts["dice"]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        seconds += time.perf_counter() - t0
        _append(
            out / "train.csv",
            {"step": step, "loss": float(loss.detach()), "bce": bce, "dice": dice, "seconds": seconds},
        )
        bar.update(1)
        if step % cfg.val_every == 0 or step == cfg.steps:
            metrics = validate(net, val)
            _append(out / "val.csv", {"step": step, **metrics, "seconds": seconds})
            bar.write(f"step {step}: " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
        if step % cfg.ckpt_every == 0 or step == cfg.steps:
            save()
    bar.close()
    return metrics


def export(
    run: str | Path, output: str | Path, dtype: torch.dtype | None = torch.float16, threshold: float | None = None
) -> Path:
    """Write the run's network as detector weights (engine.weights format, fp16 by default).

    ``threshold``: the probability threshold the editor uses at the default sensitivity 0.5
    (engine.restore.threshold_for), calibrated on the train photos by benchmarks/restore_threshold.py;
    None writes 0.5.
    """
    if threshold is not None and not 0.05 < threshold < 0.95:
        raise TrainingError(f"--threshold {threshold} is outside (0.05, 0.95)")
    state = checkpoint.load(Path(run) / "ckpt.pt")
    cfg = TrainConfig.from_json(state["config"])
    opts = _opts(cfg)
    meta = {
        "engine": ENGINE,
        "width": float(cfg.width),
        "config": {
            "depth": int(opts["depth"]),
            **({"lines": int(opts["lines"])} if int(opts["lines"]) else {}),
            **({"cap": int(opts["cap"])} if int(opts["cap"]) else {}),
        },
        "steps": int(state["step"]),
        "threshold": 0.5 if threshold is None else float(threshold),  # also in "settings"; older readers look here
        "settings": DetectionSettings(threshold=0.5 if threshold is None else float(threshold)).to_json(),
        "init": cfg.init,  # warm start: its training seconds are included, its steps are not
        "training_seconds": round(float(state.get("seconds", 0.0))),
        "data": {"folder": cfg.data, "split": cfg.split, "size": cfg.size},
        "recipe": {
            "options": opts,
            "batch": cfg.batch,
            "size": cfg.size,
            "train_profile": repr(TRAIN),
            "val_profile": repr(EVAL),
        },
        "metrics": state.get("metrics", {}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return save_weights(output, state["nets"]["G"], meta, dtype=dtype)
