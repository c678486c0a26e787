"""Training logs (training.logs): TensorBoard events read back by TensorBoard's own reader,
matplotlib curves, montage grids, and the error when the train extra is missing."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.errors import TrainingError
from training.logs import EventWriter, plot_curves, save_grid


def tb_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)] as TensorBoard itself loads the run folder (all event files, purges applied)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0})  # 0 = keep every event
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_event_file_is_read_back_by_tensorboard(tmp_path: Path) -> None:
    w = EventWriter(tmp_path / "tb")
    w.scalars(1, {"train/loss": 0.5, "train/mse": 0.25})
    w.scalars(2, {"train/loss": 0.375, "val/psnr": float("nan"), "val/bpe": None})
    w.close()
    files = list((tmp_path / "tb").iterdir())
    assert len(files) == 1 and files[0].name.startswith("events.out.tfevents.")
    got = tb_scalars(tmp_path / "tb")
    # NaN and None are skipped, not written as values TensorBoard would plot.
    assert set(got) == {"train/loss", "train/mse"}
    assert got["train/loss"] == [(1, 0.5), (2, 0.375)]  # exact in float32
    assert got["train/mse"] == [(1, 0.25)]


def test_resumed_run_replaces_the_redone_steps(tmp_path: Path) -> None:
    """A run logged steps 1..5, its checkpoint was at 3; the resumed run redoes 4.. with other values."""
    first = EventWriter(tmp_path)
    for step in range(1, 6):
        first.scalars(step, {"loss": float(step)})
    first.close()
    again = EventWriter(tmp_path, resume_step=3)
    for step in range(4, 7):
        again.scalars(step, {"loss": 10.0 * step})
    again.close()
    assert len(list(tmp_path.iterdir())) == 2
    assert tb_scalars(tmp_path)["loss"] == [(1, 1.0), (2, 2.0), (3, 3.0), (4, 40.0), (5, 50.0), (6, 60.0)]


def test_curves_are_a_matplotlib_png_of_the_requested_size(tmp_path: Path) -> None:
    path = tmp_path / "curves.png"
    steps = np.arange(1, 101, dtype=float)
    plot_curves(
        {"loss": list(zip(steps, 1.0 / steps, strict=True)), "d_loss": [(1.0, 0.0), (2.0, -1.0), (3.0, math.nan)]},
        path,
        title="training losses",
    )
    im = Image.open(path)
    assert im.format == "PNG" and im.size == (900, 500)
    assert im.info.get("Software", "").startswith("Matplotlib")
    rgb = np.asarray(im.convert("RGB")).astype(int)
    # The first series is drawn in matplotlib's first default colour (#1f77b4).
    blue = (np.abs(rgb - (0x1F, 0x77, 0xB4)).sum(-1) < 40).sum()
    assert blue > 200, blue


def test_curves_with_nothing_to_draw_still_write_a_png(tmp_path: Path) -> None:
    plot_curves({"loss": []}, tmp_path / "empty.png", log_y=True)
    plot_curves({}, tmp_path / "none.png", log_y=False, size=(400, 300))
    assert Image.open(tmp_path / "empty.png").size == (900, 500)
    assert Image.open(tmp_path / "none.png").size == (400, 300)


def test_grid_layout_and_padding(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tiles = [rng.integers(0, 200, (6, 8, 3), dtype=np.uint8) for _ in range(5)]
    save_grid([tiles[:3], tiles[3:]], tmp_path / "grid.png", pad=2)  # second row is one tile short
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    assert grid.shape == (2 * (6 + 2) + 2, 3 * (8 + 2) + 2, 3) and grid.dtype == np.uint8
    for k, tile in enumerate(tiles):
        i, j = divmod(k, 3)
        y, x = 2 + i * 8, 2 + j * 10
        np.testing.assert_array_equal(grid[y : y + 6, x : x + 8], tile)
    assert (grid[:2] == 255).all() and (grid[:, :2] == 255).all()
    assert (grid[10:16, 22:30] == 255).all()  # the missing cell is white


@pytest.mark.parametrize(
    ("module", "package"), [("matplotlib.figure", "matplotlib"), ("torch.utils.tensorboard", "tensorboard")]
)
def test_missing_train_extra_is_one_actionable_error(
    module: str, package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(TrainingError, match=rf"need {package}.*pip install 'inpaint-studio\[train\]'"):
        if package == "matplotlib":
            plot_curves({"loss": [(1.0, 1.0)]}, tmp_path / "c.png")
        else:
            EventWriter(tmp_path)
