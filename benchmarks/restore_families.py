"""The shipped ``inpaint restore`` pipeline per damage family, training side and held-out side (issue #39).

``python -m benchmarks.restore_families [--photos 6] [--side 640] [--seeds 1] [--json OUT]``

For each family of :mod:`training.damage_families` and each of the validation photos below (split
``val`` of ``resources/corpus/split.txt``; never the OpenCV / scikit-image samples, which are kept for
independent evaluation), the photo scaled to ``--side`` px gets that family's damage on a random scan
(seed = photo index × 100 + repeat), and :func:`engine.restore_cli.restore_rgb` — what ``inpaint
restore`` runs, at its defaults unless ``--restore-args`` says otherwise — detects and fills it.
Per family it prints:

- precision and recall of the filled mask at 2 px tolerance (:func:`engine.restore.damage_scores`),
  pooled over the photos (each photo weighted by its proposed / true pixels);
- restored PSNR against the undamaged scan (the reference: the same scan without damage, through the
  same JPEG when the scan is one), and the damaged scan's PSNR, both means over the photos;

then the same on the training and held-out sides (means of their families), and the share of the
undamaged scans (one per photo and scan kind) that the pipeline marks. With ``--hint-band PX`` it
also scores the scratch brush as if the user had traced every defect with a band reaching PX px
beyond it (the damage grown by PX px; ``engine.damage_hint.damage_for_hint`` with the detection's
map), added to the automatic mask: P/R and restored PSNR "+hint". The held-out families are
for reporting: choose nothing by them (DESIGN.md, "Held-out families").
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from engine.damage_hint import damage_for_hint
from engine.imageio import load_image
from engine.metrics import psnr
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine
from engine.restore import damage_scores
from engine.restore_cli import restore_args, restore_rgb
from training.damage import scaled
from training.damage_families import FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES, damage_photo
from training.damage_families.scan import SCANS

CORPUS = Path("data/corpus")
SPLIT = Path("resources/corpus/split.txt")
# Photographs of the validation split first (wood, leaves, a flower, a pier with rails, sky with a kite),
# then a graphic with thin stripes and lettering: thin picture structure the pipeline must leave alone.
PHOTOS = (
    "gnome_backgrounds_gnome_wood_l.jpg",
    "lomiri_wallpapers_16_04_dragonfly_by_bolly.jpg",
    "mate_backgrounds_nature_garden.jpg",
    "plasma_workspace_wallpapers_coldripple.jpg",
    "plasma_workspace_wallpapers_kite.jpg",
    "mate_backgrounds_desktop_mate_stripes_light.png",
)


@dataclass
class FamilyScore:
    """One family's figures (see the module docstring); ``*_hint``: with the scratch brush's band
    traced around every defect (``--hint-band``; NaN without)."""

    family: str
    side: str
    precision: float
    recall: float
    restored_psnr: float
    damaged_psnr: float
    true_share: float  # mean share of the photo that is damage
    seconds: float  # mean detect + fill seconds per photo
    precision_hint: float = float("nan")
    recall_hint: float = float("nan")
    restored_psnr_hint: float = float("nan")


@dataclass
class Pooled:
    """Precision and recall pooled over photos: each weighted by its proposed / true pixels."""

    hit_p: float = 0.0
    found: float = 0.0
    hit_r: float = 0.0
    true: float = 0.0

    def add(self, mask: np.ndarray, truth: np.ndarray) -> None:
        """One photo: ``mask`` proposed, ``truth`` true (uint8 H×W, > 0 = damage)."""
        p, r = damage_scores(mask, truth, tolerance=2)
        n_found, n_true = float(np.count_nonzero(mask)), float(np.count_nonzero(truth))
        self.hit_p, self.found = self.hit_p + p * n_found, self.found + n_found
        self.hit_r, self.true = self.hit_r + r * n_true, self.true + n_true

    @property
    def scores(self) -> tuple[float, float]:
        return self.hit_p / self.found if self.found else 1.0, self.hit_r / self.true if self.true else 1.0


def val_names(split: Path) -> set[str]:
    """File names of split ``val`` in ``split`` (lines ``val <file name>``)."""
    return {ln.split(None, 1)[1].strip() for ln in split.read_text().splitlines() if ln.startswith("val ")}


def photos(corpus: Path, split: Path, count: int, side: int) -> list[np.ndarray]:
    """The first ``count`` of :data:`PHOTOS` (each checked to be a validation photo) as uint8 H×W×3 RGB,
    long side ``side``."""
    names = val_names(split)
    chosen = list(PHOTOS[:count])
    outside = [n for n in chosen if n not in names]
    if outside:
        raise SystemExit(f"not validation photos in {split}: {', '.join(outside)}")
    return [scaled(load_image(corpus / n).rgb, side) for n in chosen]


def hint_band(truth: np.ndarray, radius: int) -> np.ndarray:
    """uint8 H×W: the band a user would paint with the scratch brush along every defect of ``truth``
    (uint8 H×W, > 0 = damage): the damage grown by ``radius`` px."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate((truth > 0).astype(np.uint8) * 255, disc)


