"""``inpaint restore``: file and folder round trips, the detector named, one-line errors with exit 2."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine import damage
from engine.cli import main
from engine.imageio import load_image, load_mask
from engine.paths import SAMPLES
from tests import hint_support as hs


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def old(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A 320×256 crop of the bundled old-photo sample (two scratches and a few specks cross it)."""
    rgb = load_image(SAMPLES / "old_pier.jpg").rgb[0:256, 80:400]
    truth = load_mask(SAMPLES / "old_pier_damage.png")[0:256, 80:400]
    assert truth.any()
    path = tmp_path / "old.png"
    Image.fromarray(rgb).save(path)
    return path, rgb


def test_restore_one_photo_writes_photo_and_mask_and_names_the_network(old, tmp_path, capsys) -> None:
    path, rgb = old
    out, mask_out = tmp_path / "restored.png", tmp_path / "damage.png"
    assert main(["restore", "--image", str(path), "--output", str(out), "--mask-output", str(mask_out)]) == 0
    err = capsys.readouterr().err
    assert "damage detector network" in err and "filled with ns" in err
    restored, mask = load_image(out).rgb, load_mask(mask_out)
    assert restored.shape == rgb.shape and mask.shape == rgb.shape[:2] and mask.any()
    np.testing.assert_array_equal(restored[mask == 0], rgb[mask == 0])  # only the damage is touched
    assert np.abs(restored[mask > 0].astype(int) - rgb[mask > 0]).mean() > 1.0  # and it was filled


