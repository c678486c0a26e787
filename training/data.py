"""Image folders as training data: random multi-scale crops and flips, plus fixed validation pairs.

Images are decoded with PIL (EXIF orientation applied), converted to RGB and cached in memory
downscaled so their short side is at most ``cache_side`` (default 1024): the Debian wallpapers are up
to 6000 px wide and decoding a 5120×2880 PNG costs more than a training step on this CPU. A crop is a
random square of side ``c`` (log-uniform between ``size`` and the cached short side, i.e. between
finest detail and the whole scene) resized to ``size`` × ``size`` with area averaging, then flipped
left-right with probability 0.5.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from training.errors import TrainingError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")


def list_images(folder: str | Path, split: str | Path | None = None, subset: str = "train") -> list[Path]:
    """Image files in ``folder`` (recursive, sorted); with ``split`` only its ``subset`` entries.

    Files with other suffixes are skipped with one warning naming how many. Raises
    :class:`TrainingError` if the folder is missing or holds no images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TrainingError(f"data folder {folder} does not exist")
    if split is not None:
        names = read_split(split)[subset]
        paths = [folder / n for n in names]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            raise TrainingError(
                f"{len(missing)} files of split list {split} ({subset}) are missing from {folder}, e.g. "
                f"{missing[0]}; rebuild the corpus with `python -m training corpus --out {folder}`"
            )
    else:
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        paths = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
        others = [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES and p.name != "split.txt"]
        if others:
            warnings.warn(f"skipping {len(others)} non-image files in {folder} (e.g. {others[0].name})", stacklevel=2)
    if not paths:
        raise TrainingError(
            f"data folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})"
            + (f" for the '{subset}' part of {split}" if split is not None else "")
        )
    return paths


def read_split(path: str | Path) -> dict[str, list[str]]:
    """Parse a split list into {"train": [...], "val": [...]}; raises TrainingError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"split list {path} does not exist; build it with `python -m training corpus --out DIR`")
    out: dict[str, list[str]] = {"train": [], "val": []}
    for i, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or parts[0] not in out:
            raise TrainingError(f"split list {path} line {i} is not '<train|val> <file name>': {line!r}")
        out[parts[0]].append(parts[1])
    return out


def pil_to_rgb(im: Image.Image) -> Image.Image:
    """RGB view of a PIL image; transparency is composited over mid grey.

    Several wallpapers are transparent PNGs drawn over the desktop colour: dropping alpha would turn
    them white or black, grey keeps their pattern visible without biasing towards either end.
    """
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    return im.convert("RGB")


def load_rgb(path: Path, max_short: int | None = None) -> np.ndarray | None:
    """uint8 H×W×3 RGB (EXIF-rotated), downscaled so min(H, W) ≤ ``max_short``; None if unreadable."""
    try:
        with Image.open(path) as im:
            if max_short and im.format == "JPEG":
                im.draft("RGB", (max_short * 4, max_short * 4))  # fast DCT-domain downscale, still ≥ target
            im = pil_to_rgb(ImageOps.exif_transpose(im))
            rgb = np.asarray(im)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    if max_short and min(rgb.shape[:2]) > max_short:
        f = max_short / min(rgb.shape[:2])
        size = (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


class ImageCache:
    """Decoded, downscaled images by path, least recently used evicted beyond ``max_bytes``."""

    def __init__(self, cache_side: int = 1024, max_bytes: int = 1 << 30) -> None:
        self.cache_side = cache_side
        self.max_bytes = max_bytes
        self._items: OrderedDict[Path, np.ndarray] = OrderedDict()
        self._bytes = 0
        self.bad: set[Path] = set()

    def get(self, path: Path) -> np.ndarray | None:
        if path in self._items:
            self._items.move_to_end(path)
            return self._items[path]
        if path in self.bad:
            return None
        rgb = load_rgb(path, self.cache_side)
        if rgb is None:
            self.bad.add(path)
            warnings.warn(f"skipping unreadable image {path}", stacklevel=2)
            return None
        self._items[path] = rgb
        self._bytes += rgb.nbytes
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= old.nbytes
        return rgb


def random_crop(rgb: np.ndarray, size: int, rng: np.random.Generator, flip: bool = True) -> np.ndarray:
    """A random multi-scale square crop of ``rgb`` (uint8 H×W×3) resized to uint8 size×size×3."""
    h, w = rgb.shape[:2]
    short = min(h, w)
    if short < size:  # small image: upscale so a crop fits
        f = size / short
        rgb = cv2.resize(rgb, (max(size, math.ceil(w * f)), max(size, math.ceil(h * f))), interpolation=cv2.INTER_CUBIC)
        h, w = rgb.shape[:2]
        short = min(h, w)
    side = round(math.exp(rng.uniform(math.log(size), math.log(short)))) if short > size else size
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = rgb[y : y + side, x : x + side]
    if side != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    if flip and rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop)


def center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """Deterministic validation view: the central square, resized to uint8 size×size×3."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    crop = rgb[y : y + side, x : x + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    return np.ascontiguousarray(cv2.resize(crop, (size, size), interpolation=interp))


