"""Online hard-negative mining for the scratch detector: where it, as trained so far, marks photos
that carry no damage, and crops centred there for the "this is not damage" part of its batches.

Why: picture content that *looks* like a scratch (plank gaps, line art, arc patterns, dark discs) is
rare in random crops, yet one such photo can mark more pixels than all the damage of ten others, and
issue #19 scores precision pooled over photos. Random or line-rich crops (``clean_pick``) see too
little of it; the network's own false alarms on whole undamaged photos point straight at it.

A mining round takes a few random training photos at a random scale (the same log-uniform scale as
:func:`training.data.random_crop`), ages them (:func:`training.damage.age_photo`, no damage), runs the
network once on the whole photo and keeps up to ``per_photo`` marked pixels (probability ≥ 0.5) as
(photo index, crop side, centre x, centre y) in the cached photo's pixels. :meth:`HardNegatives.crop`
returns a crop of that side around a kept centre (jittered by up to a quarter side), resized to the
training size. The pool is plain numbers, so checkpoints save it and a resumed run draws the same crops.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch

from training.damage import age_photo
from training.data import CropDataset, to_tensor
from training.distributed import module_device

MAX_PIXELS = 1_200_000  # a mining photo is shrunk to at most this many pixels (time per round)


class HardNegatives:
    """A bounded pool of false-alarm centres, newest kept."""

    def __init__(self, capacity: int = 1024, per_photo: int = 8) -> None:
        self.capacity = capacity
        self.per_photo = per_photo
        self.pool: list[tuple[int, float, float, float]] = []

    def state(self) -> list[list[float]]:
        return [list(p) for p in self.pool]

    def load(self, state: list[list[float]]) -> None:
        self.pool = [(int(i), float(s), float(x), float(y)) for i, s, x, y in state]

    @torch.no_grad()
    def mine(
        self, net: torch.nn.Module, ds: CropDataset, photos: int, rng: np.random.Generator, dmg: np.random.Generator
    ) -> int:
        """Run ``net`` on ``photos`` random aged, undamaged training photos; return the centres added."""
        was_training = net.training
        net.eval()
        added = 0
        multiple = int(getattr(net, "multiple", 8))
        device = module_device(net)
        for _ in range(photos):
            index = int(rng.integers(0, len(ds.paths)))
            rgb = ds.cache.get(ds.paths[index])
            if rgb is None:
                continue
            h, w = rgb.shape[:2]
            short = min(h, w)
            side = math.exp(rng.uniform(math.log(ds.size), math.log(short))) if short > ds.size else float(ds.size)
            f = min(ds.size / side, math.sqrt(MAX_PIXELS / (h * w)))
            sw, sh = (
                max(multiple, round(w * f) // multiple * multiple),
                max(multiple, round(h * f) // multiple * multiple),
            )
            small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
            x = to_tensor([age_photo(small, dmg)]).to(device)
            prob = torch.sigmoid(net(x))[0, 0].cpu().numpy()
            ys, xs = np.nonzero(prob >= 0.5)
            if len(ys) == 0:
                continue
            keep = rng.choice(len(ys), size=min(self.per_photo, len(ys)), replace=False)
            fx, fy = w / sw, h / sh
            for k in keep:
                self.pool.append((index, side, (float(xs[k]) + 0.5) * fx, (float(ys[k]) + 0.5) * fy))
                added += 1
        del self.pool[: max(0, len(self.pool) - self.capacity)]
        if was_training:
            net.train()
        return added

    def crop(self, ds: CropDataset, rng: np.random.Generator) -> np.ndarray | None:
        """A uint8 size×size×3 RGB crop around a random pool centre, or None while the pool is empty."""
        if not self.pool:
            return None
        index, side, cx, cy = self.pool[int(rng.integers(0, len(self.pool)))]
        rgb = ds.cache.get(ds.paths[index])
        if rgb is None:
            return None
        h, w = rgb.shape[:2]
        s = int(min(round(side), h, w))
        cx += rng.uniform(-0.25, 0.25) * s
        cy += rng.uniform(-0.25, 0.25) * s
        x0 = int(np.clip(round(cx - s / 2), 0, w - s))
        y0 = int(np.clip(round(cy - s / 2), 0, h - s))
        out = rgb[y0 : y0 + s, x0 : x0 + s]
        if s != ds.size:
            out = cv2.resize(out, (ds.size, ds.size), interpolation=cv2.INTER_AREA if s > ds.size else cv2.INTER_CUBIC)
        if rng.random() < 0.5:
            out = out[:, ::-1]
        return np.ascontiguousarray(out)
