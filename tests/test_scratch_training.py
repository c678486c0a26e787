"""The scratch detector's training: the damage generator, line-rich clean crops, train / resume /
export round trip, and the ``--init`` warm start."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.damage import damage_probability, detect_damage
from engine.models.scratch import ScratchUNet
from engine.restore import mask_at_threshold, threshold_for
from engine.weights import load_weights, read_metadata
from tests.synthetic import gradient_photo, gradient_photo_folder
from training import checkpoint
from training.cli import main
from training.config import TrainConfig
from training.damage import EVAL, draw_damage, make_old_photo
from training.data import CropDataset, ImageCache
from training.errors import TrainingError
from training.hard_negatives import HardNegatives
from training.recipes.scratch import batch, export, line_density, lr_factor, train
from training.warmstart import widen_inputs


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = gradient_photo_folder(tmp_path_factory.mktemp("photos"), 3, 160, 200, seed=0, noise=10, shift_step=10)
    lines = np.full((160, 200, 3), 128, np.uint8)  # line art: dark strokes 2 px wide every 12 px
    for x in range(0, 200, 12):
        lines[:, x : x + 2] = 20
    cv2.imwrite(str(folder / "lines.png"), lines)
    return folder


def _cfg(data: Path, out: Path, **kw: object) -> TrainConfig:
    base = dict(
        engine="scratch", data=str(data), val=str(data), out=str(out), size=64, width=0.25, steps=3, batch=2,
        val_every=3, ckpt_every=3, val_count=2, threads=1, recipe={"val_size": 64},
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)  # type: ignore[arg-type]


def test_generator_marks_what_it_changed_and_is_reproducible() -> None:
    photo = gradient_photo(192, 256, np.random.default_rng(3), noise=6)
    aged, damaged, mask = make_old_photo(photo, np.random.default_rng(7), "eval")
    again = make_old_photo(photo, np.random.default_rng(7), "eval")
    for a, b in zip((aged, damaged, mask), again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255} and mask.any()
    change = np.abs(damaged.astype(np.int16) - aged.astype(np.int16)).max(2)
    assert change[mask > 0].min() >= EVAL.visible  # every marked pixel visibly changed
    assert np.mean(change[mask == 0] >= 40) < 0.001  # unmarked pixels: at most a faint anti-aliased rim
    # An empty damage draw leaves the photo as it was.
    none = draw_damage(aged, np.random.default_rng(0), EVAL.__class__(scratches=(0, 0), dust=(0, 0), hairs=(0, 0),
                                                                       creases=0.0, tears=0.0))  # fmt: skip
    np.testing.assert_array_equal(none[0], aged)
    assert not none[1].any()


def test_line_density_ranks_line_art_above_a_smooth_photo_and_clean_crops_pick_it(data_dir: Path) -> None:
    smooth = gradient_photo(64, 64, np.random.default_rng(1), noise=0)
    lines = np.full((64, 64, 3), 128, np.uint8)
    lines[:, ::6] = 20
    assert line_density(lines) > 10 * max(line_density(smooth), 0.1)
    ds = CropDataset(sorted(data_dir.glob("*.png")), 64, ImageCache(256))
    x, y = batch(ds, 8, np.random.default_rng(0), np.random.default_rng(1), clean=1.0, pick=8)
    assert x.shape == (8, 3, 64, 64) and y.shape == (8, 1, 64, 64)
    assert not y.any()  # clean crops carry no damage
    anywhere, _ = batch(ds, 8, np.random.default_rng(0), np.random.default_rng(1), clean=1.0, pick=1)

    def density(t: torch.Tensor) -> float:
        return float(np.mean([line_density((c.permute(1, 2, 0).numpy() * 255).astype(np.uint8)) for c in t]))

    assert density(x) > 1.5 * density(anywhere)  # of 8 candidates from 4 files the line art wins (measured 1.9×)
    _, y_dmg = batch(ds, 6, np.random.default_rng(0), np.random.default_rng(1), clean=0.0)
    assert y_dmg.sum() > 0
    # Picture structure ("structure" recipe option) changes the scans, never the labels.
    plain, _ = batch(ds, 4, np.random.default_rng(0), np.random.default_rng(1), clean=1.0)
    drawn, y_drawn = batch(ds, 4, np.random.default_rng(0), np.random.default_rng(1), clean=1.0, structure=1.0)
    assert not y_drawn.any() and not torch.equal(plain, drawn)


@pytest.mark.parametrize("clean", [0.0, 1.0])
def test_turn_option_turns_photo_crops_before_damage(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, clean: float
) -> None:
    # With ageing and damage switched off (identity), a turned batch is the plain batch turned by ±90°;
    # clean=1 with pick=3: the undamaged line-rich crop chosen is turned too, not just damaged crops.
    import training.recipes.scratch as recipe

    monkeypatch.setattr(
        recipe, "make_old_photo", lambda crop, rng, profile: (crop, crop, np.zeros(crop.shape[:2], np.uint8))
    )
    ds = CropDataset(sorted(data_dir.glob("*.png")), 64, ImageCache(256))
    plain, _ = batch(ds, 6, np.random.default_rng(0), np.random.default_rng(1), clean=clean, pick=3)
    turned, _ = batch(ds, 6, np.random.default_rng(0), np.random.default_rng(1), clean=clean, pick=3, turn=1.0)
    for a, b in zip(plain, turned, strict=True):
        assert not torch.equal(a, b)
        assert torch.equal(torch.rot90(a, 1, (1, 2)), b) or torch.equal(torch.rot90(a, -1, (1, 2)), b)
    same, _ = batch(ds, 6, np.random.default_rng(0), np.random.default_rng(1), clean=clean, pick=3, turn=0.0)
    assert torch.equal(plain, same)  # off by default: no extra draw, earlier runs keep their sequence


def test_train_resume_export_and_detect(data_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(
        data_dir,
        tmp_path / "run",
        recipe={"val_size": 64, "depth": 5, "clean": 0.5, "clean_pick": 2, "hard": 0.5, "mine_every": 2},
    )
    metrics = train(cfg, progress=False)
    assert set(metrics) == {"precision", "recall", "f1", "false_alarm"}
    longer = _cfg(data_dir, tmp_path / "run", steps=5, recipe=cfg.recipe)
    train(longer, resume=True, progress=False)
    rows = (tmp_path / "run" / "train.csv").read_text().splitlines()
    assert len(rows) == 1 + 5 and rows[-1].startswith("5,")  # continued at step 3
    assert isinstance(checkpoint.load(tmp_path / "run" / "ckpt.pt")["hard_negatives"], list)  # the pool is saved
    out = export(tmp_path / "run", tmp_path / "scratch.safetensors")
    meta = read_metadata(out)
    assert meta["engine"] == "scratch" and meta["steps"] == 5 and meta["config"] == {"depth": 5}
    tensors, _ = load_weights(out, expected_engine="scratch")
    assert all(t.dtype == torch.float16 for t in tensors.values() if t.is_floating_point())
    prob = damage_probability(np.full((70, 90, 3), 100, np.uint8), out, tile=32, overlap=16)
    assert prob.shape == (70, 90) and prob.dtype == np.float32 and 0 <= prob.min() <= prob.max() <= 1


def test_init_warm_starts_from_exported_weights_and_rejects_another_shape(data_dir: Path, tmp_path: Path) -> None:
    train(_cfg(data_dir, tmp_path / "a"), progress=False)
    first = export(tmp_path / "a", tmp_path / "a.safetensors", dtype=None)
    init_tensors, _ = load_weights(first, expected_engine="scratch")
    train(_cfg(data_dir, tmp_path / "b", steps=1, init=str(first), recipe={"val_size": 64, "lr": 0.0}), progress=False)
    warm = checkpoint.load(tmp_path / "b" / "ckpt.pt")["nets"]["G"]
    for name, t in init_tensors.items():  # lr 0: one step changes only the BatchNorm running statistics
        if "running" not in name and "num_batches" not in name:
            assert torch.equal(warm[name], t), name
    assert read_metadata(export(tmp_path / "b", tmp_path / "b.safetensors"))["init"] == str(first)
    with pytest.raises(TrainingError, match="does not fit this detector"):
        train(_cfg(data_dir, tmp_path / "c", init=str(first), recipe={"val_size": 64, "depth": 5}), progress=False)
    with pytest.raises(TrainingError, match="--init"):
        train(_cfg(data_dir, tmp_path / "d", init=str(tmp_path / "missing.safetensors")), progress=False)


def test_calibrated_threshold_travels_from_export_to_the_editor(data_dir: Path, tmp_path: Path) -> None:
    train(_cfg(data_dir, tmp_path / "run"), progress=False)
    assert read_metadata(export(tmp_path / "run", tmp_path / "plain.safetensors"))["threshold"] == 0.5
    out = export(tmp_path / "run", tmp_path / "cal.safetensors", threshold=0.7)
    assert read_metadata(out)["threshold"] == 0.7
    scan = np.full((48, 48, 3), 120, np.uint8)
    cv2.line(scan, (5, 5), (40, 44), (10, 10, 10), 2)
    found = detect_damage(scan, 0.5, method="network", weights=out)
    assert found.midpoint == 0.7
    np.testing.assert_array_equal(found.mask, mask_at_threshold(found.probability, 0.7))
    np.testing.assert_array_equal(found.rethreshold(0.25), mask_at_threshold(found.probability, 0.825))
    assert threshold_for(0.0, 0.7) == pytest.approx(0.95) and threshold_for(1.0, 0.7) == pytest.approx(0.05)
    assert threshold_for(0.75, 0.7) == pytest.approx(0.375) and threshold_for(0.5) == 0.5
    with pytest.raises(TrainingError, match=r"outside \(0\.05, 0\.95\)"):
        export(tmp_path / "run", tmp_path / "bad.safetensors", threshold=0.99)
    assert (
        main(["export", str(tmp_path / "run"), "--output", str(tmp_path / "cli.safetensors"), "--threshold", "0.6"])
        == 0
    )
    assert read_metadata(tmp_path / "cli.safetensors")["threshold"] == 0.6


class _DarkLineNet(torch.nn.Module):
    """Stands in for a detector that takes every dark pixel for damage (logit +6 there, -6 elsewhere)."""

    multiple = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x.mean(1, keepdim=True) < 0.3, 6.0, -6.0)


def test_hard_negative_mining_finds_false_alarms_and_crops_around_them(data_dir: Path, tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "flat.png"), np.full((150, 190, 3), 150, np.uint8))
    ds = CropDataset([data_dir / "lines.png", tmp_path / "flat.png"], 64, ImageCache(256))
    hard = HardNegatives(capacity=20, per_photo=4)
    assert hard.crop(ds, np.random.default_rng(0)) is None  # empty pool: the caller falls back
    added = hard.mine(_DarkLineNet(), ds, 6, np.random.default_rng(0), np.random.default_rng(1))
    assert added > 0 and len(hard.pool) == min(added, 20)
    assert {ds.paths[i].name for i, *_ in hard.pool} == {"lines.png"}  # the flat photo has no dark pixels
    lines = cv2.imread(str(data_dir / "lines.png"))[..., 0]
    for _, side, x, y in hard.pool:  # every centre sits on (or within a pixel of) a dark stroke
        assert 64 <= side <= 160 and lines[int(y), max(0, int(x) - 1) : int(x) + 2].min() < 64
    crop = hard.crop(ds, np.random.default_rng(2))
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8 and crop.min() < 64
    again = HardNegatives()
    again.load(hard.state())
    assert again.pool == hard.pool  # plain numbers: saved in checkpoints, restored on resume
    x, y = batch(ds, 4, np.random.default_rng(0), np.random.default_rng(1), 1.0, 1, hard, 1.0)
    assert not y.any() and x.shape == (4, 3, 64, 64)


def test_learning_rate_ramps_up_over_warmup_then_decays_to_five_percent() -> None:
    ramp = [lr_factor(s, 1000, warmup=100) for s in range(100)]
    assert ramp[0] < 0.02 and all(b > a for a, b in itertools.pairwise(ramp)) and ramp[-1] < 1.0
    assert lr_factor(100, 1000, warmup=100) > 0.97  # cosine picks up near its top
    assert lr_factor(0, 1000) == 1.0  # no warm-up: the schedule of every earlier run
    assert abs(lr_factor(1000, 1000, warmup=100) - 0.05) < 1e-9


def test_line_inputs_warm_start_from_a_file_without_them_and_export_their_config(
    data_dir: Path, tmp_path: Path
) -> None:
    train(_cfg(data_dir, tmp_path / "a"), progress=False)
    plain = export(tmp_path / "a", tmp_path / "a.safetensors", dtype=None)
    tensors, _ = load_weights(plain, expected_engine="scratch")
    old, new = ScratchUNet(width=0.25), ScratchUNet(width=0.25, lines=8)
    old.load_state_dict(tensors)
    new.load_state_dict(widen_inputs(tensors, new))
    x = torch.rand(1, 3, 64, 64)
    x[:, :, 8:56, 30] = 0.05  # a dark line, so the line inputs are far from zero
    assert new.line_evidence(x.mean(1, keepdim=True)).abs().max() > 0.01
    with torch.no_grad():  # the new inputs' weights start at zero: the warm start computes what the file did
        torch.testing.assert_close(new.eval()(x), old.eval()(x))
    train(_cfg(data_dir, tmp_path / "b", init=str(plain), recipe={"val_size": 64, "lines": 8}), progress=False)
    lined = export(tmp_path / "b", tmp_path / "b.safetensors")
    assert read_metadata(lined)["config"] == {"depth": 4, "lines": 8}
    prob = damage_probability(
        gradient_photo(70, 90, np.random.default_rng(3), 12), lined, tile=32
    )  # engine builds it from config
    assert prob.shape == (70, 90) and 0 <= prob.min() <= prob.max() <= 1


def test_families_option_draws_only_the_training_families_and_exports_cap_and_settings(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.recipes.scratch as recipe
    from engine.damage import DetectionSettings
    from training.damage_families import HELD_OUT_FAMILIES, TRAIN_FAMILIES, mixed_damage

    drawn: list[tuple[str, ...]] = []

    def spy(rgb: np.ndarray, families: tuple[str, ...], seed: int, **kw: object):
        drawn.append(tuple(families))
        return mixed_damage(rgb, families, seed, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(recipe, "mixed_damage", spy)
    options = {"val_size": 64, "families": 1, "depth": 6, "cap": 32, "clean": 0.3}
    train(_cfg(data_dir, tmp_path / "run", recipe=options), progress=False)
    assert drawn and all(f == TRAIN_FAMILIES for f in drawn)  # training batches and validation crops alike
    assert not any(h in f for f in drawn for h in HELD_OUT_FAMILIES)
    out = export(tmp_path / "run", tmp_path / "d.safetensors", threshold=0.3)
    meta = read_metadata(out)
    assert meta["config"] == {"depth": 6, "cap": 32}
    assert DetectionSettings.of(meta) == DetectionSettings(threshold=0.3)
    net = ScratchUNet(width=0.25, depth=6, cap=32)
    assert [b[0].out_channels for b in net.enc] == [4, 8, 8, 8, 8, 8]  # 16·2^i capped at 32, × width 0.25
    assert net.multiple == 32
    found = detect_damage(np.full((70, 90, 3), 100, np.uint8), 0.5, method="network", weights=out)
    assert found.midpoint == 0.3 and found.mask.shape == (70, 90)


def test_detection_settings_read_files_from_before_them_and_ignore_unknown_keys() -> None:
    from engine.damage import DetectionSettings

    assert DetectionSettings.of({"threshold": 0.2}) == DetectionSettings(threshold=0.2, grow=1, tile=512)
    assert DetectionSettings.of({}) == DetectionSettings()
    meta = {"threshold": 0.9, "settings": {"threshold": 0.4, "grow": 2, "tile": 256, "from_the_future": 1}}
    assert DetectionSettings.of(meta) == DetectionSettings(threshold=0.4, grow=2, tile=256)
    assert DetectionSettings.of({"settings": DetectionSettings(0.3).to_json()}).threshold == 0.3


def test_detector_card_is_generated_short_and_states_the_held_out_bar(tmp_path: Path) -> None:
    from engine.paths import BUNDLED_WEIGHTS
    from training.detector_card import card_text

    def row(family: str, side: str, p: float, r: float, db: float) -> dict[str, object]:
        return {"family": family, "side": side, "precision": p, "recall": r, "restored_psnr": db,
                "damaged_psnr": 30.0, "true_share": 0.01, "seconds": 0.2}  # fmt: skip

    report = {"photos": ["a", "b"], "side": 640, "seeds": 1, "restore_args": "", "undamaged_marked": 0.0004,
              "families": [row("scratches", "train", 0.9, 0.9, 40.0), row("cracks", "held out", 0.9, 0.6, 34.0),
                           row("creases", "held out", 0.85, 0.9, 36.0)]}  # fmt: skip
    text = card_text(BUNDLED_WEIGHTS / "scratch.safetensors", report)
    assert len(text.encode()) <= 10 * 1024
    assert "**Does not meet the bar yet**" in text
    assert "- cracks: misses it: recall 0.6 < 0.85; restored psnr 34 < 35" in text
    assert "- creases: meets it" in text and "| **mean** | **held out** | 0.875 | 0.750 | 35.00 | | |" in text
    report["families"] = [row("cracks", "held out", 0.9, 0.9, 36.0)]
    assert "**Meets the bar.**" in card_text(BUNDLED_WEIGHTS / "scratch.safetensors", report)
    report["undamaged_marked"] = 0.003  # too many false alarms fails it too
    assert "**Does not meet the bar yet**" in card_text(BUNDLED_WEIGHTS / "scratch.safetensors", report)


def test_families_option_takes_a_subset_of_the_training_families_and_refuses_held_out_ones(
    data_dir: Path, tmp_path: Path
) -> None:
    from training.recipes.scratch import family_set

    assert family_set(0) == () and family_set(1) == ("scratches", "tears", "dust", "flaking")
    assert family_set(["scratches", "dust"]) == ("scratches", "dust")
    for wrong in (["cracks"], ["scratches", "spots"], ["mould"], []):
        with pytest.raises(TrainingError, match="not a training family"):
            train(_cfg(data_dir, tmp_path / "x", recipe={"val_size": 64, "families": wrong}), progress=False)
    assert not (tmp_path / "x" / "train.csv").exists()  # refused before any step
