"""Synthetic old photos for measuring the scratch & dust detector (issue #19), and the bundled sample.

``old_photo(path, seed)`` turns a corpus photo into (aged = undamaged reference, damaged scan, true
damage mask) with training.damage's "eval" profile (sepia or grey, faded, grain, 3–6 curved
scratches 1–3 px wide, bright or dark, 20–60 dust specks, no tears, no JPEG) at ``LONG_SIDE`` px.

``python -m benchmarks.old_photos [--corpus /work/main/data/corpus]`` (``-m``: a plain script run would
import ``benchmarks/training.py`` as ``training``) (re)writes the bundled sample
``resources/samples/old_pier.jpg`` (JPEG q95) and its true mask ``old_pier_damage.png`` from the
validation photo Cold Ripple (plasma-workspace-wallpapers), seed 19 — the same call the quality
benchmark uses to get the sample's undamaged reference back.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from engine.damage import network_weights
from engine.imageio import save_image
from training.damage import OLD_PHOTO_SIDE, old_photo, scaled

CORPUS = Path("/work/main/data/corpus")
LONG_SIDE = OLD_PHOTO_SIDE  # the validation set's photos are scaled to this long side (detector input scale)
__all__ = ["CORPUS", "LONG_SIDE", "detector_weights", "old_photo", "sample", "scaled", "val_photos"]
SAMPLE_SOURCE = "plasma_workspace_wallpapers_coldripple.jpg"  # split "val"
SAMPLE_SIDE, SAMPLE_SEED = 1600, 19
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


def sample(corpus: Path = CORPUS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bundled sample's (aged, damaged, mask), regenerated from the corpus."""
    return old_photo(corpus / SAMPLE_SOURCE, SAMPLE_SEED, SAMPLE_SIDE)


def detector_weights(path: Path | None) -> Path:
    """The scratch detector weights a benchmark measures: ``path`` (its ``--weights``) or the installed file."""
    weights = path or network_weights()
    if weights is None:
        raise SystemExit("no scratch detector weights found; pass --weights")
    return weights


def val_photos(corpus: Path, split: Path) -> list[Path]:
    """The validation photos of ``split`` (lines ``val <file name>``) that exist in ``corpus``."""
    names = [ln.split(None, 1)[1].strip() for ln in split.read_text().splitlines() if ln.startswith("val ")]
    return [corpus / n for n in names if (corpus / n).is_file()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    _aged, damaged, mask = sample(args.corpus)
    save_image(SAMPLES / "old_pier.jpg", damaged, quality=95)
    cv2.imwrite(str(SAMPLES / "old_pier_damage.png"), mask, [cv2.IMWRITE_PNG_BILEVEL, 1])
    print(f"wrote {SAMPLES / 'old_pier.jpg'} {damaged.shape[1]}×{damaged.shape[0]}, damage {np.mean(mask > 0):.4%}")


if __name__ == "__main__":
    main()