def score_family(
    family: str, rgbs: list[np.ndarray], seeds: int, engine, args: argparse.Namespace, band: int = 0
) -> FamilyScore:
    """Run the pipeline on every photo × repeat damaged by ``family``; pooled P/R, mean PSNRs; with
    ``band`` > 0 also with the scratch brush traced ``band`` px around every defect."""
    auto, hinted = Pooled(), Pooled()
    restored, restored_hint, damaged, shares, seconds = [], [], [], [], []
    for i, rgb in enumerate(rgbs):
        for r in range(seeds):
            d = damage_photo(rgb, family, seed=i * 100 + r)
            out = restore_rgb(d.damaged, engine, args)
            auto.add(out.mask, d.mask)
            restored.append(psnr(d.reference, out.image))
            damaged.append(psnr(d.reference, d.damaged))
            shares.append(float(np.count_nonzero(d.mask)) / d.mask.size)
            seconds.append(out.detect_seconds + out.fill_seconds)
            if band > 0:
                mask = np.maximum(out.mask, damage_for_hint(d.damaged, hint_band(d.mask, band), out.found))
                hinted.add(mask, d.mask)
                filled = inpaint(d.damaged, mask, engine, InpaintOptions(texture=args.texture)).image
                restored_hint.append(psnr(d.reference, filled) if mask.any() else psnr(d.reference, d.damaged))
    side = "train" if family in TRAIN_FAMILIES else "held out"
    score = FamilyScore(family, side, *auto.scores, *(float(np.mean(v)) for v in (restored, damaged, shares, seconds)))
    if band > 0:
        score.precision_hint, score.recall_hint = hinted.scores
        score.restored_psnr_hint = float(np.mean(restored_hint))
    return score


def false_alarms(rgbs: list[np.ndarray], engine, args: argparse.Namespace) -> float:
    """Mean share of the undamaged scans (each photo as every scan kind) that the pipeline marks."""
    shares = []
    for i, rgb in enumerate(rgbs):
        for scan in SCANS:
            clean = damage_photo(rgb, "dust", seed=i * 100, scan=scan).reference
            shares.append(float(np.count_nonzero(restore_rgb(clean, engine, args).mask)) / clean[..., 0].size)
    return float(np.mean(shares))


def table(rows: list[FamilyScore]) -> str:
    """The printed table: one line per family, then the two sides' means."""
    hint = not np.isnan(rows[0].recall_hint)
    head = f"{'family':<10} {'side':<9} {'P@2px':>6} {'R@2px':>6} {'restored dB':>12} {'damaged dB':>11} {'damage %':>9} {'s/photo':>8}"
    head += f" | {'P+hint':>6} {'R+hint':>6} {'dB+hint':>7}" if hint else ""
    lines = [head, "-" * len(head)]

    def line(name: str, side: str, group: list[FamilyScore]) -> str:
        m = {k: float(np.mean([getattr(g, k) for g in group])) for k in asdict(group[0]) if k not in ("family", "side")}
        return (
            f"{name:<10} {side:<9} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['restored_psnr']:>12.2f} "
            f"{m['damaged_psnr']:>11.2f} {m['true_share'] * 100:>9.2f} {m['seconds']:>8.2f}"
        ) + (f" | {m['precision_hint']:>6.3f} {m['recall_hint']:>6.3f} {m['restored_psnr_hint']:>7.2f}" if hint else "")

    lines += [line(r.family, r.side, [r]) for r in rows]
    lines.append("-" * len(head))
    for side in ("train", "held out"):
        group = [r for r in rows if r.side == side]
        if group:
            lines.append(line("mean", side, group))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--split", type=Path, default=SPLIT)
    ap.add_argument("--photos", type=int, default=6, help=f"how many of the {len(PHOTOS)} validation photos")
    ap.add_argument("--side", type=int, default=640, help="long side of the photos in px")
    ap.add_argument("--seeds", type=int, default=1, help="damaged versions per photo and family")
    ap.add_argument("--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES))
    ap.add_argument("--restore-args", default="", help='extra `inpaint restore` options, e.g. "--sensitivity 0.7"')
    ap.add_argument(
        "--hint-band", type=int, default=0, metavar="PX",
        help="also score the scratch brush (engine/damage_hint.py) traced PX px around every defect (0 = off)",
    )  # fmt: skip
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    opts = ap.parse_args()
    torch.set_num_threads(opts.threads)
    args = restore_args(shlex.split(opts.restore_args))
    engine = create_engine(args.engine, device=args.device)
    rgbs = photos(opts.corpus, opts.split, opts.photos, opts.side)
    t0 = time.perf_counter()
    order = [f for f in FAMILIES if f in opts.families and f in TRAIN_FAMILIES]
    order += [f for f in FAMILIES if f in opts.families and f in HELD_OUT_FAMILIES]
    rows = [score_family(f, rgbs, opts.seeds, engine, args, opts.hint_band) for f in order]
    marked = false_alarms(rgbs, engine, args)
    print(f"inpaint restore {opts.restore_args or '(defaults)'} on {len(rgbs)} validation photos at {opts.side} px, "
          f"{opts.seeds} damaged version(s) each")  # fmt: skip
    print(table(rows))
    print(f"undamaged scans ({len(rgbs)} photos × {len(SCANS)} scan kinds): {marked * 100:.3f} % marked")
    print(f"{time.perf_counter() - t0:.0f} s")
    if opts.json is not None:
        report = {"photos": list(PHOTOS[: opts.photos]), "side": opts.side, "seeds": opts.seeds,
                  "restore_args": opts.restore_args, "families": [asdict(r) for r in rows], "undamaged_marked": marked}  # fmt: skip
        opts.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
