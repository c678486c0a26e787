"""The real-material image set of ``benchmarks/fill_real.py``: photos, their sources, object masks.

Photos are 512×512 uint8 RGB crops of pictures the project never trained on (the training corpus
is the Debian wallpaper packages of ``training/corpus.py``): scikit-image's bundled samples,
OpenCV's sample pictures (Debian ``opencv-doc``, ``examples/data``) and the photo templates of
Tux Paint (Debian ``tuxpaint-data``, photos by Bill Kendrick). Every crop box was picked by hand
after looking at the picture and is recorded in :data:`SOURCES`, so ``build`` is reproducible.

Holes are object silhouettes: a pictogram of Debian ``fonts-noto-color-emoji`` (a person, an
animal, an object), its alpha > 0 taken as the shape, scaled so that the hole covers the bucket's
share of the photo after it is grown by 6–12 px as a user's brush stroke would be, interior holes
filled, placed inside the photo. :func:`place_object` does that for one silhouette and is pure;
:func:`object_mask` picks the pictogram per (image, bucket) from a seed derived from the names.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.imageio import load_image
from engine.metrics import mask_bucket

SIZE = 512
FONT_PATH = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
#: Noto Color Emoji is a bitmap font with one strike: Pillow renders it at this size only.
FONT_SIZE = 109
#: Mask file suffix -> (low, high] hole share after growing, and the label of engine.metrics.mask_bucket.
BUCKETS: dict[str, tuple[float, float, str]] = {
    "obj5-15": (0.05, 0.15, "object 5-15%"),
    "obj15-30": (0.15, 0.30, "object 15-30%"),
}
#: Brush growth in px, drawn per mask from this closed range.
GROW_PX = (6, 12)
#: A placed object keeps at least this many px from the photo's border.
BORDER_PX = 4
FAMILIES = ("texture", "structure")


@dataclass(frozen=True)
class Source:
    """One photo of the set: ``path`` inside the Debian package ``package`` (or, when ``package`` is
    "skimage", a file of ``skimage.data.data_dir``); ``box`` = (x0, y0, x1, y1), a square of the source
    picture, scaled to 512×512 (area filter when shrinking, cubic when growing)."""

    name: str
    family: str
    package: str
    path: str
    box: tuple[int, int, int, int]
    what: str
    licence: str


_SK = "scikit-image sample"
_TUX = "Tux Paint template photo, © Bill Kendrick, GPL-2+ (tuxpaint-data copyright)"
_CV = "OpenCV samples/data (opencv-doc; package licence Apache-2.0, picture provenance not stated): evaluation only"


def _sk(name: str, family: str, file: str, box: tuple[int, int, int, int], what: str, licence: str) -> Source:
    return Source(name, family, "skimage", file, box, what, f"{_SK}, {licence}")


def _tux(name: str, family: str, file: str, box: tuple[int, int, int, int], what: str) -> Source:
    return Source(name, family, "tuxpaint-data", f"usr/share/tuxpaint/templates/{file}", box, what, _TUX)


def _cv(name: str, family: str, file: str, box: tuple[int, int, int, int], what: str) -> Source:
    return Source(name, family, "opencv-doc", f"usr/share/doc/opencv-doc/examples/data/{file}", box, what, _CV)


_T, _S = "texture", "structure"
SOURCES: tuple[Source, ...] = (
    # --- texture backgrounds: the everyday removal, patch methods' home ground
    _sk("sk-grass", _T, "grass.png", (0, 0, 512, 512), "grass (grey)", "CC0"),
    _sk("sk-gravel", _T, "gravel.png", (0, 0, 512, 512), "gravel (grey)", "CC0"),
    _sk("sk-brick", _T, "brick.png", (0, 0, 512, 512), "brick wall (grey)", "CC0"),
    _tux("tux-burnt-bark", _T, "burnt_bark.jpg", (161, 0, 799, 638), "bark"),
    _tux("tux-moss", _T, "mossy_log.jpg", (380, 200, 818, 638), "moss on a log"),
    _tux("tux-mudstone", _T, "mudstone.jpg", (200, 63, 712, 575), "mudstone, sand"),
    _tux("tux-pebbles", _T, "rocks.jpg", (350, 100, 1050, 800), "pebble beach"),
    _tux("tux-cliff", _T, "cliff.jpg", (450, 320, 962, 832), "rock face, bushes"),
    _tux("tux-splash", _T, "ocean_splash.jpg", (161, 0, 799, 638), "water spray"),
    _tux("tux-waves", _T, "ocean_waves.jpg", (400, 126, 912, 638), "breaking waves, foam"),
    _tux("tux-corn", _T, "corn_maze.jpg", (0, 0, 680, 680), "maize leaves"),
    _tux("tux-foliage", _T, "redwoods_above.jpg", (560, 180, 960, 580), "tree foliage"),
    _cv("cv-fabric", _T, "aloeL.jpg", (48, 0, 528, 480), "patterned cloth"),
    # --- structured scenes: edges, objects, perspective
    _sk("sk-astronaut", _S, "astronaut.png", (0, 0, 512, 512), "portrait, flag", "NASA, public domain"),
    _sk("sk-coffee", _S, "coffee.png", (100, 0, 500, 400), "cup on a table", "CC0 (Rachel Michetti)"),
    _sk("sk-rocket", _S, "rocket.jpg", (106, 0, 533, 427), "launch pad", "SpaceX, public domain"),
    _sk("sk-motorcycle", _S, "motorcycle_left.png", (120, 0, 620, 500), "motorcycle, workshop", "Middlebury 2014"),
    _cv("cv-fruits", _S, "fruits.jpg", (16, 0, 496, 480), "cut fruit"),
    _cv("cv-building", _S, "building.jpg", (134, 0, 734, 600), "hotel facade, lawn"),
    _cv("cv-baboon", _S, "baboon.jpg", (0, 0, 512, 512), "mandrill face, fur"),
    _cv("cv-board", _S, "board.jpg", (80, 0, 560, 480), "circuit board"),
    _cv("cv-leuven", _S, "leuvenA.jpg", (94, 0, 657, 563), "brick houses, cobbles"),
    _tux("tux-lighthouse", _S, "lighthouse.jpg", (0, 180, 638, 818), "lighthouse, railing, bricks"),
)

#: Pictograms whose silhouettes are the holes: people, animals, things one removes from a photo.
EMOJI: tuple[tuple[str, str], ...] = (
    ("\U0001f6b6", "person walking"),
    ("\U0001f9cd", "person standing"),
    ("\U0001f3c3", "person running"),
    ("\U0001f415", "dog"),
    ("\U0001f408", "cat"),
    ("\U0001f404", "cow"),
    ("\U0001f40e", "horse"),
    ("\U0001f98c", "deer"),
    ("\U0001f426", "bird"),
    ("\U0001f986", "duck"),
    ("\U0001f43f", "chipmunk"),
    ("\U0001f411", "sheep"),
    ("\U0001f413", "rooster"),
    ("\U0001f9a2", "swan"),
    ("\U0001f418", "elephant"),
    ("\U0001f407", "rabbit"),
    ("\U0001f422", "turtle"),
    ("\U0001f994", "hedgehog"),
    ("\U0001f6b2", "bicycle"),
    ("\U0001fa91", "chair"),
    ("\U0001f5d1", "wastebasket"),
    ("\U0001f9f8", "teddy bear"),
    ("\U0001faa3", "bucket"),
    ("\U0001f392", "backpack"),
    ("\U0001f302", "closed umbrella"),
    ("\U0001f68f", "bus stop"),
    ("\U0001f9ef", "fire extinguisher"),
    ("\U0001f9f3", "suitcase"),
    ("\U0001faa8", "rock"),
    ("\U0001fab5", "log"),
    ("\U0001f6f6", "canoe"),
    ("\U0001f3cd", "motorcycle"),
    ("\U0001f69c", "tractor"),
    ("\U0001f333", "tree"),
    ("\U0001f335", "cactus"),
    ("\U0001f3fa", "amphora"),
    ("\U000026c4", "snowman"),
    ("\U0001fab4", "potted plant"),
)

#: The boats plank of resources/samples/boats.jpg (2048×1280): polygon in full-resolution px, grown by 12 px.
PLANK_POLYGON = ((592, 744), (642, 738), (672, 980), (594, 990))
PLANK_GROW_PX = 12


# ---------------------------------------------------------------------------------------------
# masks


@functools.cache
def silhouette(char: str) -> np.ndarray:
    """The pictogram ``char`` rendered at the font's strike: bool H×W, True where alpha > 0, cropped
    to its bounding box. Raises FileNotFoundError without fonts-noto-color-emoji."""
    font = ImageFont.truetype(str(FONT_PATH), FONT_SIZE)
    canvas = Image.new("RGBA", (FONT_SIZE * 2, FONT_SIZE * 2), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((FONT_SIZE // 4, FONT_SIZE // 4), char, font=font, embedded_color=True)
    alpha = np.asarray(canvas)[..., 3] > 0
    ys, xs = np.nonzero(alpha)
    if ys.size == 0:
        raise ValueError(f"pictogram U+{ord(char[0]):04X} renders empty")
    return alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy()


def _fill_holes(blob: np.ndarray) -> np.ndarray:
    """uint8 H×W {0,1} with every background region not connected to the border set to 1."""
    padded = np.pad(blob, 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    return (padded | (1 - flood))[1:-1, 1:-1]


def _grown(shape: np.ndarray, scale: float, grow: int) -> np.ndarray:
    """``shape`` (bool) scaled by ``scale`` (bilinear, threshold ½), grown by ``grow`` px (disc) and
    with interior holes filled: uint8 {0,1}, padded by ``grow`` on every side."""
    h, w = shape.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    scaled = (cv2.resize(shape.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) >= 0.5).astype(np.uint8)
    scaled = np.pad(scaled, grow)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    return _fill_holes(cv2.dilate(scaled, disc))


def place_object(
    shape: np.ndarray, size: int, low: float, high: float, seed: int, grow_px: tuple[int, int] = GROW_PX
) -> np.ndarray | None:
    """A ``size``×``size`` uint8 mask (255 = hole) of ``shape`` (bool H×W silhouette), mirrored or not,
    scaled so that after growing by r ∈ ``grow_px`` px its area is a share of the image drawn from the
    middle 60 % of (``low``, ``high``], placed at a random spot ≥ :data:`BORDER_PX` from the border.
    Everything is drawn from ``seed``; None when the grown shape does not fit the image. Pure, ~15 ms."""
    rng = np.random.default_rng(seed)
    span = high - low
    target = float(rng.uniform(low + 0.2 * span, high - 0.2 * span)) * size * size
    grow = int(rng.integers(grow_px[0], grow_px[1] + 1))
    if rng.random() < 0.5:
        shape = shape[:, ::-1]
    lo, hi = 0.05, 20.0
    for _ in range(24):  # area grows monotonically with the scale: bisect on it
        mid = (lo * hi) ** 0.5
        if np.count_nonzero(_grown(shape, mid, grow)) < target:
            lo = mid
        else:
            hi = mid
    blob = _grown(shape, hi, grow)
    ys, xs = np.nonzero(blob)
    blob = blob[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    bh, bw = blob.shape
    room_y, room_x = size - bh - 2 * BORDER_PX, size - bw - 2 * BORDER_PX
    if room_y < 0 or room_x < 0:
        return None
    y0 = BORDER_PX + int(rng.integers(0, room_y + 1))
    x0 = BORDER_PX + int(rng.integers(0, room_x + 1))
    mask = np.zeros((size, size), np.uint8)
    mask[y0 : y0 + bh, x0 : x0 + bw] = blob * np.uint8(255)
    return mask


def mask_seed(image_name: str, bucket: str) -> int:
    """Stable seed of one (image, bucket) mask."""
    return zlib.crc32(f"{image_name}/{bucket}".encode())


def object_mask(image_name: str, bucket: str, size: int = SIZE) -> tuple[np.ndarray, str]:
    """(uint8 size×size mask, 255 = hole; pictogram label) for ``image_name`` and a key of :data:`BUCKETS`.

    Pictograms are tried in an order drawn from :func:`mask_seed` until one gives a mask that
    :func:`engine.metrics.mask_bucket` puts in the bucket (one blob filling ≥ 60 % of its hull)."""
    low, high, label = BUCKETS[bucket]
    seed = mask_seed(image_name, bucket)
    for i in np.random.default_rng(seed).permutation(len(EMOJI)):
        char, what = EMOJI[int(i)]
        mask = place_object(silhouette(char), size, low, high, seed + int(i))
        if mask is not None and mask_bucket(mask) == label:
            return mask, what
    raise RuntimeError(f"no pictogram gives a {label} mask for {image_name}")


def plank_mask(height: int = 1280, width: int = 2048) -> np.ndarray:
    """uint8 height×width mask (255 = hole) of the boats plank: :data:`PLANK_POLYGON` grown by 12 px."""
    mask = np.zeros((height, width), np.uint8)
    cv2.fillPoly(mask, [np.array(PLANK_POLYGON, np.int32)], 255)
    g = PLANK_GROW_PX
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1)))


# ---------------------------------------------------------------------------------------------
# photos


def crop_square(rgb: np.ndarray, box: tuple[int, int, int, int], size: int = SIZE) -> np.ndarray:
    """uint8 size×size×3 RGB: ``rgb[y0:y1, x0:x1]`` (uint8 H×W×3) scaled to ``size``."""
    x0, y0, x1, y1 = box
    if x1 - x0 != y1 - y0 or x0 < 0 or y0 < 0 or y1 > rgb.shape[0] or x1 > rgb.shape[1]:
        raise ValueError(f"box {box} is not a square inside the {rgb.shape[1]}×{rgb.shape[0]} picture")
    part = rgb[y0:y1, x0:x1]
    if part.shape[0] == size:
        return np.ascontiguousarray(part)
    interp = cv2.INTER_AREA if part.shape[0] > size else cv2.INTER_CUBIC
    return cv2.resize(part, (size, size), interpolation=interp)


def fetch_packages(packages: list[str], debs: Path, members: dict[str, list[str]], root: Path) -> dict[str, str]:
    """``apt-get download`` each package into ``debs`` unless a ``<package>_*.deb`` is already there,
    and extract only ``members[package]`` (paths inside the package) under ``root/<package>``.
    Returns package -> .deb file name (its version). Raises RuntimeError naming what failed."""
    debs.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    for package in packages:
        have = sorted(debs.glob(f"{package}_*.deb"))
        if not have:
            proc = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True, text=True)
            have = sorted(debs.glob(f"{package}_*.deb"))
            if proc.returncode != 0 or not have:
                raise RuntimeError(
                    f"apt-get download {package} failed ({proc.stderr.strip()[:200]}); run `apt-get update` first"
                )
        target = root / package
        target.mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(have[-1])], stdout=subprocess.PIPE)
        wanted = [f"./{m}" for m in members[package]]
        subprocess.run(["tar", "-x", "-C", str(target), *wanted], stdin=tar.stdout, check=True)
        if tar.wait() != 0:
            raise RuntimeError(f"dpkg-deb could not read {have[-1]}")
        found[package] = have[-1].name
    return found


def build(out: Path, debs: Path | None = None) -> list[dict[str, object]]:
    """Write the set under ``out``: ``<family>/images/<name>.png`` (uint8 512×512 RGB),
    ``<family>/masks/<name>-<bucket>.png`` and, so that ``inpaint eval`` pairs them by stem,
    ``<family>/masks-<bucket>/<name>.png`` (uint8, 255 = hole), ``boats-plank.png`` (the plank mask of
    the boats sample) and ``manifest.json``. Returns the manifest rows."""
    import skimage.data

    from engine.imageio import save_image, write_json

    packages = sorted({s.package for s in SOURCES if s.package != "skimage"})
    members = {p: sorted({s.path for s in SOURCES if s.package == p}) for p in packages}
    members["tuxpaint-data"] = [*members.get("tuxpaint-data", []), "usr/share/doc/tuxpaint-data/copyright"]
    members["opencv-doc"] = [*members.get("opencv-doc", []), "usr/share/doc/opencv-doc/copyright"]
    work = Path(tempfile.mkdtemp(prefix="realfill-"))
    try:
        versions = fetch_packages(packages, debs or work / "debs", members, work / "x")
        rows: list[dict[str, object]] = []
        for src in SOURCES:
            if src.package == "skimage":
                path = Path(skimage.data.data_dir) / src.path
                origin = f"skimage {skimage.__version__}: {src.path}"
            else:
                path = work / "x" / src.package / src.path
                origin = f"{unquote(versions[src.package])}: /{src.path}"
            rgb = crop_square(load_image(path).rgb, src.box)
            folder = out / src.family
            (folder / "images").mkdir(parents=True, exist_ok=True)
            save_image(folder / "images" / f"{src.name}.png", rgb)
            shapes: dict[str, str] = {}
            for bucket in BUCKETS:
                mask, what = object_mask(src.name, bucket)
                for sub, stem in (("masks", f"{src.name}-{bucket}"), (f"masks-{bucket}", src.name)):
                    (folder / sub).mkdir(parents=True, exist_ok=True)
                    save_image(folder / sub / f"{stem}.png", mask)
                shapes[bucket] = f"{what} ({100 * np.count_nonzero(mask) / mask.size:.1f} %)"
            rows.append({**src.__dict__, "box": list(src.box), "origin": origin, "masks": shapes})
        out.mkdir(parents=True, exist_ok=True)
        save_image(out / "boats-plank.png", plank_mask())
        for package in packages:
            copyright_file = work / "x" / package / "usr/share/doc" / package / "copyright"
            shutil.copyfile(copyright_file, out / f"copyright-{package}.txt")
        write_json(out / "manifest.json", {"size": SIZE, "images": rows})
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)
