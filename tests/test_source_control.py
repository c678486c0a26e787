"""Source control (issue #38): pixels excluded as a source (``--exclude``) and seed variations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.errors import Cancelled, InpaintError
from engine.pipeline import (
    InpaintOptions,
    hole_boxes,
    inpaint,
    seed_matters,
    variation_seeds,
    widen_for_exclude,
)
from engine.registry import CAP_EXCLUDE, EXCLUDE_OPTION, Engine, EngineSpec, FillOutput, get_spec

MAGENTA = np.array([255, 0, 255])


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """128×128 noisy texture with a square hole and, right of it, a magenta strip (the only magenta
    in the picture) that the exclude mask covers: (image, mask, exclude)."""
    rng = np.random.default_rng(0)
    image = np.clip(rng.normal(110, 25, (128, 128, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((128, 128), np.uint8)
    mask[40:88, 40:88] = 255
    exclude = np.zeros((128, 128), np.uint8)
    exclude[36:92, 88:108] = 255
    image[36:92, 88:108] = MAGENTA
    return image, mask, exclude


def _magenta_in_hole(result: np.ndarray, mask: np.ndarray) -> int:
    """How many hole pixels are within 60 (per channel) of pure magenta."""
    return int((np.abs(result[mask > 0].astype(int) - MAGENTA).max(axis=1) < 60).sum())


ENGINES = [("patchmatch", None), ("telea", None), ("ns", None), ("telea", 1.0), ("pconv", None)]


@pytest.mark.parametrize(("name", "texture"), ENGINES)
def test_excluded_pixels_are_never_copied(
    scene: tuple[np.ndarray, np.ndarray, np.ndarray], name: str, texture: float | None
) -> None:
    image, mask, exclude = scene
    if not get_spec(name).availability()[0]:
        pytest.skip(f"{name} weights not installed")
    # Without the exclusion the strip bleeds into the hole (so this test can fail) ...
    plain = inpaint(image, mask, name, InpaintOptions(texture=texture))
    assert _magenta_in_hole(plain.image, mask) > 50
    # ... with it, no hole pixel comes near magenta.
    before = (image.copy(), mask.copy(), exclude.copy())
    result = inpaint(image, mask, name, InpaintOptions(texture=texture, exclude=exclude))
    assert _magenta_in_hole(result.image, mask) == 0
    hole = result.image[mask > 0].astype(float)
    assert abs(hole.mean() - 110) < 25  # the fill is the surrounding grey, not black or pink
    if name == "patchmatch" or texture:
        assert hole.std() > 10  # texture was copied: the synthesiser had sources left
    # Outside the hole, excluded pixels included: bit-identical to the input; inputs not modified.
    np.testing.assert_array_equal(result.image[mask == 0], image[mask == 0])
    for a, b in zip((image, mask, exclude), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "texture"), [("patchmatch", None), ("telea", 1.0)])
def test_the_synthesiser_is_told_the_exclusion(
    scene: tuple[np.ndarray, np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch, name: str, texture: float | None
) -> None:
    """patchmatch's own synthesis and the texture stage get the exclusion (outside the hole), and
    the crop they get shows none of the excluded pixels (their guide and patch distances at the
    hole's edge must not see the strip either)."""
    import engine.texture

    image, mask, exclude = scene
    exclude = exclude.copy()
    exclude[60:70, 60:70] = 255  # inside the hole: dropped
    original = engine.texture.synthesize
    seen: list[tuple[np.ndarray, np.ndarray | None]] = []

    def spy(crop: np.ndarray, *args: Any, exclude: np.ndarray | None = None, **kwargs: Any) -> np.ndarray:
        seen.append((crop.copy(), None if exclude is None else np.asarray(exclude) > 0))
        return original(crop, *args, exclude=exclude, **kwargs)

    monkeypatch.setattr(engine.texture, "synthesize", spy)
    inpaint(image, mask, name, InpaintOptions(texture=texture, exclude=exclude))
    assert len(seen) == 1
    crop, given = seen[0]
    assert given is not None
    np.testing.assert_array_equal(given, (exclude > 0) & (mask == 0))
    assert _magenta_in_hole(crop, np.full_like(mask, 255)) == 0


class RecordingEngine(Engine):
    """Test double: fills the hole grey and records the masks and options it was given."""

    def __init__(self, spec: EngineSpec, device: str = "cpu", weights: object = None) -> None:
        super().__init__(spec, device)
        self.calls: list[tuple[np.ndarray, dict[str, Any]]] = []

    def fill(self, image: np.ndarray, mask: np.ndarray, options: Mapping[str, Any]) -> FillOutput:
        self.calls.append((mask.copy(), dict(options)))
        out = image.copy()
        out[mask > 127] = 128
        return FillOutput(out)


def _double(caps: frozenset[str] = frozenset(), native: int = 0, multiple: int = 1) -> RecordingEngine:
    return RecordingEngine(EngineSpec("double", "Double", "-", native, multiple, RecordingEngine, caps))


def test_engines_get_the_exclusion_as_hole_or_as_option(scene: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    image, mask, exclude = scene
    exclude = exclude.copy()
    exclude[50:60, 50:60] = 255  # overlapping the hole is fine: the hole wins
    hole, excl = mask > 0, (exclude > 0) & (mask == 0)
    plain = _double()
    result = inpaint(image, mask, plain, InpaintOptions(strategy="full", exclude=exclude))
    seen, options = plain.calls[0]
    np.testing.assert_array_equal(seen > 127, hole | excl)  # never sees the excluded pixels
    assert EXCLUDE_OPTION not in options
    np.testing.assert_array_equal(result.image[~hole], image[~hole])  # excluded pixels not pasted

    capable = _double(frozenset({CAP_EXCLUDE}), native=64, multiple=8)
    inpaint(image, mask, capable, InpaintOptions(strategy="resize", resize_limit=64, exclude=exclude))
    seen, options = capable.calls[0]
    given = options[EXCLUDE_OPTION]
    assert seen.shape == given.shape == (64, 64)  # scaled (and padded) as the mask is
    assert set(np.unique(given)) == {0, 255} and not (given[seen > 127] > 0).any()  # disjoint from the hole
    assert (given[20:44, 46:52] == 255).all() and not given[:, :40].any()
    # No exclusion: nothing changes for either kind of engine.
    inpaint(image, mask, capable, InpaintOptions(strategy="full"))
    assert EXCLUDE_OPTION not in capable.calls[-1][1]


def test_boxes_grow_when_the_exclusion_takes_their_context() -> None:
    hole = np.zeros((400, 400), np.uint8)
    hole[190:210, 190:210] = 255
    boxes = hole_boxes(hole, 0, 16, 0.5)
    assert boxes == [(174, 174, 226, 226)]
    assert widen_for_exclude(boxes, hole, np.zeros_like(hole), 0) == boxes
    exclude = np.zeros_like(hole)
    exclude[150:250, 150:250] = 255
    exclude[hole > 0] = 0
    ((x0, y0, x1, y1),) = widen_for_exclude(boxes, hole, exclude, 0)
    assert x0 < 150 and y0 < 150 and x1 > 250 and y1 > 250  # reaches past the excluded square
    free = (x1 - x0) * (y1 - y0) - np.count_nonzero(hole[y0:y1, x0:x1]) - np.count_nonzero(exclude[y0:y1, x0:x1])
    assert free * 2 >= 52 * 52 - 400
    # In inpaint: the engine is given the grown box.
    engine = _double()
    photo = np.full((400, 400, 3), 90, np.uint8)
    result = inpaint(photo, hole, engine, InpaintOptions(margin=16, exclude=exclude))
    assert result.boxes == [(x0, y0, x1, y1)]


def test_exclude_errors_and_edge_cases(scene: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    image, mask, _ = scene
    with pytest.raises(InpaintError, match=r"exclude mask is 10×12 but the image is 128×128; resize"):
        inpaint(image, mask, "telea", InpaintOptions(exclude=np.zeros((12, 10), np.uint8)))
    with pytest.raises(InpaintError, match="single-channel"):
        inpaint(image, mask, "telea", InpaintOptions(exclude=np.zeros((128, 128, 3), np.uint8)))
    with pytest.raises(InpaintError, match="cover the whole image"):
        inpaint(image, mask, "patchmatch", InpaintOptions(exclude=255 - mask))
    # An exclusion inside the hole only, or an empty one, changes nothing.
    ref = inpaint(image, mask, "patchmatch", InpaintOptions(seed=3)).image
    for excl in (mask.copy(), np.zeros_like(mask)):
        out = inpaint(image, mask, "patchmatch", InpaintOptions(seed=3, exclude=excl)).image
        np.testing.assert_array_equal(out, ref)
    # Nearly everything excluded: no source patch left, still a fill (the Navier–Stokes steer), no error.
    almost = np.full_like(mask, 255)
    almost[:, :3] = 0
    out = inpaint(image, mask, "patchmatch", InpaintOptions(exclude=almost)).image
    np.testing.assert_array_equal(out[mask == 0], image[mask == 0])
    assert _magenta_in_hole(out, mask) == 0


def test_cancel_with_exclude(scene: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    image, mask, exclude = scene
    calls: list[int] = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        inpaint(image, mask, "patchmatch", InpaintOptions(exclude=exclude), cancel=cancel)
    assert len(calls) == 2


def test_variation_seeds_and_seed_matters() -> None:
    assert variation_seeds(7, 3) == [7, 8, 9]
    assert variation_seeds(0, 1) == [0]
    for n in (0, -1, 17):
        with pytest.raises(InpaintError, match="between 1 and 16"):
            variation_seeds(0, n)
    assert seed_matters(get_spec("patchmatch"), InpaintOptions())
    assert not seed_matters(get_spec("patchmatch"), InpaintOptions(engine_options={"seed": 4}))
    assert not seed_matters(get_spec("ns"), InpaintOptions())
    assert seed_matters(get_spec("ns"), InpaintOptions(texture=1.0))
    assert seed_matters(get_spec("pconv"), InpaintOptions())
    assert not seed_matters(get_spec("pconv"), InpaintOptions(texture=0.0))


# ------------------------------------------------------------------------------------------ CLI
@pytest.fixture
def files(tmp_path: Path, scene: tuple[np.ndarray, np.ndarray, np.ndarray]) -> dict[str, Path]:
    image, mask, exclude = scene
    paths = {"dir": tmp_path}
    for name, arr in (("image", image), ("mask", mask), ("exclude", exclude)):
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray(arr).save(paths[name])
    return paths


def _load(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def _run(files: dict[str, Path], *extra: str) -> int:
    return main(["run", "--image", str(files["image"]), "--mask", str(files["mask"]), "-q", *extra])


def test_cli_exclude(files: dict[str, Path], scene: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    image, mask, _ = scene
    d = files["dir"]
    assert _run(files, "--engine", "patchmatch", "--output", str(d / "plain.png")) == 0
    assert _magenta_in_hole(_load(d / "plain.png"), mask) > 50
    assert _run(files, "--engine", "patchmatch", "--exclude", str(files["exclude"]), "--output",
                str(d / "ex.png"), "--json", str(d / "r.json")) == 0  # fmt: skip
    out = _load(d / "ex.png")
    assert _magenta_in_hole(out, mask) == 0
    np.testing.assert_array_equal(out[mask == 0], image[mask == 0])
    assert json.loads((d / "r.json").read_text())[0]["exclude"] == str(files["exclude"])
    # A smaller exclude mask is scaled with --resize-mask, as the mask is.
    Image.fromarray(_load(files["exclude"])[::2, ::2]).save(d / "half.png")
    assert _run(files, "--engine", "ns", "--exclude", str(d / "half.png"), "--resize-mask", "--output",
                str(d / "half-out.png")) == 0  # fmt: skip
    assert _magenta_in_hole(_load(d / "half-out.png"), mask) == 0
    sheet = d / "sheet.png"
    assert main(["compare", "--image", str(files["image"]), "--mask", str(files["mask"]), "--exclude",
                 str(files["exclude"]), "--engines", "telea,ns", "--output", str(sheet), "-q"]) == 0  # fmt: skip
    assert sheet.exists()


def test_cli_exclude_folder_matched_by_stem(tmp_path: Path, files: dict[str, Path]) -> None:
    images, excludes, out = tmp_path / "imgs", tmp_path / "excl", tmp_path / "out"
    images.mkdir()
    excludes.mkdir()
    for stem in ("a", "b"):
        (images / f"{stem}.png").write_bytes(files["image"].read_bytes())
    (excludes / "a.png").write_bytes(files["exclude"].read_bytes())
    code = main(["run", "--engine", "ns", "--image", str(images), "--mask", str(files["mask"]), "--exclude",
                 str(excludes), "--output", str(out), "--json", str(tmp_path / "r.json"), "-q"])  # fmt: skip
    assert code == 2  # b has no exclude mask: reported, a still done
    assert [p.name for p in out.iterdir()] == ["a.png"]
    report = {Path(e["image"]).stem: e for e in json.loads((tmp_path / "r.json").read_text())}
    assert report["a"]["status"] == "ok" and report["a"]["exclude"] == str(excludes / "a.png")
    assert report["b"]["error"] == f"no exclude mask named b.* in {excludes} for b.png"


def test_cli_variations(files: dict[str, Path]) -> None:
    d = files["dir"]
    mask = _load(files["mask"]) > 0
    assert _run(files, "--engine", "patchmatch", "--seed", "5", "--variations", "3", "--output",
                str(d / "out.png"), "--json", str(d / "r.json")) == 0  # fmt: skip
    names = sorted(p.name for p in d.glob("out*"))
    assert names == ["out-v1.png", "out-v2.png", "out-v3.png"]
    fills = [_load(d / n) for n in names]
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(fills[i][mask].astype(int) - fills[j][mask]).mean() > 5  # really different fills
    entry = json.loads((d / "r.json").read_text())[0]
    assert entry["outputs"] == [{"output": str(d / n), "seed": s} for n, s in zip(names, (5, 6, 7), strict=True)]
    # v1 is the plain run with --seed; each variation is deterministic for its seed.
    assert _run(files, "--engine", "patchmatch", "--seed", "5", "--output", str(d / "plain.png")) == 0
    np.testing.assert_array_equal(_load(d / "plain.png"), fills[0])
    assert _run(files, "--engine", "patchmatch", "--seed", "5", "--variations", "3", "--output",
                str(d / "again.png")) == 0  # fmt: skip
    for k, fill in enumerate(fills, 1):
        np.testing.assert_array_equal(_load(d / f"again-v{k}.png"), fill)


def test_cli_variations_folder(tmp_path: Path, files: dict[str, Path]) -> None:
    images, out = tmp_path / "imgs", tmp_path / "out"
    images.mkdir()
    (images / "a.png").write_bytes(files["image"].read_bytes())
    code = main(["run", "--engine", "telea", "--texture", "1", "--image", str(images), "--mask", str(files["mask"]),
                 "--output", str(out), "--variations", "2", "-q"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a-v1.png", "a-v2.png"]


def test_cli_errors(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    d = files["dir"]
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(d / "small.png")
    out = d / "never.png"
    cases = [
        (
            ["--exclude", str(d / "small.png")],
            "--exclude: mask " + str(d / "small.png") + " is 10×10 but the image is 128×128",
        ),
        (["--exclude", str(d / "nope.png")], f"exclude path {d / 'nope.png'} does not exist"),
        (["--exclude", str(d)], "--exclude is a folder but --image is a single file"),
        (["--engine", "patchmatch", "--variations", "0"], "variations must be between 1 and 16, not 0"),
        (["--engine", "patchmatch", "--variations", "17"], "variations must be between 1 and 16, not 17"),
        (["--engine", "ns", "--variations", "2"], "engine ns gives the same fill for every seed"),
        (["--engine", "patchmatch", "--variations", "2", "--option", "seed=3"], "leave out --option seed="),
    ]
    for extra, message in cases:
        code = _run(files, "--output", str(out), *extra)
        err = capsys.readouterr().err
        assert code == 2, extra
        assert err.startswith("inpaint: error: ") and message in err, (extra, err)
        assert err.strip().count("\n") <= 1 and "Traceback" not in err
        assert not list(d.glob("never*"))
