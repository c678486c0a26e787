"""Build the Debian photo corpus of DESIGN.md ("Data for the shipped weights").

``python -m training corpus --out DIR``: ``apt-get download`` each wallpaper package into a temp
folder, ``dpkg -x`` it, collect the images, keep the largest copy of each picture (packages ship the
same picture at many resolutions, e.g. KDE's ``<Name>/contents/images/<W>x<H>.jpg``), drop tiny
(short side < 512 px), flat (grey std < 2) and duplicate pictures (64-bit difference hash of a 9×8 grey thumbnail plus a
colour check), drop the source of ``resources/samples`` (mate ``nature/Storm.jpg``), write the
survivors (transparent ones composited over grey) as JPEG quality 95 (PNG if the source was PNG) and a deterministic train/val split by file
name hash (``split.txt``).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from training.data import pil_to_rgb
from training.errors import TrainingError

PACKAGES: tuple[str, ...] = (
    "plasma-workspace-wallpapers",
    "mate-backgrounds",
    "ukui-wallpapers",
    "lomiri-wallpapers",
    "lomiri-wallpapers-16.04",
    "lomiri-wallpapers-20.04",
    "gnome-backgrounds",
    "mypaint-data-extras",
)
#: Reserved for the project's own sample photo (resources/samples/storm.jpg): never trained on.
EXCLUDE: tuple[str, ...] = ("mate-backgrounds/nature/storm",)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
MIN_SHORT_SIDE = 512
#: Grey-level standard deviation (at ≤ 1024 px) below which an image is a flat colour field, not a photo.
FLAT_STD = 2.0
VAL_FRACTION = 0.15
_SIZE_NAME = re.compile(r"^\d+x\d+$", re.IGNORECASE)
_SIZE_SUFFIX = re.compile(r"[-_ ]?\d{3,5}x\d{3,5}$", re.IGNORECASE)


@dataclass
class Candidate:
    """One image file found in a package: ``key`` groups copies of the same picture."""

    path: Path
    package: str
    key: str
    width: int
    height: int


def picture_key(package: str, rel: Path) -> str:
    """Group name for an image at ``rel`` inside ``package``'s tree.

    KDE stores ``<Name>/contents/images/1920x1080.jpg``: the picture is ``<Name>``. Other packages
    use ``name-1920x1080.jpg`` or one folder per size: the size part is stripped.
    """
    parts = [p for p in rel.with_suffix("").parts]
    stem = parts[-1]
    if _SIZE_NAME.match(stem):
        # <picture>/contents/images/WxH or <picture>/WxH
        rest = [p for p in parts[:-1] if p.lower() not in {"contents", "images", "images_dark", "screenshot"}]
        name = rest[-1] if rest else stem
        if "images_dark" in (p.lower() for p in parts):
            name += "-dark"
    else:
        name = _SIZE_SUFFIX.sub("", stem)
        parent = parts[-2] if len(parts) > 1 else ""
        if parent and not _SIZE_NAME.match(parent) and parent.lower() not in {"backgrounds", "wallpapers", "images"}:
            name = f"{parent}/{name}"
    return f"{package}/{name}".lower()


def dhash(image: Image.Image) -> int:
    """64-bit difference hash of the grey image (robust to resizing and recompression)."""
    small = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def split_of(name: str, val_fraction: float = VAL_FRACTION) -> str:
    """ "train" or "val" from a stable hash of the output file name (never changes between runs)."""
    h = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "val" if h < val_fraction else "train"


def download_packages(packages: Sequence[str], workdir: Path) -> dict[str, Path]:
    """``apt-get download`` + ``dpkg -x`` each package; returns package -> extracted root."""
    roots: dict[str, Path] = {}
    debs = workdir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for name in packages:
        before = set(debs.glob("*.deb"))
        proc = subprocess.run(["apt-get", "download", name], cwd=debs, capture_output=True, text=True)
        new = sorted(set(debs.glob("*.deb")) - before)
        if proc.returncode != 0 or not new:
            warnings.warn(f"apt-get download {name} failed: {proc.stderr.strip()[:300]}", stacklevel=2)
            continue
        root = workdir / "x" / name
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dpkg", "-x", str(new[0]), str(root)], check=True)
        roots[name] = root
    if not roots:
        raise TrainingError(
            "no wallpaper package could be downloaded (apt-get download failed for all of "
            f"{', '.join(packages)}); run `apt-get update` and check the network"
        )
    return roots


def find_candidates(roots: dict[str, Path]) -> list[Candidate]:
    """All readable images under each package root (symlinks to other files are skipped)."""
    out: list[Candidate] = []
    for package, root in roots.items():
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if path.stem.lower() == "screenshot":  # KDE's preview thumbnails of the same pictures
                continue
            try:
                with Image.open(path) as im:
                    w, h = im.size
            except Exception:
                continue
            out.append(Candidate(path, package, picture_key(package, path.relative_to(root)), w, h))
    return out


def select(candidates: Iterable[Candidate], min_side: int = MIN_SHORT_SIDE) -> tuple[list[Candidate], dict[str, int]]:
    """Largest copy per key, minus excluded, tiny and perceptual duplicates. Returns (kept, stats)."""
    best: dict[str, Candidate] = {}
    total = 0
    for c in candidates:
        total += 1
        cur = best.get(c.key)
        if cur is None or c.width * c.height > cur.width * cur.height:
            best[c.key] = c
    stats = {"files": total, "pictures": len(best), "excluded": 0, "tiny": 0, "flat": 0, "duplicates": 0}
    kept: list[Candidate] = []
    seen: list[tuple[int, np.ndarray, Candidate]] = []
    for key in sorted(best, key=lambda k: (-best[k].width * best[k].height, k)):
        c = best[key]
        if any(key.startswith(e) for e in EXCLUDE):
            stats["excluded"] += 1
            continue
        if min(c.width, c.height) < min_side:
            stats["tiny"] += 1
            continue
        with Image.open(c.path) as im:
            rgb = pil_to_rgb(im)
        grey = rgb.convert("L")
        grey.thumbnail((1024, 1024))
        if float(np.asarray(grey, dtype=np.float32).std()) < FLAT_STD:
            stats["flat"] += 1
            continue
        h = dhash(rgb)
        colour = np.asarray(rgb.resize((8, 8), Image.Resampling.BOX), dtype=np.float32)
        dup = False
        for oh, ocol, _ in seen:
            # Same structure (≤ 4 of 64 hash bits differ) and same colours (mean abs < 8 levels).
            if bin(h ^ oh).count("1") <= 4 and float(np.abs(colour - ocol).mean()) < 8.0:
                dup = True
                break
        if dup:
            stats["duplicates"] += 1
            continue
        seen.append((h, colour, c))
        kept.append(c)
    return kept, stats


def output_name(c: Candidate) -> str:
    """Flat, stable file name: package + key, sanitised; PNG sources stay PNG."""
    base = re.sub(r"[^a-z0-9]+", "_", c.key.lower()).strip("_")
    return base + (".png" if c.path.suffix.lower() == ".png" else ".jpg")


def write_corpus(kept: Sequence[Candidate], out: Path) -> list[tuple[str, str]]:
    """Write images into ``out`` and return [(file name, split)] sorted by name."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    for c in kept:
        name = output_name(c)
        with Image.open(c.path) as im:
            rgb = pil_to_rgb(im)
        if name.endswith(".png"):
            rgb.save(out / name, optimize=False)
        else:
            rgb.save(out / name, quality=95, subsampling=0)
        rows.append((name, split_of(name)))
    rows.sort()
    return rows


