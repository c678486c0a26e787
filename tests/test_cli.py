"""The `inpaint` command line: run (file and folder), compare, eval, models, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import registry
from engine.cli import main
from engine.registry import CAP_LEARNED, EngineSpec, list_specs


def _write(path: Path, arr: np.ndarray) -> Path:
    Image.fromarray(arr).save(path)
    return path


@pytest.fixture
def files(tmp_path: Path, photo: np.ndarray) -> dict[str, Path]:
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[60:120, 100:180] = 255
    return {
        "image": _write(tmp_path / "photo.png", photo),
        "mask": _write(tmp_path / "mask.png", mask),
        "dir": tmp_path,
    }


def test_run_single_file_and_json(files: dict[str, Path], photo: np.ndarray) -> None:
    out = files["dir"] / "out.png"
    report = files["dir"] / "report.json"
    code = main(["run", "--engine", "telea", "--image", str(files["image"]), "--mask", str(files["mask"]),
                 "--output", str(out), "--json", str(report)])  # fmt: skip
    assert code == 0
    result = np.asarray(Image.open(out))
    mask = np.asarray(Image.open(files["mask"])) > 127
    np.testing.assert_array_equal(result[~mask], photo[~mask])
    assert not np.array_equal(result[mask], photo[mask])
    entries = json.loads(report.read_text())
    assert entries[0]["engine"] == "telea" and entries[0]["output"] == str(out) and entries[0]["seconds"] >= 0


def test_run_concat(files: dict[str, Path]) -> None:
    out = files["dir"] / "strip.png"
    assert main(["run", "--image", str(files["image"]), "--mask", str(files["mask"]), "--output", str(out),
                 "--concat", "--engine", "ns"]) == 0  # fmt: skip
    assert Image.open(out).size == (320 * 3, 240)


def test_run_folder_mixed_files(tmp_path: Path, photo: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    images, masks, out = tmp_path / "imgs", tmp_path / "masks", tmp_path / "out"
    images.mkdir()
    masks.mkdir()
    for stem in ("a", "b", "c"):
        _write(images / f"{stem}.jpg", photo)
    (images / "notes.txt").write_text("not an image")
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    m = np.zeros(photo.shape[:2], np.uint8)
    m[10:40, 10:40] = 255
    for stem in ("a", "b", "broken"):
        _write(masks / f"{stem}.png", m)
    code = main(["run", "--image", str(images), "--mask", str(masks), "--output", str(out), "--json",
                 str(tmp_path / "r.json"), "-q"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2  # c has no mask and broken.png is corrupt: reported, the others still done
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png"]
    assert "skipped notes.txt" in err and "no mask named c" in err and "broken.png could not be decoded" in err
    report = json.loads((tmp_path / "r.json").read_text())
    assert {e["status"] for e in report} == {"ok", "error"} and len(report) == 4


def test_run_folder_one_mask_for_all(tmp_path: Path, photo: np.ndarray, files: dict[str, Path]) -> None:
    images, out = tmp_path / "imgs", tmp_path / "out"
    images.mkdir()
    for stem in ("x", "y"):
        _write(images / f"{stem}.png", photo)
    assert main(["run", "--image", str(images), "--mask", str(files["mask"]), "--output", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["x.png", "y.png"]


def _run_err(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, err


def test_bad_inputs_exit_2_with_message(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    d, img, mask = files["dir"], str(files["image"]), str(files["mask"])
    out = d / "never.png"
    corrupt = d / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    small = _write(d / "small.png", np.zeros((10, 10), np.uint8))
    empty = _write(d / "empty.png", np.zeros((240, 320), np.uint8))
    cases = [
        (["--image", str(corrupt), "--mask", mask], "corrupt.jpg could not be decoded"),
        (["--image", img, "--mask", str(small)], "use --resize-mask"),
        (["--image", str(d / "nope.jpg"), "--mask", mask], "does not exist"),
        (["--image", img, "--mask", mask, "--engine", "warp"], "unknown engine 'warp'"),
        (["--image", img, "--mask", mask, "--option", "radius=abc"], "not a valid int"),
    ]
    for extra, message in cases:
        code, err = _run_err(capsys, ["run", "--output", str(out), *extra])
        assert code == 2, extra
        assert message in err, (extra, err)
        assert "Traceback" not in err
        assert err.strip().count("\n") <= 1  # one line (plus the summary line in run)
        assert not out.exists()
    assert not [p for p in d.iterdir() if p.name.startswith(".never")]  # no temp files left
    code, err = _run_err(capsys, ["run", "--image", img, "--mask", str(small), "--output", str(out), "--resize-mask"])
    assert code == 0 and out.exists()
    code, err = _run_err(capsys, ["run", "--image", img, "--mask", str(empty), "--output", str(d / "same.png")])
    assert code == 0 and "mask is empty" in err
    np.testing.assert_array_equal(np.asarray(Image.open(d / "same.png")), np.asarray(Image.open(img)))


def _no_engine(*_args: object) -> None:
    raise AssertionError("a learned engine without weights must never be built")


def test_missing_weights_message(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = EngineSpec("ghostnet", "Ghost", "-", 256, 8, _no_engine, frozenset({CAP_LEARNED}), "ghostnet.safetensors")
    list_specs()  # discover the real engines first, then add the double only for this test
    monkeypatch.setitem(registry._REGISTRY, "ghostnet", spec)
    code, err = _run_err(capsys, ["run", "--engine", "ghostnet", "--image", str(files["image"]), "--mask",
                                  str(files["mask"]), "--output", str(files["dir"] / "g.png")])  # fmt: skip
    assert code == 2 and "no weights file ghostnet.safetensors" in err and "python -m training" in err
    assert main(["models", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["telea"]["available"] and listed["ns"]["available"]
    assert not listed["ghostnet"]["available"] and "ghostnet.safetensors" in listed["ghostnet"]["reason"]


def test_compare_sheet(files: dict[str, Path]) -> None:
    sheet = files["dir"] / "sheet.png"
    assert main(["compare", "--image", str(files["image"]), "--mask", str(files["mask"]), "--engines", "telea,ns",
                 "--output", str(sheet), "--tile-width", "200", "-q"]) == 0  # fmt: skip
    w, h = Image.open(sheet).size
    assert w > 3 * 200 and h > 150  # input + 2 engines side by side


def test_eval_buckets_and_reports(tmp_path: Path, photo: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    images, masks = tmp_path / "gt", tmp_path / "m"
    images.mkdir()
    masks.mkdir()
    _write(images / "p1.png", photo)
    _write(images / "p2.png", np.ascontiguousarray(photo[::-1]))
    small = np.zeros((240, 320), np.uint8)
    small[100:120, 100:130] = 255  # 0.8 % -> "0-10%"
    big = np.zeros((240, 320), np.uint8)
    big[40:200, 40:280] = 255  # 50 %, one compact blob but > 30 % -> "40-50%"
    _write(masks / "small.png", small)
    _write(masks / "big.png", big)
    code = main(["eval", "--engine", "ns", "--images", str(images), "--masks", str(masks), "--size", "0",
                 "--output-dir", str(tmp_path), "-q"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "0-10%" in out and "40-50%" in out and "telea" in out
    data = json.loads((tmp_path / "eval-ns.json").read_text())
    assert len(data["records"]) == 2 * 2 * 3  # 2 images × 2 masks × (ns + telea + patchmatch)
    assert {r["engine"] for r in data["records"]} == {"ns", "telea", "patchmatch"}  # no texture for classical
    rows = (tmp_path / "eval-ns.csv").read_text().splitlines()
    assert rows[0].startswith("bucket,engine,n,psnr,ssim,l1,bpe,detail,structure,texture")
    assert len(rows) == 1 + 2 * 3  # 2 buckets × 3 engines


def test_entry_point_subprocess(files: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "run", "--image", str(files["image"]), "--mask", "missing.png",
         "--output", "x.png"], capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip() == "inpaint: error: mask path missing.png does not exist"
