"""engine/fill_cache.py: variations reuse the network's fill; nothing else changes."""

from __future__ import annotations

import gc

import numpy as np

from engine import fill_cache
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine


def _scene(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = np.clip(rng.normal(120, 30, (200, 232, 3)), 0, 255).astype(np.uint8)
    mask = np.zeros((200, 232), np.uint8)
    mask[60:140, 70:170] = 255
    return image, mask


def _counting(engine):
    calls = []
    fill = engine.fill

    def counted(*args):
        calls.append(1)
        return fill(*args)

    engine.fill = counted
    return calls


def test_variations_run_the_network_once_and_equal_uncached_fills() -> None:
    fill_cache.clear()
    engine = create_engine("dfnet")
    calls = _counting(engine)
    image, mask = _scene()
    first, second = (inpaint(image, mask, engine, InpaintOptions(seed=s)) for s in (0, 1))
    assert len(calls) == 1  # the second seed reused the network's fill
    assert not np.array_equal(first.image, second.image)  # the completion's seed still matters
    # The same as without the cache, alpha maps (cropped of the padding in place by the pipeline) included.
    fill_cache.clear()
    again = inpaint(image, mask, engine, InpaintOptions(seed=1))
    assert len(calls) == 2 and np.array_equal(again.image, second.image)
    maps = [m.shape for m in again.extras["alpha_maps"]]
    assert maps == [m.shape for m in second.extras["alpha_maps"]] and maps[0][:2] != (256, 256)


def test_another_mask_image_or_engine_is_filled_anew() -> None:
    fill_cache.clear()
    engine = create_engine("glcic")
    calls = _counting(engine)
    image, mask = _scene()
    inpaint(image, mask, engine)
    moved = np.roll(mask, 9, axis=1)
    inpaint(image, moved, engine)
    inpaint(_scene(1)[0], mask, engine)
    assert len(calls) == 3
    inpaint(image, mask, engine)
    assert len(calls) == 3
    # Entries die with their engine; a new engine object fills again.
    del engine
    gc.collect()
    assert not fill_cache._CACHE
    other = create_engine("glcic")
    other_calls = _counting(other)
    inpaint(image, mask, other)
    assert len(other_calls) == 1


def test_the_budget_bounds_what_is_kept(monkeypatch) -> None:
    fill_cache.clear()
    engine = create_engine("glcic")
    calls = _counting(engine)
    a, mask = _scene(0)
    b, _ = _scene(1)
    inpaint(a, mask, engine)
    entry = sum(fill_cache._SIZES.values())
    assert entry > 0
    monkeypatch.setattr(fill_cache, "BUDGET_BYTES", entry * 3 // 2)  # room for one fill, not two
    for image in (b, a, a):  # b evicts a; a evicts b; a is then kept
        inpaint(image, mask, engine)
    assert len(calls) == 3 and sum(fill_cache._SIZES.values()) == entry