def test_restore_says_classical_when_the_network_is_absent(old, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(damage, "network_weights", lambda: None)
    path, _ = old
    assert main(["restore", "--image", str(path), "--output", str(tmp_path / "r.png"), "--sensitivity", "0.7"]) == 0
    assert "classical top-hat detector (no damage detector weights found)" in capsys.readouterr().err


def test_restore_folder_mirrors_inpaint_run(old, tmp_path, capsys) -> None:
    _path, rgb = old
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(rgb).save(folder / "a.png")
    Image.fromarray(rgb[:, ::-1].copy()).save(folder / "b.jpg")
    (folder / "notes.txt").write_text("not an image")
    out, masks = tmp_path / "out", tmp_path / "masks"
    code = main(["restore", "--image", str(folder), "--output", str(out), "--mask-output", str(masks), "--json",
                 str(tmp_path / "report.json"), "--detector", "classical"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg"]  # each keeps its format
    assert sorted(p.name for p in masks.iterdir()) == ["a_damage.png", "b_damage.png"]
    err = capsys.readouterr().err
    assert "skipped notes.txt" in err and "restored 2 of 2" in err and "classical top-hat detector (chosen)" in err
    assert '"detector": "classical"' in (tmp_path / "report.json").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--image", "missing.jpg"], "image path missing.jpg does not exist"),
        (["--sensitivity", "1.5"], "--sensitivity 1.5 is outside 0..1"),
        (["--engine", "nosuch"], "nosuch"),
        (["--detector-weights", "nowhere.safetensors"], "--detector-weights nowhere.safetensors is not a file"),
        (["--texture", "5"], "texture strength 5.0 must be between 0 (off) and 2"),
        (["--hint-only"], "--hint-only needs --hint MASK"),
        (["--hint", "nowhere.png"], "--hint nowhere.png is not a file"),
    ],
)
def test_bad_input_exits_2_with_one_line(old, tmp_path, capsys, extra, message) -> None:
    path, _ = old
    args = ["restore", "--image", str(path), "--output", str(tmp_path / "r.png"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("inpaint: error: ") and message in err[0], err
    assert not (tmp_path / "r.png").exists()


def test_unreadable_photo_in_a_folder_fails_that_photo_only(old, tmp_path, capsys) -> None:
    _path, rgb = old
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(rgb).save(folder / "good.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    assert main(["restore", "--image", str(folder), "--output", str(tmp_path / "out"), "-q"]) == 2
    assert (tmp_path / "out" / "good.png").is_file() and not (tmp_path / "out" / "broken.png").exists()
    assert "inpaint: error: broken.jpg" in capsys.readouterr().err


def test_removed_no_line_check_flag_still_runs_and_says_it_does_nothing(old, tmp_path, capsys) -> None:
    """Issue #39 removed the line check; scripts passing --no-line-check keep working, told so once."""
    path, _ = old
    masks = {}
    for flag in ("", "--no-line-check"):
        mask_out = tmp_path / f"m{flag}.png"
        argv = [
            "restore",
            "--image",
            str(path),
            "--output",
            str(tmp_path / f"r{flag}.png"),
            "--mask-output",
            str(mask_out),
        ]
        assert main([*argv, *([flag] if flag else [])]) == 0
        masks[flag] = load_mask(mask_out) > 0
        err = capsys.readouterr().err
        assert ("--no-line-check no longer does anything" in err) == bool(flag)
    np.testing.assert_array_equal(masks[""], masks["--no-line-check"])


def test_restore_never_writes_over_its_photo(old, tmp_path, capsys) -> None:
    """Issue #40: --output or --mask-output naming the photo itself is refused before any work."""
    path, _ = old
    before = path.read_bytes()
    for extra, message in (
        (["--output", str(path)], "--output"),
        (["--output", str(tmp_path / "r.png"), "--mask-output", str(path)], "--mask-output"),
        (["--output", str(tmp_path / "r.png"), "--mask-output", str(tmp_path / "r.png")], "are the same file"),
    ):
        assert main(["restore", "--image", str(path), "--detector", "classical", *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0] and "inpaint: error:" in err[0], err
    assert path.read_bytes() == before and not (tmp_path / "r.png").exists()


def test_restore_folder_collisions_and_unwritable_paths(old, tmp_path, capsys) -> None:
    _path, rgb = old
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(rgb).save(folder / "x.jpg")
    Image.fromarray(rgb).save(folder / "x.tif")
    out, masks = tmp_path / "out", tmp_path / "masks"
    argv = ["restore", "--image", str(folder), "--detector", "classical", "-q"]
    assert main([*argv, "--output", str(out), "--mask-output", str(masks)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["x-jpg.jpg", "x-tif.tif"]
    assert sorted(p.name for p in masks.iterdir()) == ["x-jpg_damage.png", "x-tif_damage.png"]
    assert "share a name" in capsys.readouterr().err
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    for extra, message in (
        (["--output", str(blocker / "o")], "--output"),
        (["--output", str(out), "--mask-output", str(blocker / "m")], "--mask-output"),
        (["--output", str(out), "--json", str(blocker / "r.json")], "--json"),
    ):
        assert main([*argv, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    (folder / "x.tif").unlink()  # now x.jpg keeps its own name, so the input folder as output would replace it
    assert main([*argv, "--output", str(folder)]) == 2
    assert "is the --image itself" in capsys.readouterr().err


def test_bad_detector_weights_metadata_is_one_line(old, tmp_path, capsys) -> None:
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from engine.weights import META_KEY

    src = damage.network_weights()
    if src is None:
        pytest.skip("no damage detector weights installed")
    with safe_open(str(src), framework="pt") as handle:
        meta = json.loads(handle.metadata()[META_KEY])
    bad = tmp_path / "bad.safetensors"
    save_file(load_file(str(src)), str(bad), metadata={META_KEY: json.dumps({**meta, "width": "wide"})})
    path, _ = old
    argv = ["restore", "--image", str(path), "--output", str(tmp_path / "r.png"), "--detector-weights", str(bad)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot build the scratch detector" in err[0], err
    assert not (tmp_path / "r.png").exists()


@pytest.fixture
def cracked(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray, np.ndarray]:
    """(photo file, hint file, clean photo, crack mask, band): a 2 px dark crack across a plain
    240×320 photo and a rough 30 px band painted along it."""
    clean = hs.plain_photo(7)
    line = hs.wandering_path(7)
    damaged, crack = hs.add_crack(clean, line, -45)
    band = hs.rough_band(line, 7)
    photo, hint = tmp_path / "cracked.png", tmp_path / "hint.png"
    Image.fromarray(damaged).save(photo)
    Image.fromarray(band).save(hint)
    return photo, hint, clean, crack, band


def test_hint_only_round_trip_fills_the_crack_inside_the_band(cracked, tmp_path, capsys) -> None:
    photo, hint, clean, crack, band = cracked
    out, mask_out = tmp_path / "restored.png", tmp_path / "damage.png"
    args = ["restore", "--image", str(photo), "--output", str(out), "--mask-output", str(mask_out)]
    assert main([*args, "--hint", str(hint), "--hint-only"]) == 0
    assert "scratch hint only" in capsys.readouterr().err
    damaged, restored, mask = load_image(photo).rgb, load_image(out).rgb, load_mask(mask_out)
    changed = np.any(restored != damaged, axis=2)
    assert changed.any() and not changed[band == 0].any()  # only inside the band
    assert not np.any((mask > 0) & (band == 0))
    assert np.count_nonzero((mask > 0) & (crack > 0)) >= 0.9 * np.count_nonzero(crack)
    on_crack = crack > 0
    before = np.abs(damaged[on_crack].astype(int) - clean[on_crack]).mean()
    after = np.abs(restored[on_crack].astype(int) - clean[on_crack]).mean()
    assert after < 0.3 * before  # the crack is gone, not just marked


def test_hint_adds_to_the_automatic_detection(cracked, tmp_path) -> None:
    photo, hint, _clean, crack, _band = cracked
    masks = {}
    for name, extra in (
        ("auto", []),
        ("hinted", ["--hint", str(hint)]),
        ("only", ["--hint", str(hint), "--hint-only"]),
    ):
        mask_out = tmp_path / f"{name}.png"
        args = ["restore", "--image", str(photo), "--output", str(tmp_path / f"{name}_r.png"), "-q"]
        assert main([*args, "--mask-output", str(mask_out), *extra]) == 0
        masks[name] = load_mask(mask_out) > 0
    np.testing.assert_array_equal(masks["hinted"], masks["auto"] | masks["only"])
    assert np.count_nonzero(masks["hinted"] & (crack > 0)) >= 0.9 * np.count_nonzero(crack)


def test_hint_errors_name_the_problem(cracked, tmp_path, capsys) -> None:
    photo, hint, *_ = cracked
    folder = tmp_path / "in"
    folder.mkdir()
    Image.open(photo).save(folder / "a.png")
    assert main(["restore", "--image", str(folder), "--output", str(tmp_path / "o"), "--hint", str(hint)]) == 2
    assert "--hint goes with one photo" in capsys.readouterr().err
    small = tmp_path / "small.png"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(small)
    out = tmp_path / "r.png"
    assert main(["restore", "--image", str(photo), "--output", str(out), "--hint", str(small), "--hint-only"]) == 2
    assert "is 30×20 but the photo is 320×240" in capsys.readouterr().err and not out.exists()