def to_tensor(batch: Sequence[np.ndarray]) -> torch.Tensor:
    """list of uint8 H×W×3 RGB -> float32 N×3×H×W in [0, 1] (channels_last)."""
    arr = np.stack(batch).astype(np.float32) / 255.0
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


def masks_to_tensor(masks: Sequence[np.ndarray]) -> torch.Tensor:
    """list of uint8 H×W masks (255 = hole) -> float32 N×1×H×W with 1 = hole."""
    return torch.from_numpy((np.stack(masks) > 127).astype(np.float32))[:, None]


class CropDataset:
    """Random crops from a list of image files, drawn with an explicit numpy Generator.

    The sampler is explicit rather than a torch DataLoader so that one generator state (saved in
    checkpoints) determines every batch: resume reproduces the exact same batches. Sharding for
    distributed training: rank ``r`` of ``k`` draws from a generator seeded with (seed, r), so ranks
    see different crops of the same file list (DistributedSampler-style disjoint draws per step).
    """

    def __init__(self, paths: Sequence[Path], size: int, cache: ImageCache | None = None) -> None:
        if not paths:
            raise TrainingError("the dataset has no images")
        self.paths = list(paths)
        self.size = size
        self.cache = cache or ImageCache()

    def __len__(self) -> int:
        return len(self.paths)

    def sample(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        """``n`` random crops (uint8 size×size×3 RGB); unreadable files are skipped with a warning."""
        out: list[np.ndarray] = []
        tries = 0
        while len(out) < n:
            tries += 1
            if tries > 20 * n + 100 or len(self.cache.bad) == len(self.paths):
                raise TrainingError(f"none of the {len(self.paths)} data files could be read as images")
            rgb = self.cache.get(self.paths[int(rng.integers(0, len(self.paths)))])
            if rgb is not None:
                out.append(random_crop(rgb, self.size, rng))
        return out


def validation_set(
    paths: Sequence[Path], size: int, count: int = 16, per_bucket: int = 1, seed: int = 1234
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Fixed validation pairs: (images N×3×s×s, holes N×1×s×s, bucket names).

    The first ``count`` readable images (sorted order), centre-cropped, paired with the fixed masks of
    :func:`training.masks.validation_masks` in turn, so the same folder always gives the same pairs.
    """
    from training.masks import validation_masks

    masks = validation_masks(size, size, per_bucket=per_bucket, seed=seed)
    imgs: list[np.ndarray] = []
    for p in paths:
        rgb = load_rgb(p, max(size * 2, 512))
        if rgb is None:
            warnings.warn(f"skipping unreadable validation image {p}", stacklevel=2)
            continue
        imgs.append(center_crop(rgb, size))
        if len(imgs) >= count:
            break
    if not imgs:
        raise TrainingError("no readable validation images")
    n = max(len(imgs), len(masks)) if len(imgs) < len(masks) else len(imgs)
    pairs_img = [imgs[i % len(imgs)] for i in range(n)]
    pairs_mask = [masks[i % len(masks)] for i in range(n)]
    return to_tensor(pairs_img), masks_to_tensor([m for _, m in pairs_mask]), [b for b, _ in pairs_mask]
