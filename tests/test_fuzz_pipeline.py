"""Property test over the pipeline: random sizes, masks, strategies, every engine (random weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InpaintError
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import Engine, create_engine, get_spec, list_specs
from engine.torch_engine import export_module

ENGINES = [s.name for s in list_specs()]
_CACHE: dict[str, Engine] = {}


def _engine(name: str, folder: Path) -> Engine:
    if name not in _CACHE:
        spec = get_spec(name)
        if spec.learned:
            torch.manual_seed(0)
            module = spec.loader.build(0.125, {})  # type: ignore[attr-defined]
            path = export_module(module, folder / f"{name}.safetensors", name, 0.125, {}, dtype=None)
            _CACHE[name] = create_engine(name, weights=path)
        else:
            _CACHE[name] = create_engine(name)
    return _CACHE[name]


@st.composite
def scenes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    h = draw(st.integers(1, 90))
    w = draw(st.integers(1, 90))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    kind = draw(st.sampled_from(["random", "blob", "all", "none", "border"]))
    mask = np.zeros((h, w), np.uint8)
    if kind == "random":
        mask = np.where(rng.random((h, w)) < draw(st.floats(0.01, 0.9)), 255, 0).astype(np.uint8)
    elif kind == "blob":
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        mask[y0 : y0 + int(rng.integers(1, h + 1)), x0 : x0 + int(rng.integers(1, w + 1))] = 255
    elif kind == "all":
        mask[:] = 255
    elif kind == "border":
        mask[0, :] = mask[-1, :] = 255
        mask[:, 0] = mask[:, -1] = 255
    # Non-binary values must be thresholded (> 127 = hole) by the pipeline.
    mask = np.where(mask > 0, rng.integers(128, 256, mask.shape), rng.integers(0, 128, mask.shape)).astype(np.uint8)
    return image, mask


@pytest.mark.parametrize("name", ENGINES)
def test_pipeline_properties(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    engine = _engine(name, folder)
    seen: list[tuple[int, ...]] = []

    @settings(
        max_examples=12 if engine.spec.learned else 40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
    )
    @given(scene=scenes(), strategy=st.sampled_from(["crop", "resize", "full"]))
    def check(scene: tuple[np.ndarray, np.ndarray], strategy: str) -> None:
        image, mask = scene
        seen.append(image.shape)
        try:
            result = inpaint(image, mask, engine, InpaintOptions(strategy=strategy, resize_limit=32, margin=8))
        except InpaintError as exc:
            assert min(image.shape[:2]) < 2 and "too small" in str(exc)
            return
        assert result.image.shape == image.shape and result.image.dtype == np.uint8
        keep = mask <= 127
        np.testing.assert_array_equal(result.image[keep], image[keep])

    check()
    assert len(set(seen)) >= 8  # many different sizes really went through
