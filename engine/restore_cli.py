"""``inpaint restore``: find the scratches and dust of old photos and fill them, file or folder.

Detection is :func:`engine.damage.detect_damage` (the trained scratch & dust network when its
weights are installed, the classical top-hat detector otherwise — every result line says which);
the fill is :func:`engine.pipeline.inpaint` with the chosen engine (default Navier–Stokes: on thin
damage it is both the fastest and, in the model card's measurement, the most faithful fill) and the
editor's default options, so thin damage is filled at full resolution and large holes (tears) go
through the crop strategy, and through the texture stage with ``--texture``. User errors raise :class:`InpaintError`; ``engine.cli.main`` prints them as one
line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from engine.damage import detect_damage
from engine.errors import InpaintError
from engine.imageio import images_in, load_image, save_image, write_json
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import Engine, create_engine

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
    p.add_argument("--detector-weights", help="scratch detector weights file instead of the installed one")
    p.add_argument(
        "--no-line-check", dest="line_check", action="store_false",
        help="the network's detections as they are: skip the detector's check that drops picture lines "
        "(plank gaps, outlines, lines with an as strong parallel twin) and follows the long scratches it is sure of",
    )  # fmt: skip
    p.add_argument(
        "--texture", type=float, default=0.0, metavar="STRENGTH",
        help="texture stage on large holes (tears); thin scratches skip it (0 = off, default)",
    )  # fmt: skip
    p.add_argument("--device", default="cpu", help="device of the fill engine: cpu (default) or cuda")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--json", help="write a per-file report (detector, damage share, seconds) to this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_restore)
    return p


def _jobs(args: argparse.Namespace) -> list[tuple[Path, Path, Path | None]]:
    """(photo, output, mask output or None) per photo; validates the paths first."""
    image_arg = Path(args.image)
    if not image_arg.exists():
        raise InpaintError(f"image path {image_arg} does not exist")
    mask_arg = Path(args.mask_output) if args.mask_output else None
    if not image_arg.is_dir():
        if mask_arg is not None and mask_arg.is_dir():
            raise InpaintError(f"--mask-output {mask_arg} is a folder but --image is a single file; pass a file name")
        return [(image_arg, Path(args.output), mask_arg)]
    images, skipped = images_in(image_arg)
    if not images:
        raise InpaintError(f"no images (.jpg, .png, .tif, .webp, .bmp) in folder {image_arg}")
    for folder, what in ((Path(args.output), "--output"), (mask_arg, "--mask-output")):
        if folder is not None:
            if folder.exists() and not folder.is_dir():
                raise InpaintError(f"{what} {folder} must be a folder when --image is a folder")
            folder.mkdir(parents=True, exist_ok=True)
    for p in skipped:
        print(f"inpaint: skipped {p.name}: not an image file", file=sys.stderr)
    out = Path(args.output)
    return [(p, out / f"{p.stem}.png", mask_arg / f"{p.stem}_damage.png" if mask_arg else None) for p in images]


def restore_one(
    engine: Engine, src: Path, out: Path, mask_out: Path | None, args: argparse.Namespace
) -> dict[str, Any]:
    """Detect, fill and write one photo; returns its report entry."""
    loaded = load_image(src)
    found = detect_damage(
        loaded.rgb, args.sensitivity, method=args.detector, weights=args.detector_weights, verify=args.line_check
    )
    share = float(np.count_nonzero(found.mask)) / found.mask.size
    if share > 0:
        filled = inpaint(loaded.rgb, found.mask, engine, InpaintOptions(texture=args.texture))
        image, fill_seconds = filled.image, filled.seconds
    else:  # nothing to fill: the photo is written unchanged (still converted to the output format)
        image, fill_seconds = loaded.rgb, 0.0
    save_image(out, image, exif=loaded.exif, icc=loaded.icc, quality=args.quality)
    if mask_out is not None:
        save_image(mask_out, np.repeat(found.mask[..., None], 3, axis=2))
    return {
        "image": str(src),
        "output": str(out),
        "status": "ok",
        "detector": found.detector,
        "detector_note": found.note,
        "line_check": found.verified,
        "damage_fraction": round(share, 6),
        "detect_seconds": round(found.seconds, 4),
        "fill_seconds": round(fill_seconds, 4),
        "engine": engine.spec.name,
        **({"mask_output": str(mask_out)} if mask_out is not None else {}),
    }


def cmd_restore(args: argparse.Namespace) -> int:
    if not 0.0 <= args.sensitivity <= 1.0:
        raise InpaintError(f"--sensitivity {args.sensitivity} is outside 0..1")
    if args.detector_weights is not None and not Path(args.detector_weights).is_file():
        raise InpaintError(f"--detector-weights {args.detector_weights} is not a file")
    InpaintOptions(texture=args.texture).validate()
    jobs = _jobs(args)
    engine = create_engine(args.engine, device=args.device)
    report: list[dict[str, Any]] = []
    failures = 0
    bar = tqdm(jobs, desc="restore", unit="img", disable=len(jobs) == 1 or args.quiet)
    for src, out, mask_out in bar:
        try:
            entry = restore_one(engine, src, out, mask_out, args)
            if not args.quiet:
                tqdm.write(
                    f"inpaint: {src.name}: {entry['damage_fraction'] * 100:.2f} % marked as damage by the "
                    f"{entry['detector_note']} in {entry['detect_seconds']:.2f} s, filled with {engine.spec.name}"
                    f" -> {out}",
                    file=sys.stderr,
                )
        except InpaintError as exc:
            failures += 1
            entry = {"image": str(src), "status": "error", "error": str(exc)}
            tqdm.write(f"inpaint: error: {src.name}: {exc}", file=sys.stderr)
        report.append(entry)
    if args.json:
        write_json(Path(args.json), report)
    if not args.quiet and len(jobs) > 1:
        print(f"inpaint: restored {len(jobs) - failures} of {len(jobs)} photos", file=sys.stderr)
    return 2 if failures else 0
