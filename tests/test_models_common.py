"""Every learned engine in the registry, through the real path: random weights at a small width
-> export_module -> create_engine(weights=...) -> engine.pipeline.inpaint.

Parametrised over ``list_specs()``, so engines added later are covered without editing this file.
Random weights are for tests only: the product never builds a learned engine without a file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine import registry
from engine.errors import InpaintError
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine, list_specs
from engine.torch_engine import TorchEngine, export_module

LEARNED = [s.name for s in list_specs() if s.learned]
TEST_WIDTH = 0.125


def _export(name: str, folder: Path, as_engine: str | None = None) -> Path:
    """Random weights of engine ``name`` at TEST_WIDTH, exported (fp32) as ``as_engine``'s file."""
    spec = registry.get_spec(name)
    loader = spec.loader
    assert isinstance(loader, type) and issubclass(loader, TorchEngine), f"{name}: loader is not a TorchEngine"
    torch.manual_seed(0)
    module = loader.build(TEST_WIDTH, {})
    target = as_engine or name
    return export_module(module, folder / f"{name}-{target}.safetensors", target, TEST_WIDTH, {}, dtype=None)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("weights")
    return {name: _export(name, folder) for name in LEARNED}


def _odd_scene() -> tuple[np.ndarray, np.ndarray]:
    """uint8 67×93×3 RGB photo-like image and a uint8 67×93 mask with two holes (one on the border)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:67, 0:93].astype(np.float32)
    base = np.stack([x / 93 * 200, y / 67 * 180, (x + y) / 160 * 150], axis=2) + 30
    image = np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((67, 93), np.uint8)
    mask[20:41, 30:61] = 255
    mask[55:67, 0:9] = 255
    return image, mask


def test_learned_engines_are_registered() -> None:
    assert {"pconv", "dfnet", "glcic"} <= set(LEARNED)
    for name in LEARNED:
        spec = registry.get_spec(name)
        assert spec.default_weights == f"{name}.safetensors"
        assert spec.pad_multiple >= 1 and spec.native_resolution >= 0


@pytest.mark.parametrize("strategy", ["full", "crop", "resize"])
@pytest.mark.parametrize("name", LEARNED)
def test_inpaint_odd_sized_image(name: str, strategy: str, weights: dict[str, Path]) -> None:
    engine = create_engine(name, weights=weights[name])
    assert engine.metadata["width"] == TEST_WIDTH
    image, mask = _odd_scene()
    before = image.copy(), mask.copy()
    # resize_limit below the image size exercises the downscale/upscale path.
    result = inpaint(image, mask, engine, InpaintOptions(strategy=strategy, resize_limit=48))
    assert result.image.shape == image.shape and result.image.dtype == np.uint8
    assert np.array_equal(result.image[mask == 0], image[mask == 0])  # outside the hole unchanged
    assert np.array_equal(image, before[0]) and np.array_equal(mask, before[1])  # inputs not modified
    assert result.engine == name and result.strategy == strategy
    # Hole pixels were really filled by the network (not left as the input); NaN-freedom of the
    # forward itself is checked on tensors in test_forward_is_finite.
    assert np.any(result.image[mask > 0] != image[mask > 0])


@pytest.mark.parametrize("name", LEARNED)
def test_forward_is_finite(name: str, weights: dict[str, Path]) -> None:
    engine = create_engine(name, weights=weights[name])
    assert isinstance(engine, TorchEngine)
    side = max(engine.spec.pad_multiple, 64)
    side += (-side) % engine.spec.pad_multiple
    image = torch.rand(1, 3, side, side)
    hole = torch.zeros(1, 1, side, side)
    hole[..., side // 4 : side // 2, side // 3 : side // 2] = 1
    with torch.inference_mode():
        out, extras = engine.run(image * (1 - hole), hole, engine.spec.resolve_options({}))
    assert out.shape == (1, 3, side, side)
    assert torch.isfinite(out).all()
    assert out.min() >= 0 and out.max() <= 1
    for value in extras.values():
        arrays = value if isinstance(value, list) else [value]
        assert all(isinstance(a, np.ndarray) and np.isfinite(a).all() for a in arrays)


@pytest.mark.parametrize("name", LEARNED)
def test_no_weights_means_unavailable(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(registry, "weights_search_path", lambda: [empty])
    spec = registry.get_spec(name)
    available, reason = spec.availability()
    assert not available
    assert f"{name}.safetensors" in reason and str(empty) in reason
    with pytest.raises(InpaintError, match="no weights"):
        create_engine(name)


@pytest.mark.parametrize("name", LEARNED)
def test_weights_of_another_engine_are_refused(name: str, tmp_path: Path) -> None:
    other = next(n for n in LEARNED if n != name)
    wrong = _export(other, tmp_path)  # a genuine file for `other`
    with pytest.raises(InpaintError, match=f"exported for engine '{other}'"):
        create_engine(name, weights=wrong)


@pytest.mark.parametrize("name", LEARNED)
def test_default_weights_file_is_found_in_search_path(
    name: str, weights: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / f"{name}.safetensors").write_bytes(weights[name].read_bytes())
    monkeypatch.setattr(registry, "weights_search_path", lambda: [folder])
    assert registry.get_spec(name).availability()[0]
    engine = create_engine(name)
    assert isinstance(engine, TorchEngine) and engine.weights_path == folder / f"{name}.safetensors"


def test_native_resolution_follows_the_trained_crop_size(tmp_path: Path) -> None:
    """Weights trained on 256² crops make the crop strategy work at 256, not the paper's size."""
    torch.manual_seed(0)
    spec = registry.get_spec("glcic")
    module = spec.loader.build(TEST_WIDTH, {})  # type: ignore[attr-defined]
    plain = export_module(module, tmp_path / "a.safetensors", "glcic", TEST_WIDTH, {}, dtype=None)
    trained = export_module(
        module, tmp_path / "b.safetensors", "glcic", TEST_WIDTH, {}, dtype=None, recipe={"size": 256}
    )
    assert create_engine("glcic", weights=plain).native_resolution == spec.native_resolution
    chosen = export_module(
        module, tmp_path / "c.safetensors", "glcic", TEST_WIDTH, {}, dtype=None, recipe={"size": 256},
        native_resolution=510,
    )  # fmt: skip
    assert create_engine("glcic", weights=chosen).native_resolution == 512  # named size, to the pad multiple
    engine = create_engine("glcic", weights=trained)
    assert engine.native_resolution == 256
    image = np.zeros((1200, 1600, 3), np.uint8)
    mask = np.zeros((1200, 1600), np.uint8)
    mask[500:700, 700:900] = 255
    seen: list[tuple[int, int]] = []
    original = engine.fill

    def spy(img: np.ndarray, m: np.ndarray, opts: dict) -> object:
        seen.append(img.shape[:2])
        return original(img, m, opts)

    engine.fill = spy  # type: ignore[method-assign]
    inpaint(image, mask, engine, InpaintOptions(strategy="crop"))
    assert seen and max(seen[0]) == 256


@pytest.mark.parametrize("name", LEARNED)
def test_wrong_shape_weights_are_refused_naming_the_file(name: str, tmp_path: Path) -> None:
    """Weights whose tensors do not fit the network their metadata describes (wrong width or a
    damaged export) are refused with a message naming the file, not a torch traceback."""
    spec = registry.get_spec(name)
    torch.manual_seed(0)
    module = spec.loader.build(0.25, {})  # type: ignore[attr-defined]
    # Tensors of width 0.25 labelled as width 0.125.
    path = export_module(module, tmp_path / f"{name}.safetensors", name, TEST_WIDTH, {}, dtype=None)
    with pytest.raises(InpaintError, match=rf"{name}\.safetensors does not fit engine {name}"):
        create_engine(name, weights=path)
