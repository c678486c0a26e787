"""Scratch & dust detector quality on synthetic old photos of the validation split (issue #19's bars).

``python -m benchmarks.restore_quality [--weights W] [--corpus C] [--split S] [--json OUT]``

For every validation photo of ``resources/corpus/split.txt`` (long side 1024 px, seed 1000 + index,
benchmarks.old_photos / training.damage "eval" profile) and for the bundled sample
``resources/samples/old_pier.jpg`` (its shipped JPEG against the regenerated undamaged reference):

- precision / recall / F1 at 2 px tolerance (engine.restore.damage_scores) of the network's mask at
  the default sensitivity 0.5 (pooled over pixels of all photos), and at 0.3 / 0.7 for the trade-off;
- restored PSNR against the undamaged (aged) photo after filling the detected mask with Navier–Stokes
  through the editor's pipeline, beside the damaged scan's PSNR and the fill of the *true* mask (the
  ceiling a perfect detector reaches);
- false alarms: fraction of pixels marked on the undamaged aged photo;
- the same for the classical top-hat detector (engine.restore.detect_scratches), for comparison.

The network runs as ``inpaint restore`` and the editor run it (engine.damage.detect_damage: one
pass, threshold, grow). This is the project's own issue #19 generator: a training-side measure; the
damage families the detector never saw are scored by benchmarks/restore_families.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from benchmarks.old_photos import CORPUS, SAMPLES, detector_weights, old_photo, sample, val_photos
from engine.damage import detect_damage
from engine.imageio import load_image, load_mask
from engine.metrics import psnr
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine
from engine.restore import damage_scores, detect_scratches

SENSITIVITIES = (0.3, 0.5, 0.7)
# The validation photos that are photographs (the rest are wallpaper graphics, renders and paper textures).
REAL_PHOTOS = (
    "lomiri_wallpapers_16_04_dragonfly_by_bolly.jpg",
    "mate_backgrounds_nature_garden.jpg",
    "plasma_workspace_wallpapers_coldripple.jpg",
    "plasma_workspace_wallpapers_kite.jpg",
)


class Tally:
    """Pooled precision / recall counts and per-photo PSNRs of one detector."""

    def __init__(self) -> None:
        self.marked = self.marked_ok = self.true = self.true_found = 0.0
        self.psnr: list[float] = []
        self.alarm: list[float] = []

    def add(self, found: np.ndarray, truth: np.ndarray) -> None:
        p, r = damage_scores(found, truth)
        n_found, n_true = float(np.count_nonzero(found)), float(np.count_nonzero(truth))
        self.marked += n_found
        self.marked_ok += p * n_found
        self.true += n_true
        self.true_found += r * n_true

    def scores(self) -> dict[str, float]:
        p = self.marked_ok / self.marked if self.marked else 1.0
        r = self.true_found / self.true if self.true else 1.0
        out = {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-9)}
        if self.psnr:
            out["psnr_mean"] = float(np.mean(self.psnr))
            out["psnr_min"] = float(np.min(self.psnr))
        if self.alarm:
            out["false_alarm_mean"] = float(np.mean(self.alarm))
            out["false_alarm_max"] = float(np.max(self.alarm))
        return out


def fill(engine, damaged: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return inpaint(damaged, mask, engine, InpaintOptions()).image if mask.any() else damaged


def measure(
    photos: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    weights: Path,
) -> dict[str, object]:
    engine = create_engine("ns")
    net = {s: Tally() for s in SENSITIVITIES}
    classical, real, damaged_psnr, oracle_psnr, rows = Tally(), Tally(), [], [], []
    for name, aged, damaged, truth in photos:
        found = detect_damage(damaged, 0.5, method="network", weights=weights)
        for s, tally in net.items():
            tally.add(found.rethreshold(s), truth)
        mask = found.mask
        filled = fill(engine, damaged, mask)
        restored = psnr(aged, filled)
        net[0.5].psnr.append(restored)
        alarm = float(np.mean(detect_damage(aged, 0.5, method="network", weights=weights).mask > 0))
        net[0.5].alarm.append(alarm)
        if name in REAL_PHOTOS:
            real.add(mask, truth)
            real.psnr.append(restored)
            real.alarm.append(alarm)
        old = detect_scratches(damaged, 0.5)
        classical.add(old, truth)
        classical.psnr.append(psnr(aged, fill(engine, damaged, old)))
        classical.alarm.append(float(np.mean(detect_scratches(aged, 0.5) > 0)))
        damaged_psnr.append(psnr(aged, damaged))
        oracle_psnr.append(psnr(aged, fill(engine, damaged, truth)))
        p, r = damage_scores(mask, truth)
        rows.append({"photo": name, "precision": p, "recall": r, "psnr": restored, "false_alarm": alarm})
        print(f"  {name[:46]:<46} P {p:.3f} R {r:.3f} PSNR {restored:6.2f} (damaged {damaged_psnr[-1]:6.2f}, "
              f"true mask {oracle_psnr[-1]:6.2f}) false alarm {alarm:.4%}", flush=True)  # fmt: skip
    return {
        "photos": len(photos),
        "network": {f"{s}": t.scores() for s, t in net.items()},
        "classical": classical.scores(),
        "network_photographs": real.scores() if real.psnr else {},
        "damaged_psnr_mean": float(np.mean(damaged_psnr)),
        "true_mask_ns_psnr_mean": float(np.mean(oracle_psnr)),
        "per_photo": rows,
        "_last": (damaged, mask, filled),  # for the figure; not written to the JSON
    }


def report(title: str, res: dict[str, object]) -> None:
    n = res["network"]["0.5"]  # type: ignore[index]
    c = res["classical"]
    print(f"{title} ({res['photos']} photos)")
    for s, sc in res["network"].items():  # type: ignore[union-attr]
        print(f"  network  sensitivity {s}: P {sc['precision']:.3f} R {sc['recall']:.3f} F1 {sc['f1']:.3f}")
    print(f"  network  restored PSNR mean {n['psnr_mean']:.2f} dB (min {n['psnr_min']:.2f}); "
          f"false alarms mean {n['false_alarm_mean']:.4%} (max {n['false_alarm_max']:.4%})")  # fmt: skip
    print(f"  classical P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f} PSNR {c['psnr_mean']:.2f} dB "
          f"false alarms {c['false_alarm_mean']:.4%}")  # fmt: skip
    if res["network_photographs"]:
        r = res["network_photographs"]
        print(f"  network  photographs only: P {r['precision']:.3f} R {r['recall']:.3f} PSNR {r['psnr_mean']:.2f} dB "
              f"false alarms mean {r['false_alarm_mean']:.4%} (max {r['false_alarm_max']:.4%})")  # fmt: skip
    print(f"  damaged scan PSNR {res['damaged_psnr_mean']:.2f} dB; "
          f"NS fill of the true mask {res['true_mask_ns_psnr_mean']:.2f} dB")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, help="detector weights (default: the installed scratch.safetensors)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--split", type=Path, default=Path("resources/corpus/split.txt"))
    ap.add_argument("--limit", type=int, default=0, help="first N validation photos only")
    ap.add_argument("--json", type=Path, help="write all figures to this file")
    ap.add_argument("--figure", type=Path, help="write scan | detected mask | restored of a crop of the sample")
    args = ap.parse_args()
    torch.set_num_threads(1)
    weights = detector_weights(args.weights)
    paths = val_photos(args.corpus, args.split)[: args.limit or None]
    photos = [(p.name, *old_photo(p, 1000 + i)) for i, p in enumerate(paths)]
    print(f"weights {weights}")
    val = measure(photos, weights)
    aged, _, _ = sample(args.corpus)
    shipped = load_image(SAMPLES / "old_pier.jpg").rgb
    truth = load_mask(SAMPLES / "old_pier_damage.png")
    smp = measure([("old_pier.jpg", aged, shipped, truth)], weights)
    report("validation split, synthetic old photos", val)
    report("sample old_pier.jpg", smp)
    damaged, mask, filled = smp.pop("_last")
    val.pop("_last")
    if args.figure:
        from engine.imageio import save_image
        from engine.sheet import concat_strip

        y, x = slice(200, 700), slice(0, 700)  # the left scratches, sky and the pier edge of the sample
        save_image(args.figure, concat_strip(damaged[y, x], mask[y, x], filled[y, x]))
    if args.json:
        args.json.write_text(json.dumps({"weights": str(weights), "validation": val, "sample": smp}, indent=2))


if __name__ == "__main__":
    main()
