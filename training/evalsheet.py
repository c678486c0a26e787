"""The contact sheet of EVAL.md: held-out photos with object holes, cropped to the hole, filled by
the baselines and every learned engine alone and with its photo texture (exemplar completion).

``python -m training evalsheet --images data/evalset/images --masks data/evalset/masks
--output resources/weights/eval-sheet.jpg`` (defaults: the first 6 photos, the object 15–30 % mask).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from engine.evaluate import list_images, prepare
from engine.imageio import load_image, load_mask, save_image
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine, list_specs
from engine.sheet import comparison_sheet, mask_overlay

#: Context around the hole's bounding box in the crop, as a fraction of its long side.
CONTEXT = 0.35


def hole_crop(mask: np.ndarray, context: float = CONTEXT) -> tuple[int, int, int, int]:
    """Square (x0, y0, x1, y1) around the hole (mask > 127) grown by ``context`` × its long side,
    shifted inside the image (and cut to it when larger)."""
    x, y, w, h = cv2.boundingRect((mask > 127).astype(np.uint8))
    side = min(max(mask.shape), round(max(w, h) * (1 + 2 * context)))
    side_x, side_y = min(side, mask.shape[1]), min(side, mask.shape[0])
    x0 = min(max(0, x + w // 2 - side_x // 2), mask.shape[1] - side_x)
    y0 = min(max(0, y + h // 2 - side_y // 2), mask.shape[0] - side_y)
    return x0, y0, x0 + side_x, y0 + side_y


def build_sheet(images: Sequence[Path], mask_path: Path, size: int = 512, tile: int = 192, seed: int = 0) -> np.ndarray:
    """uint8 RGB sheet: per photo one block of tiles (masked input, truth, NS, PatchMatch, then each
    available learned engine alone and + texture), all cropped to the hole with context."""
    learned = [s for s in list_specs() if s.learned and s.availability()[0]]
    engines = [create_engine("ns"), create_engine("patchmatch"), *(create_engine(s.name) for s in learned)]
    options = InpaintOptions(keep_untextured=True, seed=seed)
    tiles: list[tuple[str, np.ndarray]] = []
    for number, path in enumerate(images, 1):
        gt, mask = prepare(load_image(path).rgb, load_mask(mask_path), size)
        x0, y0, x1, y1 = hole_crop(mask)

        def crop(img: np.ndarray, x0: int = x0, y0: int = y0, x1: int = x1, y1: int = y1) -> np.ndarray:
            return img[y0:y1, x0:x1]

        tiles += [(f"photo {number}: hole", crop(mask_overlay(gt, mask))), ("truth", crop(gt))]
        for eng in engines:
            result = inpaint(gt, mask, eng, options)
            if result.untextured is not None:
                tiles.append((eng.spec.name, crop(result.untextured)))
            tiles.append((eng.spec.name + (" + texture" if result.texture > 0 else ""), crop(result.image)))
    per_photo = len(tiles) // max(1, len(images))
    # Every crop is square: scale them to one size so the grid lines up.
    tiles = [(label, cv2.resize(img, (tile, tile), interpolation=cv2.INTER_AREA)) for label, img in tiles]
    return comparison_sheet(tiles, tile_width=tile, columns=(per_photo + 1) // 2)


def write_sheet(
    images_dir: Path, masks_dir: Path, output: Path, mask_name: str = "14-object_15-30pct.png", count: int = 6
) -> Path:
    """Write :func:`build_sheet` of the first ``count`` photos of ``images_dir`` with ``mask_name``."""
    images = list_images(images_dir)[:count]
    sheet = build_sheet(images, masks_dir / mask_name)
    save_image(output, sheet, quality=80)  # a document figure: ~0.6 MB in git, artefacts invisible at 192 px
    return output
