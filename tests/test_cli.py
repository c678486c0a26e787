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
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.jpg"]  # each keeps its format
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


# ------------------------------------------------------------------ issue #40: never lose a photographer's data
def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, (argv, err)
    assert len(err) == 1 and err[0].startswith("inpaint: error: ") and message in err[0], (argv, err)


def test_output_that_is_an_input_is_refused(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    img, mask, d = files["image"], files["mask"], files["dir"]
    before = img.read_bytes()
    base = ["run", "--engine", "ns", "--image", str(img), "--mask", str(mask)]
    _one_line_error(capsys, [*base, "--output", str(img)], "is the --image itself")
    _one_line_error(capsys, [*base, "--output", str(mask)], "is the --mask itself")
    (d / "link.png").hardlink_to(img)  # another name of the same file is the same file
    _one_line_error(capsys, [*base, "--output", str(d / "link.png")], "--overwrite")
    _one_line_error(capsys, [*base, "--output", str(d / "o.png"), "--json", str(d / "o.png")], "are the same file")
    assert img.read_bytes() == before
    assert main([*base, "--output", str(img), "--overwrite", "-q"]) == 0  # asked for: done
    assert img.read_bytes() != before


def test_folder_run_keeps_formats_and_never_collides(
    tmp_path: Path, photo: np.ndarray, files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    images, out = tmp_path / "imgs", tmp_path / "out"
    images.mkdir()
    for name in ("x.jpg", "x.tif", "y.webp", "w.gif", "w.png", "z.gif"):
        Image.fromarray(photo).save(images / name)
    code = main(["run", "--engine", "ns", "--image", str(images), "--mask", str(files["mask"]), "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "w-gif.png",
        "w-png.png",
        "x-jpg.jpg",
        "x-tif.tif",
        "y.webp",
        "z.png",
    ]
    assert "x.jpg and x.tif share a name" in err and "z.gif is written as z.png" in err
    assert "6 of 6 filled" in err
    for p in out.iterdir():  # each result is in the format its name says
        with Image.open(p) as im:
            assert im.format == {"png": "PNG", "jpg": "JPEG", "tif": "TIFF", "webp": "WEBP"}[p.suffix[1:]]
    # the input folder as output: every result would replace its photo
    _one_line_error(capsys, ["run", "--engine", "ns", "--image", str(images), "--mask", str(files["mask"]),
                             "--output", str(images)], "is the --image itself")  # fmt: skip


def test_all_white_and_empty_masks_say_so(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    d, img = files["dir"], str(files["image"])
    white = _write(d / "white.png", np.full((240, 320), 255, np.uint8))
    code = main(["run", "--engine", "telea", "--image", img, "--mask", str(white), "--output", str(d / "w.png")])
    err = capsys.readouterr().err
    assert code == 2 and "covers the whole of photo.png" in err and "filled with" in err and "0 of 1" in err
    assert not (d / "w.png").exists()
    empty = _write(d / "empty.png", np.zeros((240, 320), np.uint8))
    assert main(["run", "--engine", "ns", "--image", img, "--mask", str(empty), "--output", str(d / "e.png")]) == 0
    err = capsys.readouterr().err
    assert "mask is empty" in err and "0 of 1 filled with ns; 1 written unchanged" in err


def test_overwritten_output_keeps_its_mode_and_links(files: dict[str, Path]) -> None:
    d = files["dir"]
    out, twin = d / "out.png", d / "twin.png"
    out.write_bytes(b"old")
    out.chmod(0o600)
    twin.hardlink_to(out)
    argv = ["run", "--engine", "ns", "--image", str(files["image"]), "--mask", str(files["mask"]), "--output", str(out)]
    assert main([*argv, "-q"]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.stat().st_ino == twin.stat().st_ino and twin.read_bytes() == out.read_bytes() != b"old"
    single = d / "single.png"
    single.write_bytes(b"old")
    single.chmod(0o640)
    assert main([*argv[:-1], str(single), "-q"]) == 0
    assert single.stat().st_mode & 0o777 == 0o640 and Image.open(single).size == (320, 240)
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # no temp files left


def _bad_weights(path: Path, change: dict[str, object]) -> Path:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from engine.paths import RESOURCES
    from engine.weights import META_KEY

    src = RESOURCES / "weights" / "glcic.safetensors"
    with safe_open(str(src), framework="pt") as handle:
        meta = json.loads(handle.metadata()[META_KEY])
    save_file(load_file(str(src)), str(path), metadata={META_KEY: json.dumps({**meta, **change})})
    return path


def test_user_errors_are_one_line_before_any_work(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, img, mask = files["dir"], str(files["image"]), str(files["mask"])
    blocker = d / "a-file.txt"
    blocker.write_text("not a folder")
    out = d / "never.png"
    run = ["run", "--engine", "ns", "--image", img, "--mask", mask, "--output", str(out)]
    cases: list[tuple[list[str], str]] = [
        ([*run, "--json", str(blocker / "r.json")], "--json: " + str(blocker) + " is a file, not a folder"),
        ([*run, "--seed", "-1"], "must be from 0 to 4294967295, not -1"),
        ([*run, "--seed", str(2**40)], "must be from 0 to 4294967295"),
        ([*run, "--quality", "0"], "must be keep or a number from 1 to 100, not 0"),
        ([*run, "--quality", "500"], "not 500"),
        ([*run, "--max-pixels", "0"], "must be at least 1"),
        (["run", "--engine", "ns", "--image", str(d), "--mask", mask, "--output", str(blocker / "o")], "--output"),
        (["compare", "--image", img, "--mask", mask, "--engines", "ns", "--output", str(out), "--tile-width", "0"],
         "--tile-width: must be from 32 to 8192, not 0"),
        (["eval", "--images", str(d), "--masks", str(d), "--output-dir", str(blocker / "e")], "--output-dir"),
    ]  # fmt: skip
    for width, message in ((("width", "wide"), "could not convert string to float"), (("config", {"x": 1}), "x")):
        weights = _bad_weights(tmp_path / f"bad-{width[0]}.safetensors", dict([width]))
        cases.append(([*run[:2], "glcic", *run[3:], "--weights", str(weights)], message))
    for argv, message in cases:
        _one_line_error(capsys, argv, message)
        assert not out.exists()
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # no temp or probe files left behind


def test_json_is_written_atomically(files: dict[str, Path]) -> None:
    d = files["dir"]
    report = d / "r.json"
    report.write_text("old")
    report.chmod(0o600)
    argv = ["run", "--engine", "ns", "--image", str(files["image"]), "--mask", str(files["mask"]), "-q"]
    assert main([*argv, "--output", str(d / "o.png"), "--json", str(report)]) == 0
    assert json.loads(report.read_text())[0]["status"] == "ok" and report.stat().st_mode & 0o777 == 0o600
    assert not [p for p in d.iterdir() if p.name.startswith(".")]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.console import package_version

    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"inpaint (Inpaint Studio) {package_version()}" and package_version()[0].isdigit()
