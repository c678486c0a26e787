"""The calibration photos of the line check's settings (benchmarks.restore_follow, restore_family).

Shared set-up: the command line (``--weights``, ``--corpus``, ``--split``, ``--count``, ``--json``),
the detector with the verifier trained for it, and the synthetic old photos of the first ``--count``
**train** photos (long side 1024 px, "eval" damage profile, seeds 5000 + index) — the same photos
and seeds as the detector's threshold (benchmarks.restore_threshold) and the verifier's cutoff.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmarks.old_photos import CORPUS, detector_weights, old_photo
from benchmarks.restore_threshold import ALARM_BAR, split_photos
from engine.damage import network_threshold
from engine.damage_verify import Verifier, verifier_for


@dataclass(frozen=True)
class Calibration:
    """What a calibration benchmark runs with: its arguments, the detector weights, their verifier,
    their calibrated threshold and the train photos."""

    args: argparse.Namespace
    weights: Path
    verifier: Verifier
    threshold: float
    paths: list[Path]

    def photos(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(scan, undamaged aged photo, true mask) per photo: uint8 H×W×3 RGB, same, uint8 H×W."""
        for i, path in enumerate(self.paths):
            aged, scan, truth = old_photo(path, 5000 + i)
            yield scan, aged, truth

    def header(self) -> str:
        """The first line a calibration benchmark prints: weights, photos, threshold."""
        return f"weights {self.weights}; {len(self.paths)} train photos, seeds 5000+, threshold {self.threshold:.2f}"

    def save(self, results: dict) -> None:
        """Write ``results`` with the weights and photo count to ``--json`` when it was given."""
        if self.args.json:
            payload = {"weights": str(self.weights), "photos": len(self.paths), **results}
            self.args.json.write_text(json.dumps(payload, indent=2))


def figures(r: dict[str, float]) -> str:
    """One pooled row (benchmarks.restore_threshold.sweep) as printed: precision, recall, false alarms."""
    return (
        f"P {r['precision']:.3f} R {r['recall']:.3f} "
        f"false alarms {r['false_alarm_mean']:.3%} (max {r['false_alarm_max']:.3%})"
    )


def calibration(description: str, needs: str) -> Calibration:
    """Parse the command line of a calibration benchmark and load what it needs; exits with a line
    naming ``needs`` when the weights have no verifier, or when the split has no train photos."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--weights", type=Path, help="detector weights (default: the installed scratch.safetensors)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--split", type=Path, default=Path("resources/corpus/split.txt"))
    ap.add_argument("--count", type=int, default=24, help="first N train photos")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    weights = detector_weights(args.weights)
    verifier = verifier_for(weights)
    if verifier is None:
        raise SystemExit(f"no verifier trained for {weights} beside it; {needs}")
    paths = split_photos(args.corpus, args.split, "train")[: args.count]
    if not paths:
        raise SystemExit(f"no train photos of {args.split} in {args.corpus}")
    return Calibration(args, weights, verifier, network_threshold(weights), paths)


def best_within(
    rows: list[dict], guard: str, base: float, loss: float, best: str, tie: float, also=None
) -> dict | None:
    """The calibration benchmarks' rule: among the ``rows`` whose ``guard`` figure loses at most
    ``loss`` of ``base``, within the false-alarm bar and (``also``) passing a further test, the one
    with the highest ``best`` figure; near-ties within ``tie`` go to the higher ``guard``; None when
    no row qualifies. A filter guards recall (it cannot give it back), an addition precision."""
    ok = [
        r for r in rows if r[guard] >= base - loss and r["false_alarm_mean"] <= ALARM_BAR and (also is None or also(r))
    ]
    if not ok:
        return None
    top = max(r[best] for r in ok)
    return max((r for r in ok if r[best] >= top - tie), key=lambda r: r[guard])
