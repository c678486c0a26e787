"""Outside fills that ``benchmarks/fill_real.py`` runs beside the project's engines, when installed.

- ``gmic``: G'MIC's patch-based inpainting (Debian ``gmic``) with the command of DESIGN.md,
  ``gmic IMG MASK channels[1] 0 inpaint[0] [1],7,16,0.1,1,0,0.05,10,1 rm[1] o OUT``. Its arguments
  read as patch 7, lookup size 16, lookup factor 0.1, lookup increment 1, blend size 0, blend
  threshold 0.05, blend decay 10, 1 blend scale: one argument short of the G'MIC-Qt filter
  *Repair > Inpaint [Patch-Based]* defaults (``fx_inpaint_patch 7,16,0.1,1.2,0,0.05,10,1``), but in
  gmic 2.9.4 the blend arguments change nothing (bit-identical output for blend size 0, 1, 4, 8, 12
  on three set photos), so these are the pixels a plug-in user gets.
- ``gmic-ms``: G'MIC's multi-scale PatchMatch inpainting, ``inpaint_matchpatch[0] [1]`` with its
  defaults (automatic scales, patch 9, 10 iterations per scale, blend size 5, outer blending), which
  are also those of G'MIC-Qt's ``fx_inpaint_matchpatch`` filter (``0,9,10,5,1``). Much cleaner than
  ``gmic`` on large holes (no staircases).
- ``pypatchmatch``: ``patchmatch.patch_match.inpaint`` of the PyPI package, patch size 3 as in its
  examples, only when importable. Never installed by this benchmark.

G'MIC runs on one thread (``OMP_NUM_THREADS=1``): ``inpaint_matchpatch`` is random and only with one
thread and ``srand 0`` gives the same pixels twice; seconds are one-thread seconds.
G'MIC's mask convention: every non-zero mask pixel is filled, zero is kept (checked: with a 0/255
mask ``inpaint`` leaves every pixel outside it unchanged; ``inpaint_matchpatch`` also blends a few
px outside). Outputs are composited (pixels outside the hole are the photo's) and cached on disk
under ``<cache>/<peer>/<key>.png`` with the seconds of the fill in ``<key>.json``: the key hashes
the image, the mask and the peer's settings, so a changed photo or mask is filled again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.imageio import load_image, save_image

GMIC_ARGS = ("channels[1]", "0", "inpaint[0]", "[1],7,16,0.1,1,0,0.05,10,1", "rm[1]")
GMIC_MS_ARGS = ("channels[1]", "0", "srand", "0", "inpaint_matchpatch[0]", "[1]", "rm[1]")
GMIC_TIMEOUT_S = 900

#: fill(image uint8 H×W×3 RGB, mask uint8 H×W, 255 = hole) -> uint8 H×W×3 RGB.
Fill = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Peer:
    """An outside fill: ``settings`` enter the cache key."""

    name: str
    settings: str
    fill: Fill


def gmic_fill(image: np.ndarray, mask: np.ndarray, args: tuple[str, ...] = GMIC_ARGS) -> np.ndarray:
    """G'MIC fill of ``image`` (uint8 H×W×3 RGB) in ``mask`` (uint8 H×W, > 127 = hole) by the command
    ``args`` (image [0], mask [1]), through PNG files in a temp folder. Returns uint8 H×W×3 RGB;
    raises RuntimeError on failure."""
    with tempfile.TemporaryDirectory(prefix="gmic-") as tmp:
        src, hole, out = Path(tmp, "in.png"), Path(tmp, "mask.png"), Path(tmp, "out.png")
        save_image(src, image)
        save_image(hole, np.where(mask > 127, 255, 0).astype(np.uint8))
        proc = subprocess.run(
            ["gmic", "-v", "-1", str(src), str(hole), *args, "o", str(out)],
            capture_output=True,
            text=True,
            timeout=GMIC_TIMEOUT_S,
            env={**os.environ, "OMP_NUM_THREADS": "1"},  # with ``srand 0``: the same pixels every run
        )
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"gmic failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
        return load_image(out).rgb


def available_peers() -> tuple[dict[str, Peer], dict[str, str]]:
    """(name -> peer for each installed peer, name -> why missing for the others)."""
    peers: dict[str, Peer] = {}
    missing: dict[str, str] = {}
    if shutil.which("gmic"):
        peers["gmic"] = Peer("gmic", " ".join(GMIC_ARGS), gmic_fill)
        peers["gmic-ms"] = Peer("gmic-ms", " ".join(GMIC_MS_ARGS), lambda img, m: gmic_fill(img, m, GMIC_MS_ARGS))
    else:
        for name in ("gmic", "gmic-ms"):
            missing[name] = "no `gmic` on PATH (Debian package gmic)"
    try:
        from patchmatch import patch_match  # type: ignore[import-not-found]

        def pypatchmatch_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
            patch_match.set_random_seed(0)
            return np.asarray(patch_match.inpaint(image, np.where(mask > 127, 255, 0).astype(np.uint8), patch_size=3))

        peers["pypatchmatch"] = Peer("pypatchmatch", "patch_size=3 seed=0", pypatchmatch_fill)
    except (ImportError, OSError) as exc:
        missing["pypatchmatch"] = f"not importable ({exc}); pip install pypatchmatch in another environment"
    return peers, missing


def cache_key(peer: Peer, image: np.ndarray, mask: np.ndarray) -> str:
    """Hex digest of the peer's name and settings, the image's and the binarised mask's bytes and shapes."""
    h = hashlib.sha256(f"{peer.name}|{peer.settings}|{image.shape}".encode())
    h.update(np.ascontiguousarray(image).tobytes())
    h.update(np.packbits(mask > 127).tobytes())
    return h.hexdigest()[:24]


def cached_fill(peer: Peer, image: np.ndarray, mask: np.ndarray, cache: Path) -> tuple[np.ndarray, float, bool]:
    """(composite uint8 H×W×3 RGB, seconds of the fill when it ran, came from the cache) of ``peer``
    on ``image``/``mask``; filled and stored under ``cache/<peer>/`` when not there yet."""
    folder = cache / peer.name
    key = cache_key(peer, image, mask)
    png, meta = folder / f"{key}.png", folder / f"{key}.json"
    hole = mask > 127
    if png.exists() and meta.exists():
        filled = load_image(png).rgb
        seconds = float(json.loads(meta.read_text())["seconds"])
        return np.where(hole[..., None], filled, image), seconds, True
    t0 = time.perf_counter()
    filled = peer.fill(image, mask)
    seconds = time.perf_counter() - t0
    if filled.shape != image.shape:
        raise RuntimeError(f"{peer.name} returned {filled.shape}, expected {image.shape}")
    out = np.where(hole[..., None], filled, image).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    save_image(png, out)
    meta.write_text(json.dumps({"seconds": seconds, "settings": peer.settings}))
    return out, seconds, False
