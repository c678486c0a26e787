"""Where the command line writes, checked before any work: never over an input, never two results
on one file, only into folders that can be written; and the value checks its options share.

Every check raises :class:`InpaintError` with one line naming the option and the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from engine.errors import InpaintError
from engine.imagesave import FORMATS

#: Seeds are 32-bit unsigned: what every random generator of the engines accepts.
MAX_SEED = 2**32 - 1


def file_key(path: Path) -> tuple[object, ...]:
    """What makes two names one file: (device, inode) for an existing file (hard and symbolic links
    included), else the absolute path."""
    try:
        st = path.stat()
    except OSError:
        return ("path", str(path.resolve()))
    return ("inode", st.st_dev, st.st_ino)


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (see :func:`file_key`)."""
    return file_key(a) == file_key(b)


def refuse_overwrites(
    outputs: Sequence[tuple[Path, str]], inputs: Iterable[tuple[Path | None, str]], overwrite: bool
) -> None:
    """Refuse an output that is an input (unless ``overwrite``) or another output (always).

    ``outputs``/``inputs``: (path, what the user called it, e.g. "--output"); None inputs are skipped.
    One stat per path, so a folder of thousands of photos is checked at once.
    """
    seen: dict[tuple[object, ...], tuple[Path, str]] = {}
    for out, what in outputs:
        key = file_key(out)
        if key in seen:
            other_what = seen[key][1]
            raise InpaintError(f"{other_what} and {what} are the same file {out}; one would replace the other")
        seen[key] = (out, what)
    if overwrite:
        return
    for src, src_what in inputs:
        if src is None:
            continue
        hit = seen.get(file_key(src))
        if hit is not None:
            raise InpaintError(
                f"{hit[1]} {hit[0]} is the {src_what} itself; choose another file, or pass --overwrite to replace it"
            )


def output_suffix(src: Path) -> str:
    """The suffix a result of ``src`` keeps in a folder run: its own, or .png where the format
    cannot be written (GIF)."""
    return src.suffix if src.suffix.lower() in FORMATS else ".png"


def unique_keys(images: Sequence[Path]) -> tuple[list[str], list[str]]:
    """(one file stem per image, notes): the image's stem, or ``stem-ext`` where two images share
    a stem (``x.jpg`` and ``x.tif`` -> ``x-jpg``, ``x-tif``), so that their results never collide."""
    counts: dict[str, int] = {}
    for p in images:
        counts[p.stem.lower()] = counts.get(p.stem.lower(), 0) + 1
    keys = [f"{p.stem}-{p.suffix.lstrip('.').lower()}" if counts[p.stem.lower()] > 1 else p.stem for p in images]
    clashes: dict[str, list[str]] = {}
    for p in images:
        if counts[p.stem.lower()] > 1:
            clashes.setdefault(p.stem.lower(), []).append(p.name)
    notes = [
        f"{' and '.join(names)} share a name: their results are suffixed with the format" for names in clashes.values()
    ]
    return keys, notes


def folder_outputs(images: Sequence[Path], out_dir: Path) -> tuple[list[Path], list[str]]:
    """(output path per image, notes) of a folder run: each result keeps its image's format and
    name, two results never share a file (see :func:`unique_keys`), and a format that cannot be
    written (GIF) becomes PNG — each of these said in a note."""
    keys, notes = unique_keys(images)
    outs = [out_dir / f"{key}{output_suffix(p)}" for key, p in zip(keys, images, strict=True)]
    taken = {out.name.lower() for out, p in zip(outs, images, strict=True) if out.suffix == p.suffix}
    for i, p in enumerate(images):
        out = outs[i]
        if out.suffix == p.suffix:
            continue
        if out.name.lower() in taken:  # x.gif -> x.png beside a real x.png: that one keeps its name
            out = outs[i] = out.with_name(f"{out.stem}-{p.suffix.lstrip('.').lower()}{out.suffix}")
        taken.add(out.name.lower())
        notes.append(f"{p.name} is written as {out.name} ({p.suffix.lstrip('.').upper()} cannot be written)")
    return outs, notes


def quality_arg(text: str) -> int | None:
    """``--quality``: "keep" (None: the source JPEG's own tables, lossless stays lossless) or 1–100."""
    if text.strip().lower() == "keep":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be keep or a number from 1 to 100, not {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be keep or a number from 1 to 100, not {value}")
    return value


def seed_arg(text: str) -> int:
    """``--seed``: an integer from 0 to :data:`MAX_SEED`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_SEED}, not {value}")
    return value


def int_arg(low: int = 1, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``low`` to ``high`` (None: no upper bound)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {value}")
        return value

    return parse


def add_file_args(p: argparse.ArgumentParser) -> None:
    """``--max-pixels`` and ``--overwrite``: options of the commands that read photos and write files."""
    p.add_argument(
        "--max-pixels", type=int_arg(), default=None, metavar="N",
        help="open images of up to N pixels (default: Pillow's guard against decompression bombs, ~89 MP); "
        "raise it for large camera files you trust",
    )  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="allow an output to replace an input file")


def add_quality_arg(p: argparse.ArgumentParser) -> None:
    """``--quality keep|1-100`` (default keep)."""
    p.add_argument(
        "--quality", type=quality_arg, default=None, metavar="keep|1-100",
        help="JPEG/WebP/AVIF/HEIC quality; keep (default) = a JPEG keeps its own quantization tables and "
        "chroma subsampling, lossless WebP stays lossless, other lossy outputs get 90-95",
    )  # fmt: skip