def write_split(rows: Sequence[tuple[str, str]], path: Path) -> None:
    """``split.txt``: one ``<split> <file name>`` per line, sorted by name; # comments allowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Debian photo corpus split (python -m training corpus). Format: <train|val> <file name>",
        *(f"{s} {n}" for n, s in rows),
    ]
    path.write_text("\n".join(lines) + "\n")


def build_corpus(
    out: str | Path,
    packages: Sequence[str] = PACKAGES,
    split_path: str | Path | None = None,
    min_side: int = MIN_SHORT_SIDE,
) -> dict[str, int]:
    """Download, select and write the corpus; returns stats (images, train, val, dropped counts)."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="inpaint-corpus-") as tmp:
        roots = download_packages(packages, Path(tmp))
        kept, stats = select(find_candidates(roots), min_side=min_side)
        if not kept:
            raise TrainingError("the downloaded packages held no usable images (all tiny, duplicate or excluded)")
        if out.exists():
            for old in out.iterdir():
                if old.is_file() and old.suffix.lower() in IMAGE_SUFFIXES:
                    old.unlink()
        rows = write_corpus(kept, out)
    write_split(rows, out / "split.txt")
    if split_path is not None:
        shutil.copyfile(out / "split.txt", split_path)
    stats.update(images=len(rows), train=sum(s == "train" for _, s in rows), val=sum(s == "val" for _, s in rows))
    return stats
