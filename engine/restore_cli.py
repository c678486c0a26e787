"""``inpaint restore``: find the scratches and dust of old photos and fill them, file or folder.

Detection is :func:`engine.damage.detect_damage` (the trained damage detector network when its
weights are installed, the classical top-hat detector otherwise — every result line says which);
the fill is :func:`engine.pipeline.inpaint` with the chosen engine (default Navier–Stokes: on thin
damage it is both the fastest and, in the model card's measurement, the most faithful fill) and the
editor's default options, so thin damage is filled at full resolution and large holes (tears) go
through the crop strategy, and through the texture stage with ``--texture``. User errors raise :class:`InpaintError`; ``engine.cli.main`` prints them as one
line and exits 2. Paths, the ``--json`` file and the detector weights are checked before the first
photo; a restored photo keeps its format, bit depth, alpha and metadata, and never replaces its
original unless ``--overwrite``.

``--hint MASK`` (one photo): a mask painted roughly along scratches the automatic pass missed (white =
a band 10–40 px wide); the damage pixels inside the band (:func:`engine.damage_hint.damage_for_hint`)
are added to the detection, or with ``--hint-only`` are all that is filled.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from engine.errors import InpaintError, one_line
from engine.imageio import (
    check_writable_file,
    check_writable_folder,
    format_for,
    images_in,
    load_image,
    load_mask,
    save_image,
    save_result,
    write_json,
)
from engine.outputs import add_file_args, add_quality_arg, folder_outputs, refuse_overwrites, unique_keys
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import Engine, create_engine

if TYPE_CHECKING:
    from engine.damage import DamageResult

DETECTORS = ("auto", "network", "classical")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``restore`` on the ``inpaint`` sub-command parser ``sub``."""
    p = sub.add_parser("restore", help="detect scratches & dust on old photos and fill them (file or folder)")
    p.add_argument("--image", required=True, help="old photo, or a folder of them")
    p.add_argument("--output", required=True, help="restored photo, or a folder when --image is a folder")
    p.add_argument("--mask-output", help="also write the damage mask (255 = filled); a folder for a folder")
    p.add_argument("--engine", default="ns", help="engine that fills the damage (default ns; see `inpaint models`)")
    p.add_argument("--sensitivity", type=float, default=0.5, help="0 = only obvious damage … 1 = faint too (0.5)")
    p.add_argument(
        "--detector", choices=DETECTORS, default="auto", help="auto (network if installed), network, classical"
    )
    p.add_argument("--detector-weights", help="damage detector weights file instead of the installed one")
    p.add_argument(
        "--no-line-check",
        dest="line_check",
        action="store_false",
        help=argparse.SUPPRESS,  # removed in issue #39: accepted so old scripts run, with a notice
    )
    p.add_argument(
        "--texture", type=float, default=0.0, metavar="STRENGTH",
        help="texture stage on large holes (tears); thin scratches skip it (0 = off, default)",
    )  # fmt: skip
    p.add_argument(
        "--hint", metavar="MASK",
        help="mask painted roughly along scratches the detection missed (white = a band 10-40 px wide, "
        "same size as the photo; one photo only): the damage inside the band is filled too",
    )  # fmt: skip
    p.add_argument(
        "--hint-only", action="store_true",
        help="with --hint: fill only the damage inside the hint's band (no automatic detection elsewhere)",
    )  # fmt: skip
    p.add_argument("--device", default="cpu", help="device of the fill engine: cpu (default) or cuda")
    add_quality_arg(p)
    add_file_args(p)
    p.add_argument("--json", help="write a per-file report (detector, damage share, seconds) to this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_restore)
    return p


def _jobs(args: argparse.Namespace) -> list[tuple[Path, Path, Path | None]]:
    """(photo, output, mask output or None) per photo; validates the paths and tries the folders
    for writing first, and refuses outputs that are inputs (see :func:`engine.outputs.refuse_overwrites`)."""
    image_arg = Path(args.image)
    if not image_arg.exists():
        raise InpaintError(f"image path {image_arg} does not exist")
    mask_arg = Path(args.mask_output) if args.mask_output else None
    said: list[str] = []
    if not image_arg.is_dir():
        if mask_arg is not None and mask_arg.is_dir():
            raise InpaintError(f"--mask-output {mask_arg} is a folder but --image is a single file; pass a file name")
        jobs = [(image_arg, Path(args.output), mask_arg)]
        for path, what in ((Path(args.output), "--output"), (mask_arg, "--mask-output")):
            if path is not None:
                check_writable_file(path, what)
                format_for(path)
    else:
        images, skipped = images_in(image_arg)
        if not images:
            raise InpaintError(f"no images (.jpg, .png, .tif, .webp, .avif, .heic, .bmp) in folder {image_arg}")
        for folder, what in ((Path(args.output), "--output"), (mask_arg, "--mask-output")):
            if folder is not None:
                if folder.exists() and not folder.is_dir():
                    raise InpaintError(f"{what} {folder} must be a folder when --image is a folder")
                check_writable_folder(folder, what)
        outs, notes = folder_outputs(images, Path(args.output))
        keys = unique_keys(images)[0]
        said = [f"skipped {p.name}: not an image file" for p in skipped] + notes
        masks = [mask_arg / f"{key}_damage.png" if mask_arg else None for key in keys]
        jobs = list(zip(images, outs, masks, strict=True))
    outputs = [(out, "--output") for _, out, _ in jobs] + [(m, "--mask-output") for *_, m in jobs if m is not None]
    json_path = Path(args.json) if args.json else None
    if json_path is not None:
        outputs.append((json_path, "--json"))
        check_writable_file(json_path, "--json")  # before the batch, not after it
    inputs = [(src, "--image") for src, _, _ in jobs] + ([(Path(args.hint), "--hint")] if args.hint else [])
    refuse_overwrites(outputs, inputs, args.overwrite)
    for line in said:
        print(f"inpaint: {line}", file=sys.stderr)
    return jobs


def _check_hint(args: argparse.Namespace) -> None:
    """``--hint`` names a file and goes with one photo; ``--hint-only`` needs ``--hint``."""
    if args.hint_only and not args.hint:
        raise InpaintError("--hint-only needs --hint MASK (the band painted along the scratches)")
    if args.hint is None:
        return
    if not Path(args.hint).is_file():
        raise InpaintError(f"--hint {args.hint} is not a file")
    if Path(args.image).is_dir():
        raise InpaintError("--hint goes with one photo: --image is a folder; pass the photo the hint was painted on")


def _find(rgb: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, DamageResult | None]:
    """(damage mask uint8 H×W 255/0, the detection or None): the automatic detection of ``rgb``
    (uint8 H×W×3 RGB) with the ``--hint`` band's damage added, or (``--hint-only``) that alone."""
    # Imported here: the detector pulls in scikit-image (~0.4 s), which `inpaint run` never needs.
    from engine.damage import detect_damage, network_weights
    from engine.damage_hint import damage_for_hint

    hint = None
    if args.hint is not None:
        hint = load_mask(args.hint, max_pixels=args.max_pixels)
        if hint.shape != rgb.shape[:2]:
            raise InpaintError(
                f"--hint {args.hint} is {hint.shape[1]}×{hint.shape[0]} but the photo is {rgb.shape[1]}×{rgb.shape[0]}; "
                "paint the hint on this photo at its own size"
            )
    found = None
    if not args.hint_only:
        found = detect_damage(rgb, args.sensitivity, method=args.detector, weights=args.detector_weights)
        if hint is None:
            return found.mask, found
    assert hint is not None
    weights = None
    if found is None and args.detector != "classical":
        weights = Path(args.detector_weights) if args.detector_weights else network_weights()
    hinted = damage_for_hint(rgb, hint, found, weights)
    return (hinted if found is None else np.maximum(found.mask, hinted)), found


def _check_detector(args: argparse.Namespace) -> None:
    """Build the detector once on a small grey picture before the first photo, so a weights file
    whose metadata does not fit the network is one error line before any work, not a traceback."""
    from engine.damage import detect_damage

    if args.detector == "classical":
        return
    try:
        detect_damage(np.full((64, 64, 3), 128, np.uint8), 0.5, method=args.detector, weights=args.detector_weights)
    except (InpaintError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:
        source = args.detector_weights or "the installed damage detector weights"
        detail = str(exc).splitlines()[0] if str(exc) else "no detail"
        raise InpaintError(
            f"{source} cannot build the scratch detector: its width/config metadata does not fit the network "
            f"({type(exc).__name__}: {detail}); re-export it"
        ) from None


@dataclass(frozen=True)
class Restored:
    """One photo through ``inpaint restore``: image (uint8 H×W×3 RGB, the photo with its damage
    filled), mask (uint8 H×W, 255 = filled), found (the detection; None with ``--hint-only``) and the
    seconds detection and fill took."""

    image: np.ndarray
    mask: np.ndarray
    found: DamageResult | None
    detect_seconds: float
    fill_seconds: float


def restore_args(extra: list[str] | None = None) -> argparse.Namespace:
    """The ``inpaint restore`` options as the command line would parse them (the defaults, plus
    ``extra`` such as ``["--sensitivity", "0.7"]``), for :func:`restore_rgb` outside the command."""
    parser = argparse.ArgumentParser(prog="inpaint")
    add_parser(parser.add_subparsers())
    return parser.parse_args(["restore", "--image", "-", "--output", "-", *(extra or [])])


def restore_rgb(rgb: np.ndarray, engine: Engine, args: argparse.Namespace) -> Restored:
    """Detect and fill the damage of ``rgb`` (uint8 H×W×3 RGB) as ``inpaint restore`` does with
    ``args`` (:func:`restore_args`); the benchmarks call this, so they measure the shipped pipeline."""
    t0 = time.perf_counter()
    mask, found = _find(rgb, args)
    detect_seconds = time.perf_counter() - t0
    if mask.any():
        filled = inpaint(rgb, mask, engine, InpaintOptions(texture=args.texture))
        return Restored(filled.image, mask, found, detect_seconds, filled.seconds)
    return Restored(rgb, mask, found, detect_seconds, 0.0)  # nothing to fill: the photo unchanged


def restore_one(
    engine: Engine, src: Path, out: Path, mask_out: Path | None, args: argparse.Namespace
) -> dict[str, Any]:
    """Detect, fill and write one photo; returns its report entry."""
    loaded = load_image(src, max_pixels=args.max_pixels)
    done = restore_rgb(loaded.rgb, engine, args)
    mask, found, image = done.mask, done.found, done.image
    detect_seconds, fill_seconds = done.detect_seconds, done.fill_seconds
    share = float(np.count_nonzero(mask)) / mask.size
    notes = save_result(out, loaded, image, args.quality)[1]
    if mask_out is not None:
        save_image(mask_out, np.repeat(mask[..., None], 3, axis=2))
    note = "scratch hint only" if found is None else found.note + (" and the scratch hint" if args.hint else "")
    return {
        "image": str(src),
        "output": str(out),
        "status": "ok",
        "detector": "hint" if found is None else found.detector,
        "detector_note": note,
        "damage_fraction": round(share, 6),
        "detect_seconds": round(detect_seconds, 4),
        "fill_seconds": round(fill_seconds, 4),
        "engine": engine.spec.name,
        **({"mask_output": str(mask_out)} if mask_out is not None else {}),
        **({"note": "; ".join(n for n in (loaded.note, *notes) if n)} if loaded.note or notes else {}),
    }


def cmd_restore(args: argparse.Namespace) -> int:
    if not 0.0 <= args.sensitivity <= 1.0:
        raise InpaintError(f"--sensitivity {args.sensitivity} is outside 0..1")
    if args.detector_weights is not None and not Path(args.detector_weights).is_file():
        raise InpaintError(f"--detector-weights {args.detector_weights} is not a file")
    InpaintOptions(texture=args.texture).validate()
    _check_hint(args)
    if not args.line_check and not args.quiet:
        print("inpaint: note: --no-line-check no longer does anything: the detector has no line check since issue #39 "
              "(use --sensitivity to mark more or less)", file=sys.stderr)  # fmt: skip
    jobs = _jobs(args)
    engine = create_engine(args.engine, device=args.device)
    _check_detector(args)
    report: list[dict[str, Any]] = []
    failures = 0
    bar = tqdm(jobs, desc="restore", unit="img", disable=len(jobs) == 1 or args.quiet)
    for src, out, mask_out in bar:
        try:
            entry = restore_one(engine, src, out, mask_out, args)
            if not args.quiet:
                done = (
                    f"filled with {engine.spec.name}"
                    if entry["damage_fraction"] > 0
                    else "nothing to fill, written unchanged"
                )
                tqdm.write(
                    f"inpaint: {src.name}: {entry['damage_fraction'] * 100:.2f} % marked as damage by the "
                    f"{entry['detector_note']} in {entry['detect_seconds']:.2f} s, {done} -> {out}",
                    file=sys.stderr,
                )
                if entry.get("note"):
                    tqdm.write(f"inpaint: {src.name}: {entry['note']}", file=sys.stderr)
        except InpaintError as exc:
            failures += 1
            entry = {"image": str(src), "status": "error", "error": one_line(exc)}
            tqdm.write(f"inpaint: error: {src.name}: {one_line(exc)}", file=sys.stderr)
        report.append(entry)
    if args.json:
        write_json(Path(args.json), report)
    if not args.quiet and len(jobs) > 1:
        print(f"inpaint: restored {len(jobs) - failures} of {len(jobs)} photos", file=sys.stderr)
    return 2 if failures else 0
