"""Grain check (engine/damage_grain.py): its four settings, chosen away from the evaluation photos.

``python -m benchmarks.restore_grain [--weights W] [--count 24] [--json OUT]``

The calibration photos of benchmarks.calibration (the first ``--count`` **train** photos, long side
1024 px, "eval" damage profile, seeds 5000 + index): the network, its verifier and the family check
run once per scan and undamaged photo, and the grain features of their small kept components are
computed once; then, as the editor runs it (verifier, family check, grain check, scratch
continuation) at the network's calibrated threshold, it prints pooled precision / recall at 2 px
tolerance and false alarms without the grain check and for every (``max_area``,
``min_elongation``, ``min_coherence``, ``max_angle``) of the grid. The rule is the family check's
(benchmarks.restore_family.recommend): among the settings losing at most 0.01 of the recall
without the check, the highest precision; ties within 0.001 go to the higher recall.
"""

from __future__ import annotations

import itertools

import numpy as np

from benchmarks.calibration import calibration, figures
from benchmarks.restore_family import RECALL_LOSS, recommend
from benchmarks.restore_follow import pooled
from benchmarks.restore_threshold import ALARM_BAR
from engine.damage import damage_probability
from engine.damage_family import family_scores
from engine.damage_grain import grain_features, grain_flags
from engine.damage_trace import extend_scratches, line_evidence

MAX_AREA_GRID = (40, 80, 120)
MIN_ELONGATION_GRID = (2.0, 3.0, 4.0, 6.0)
MIN_COHERENCE_GRID = (0.0, 0.1, 0.2, 0.3)
MAX_ANGLE_GRID = (15.0, 20.0, 30.0, 45.0)


def main() -> None:
    cal = calibration(__doc__.splitlines()[0], "the grain check works on its components")
    weights, verifier, threshold = cal.weights, cal.verifier, cal.threshold
    judged = []  # per photo: (image, map, components, family-checked scores, evidence, grain features) × 2; truth
    for scan, aged, truth in cal.photos():
        pair = []
        for image in (scan, aged):
            prob = damage_probability(image, weights)
            comps, scores = verifier.judge(image, prob)
            evidence = line_evidence(image)
            scores = family_scores(evidence, prob, comps, scores, verifier.cutoff, threshold)[0]
            features = grain_features(image, prob, comps, scores, verifier.cutoff, threshold, max(MAX_AREA_GRID))
            pair.append((image, prob, comps, scores, evidence, features))
        judged.append((pair, truth))

    def maps(setting: tuple | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for pair, truth in judged:
            checked = []
            for image, prob, comps, scores, evidence, features in pair:
                if setting is not None:
                    scores = scores.copy()
                    scores[features[grain_flags(features, *setting), 0].astype(int)] = 0.0
                kept = verifier.drop(prob, comps, scores)
                checked.append(extend_scratches(image, kept, comps, scores, threshold, evidence=evidence)[0])
            out.append((checked[0], checked[1], truth))
        return out

    base = pooled(maps(None), threshold)
    print(cal.header())
    print(f"  no grain check: {figures(base)}", flush=True)
    rows = []
    grid = itertools.product(MAX_AREA_GRID, MIN_ELONGATION_GRID, MIN_COHERENCE_GRID, MAX_ANGLE_GRID)
    for max_area, min_elongation, min_coherence, max_angle in grid:
        r = {"max_area": max_area, "min_elongation": min_elongation, "min_coherence": min_coherence,
             "max_angle": max_angle}  # fmt: skip
        r |= pooled(maps((max_area, min_elongation, min_coherence, max_angle)), threshold)
        rows.append(r)
        print(f"  max_area {max_area} min_elongation {min_elongation:.1f} min_coherence {min_coherence:.1f} "
              f"max_angle {max_angle:.0f}: {figures(r)}", flush=True)  # fmt: skip
    pick = recommend(rows, base["recall"])
    if pick is None:
        print(f"no setting keeps recall within {RECALL_LOSS} of {base['recall']:.3f}: leave the check off")
    else:
        print(f"recommended (highest precision losing <= {RECALL_LOSS} recall, false alarms <= {ALARM_BAR:.1%}): "
              f"max_area {pick['max_area']} min_elongation {pick['min_elongation']:.1f} "
              f"min_coherence {pick['min_coherence']:.1f} max_angle {pick['max_angle']:.0f}")  # fmt: skip
    cal.save({"base": base, "rows": rows})


if __name__ == "__main__":
    main()
