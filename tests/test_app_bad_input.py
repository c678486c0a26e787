"""Never lose work (issue #8, editor side): failed saves, bad masks, bad images, crashing engines."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from app.recovery import read_session
from app.window import MainWindow
from tests.gui_support import answer as _answer
from tests.gui_support import box_mask as _box
from tests.gui_support import open_window, save_photo

pytestmark = pytest.mark.gui
RECOVERY_AUTOSAVE_MS = 150  # short debounce: the tests wait for autosaves
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    yield from open_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)


@pytest.fixture
def photo_path(photo: np.ndarray, tmp_path: Path) -> Path:
    return save_photo(photo, tmp_path)


# ------------------------------------------------------------------- saving
def test_failed_save_keeps_previous_file_and_says_why(
    window: MainWindow, photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.imageio

    w = window
    assert w.open_path(photo_path)
    out = tmp_path / "out.png"
    assert w.save_to(out)
    before = out.read_bytes()
    w.doc.apply_result(np.full_like(w.doc.image, 7))

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real_replace = os.replace
    monkeypatch.setattr(engine.imageio.os, "replace", disk_full)
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)  # yes, overwrite
    assert not w.save_to(out)
    assert out.read_bytes() == before
    assert "out.png" in w.last_error and "No space left" in w.last_error and "unchanged" in w.last_error
    assert w.error_box.isVisible() and "Cannot save" in w.error_box.windowTitle()
    w.error_box.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp file left behind
    assert not w.doc.undo_stack.isClean()  # still unsaved
    monkeypatch.setattr(engine.imageio.os, "replace", real_replace)
    assert w.autosaver.save_now()  # the unsaved work is still recoverable
    assert np.array_equal(read_session(w.autosaver.folder).image, w.doc.image)
    assert w.save_to(out)  # disk has room again: saved, recovery removed
    assert read_session(w.autosaver.folder) is None


# ------------------------------------------------------------------ bad masks
def test_mask_of_other_size_offers_resize(window: MainWindow, photo_path: Path, tmp_path: Path, monkeypatch) -> None:
    w = window
    assert w.open_path(photo_path)
    small = tmp_path / "small-mask.png"
    Image.fromarray(_box((120, 160), 50, 40, 70, 60)).save(small)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.No)
    assert not w.load_mask_file(small)
    assert "160×120" in asked[0] and "320×240" in asked[0]
    assert not w.doc.mask.any() and "different size" in w.statusBar().currentMessage()
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert w.load_mask_file(small)
    assert w.doc.mask.shape == (240, 320)
    assert np.array_equal(w.doc.mask, _box((240, 320), 100, 80, 140, 120))  # nearest neighbour, exact 2×


def test_non_binary_mask_is_thresholded(window: MainWindow, photo_path: Path, tmp_path: Path) -> None:
    w = window
    assert w.open_path(photo_path)
    gray = np.tile(np.arange(320, dtype=np.float32) * 255 / 319, (240, 1)).astype(np.uint8)
    path = tmp_path / "gray.png"
    Image.fromarray(gray).save(path)
    assert w.load_mask_file(path)
    assert set(np.unique(w.doc.mask)) == {0, 255}
    assert np.array_equal(w.doc.mask > 0, gray > 127)


def test_all_zero_mask_says_so_on_run(window: MainWindow, photo_path: Path, tmp_path: Path) -> None:
    w = window
    assert w.open_path(photo_path)
    path = tmp_path / "zero.png"
    Image.fromarray(np.zeros((240, 320), np.uint8)).save(path)
    assert w.load_mask_file(path)
    assert "empty" in w.statusBar().currentMessage()
    assert not w.run_engine()
    assert "mask is empty" in w.statusBar().currentMessage()


@pytest.mark.parametrize("kind", ["all-hole", "every-border"])
def test_all_hole_and_border_masks_run(qtbot, window: MainWindow, photo_path: Path, tmp_path: Path, kind) -> None:
    w = window
    assert w.open_path(photo_path)
    if kind == "all-hole":
        mask = np.full((240, 320), 255, np.uint8)
    else:
        mask = np.zeros((240, 320), np.uint8)
        mask[:6], mask[-6:], mask[:, :6], mask[:, -6:] = 255, 255, 255, 255
    path = tmp_path / f"{kind}.png"
    Image.fromarray(mask).save(path)
    assert w.load_mask_file(path)
    assert w.engine_panel.select("telea")
    with qtbot.waitSignal(w.worker.finished, timeout=30000):
        assert w.run_engine()
    assert w.pending is not None, w.last_error
    out = w.pending.image
    assert out.shape == w.doc.image.shape and out.dtype == np.uint8
    keep = mask == 0
    assert np.array_equal(out[keep], w.doc.image[keep])
    w.apply_result()
    assert not w.doc.mask.any()


# ------------------------------------------------------------------ bad images
def _bad_images(folder: Path) -> dict[str, bool]:
    """Files a user may open; value: True = must open (documented conversion), False = must be refused."""
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    files: dict[str, bool] = {}

    def save(name: str, im: Image.Image, ok: bool, **kw) -> None:
        im.save(folder / name, **kw)
        files[name] = ok

    save("rgb.jpg", Image.fromarray(rgb), True, quality=90)
    save("one-pixel.png", Image.fromarray(rgb[:1, :1]), True)
    save("long.png", Image.fromarray(np.zeros((10, 30000, 3), np.uint8)), True)
    save("sixteen-bit.png", Image.fromarray((rng.integers(0, 65535, (40, 60))).astype(np.uint16)), True)
    # issue #40: CMYK without an ICC profile cannot be converted faithfully, so it is refused with a message
    save("cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), False)
    save("palette.png", Image.fromarray(rgb).convert("P"), True)
    save("rgba.png", Image.fromarray(np.dstack([rgb, np.full((40, 60), 128, np.uint8)])), True)
    save("gray.png", Image.fromarray(rgb[..., 0]), True)
    frames = [Image.fromarray(np.full((40, 60, 3), v, np.uint8)) for v in (10, 200)]
    save("animated.gif", frames[0], True, save_all=True, append_images=frames[1:])
    for name, data in {
        "zero-byte.jpg": b"",
        "text.jpg": b"this is not a photo\n" * 20,
        "truncated.jpg": (folder / "rgb.jpg").read_bytes()[:200],
        "truncated.png": (folder / "palette.png").read_bytes()[:60],
    }.items():
        (folder / name).write_bytes(data)
        files[name] = False
    return files


def test_bad_images_open_or_are_refused_in_the_gui(qtbot, window: MainWindow, photo_path: Path, tmp_path) -> None:
    w = window
    folder = tmp_path / "bad"
    folder.mkdir()
    for name, must_open in _bad_images(folder).items():
        assert w.open_path(photo_path)
        before = w.doc.image
        opened = w.open_path(folder / name)
        assert opened == must_open, (name, w.last_error)
        if opened:
            img = w.doc.image
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3, name
            assert w.doc.mask.shape == img.shape[:2]
        else:
            assert name in w.last_error, w.last_error
            assert w.doc.image is before  # the open photo is untouched
            w.error_box.close()
    assert w.open_path(folder / "animated.gif")
    assert (w.doc.image == 10).all() and "frame" in w.statusBar().currentMessage()


# ----------------------------------------------------------- engine failures
@pytest.mark.parametrize("exc", [MemoryError("CPU allocator: out of memory"), RuntimeError("shape mismatch in conv3")])
def test_engine_crash_leaves_document_untouched_and_another_engine_runs(
    qtbot, window: MainWindow, photo_path: Path, exc: Exception
) -> None:
    from engine import registry
    from engine.registry import Engine, EngineSpec

    class Crashing(Engine):
        def fill(self, image, mask, options):
            raise exc

    registry.register(EngineSpec("test-crashing", "Crashing (test)", "-", 0, 1, lambda s, d, p: Crashing(s, d)))
    try:
        w = window
        assert w.open_path(photo_path)
        w.refresh_engines()
        assert w.engine_panel.select("test-crashing")
        mask = _box(w.doc.mask.shape, 100, 80, 160, 130)
        w.doc.set_mask(mask, "paint")
        image, index = w.doc.image.copy(), w.doc.undo_stack.index()
        with qtbot.waitSignal(w.worker.finished, timeout=30000):
            assert w.run_engine()
        assert str(exc) in w.last_error and w.error_box.isVisible()
        w.error_box.close()
        assert np.array_equal(w.doc.image, image) and np.array_equal(w.doc.mask, mask)
        assert w.doc.undo_stack.index() == index and w.pending is None and w.acts.run.isEnabled()
        assert w.engine_panel.select("telea")
        with qtbot.waitSignal(w.result_shown, timeout=30000):
            assert w.run_engine()
    finally:
        registry._REGISTRY.pop("test-crashing", None)
