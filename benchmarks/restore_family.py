"""Family check (engine/damage_family.py): its three settings, chosen away from the evaluation photos.

``python -m benchmarks.restore_family [--weights W] [--count 24] [--json OUT]``

The calibration photos of ``benchmarks.restore_threshold`` / ``restore_follow`` (the first ``--count``
**train** photos, long side 1024 px, "eval" damage profile, seeds 5000 + index): the network and its
verifier run once per scan and undamaged photo; then, as the editor runs it (verifier, family
check, scratch continuation) at the network's calibrated threshold, it prints pooled precision /
recall at 2 px tolerance and false alarms without the check and for every (``min_length``,
``min_own``, ``ratio``) of the grid. The rule, as for the verifier's cutoff (a filter cannot give
recall back): among the settings losing at most ``RECALL_LOSS`` of the recall without the check,
the highest precision; ties within 0.001 go to the higher recall.
"""

from __future__ import annotations

import itertools

import numpy as np

from benchmarks.calibration import best_within, calibration, figures
from benchmarks.restore_follow import pooled
from benchmarks.restore_threshold import ALARM_BAR
from engine.damage import damage_probability
from engine.damage_family import family_scores
from engine.damage_trace import extend_scratches, line_evidence

MIN_LENGTH_GRID = (10.0, 15.0, 20.0)
MIN_OWN_GRID = (2.0, 2.5, 3.0)
RATIO_GRID = (0.6, 0.7, 0.8, 1.0)
RECALL_LOSS = 0.01
TIE = 0.001


def recommend(rows: list[dict[str, float]], base_recall: float) -> dict[str, float] | None:
    """The row with the highest precision among those within the false-alarm bar that lose at most
    ``RECALL_LOSS`` of ``base_recall``; near-ties to the higher recall; None when no row qualifies."""
    return best_within(rows, "recall", base_recall, RECALL_LOSS, "precision", TIE)


def main() -> None:
    cal = calibration(__doc__.splitlines()[0], "the family check works on its components")
    weights, verifier, threshold = cal.weights, cal.verifier, cal.threshold
    judged = []  # per photo: (image, map, components, scores, evidence) of scan and undamaged photo; truth
    for scan, aged, truth in cal.photos():
        pair = []
        for image in (scan, aged):
            prob = damage_probability(image, weights)
            pair.append((image, prob, *verifier.judge(image, prob), line_evidence(image)))
        judged.append((pair, truth))

    def maps(min_own: float | None, ratio: float, min_length: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for pair, truth in judged:
            checked = []
            for image, prob, comps, scores, evidence in pair:
                if min_own is not None:
                    scores = family_scores(
                        evidence, prob, comps, scores, verifier.cutoff, threshold, ratio, min_own, min_length
                    )[0]
                kept = verifier.drop(prob, comps, scores)
                checked.append(extend_scratches(image, kept, comps, scores, threshold, evidence=evidence)[0])
            out.append((checked[0], checked[1], truth))
        return out

    base = pooled(maps(None, 1.0, 20.0), threshold)
    print(cal.header())
    print(f"  no family check: {figures(base)}", flush=True)
    rows = []
    for min_length, min_own, ratio in itertools.product(MIN_LENGTH_GRID, MIN_OWN_GRID, RATIO_GRID):
        r = {"min_length": min_length, "min_own": min_own, "ratio": ratio}
        r |= pooled(maps(min_own, ratio, min_length), threshold)
        rows.append(r)
        print(f"  min_length {min_length:.0f} min_own {min_own:.2f} ratio {ratio:.1f}: {figures(r)}", flush=True)
    pick = recommend(rows, base["recall"])
    if pick is None:
        print(f"no setting keeps recall within {RECALL_LOSS} of {base['recall']:.3f}: leave the check off")
    else:
        print(f"recommended (highest precision losing <= {RECALL_LOSS} recall, false alarms <= {ALARM_BAR:.1%}): "
              f"min_length {pick['min_length']:.0f} min_own {pick['min_own']:.2f} ratio {pick['ratio']:.1f}")  # fmt: skip
    cal.save({"base": base, "rows": rows})


if __name__ == "__main__":
    main()
