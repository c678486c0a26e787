"""Figure of the editor's alpha dock with real DFNet maps: one grab of the dock per fusion level.

Runs DFNet through the pipeline (crop strategy, texture off) on a bundled sample photo with its
object mask, hands the maps to the dock's widget (app.panels.alpha_dock.AlphaView, as the main
window does after a run), grabs it at each of the six levels (auto-contrast, over the photo, hole
outline) and tiles the grabs 3 × 2 into one PNG. Prints each level's name, range and hole
statistics, so the figure can be described in words.

    QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 .venv/bin/python benchmarks/alpha_dock_figure.py \
        [--weights FILE] [--sample nuthatch] [--out docs/figures/dfnet_alpha_dock.png]
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np
import torch
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.panels.alpha_dock import AlphaView
from engine.alphamaps import hole_statistics
from engine.imageio import load_image, load_mask
from engine.paths import SAMPLES
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine

TILE = (330, 440)  # (w, h) of one grab of the dock


def grab_rgb(view: AlphaView) -> np.ndarray:
    """uint8 h×w×3 RGB of the widget as drawn now."""
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    buf = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h).reshape(h, -1)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", help="DFNet weights (default: the shipped ones)")
    p.add_argument("--sample", default="nuthatch", help="sample photo stem with a <stem>_mask.png")
    p.add_argument("--out", default="docs/figures/dfnet_alpha_dock.png")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rgb = load_image(SAMPLES / f"{args.sample}.jpg").rgb
    mask = load_mask(SAMPLES / f"{args.sample}_mask.png", size=(rgb.shape[1], rgb.shape[0]), resize=True)
    result = inpaint(rgb, mask, create_engine("dfnet", weights=args.weights), InpaintOptions(texture=0.0))
    maps, box = result.extras["alpha_maps"], result.extras["box"]
    view = AlphaView()
    view.resize(*TILE)
    view.overlay.setChecked(True)
    view.set_maps(maps, "dfnet", box, rgb, result.mask)
    view.show()
    x0, y0, x1, y1 = box
    tiles = []
    for i in range(len(maps)):
        view.block.setCurrentIndex(i)
        app.processEvents()
        tiles.append(cv2.resize(grab_rgb(view), TILE, interpolation=cv2.INTER_AREA))
        std, contrast = hole_statistics(maps[i], result.mask[y0:y1, x0:x1])
        print(f"{view.level_name.text()} | {view.range.text()} | std {std:.3f} hole-out {contrast:.3f}")
    rows = [np.hstack(tiles[r * 3 : r * 3 + 3]) for r in range(2)]
    sheet = np.vstack(rows)
    # A 256-colour palette keeps the PNG small (the dock is flat UI colours plus viridis over the photo).
    Image.fromarray(sheet).quantize(256, method=Image.Quantize.MEDIANCUT).save(args.out, optimize=True)
    print(f"wrote {args.out} ({sheet.shape[1]}×{sheet.shape[0]}) for box {box}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
