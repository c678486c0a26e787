"""The component verifier of the scratch detector (engine/damage_verify.py, training/verifier.py)."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
import torch

from engine.damage import checked_probability, detect_damage
from engine.damage_verify import (
    FEATURES,
    T_LOW,
    VERIFIER_ENGINE,
    Verifier,
    component_features,
    components,
    load_verifier,
    verifier_for,
    verifier_path,
)
from engine.errors import InpaintError
from engine.paths import BUNDLED_WEIGHTS
from engine.restore import mask_from_probability
from engine.weights import read_metadata, save_weights

SHIPPED = BUNDLED_WEIGHTS / "scratch.safetensors"
F = {name: i for i, name in enumerate(FEATURES)}


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def _ground(h: int = 256, w: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 2.0)
    grey = np.clip(140 + 25 * noise / noise.std(), 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=2)


def _line_scene() -> tuple[np.ndarray, np.ndarray]:
    """(image, probability): a lone curved dark line on the left; on the right six parallel, evenly spaced
    dark plank gaps of which the "network" detected a 40 px dash each; and a bright speck."""
    img = _ground()
    prob = np.zeros(img.shape[:2], np.float32)
    pts = np.array([(20, 230), (60, 170), (110, 110), (160, 30)], np.int32)
    cv2.polylines(img, [pts], False, (40, 40, 40), 2)
    cv2.polylines(prob, [pts], False, 0.9, 2)
    for k in range(6):
        x = 180 + 30 * k
        cv2.line(img, (x, 0), (x, 255), (50, 50, 50), 2)
        cv2.line(prob, (x, 100), (x, 140), 0.6, 2)
    cv2.circle(img, (120, 200), 3, (250, 250, 250), -1)
    cv2.circle(prob, (120, 200), 3, 0.95, -1)
    return img, prob


def _by_position(comps, xs_ys: list[tuple[int, int]]) -> list[int]:
    return [int(comps.labels[y, x]) - 1 for x, y in xs_ys]


def test_features_tell_a_lone_line_from_a_family_of_plank_gaps() -> None:
    img, prob = _line_scene()
    comps = components(prob)
    assert comps.count == 8
    feats = component_features(img, prob, comps)
    assert feats.shape == (8, len(FEATURES)) and feats.dtype == np.float32 and np.isfinite(feats).all()
    lone, plank, speck = _by_position(comps, [(60, 170), (240, 120), (120, 200)])
    assert feats[plank, F["family"]] > 0.4 > 0.05 > feats[lone, F["family"]]  # 5 parallel siblings (of 6 lines) vs none
    assert feats[plank, F["near_parallel"]] > 0 == feats[lone, F["near_parallel"]]
    # the plank gap goes on beyond its detected dash; the lone line's detection covers all of it
    assert feats[plank, F["continuation"]] > 0.5 > feats[lone, F["continuation"]]
    assert feats[plank, F["ring_align"]] > feats[lone, F["ring_align"]]
    assert feats[lone, F["polarity"]] == -1.0 and feats[speck, F["polarity"]] == 1.0
    assert feats[speck, F["log_elongation"]] < 0.3 < feats[lone, F["log_elongation"]]
    assert feats[speck, F["max_p"]] == pytest.approx(0.95) and feats[plank, F["mean_p"]] == pytest.approx(0.6)


def test_scoring_only_the_long_components_gives_them_the_same_features_and_scores() -> None:
    """The turned pass scores only components it could add; their features (families included,
    which count every component) and scores are exactly those of a full run."""
    img, prob = _line_scene()
    comps = components(prob)
    full = component_features(img, prob, comps)
    long = comps.stats[1:, 2:4].max(axis=1) >= 100  # the lone curved line only
    assert long.sum() == 1
    part = component_features(img, prob, comps, long)
    np.testing.assert_array_equal(part[long], full[long])
    assert not part[~long].any()
    verifier = _family_verifier()
    _, scores = verifier.judge(img, prob, min_length=100)
    np.testing.assert_array_equal(scores[long], verifier.score(full)[long])
    assert not scores[~long].any()


def _family_verifier(cutoff: float = 0.5) -> Verifier:
    """A hand-made verifier: score = sigmoid(2 tanh(10 (0.2 − family))) — drops members of line families."""
    n = len(FEATURES)
    w1 = np.zeros((1, n), np.float32)
    w1[0, F["family"]] = -1.0
    return Verifier(np.full(n, 0.2, np.float32), np.full(n, 0.1, np.float32), w1, np.zeros(1, np.float32),
                    np.array([2.0], np.float32), 0.0, cutoff, "")  # fmt: skip


def test_apply_zeroes_rejected_components_only_and_keeps_every_sensitivity_a_subset() -> None:
    img, prob = _line_scene()
    verifier = _family_verifier()
    out = verifier.apply(img, prob)
    comps = components(prob)
    scores = verifier.score(component_features(img, prob, comps))
    lone, plank = _by_position(comps, [(60, 170), (240, 120)])
    assert scores[lone] > 0.8 and scores[plank] < 0.2
    kept = np.isin(comps.labels, 1 + np.flatnonzero(scores >= verifier.cutoff))
    np.testing.assert_array_equal(out[kept], prob[kept])  # kept components untouched, value for value
    assert out[~kept].max() == 0.0 and kept[comps.labels == lone + 1].all()
    for s in (0.0, 0.3, 0.5, 0.8, 1.0):  # the slider re-thresholds the filtered map: always a subset
        before, after = mask_from_probability(prob, s, midpoint=0.2), mask_from_probability(out, s, midpoint=0.2)
        assert not np.any((after > 0) & (before == 0))
    assert out.dtype == np.float32 and out.shape == prob.shape
    empty = np.full_like(prob, T_LOW / 2)
    assert _family_verifier().apply(img, empty) is empty  # nothing detected: nothing to check


def _write_verifier(path, detector_sha: str, features=FEATURES) -> None:
    v = _family_verifier()
    tensors = {k: torch.from_numpy(getattr(v, k)) for k in ("mean", "scale", "w1", "b1", "w2")}
    tensors["b2"] = torch.tensor([v.b2])
    config = {"features": list(features), "cutoff": 0.4, "hidden": 1, "detector_sha256": detector_sha}
    save_weights(path, tensors, {"engine": VERIFIER_ENGINE, "config": config})


def test_verifier_pairs_only_with_the_detector_it_was_trained_for(tmp_path) -> None:
    detector = tmp_path / "scratch.safetensors"
    shutil.copy(SHIPPED, detector)
    assert verifier_path(detector) == tmp_path / "scratch_verify.safetensors"
    assert verifier_for(detector) is None  # none beside it
    _write_verifier(verifier_path(detector), read_metadata(detector)["sha256"])
    v = verifier_for(detector)
    assert v is not None and v.cutoff == 0.4 and v.w1.shape == (1, len(FEATURES))
    other = tmp_path / "other.safetensors"
    shutil.copy(SHIPPED, other)
    _write_verifier(verifier_path(other), "0" * 64)  # trained against other weights
    assert verifier_for(other) is None
    _write_verifier(tmp_path / "old_verify.safetensors", "x", features=FEATURES[:-1])
    with pytest.raises(InpaintError, match="trained on other features; retrain it"):
        load_verifier(tmp_path / "old_verify.safetensors")


def test_detect_damage_runs_the_verifier_and_says_so(tmp_path) -> None:
    img, _ = _line_scene()
    detector = tmp_path / "scratch.safetensors"
    shutil.copy(SHIPPED, detector)
    raw = detect_damage(img, 0.5, weights=detector)
    assert not raw.verified and "checked" not in raw.note
    _write_verifier(verifier_path(detector), read_metadata(detector)["sha256"])
    found = detect_damage(img, 0.5, weights=detector, follow=False)  # following: tests/test_damage_trace.py
    assert found.verified and "picture lines checked" in found.note
    expected = verifier_for(detector).apply(img, raw.probability)
    np.testing.assert_array_equal(found.probability, expected)
    assert not detect_damage(img, 0.5, weights=detector, verify=False).verified
    np.testing.assert_array_equal(found.unchecked, raw.probability)  # kept for the editor's line-check toggle
    for s in (0.2, 0.5, 0.9):  # without the check, the result re-draws exactly what the network alone gives
        np.testing.assert_array_equal(found.rethreshold(s, line_check=False), raw.rethreshold(s))
        assert not np.any((found.rethreshold(s) > 0) & (raw.rethreshold(s) == 0))
    prob, unchecked = checked_probability(img, detector, verify=False)
    assert unchecked is None
    np.testing.assert_array_equal(prob, raw.probability)


def _tiny_corpus(folder, count: int = 5):
    folder.mkdir()
    names = []
    for i in range(count):
        name = f"photo{i}.png"
        cv2.imwrite(str(folder / name), _ground(300, 400, seed=10 + i))
        names.append(name)
    split = folder / "split.txt"
    split.write_text("".join(f"train {n}\n" for n in names) + "val photo0.png\n")
    return folder, split


def test_training_command_fits_exports_and_obeys_the_recall_budget(tmp_path, capsys) -> None:
    from training.cli import main
    from training.verifier import CUTOFFS, RECALL_BUDGET

    corpus, split = _tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "v.safetensors"
    argv = ["verifier", "--detector", str(SHIPPED), "--data", str(corpus), "--split", str(split), "--out", str(out),
            "--calibration", "2", "--seeds", "1", "--structure", "1", "--side", "256", "--threads", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "<- cutoff" in printed or "cutoff 0.00" in printed
    v = load_verifier(out)
    meta = read_metadata(out)
    assert v.detector_sha256 == read_metadata(SHIPPED)["sha256"]  # paired with the detector it learnt
    assert meta["config"]["features"] == list(FEATURES) and out.stat().st_size < 20_000
    rep = meta["metrics"]
    assert rep["fit_photos"] == 3 and rep["calibration_photos"] == 2 and rep["components"] >= 10
    assert rep["seeds"] == 1 and rep["structure"] == 1  # 3 plain + 3 painted draws were fitted
    assert v.cutoff == rep["cutoff"] and (v.cutoff in CUTOFFS or v.cutoff == 0.0)
    chosen = [r for r in rep["rows"] if r["cutoff"] == v.cutoff]
    assert not chosen or chosen[0]["recall"] >= rep["without"]["recall"] - RECALL_BUDGET
    assert all(r["cutoff"] <= v.cutoff for r in rep["rows"] if r["recall"] >= rep["without"]["recall"] - RECALL_BUDGET)
    # too few photos for the calibration set: one clear line, exit 2
    argv[argv.index("--calibration") + 1] = "5"
    assert main(argv) == 2
    assert "need more than the 5 calibration photos" in capsys.readouterr().err


def test_shipped_verifier_belongs_to_the_shipped_detector_and_is_small() -> None:
    v = verifier_for(SHIPPED)
    assert v is not None, "resources/weights/scratch_verify.safetensors must be trained for scratch.safetensors"
    meta = read_metadata(verifier_path(SHIPPED))
    assert 0.0 < v.cutoff < 1.0 and verifier_path(SHIPPED).stat().st_size < 20_000
    rep = meta["metrics"]  # the training command's calibration report, kept in the file
    chosen = next(r for r in rep["rows"] if r["cutoff"] == v.cutoff)
    assert chosen["precision"] > rep["without"]["precision"]
    assert chosen["recall"] >= rep["without"]["recall"] - 0.01


def test_turned_training_fits_on_the_photos_turned_by_90_degrees(tmp_path, monkeypatch) -> None:
    import training.verifier as tv
    from training.cli import main

    corpus, split = _tiny_corpus(tmp_path / "corpus", count=4)
    detector = tmp_path / "scratch.safetensors"
    shutil.copy(SHIPPED, detector)
    shapes: list[tuple[int, ...]] = []
    real = tv.damage_probability
    monkeypatch.setattr(tv, "damage_probability", lambda img, w: shapes.append(img.shape) or real(img, w))
    argv = ["verifier", "--detector", str(detector), "--data", str(corpus), "--split", str(split), "--turned",
            "--calibration", "2", "--seeds", "1", "--side", "256", "--threads", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out = verifier_path(detector, turned=True)
    assert out == tmp_path / "scratch_verify_turned.safetensors" and out.is_file()
    assert not verifier_path(detector).exists()  # the upright verifier's file is left alone
    assert shapes and all(h > w for h, w, _ in shapes)  # landscape photos (300×400) seen standing up
    assert read_metadata(out)["metrics"]["turned"] is True
    assert verifier_for(detector, turned=True) is not None and verifier_for(detector) is None


def test_shipped_turned_verifier_belongs_to_the_shipped_detector_and_is_small() -> None:
    v = verifier_for(SHIPPED, turned=True)
    assert v is not None, "resources/weights/scratch_verify_turned.safetensors must be trained for scratch.safetensors"
    path = verifier_path(SHIPPED, turned=True)
    rep = read_metadata(path)["metrics"]
    assert rep["turned"] is True and path.stat().st_size < 20_000
    best = max(rep["rows"], key=lambda r: r["precision"])  # it rejects what the turned view takes for scratches
    assert best["precision"] > 2 * rep["without"]["precision"]
