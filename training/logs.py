"""Run logs: CSV (always), TensorBoard event files, PNG loss curves and image grids.

- Event files come from TensorBoard's own writer (``torch.utils.tensorboard.SummaryWriter``), so
  TensorBoard and every tool built on its reader open them; on resume the writer's ``purge_step``
  makes TensorBoard drop the earlier file's events from the resumed step on (they are redone),
  as :class:`CSVLog` drops its rows.
- Curves are drawn by matplotlib (object API on the Agg canvas: no pyplot global state, no display).
- Grids of result tiles are assembled by ``skimage.util.montage``.

tensorboard and matplotlib are training-only dependencies (the ``train`` extra:
``pip install 'inpaint-studio[train]'``); they are imported when first used, so ``python -m training
--help`` works without them and a missing extra is one actionable error line.
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image
from skimage.util import montage

from training.errors import TrainingError


def _train_extra(module: str, package: str) -> ModuleType:
    """Import ``module`` of the ``train`` extra's ``package``, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise TrainingError(
            f"training logs need {package}, part of the train extra: pip install 'inpaint-studio[train]'"
        ) from None


class EventWriter:
    """TensorBoard scalars of one run (``events.out.tfevents.*`` files in ``folder``).

    ``resume_step``: the step a resumed run continues from; TensorBoard then ignores what earlier
    event files logged after it (those steps are redone), like :class:`CSVLog`'s rows.
    """

    def __init__(self, folder: str | Path, resume_step: int | None = None) -> None:
        tb = _train_extra("torch.utils.tensorboard", "tensorboard")
        self.folder = Path(folder)
        self._writer: Any = tb.SummaryWriter(
            log_dir=str(self.folder), purge_step=None if resume_step is None else resume_step + 1
        )

    def scalars(self, step: int, values: Mapping[str, float | None]) -> None:
        """Log ``values`` (tag -> number) at ``step``; None and non-finite values are skipped
        (a metric that could not be computed is a gap in the curve, not a spike to inf)."""
        for tag, v in values.items():
            if v is not None and math.isfinite(float(v)):
                self._writer.add_scalar(tag, float(v), global_step=step)
        # Flushed at once: a user watching TensorBoard sees each step, and a killed run loses nothing.
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class CSVLog:
    """CSV with a fixed header; on resume, rows after the resumed step are dropped (they will be redone)."""

    def __init__(self, path: str | Path, columns: Sequence[str], resume_step: int | None = None) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        rows: list[dict[str, str]] = []
        if resume_step is not None and self.path.is_file():
            with self.path.open(newline="") as fh:
                rows = [r for r in csv.DictReader(fh) if int(float(r.get("step") or 0)) <= resume_step]
        with self.path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def write(self, row: Mapping[str, object]) -> None:
        with self.path.open("a", newline="") as fh:
            csv.DictWriter(fh, self.columns, extrasaction="ignore").writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )


def read_csv(path: str | Path) -> list[dict[str, str]]:
    with Path(path).open(newline="") as fh:
        return list(csv.DictReader(fh))


def plot_curves(
    series: Mapping[str, Sequence[tuple[float, float]]],
    path: str | Path,
    title: str = "",
    log_y: bool = True,
    size: tuple[int, int] = (900, 500),
) -> None:
    """Line plot of named (x, y) series to a PNG of ``size`` pixels (width, height); log y axis
    for losses. Points that a log axis cannot show (≤ 0, non-finite) and empty series are skipped."""
    figure_mod = _train_extra("matplotlib.figure", "matplotlib")
    dpi = 100
    fig = figure_mod.Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    ax = fig.subplots()
    for name, pts in series.items():
        good = [(x, y) for x, y in pts if math.isfinite(y) and (y > 0 or not log_y)]
        if good:
            xs, ys = zip(*good, strict=True)
            ax.plot(xs, ys, label=name[:24], linewidth=1, marker="o" if len(good) == 1 else None)
    if log_y and ax.has_data():
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if ax.has_data():
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    fig.savefig(str(path), format="png", dpi=dpi)


def save_grid(rows: Sequence[Sequence[np.ndarray]], path: str | Path, pad: int = 2) -> None:
    """PNG of a grid of uint8 H×W×3 RGB tiles (all the same size; rows may be short), white padding."""
    ncol = max(len(r) for r in rows)
    blank = np.full_like(rows[0][0], 255)
    tiles = np.stack([tile for r in rows for tile in [*r, *[blank] * (ncol - len(r))]])
    grid = montage(tiles, fill=(255, 255, 255), grid_shape=(len(rows), ncol), padding_width=pad, channel_axis=-1)
    Image.fromarray(grid.astype(np.uint8)).save(str(path), format="PNG")
