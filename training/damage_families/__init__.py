"""Synthetic old-photo damage in independent families, with a fixed train / held-out split (issue #39).

Each family is one module with a ``draw(layer, rng)`` that adds its kind of damage, each defect with
its own randomised profile, width, contrast, colour, edge blur and noise (training/damage_families/base.py):

========== ============================================================= ========
family     what it draws                                                 side
========== ============================================================= ========
scratches  long bright/dark scratches, hard or soft edges                train
tears      missing corners, holes, ragged tears from the edge            train
dust       dust specks, hairs and lint                                   train
flaking    emulsion flakes showing the paper base                        train
cracks     craquelure: branching, polygonal crack networks, 1–4 px       held out
creases    folds: a light and a dark line side by side                   held out
spots      water stains with tide lines, mould and foxing clusters       held out
========== ============================================================= ========

**The split** (DESIGN.md, "Held-out families"): anything trained or tuned on this generator —
detector weights, thresholds, post-processing — uses :data:`TRAIN_FAMILIES` only; the
:data:`HELD_OUT_FAMILIES` are measured, once per candidate, and reported beside the training side.
The held-out ones are the kinds the issue saw fail on real scans (crack networks, creases) plus a
kind unlike any line (stains), so a good held-out score means the detector learned damage, not
this generator's strokes.

Every family is drawn on a scan (training/damage_families/scan.py): sepia, grey, faded or colour,
with film grain, and half of them saved as JPEG (the reference too, so the JPEG's own error is not
counted against a restoration). :func:`damage_photo` draws one family (the benchmark's unit),
:func:`mixed_damage` several on one scan (a training sample: pass :data:`TRAIN_FAMILIES`). Both are
seeded: the same photo, families and seed give the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from training.damage_families import cracks, creases, dust, flaking, scratches, spots, tears
from training.damage_families.base import Layer
from training.damage_families.scan import SCANS, age, draw_jpeg, jpeg

Draw = Callable[[Layer, np.random.Generator], None]

FAMILIES: dict[str, Draw] = {
    "scratches": scratches.draw,
    "tears": tears.draw,
    "dust": dust.draw,
    "flaking": flaking.draw,
    "cracks": cracks.draw,
    "creases": creases.draw,
    "spots": spots.draw,
}
TRAIN_FAMILIES: tuple[str, ...] = ("scratches", "tears", "dust", "flaking")
HELD_OUT_FAMILIES: tuple[str, ...] = ("cracks", "creases", "spots")


@dataclass(frozen=True)
class DamagedPhoto:
    """reference: the undamaged old print as scanned (uint8 H×W×3 RGB, what a restoration should
    give back); damaged: the same scan with the family's damage (uint8 H×W×3 RGB); mask: uint8 H×W,
    255 = damage (every pixel it visibly changed); family, scan: what was drawn; jpeg: quality or None."""

    reference: np.ndarray
    damaged: np.ndarray
    mask: np.ndarray
    family: str
    scan: str
    jpeg: int | None


def _check(families: tuple[str, ...]) -> None:
    unknown = [f for f in families if f not in FAMILIES]
    if unknown or not families:
        raise ValueError(f"unknown damage family {', '.join(unknown) or '(none)'!r}; one of {', '.join(FAMILIES)}")


def _draw(rgb: np.ndarray, families: tuple[str, ...], rng: np.random.Generator, scan: str | None) -> DamagedPhoto:
    scan = str(rng.choice(SCANS)) if scan is None else scan
    aged = age(rgb, rng, scan)
    layer = Layer.of(aged)
    for family in families:
        FAMILIES[family](layer, rng)
    damaged, mask = layer.finish(aged)
    quality = draw_jpeg(rng)
    if quality is not None:
        aged, damaged = jpeg(aged, quality), jpeg(damaged, quality)
    return DamagedPhoto(aged, damaged, mask, "+".join(families), scan, quality)


def damage_photo(rgb: np.ndarray, family: str, seed: int, scan: str | None = None) -> DamagedPhoto:
    """An old scan of ``rgb`` (uint8 H×W×3 RGB, any size) with damage of ``family`` only, drawn from
    ``seed`` (same arguments, same result). ``scan``: one of :data:`SCANS`, or None to draw one."""
    _check((family,))
    return _draw(rgb, (family,), np.random.default_rng([seed, list(FAMILIES).index(family)]), scan)


def mixed_damage(
    rgb: np.ndarray, families: tuple[str, ...], seed: int, most: int = 3, scan: str | None = None
) -> DamagedPhoto:
    """An old scan of ``rgb`` (uint8 H×W×3 RGB) with 1 to ``most`` of ``families`` drawn on it (e.g.
    :data:`TRAIN_FAMILIES` for training data; ``family`` of the result names those drawn, joined by
    "+"), seeded by ``seed``. ``scan``: as for :func:`damage_photo`."""
    _check(tuple(families))
    rng = np.random.default_rng([seed, len(FAMILIES)])
    count = int(rng.integers(1, min(most, len(families)) + 1))
    chosen = tuple(str(f) for f in rng.choice(list(families), size=count, replace=False))
    return _draw(rgb, chosen, rng, scan)
