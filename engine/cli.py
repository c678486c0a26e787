"""``inpaint``: run, compare, eval, restore (engine/restore_cli.py), select (engine/select_cli.py) and models from the command line.

Errors a user can cause print one line ``inpaint: error: ...`` and exit with code 2 — bad option
values included (argparse's usage block is left out) — checked before any work where they can be:
output folders and the ``--json`` file are tried for writing first, and an output that is an input
(or another output) is refused unless ``--overwrite``. No traceback, and no partially written
output (every write is temp file + rename). Results keep their input's format, bit depth, alpha
and metadata (:func:`engine.imageio.save_result`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from engine.alphamaps import check_writable, write_alpha_maps
from engine.console import package_version, quiet_on_closed_pipe
from engine.errors import InpaintError, one_line
from engine.imageio import (
    PNG_FAST,
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
from engine.outputs import (
    MAX_SEED,
    add_file_args,
    add_quality_arg,
    folder_outputs,
    int_arg,
    refuse_overwrites,
    seed_arg,
)
from engine.pipeline import MAX_VARIATIONS, STRATEGIES, InpaintOptions, inpaint, seed_matters, variation_seeds
from engine.registry import CAP_ALPHA_MAPS, Engine, create_engine, get_spec, list_specs
from engine.restore_cli import add_parser as add_restore_parser
from engine.select_cli import add_parser as add_select_parser

EXIT_USER_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line ``inpaint: error: ...`` (exit 2) like every other user
    error, instead of the usage block followed by the message."""

    def error(self, message: str) -> Any:  # argparse declares NoReturn
        self.exit(EXIT_USER_ERROR, f"inpaint: error: {message} (see {self.prog} --help)\n")


def _parse_options(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InpaintError(f"--option {pair!r} must look like NAME=VALUE (e.g. radius=5)")
        out[key.strip()] = value.strip()
    return out


def _options(args: argparse.Namespace) -> InpaintOptions:
    return InpaintOptions(
        strategy=args.strategy,
        margin=args.margin,
        resize_limit=args.resize_limit,
        feather=args.feather,
        texture=args.texture,
        seed=args.seed,
        engine_options=_parse_options(args.option),
    )


def _engine(name: str, device: str, weights: str | None) -> Engine:
    """Build an engine; weights whose metadata does not fit the network (a bad width or config)
    become one :class:`InpaintError` line naming the file instead of a traceback."""
    try:
        return create_engine(name, device=device, weights=weights)
    except (InpaintError, KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:
        source = f"weights file {weights}" if weights else f"the installed weights of {name}"
        raise InpaintError(
            f"{source} cannot build engine {name}: its width/config metadata does not fit the network "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}); re-export it"
        ) from None


def _load_exclude(path: Path, size: tuple[int, int], resize: bool) -> np.ndarray:
    """The ``--exclude`` mask for an image of ``size`` (w, h): the same rules as ``--mask``."""
    try:
        return load_mask(path, size=size, resize=resize)
    except InpaintError as exc:
        raise InpaintError(f"--exclude: {exc}") from None


def variation_path(path: Path, k: int) -> Path:
    """Where variation ``k`` (from 1) of a result meant for ``path`` goes: ``out.png`` -> ``out-v2.png``."""
    return path.with_name(f"{path.stem}-v{k}{path.suffix}")


# ----------------------------------------------------------------------------------------- run
def cmd_run(args: argparse.Namespace) -> int:
    image_arg, mask_arg = Path(args.image), Path(args.mask)
    exclude_arg = Path(args.exclude) if args.exclude else None
    for p, what in ((image_arg, "image"), (mask_arg, "mask"), (exclude_arg, "exclude")):
        if p is not None and not p.exists():
            raise InpaintError(f"{what} path {p} does not exist")
    options = _options(args)
    options.validate()
    seeds = None
    if args.variations is not None:
        seeds = variation_seeds(args.seed, args.variations)
        if "seed" in options.engine_options:
            raise InpaintError("--variations sets the seeds from --seed; leave out --option seed=")
        if not seed_matters(get_spec(args.engine), options):
            raise InpaintError(
                f"engine {get_spec(args.engine).name} gives the same fill for every seed; variations need "
                "patchmatch, a learned engine with texture, or --texture"
            )
    if args.alpha_maps and CAP_ALPHA_MAPS not in get_spec(args.engine).capabilities:
        raise InpaintError(f"--alpha-maps: engine {args.engine} has no alpha maps (dfnet has)")
    if args.alpha_maps and image_arg.is_dir():
        raise InpaintError("--alpha-maps takes a single --image file, not a folder")
    if seeds is not None and seeds[-1] > MAX_SEED:
        raise InpaintError(f"--seed {args.seed} with --variations {args.variations} runs past the last seed {MAX_SEED}")
    json_path = Path(args.json) if args.json else None
    if json_path is not None:
        check_writable_file(json_path, "--json")  # before the run: a bad path must not cost the batch
    get_spec(args.engine).resolve_options(options.engine_options)  # fail fast on bad options
    if args.alpha_maps:
        check_writable(args.alpha_maps)  # before the run, so a bad folder costs no time

    notes: list[str] = []
    if image_arg.is_dir():
        images, skipped = images_in(image_arg)
        if not images:
            raise InpaintError(f"no images (.jpg, .png, .tif, .webp, .avif, .heic, .bmp) in folder {image_arg}")
        out_dir = Path(args.output)
        if out_dir.exists() and not out_dir.is_dir():
            raise InpaintError(f"--output {out_dir} must be a folder when --image is a folder")
        check_writable_folder(out_dir, "--output")
        outs, notes = folder_outputs(images, out_dir)
        notes = [f"skipped {p.name}: not an image file" for p in skipped] + notes
        jobs = list(zip(images, outs, strict=True))
    else:
        if mask_arg.is_dir():
            raise InpaintError("--mask is a folder but --image is a single file; pass the mask file")
        if exclude_arg is not None and exclude_arg.is_dir():
            raise InpaintError("--exclude is a folder but --image is a single file; pass the exclude mask file")
        jobs = [(image_arg, Path(args.output))]
        check_writable_file(Path(args.output), "--output")
        format_for(Path(args.output))  # a suffix that cannot be written is refused now, not after the fill

    mask_files = images_in(mask_arg)[0] if mask_arg.is_dir() else [mask_arg]
    exclude_files = [] if exclude_arg is None else images_in(exclude_arg)[0] if exclude_arg.is_dir() else [exclude_arg]
    written: list[tuple[Path, str]] = []
    for _img, out in jobs:
        paths = [out] if seeds is None else [variation_path(out, k) for k in range(1, len(seeds) + 1)]
        written += [(p, "--output") for p in paths]
    inputs = [(img, "--image") for img, _ in jobs] + [(m, "--mask") for m in mask_files]
    inputs += [(x, "--exclude") for x in exclude_files]
    refuse_overwrites(written + ([(json_path, "--json")] if json_path else []), inputs, args.overwrite)
    engine = _engine(args.engine, args.device, args.weights)  # after the path checks: a learned one takes seconds
    for note in notes:
        print(f"inpaint: {note}", file=sys.stderr)

    masks_by_stem: dict[str, Path] = {}
    if mask_arg.is_dir():
        masks_by_stem = {p.stem: p for p in images_in(mask_arg)[0]}
    excludes_by_stem: dict[str, Path] = {}
    if exclude_arg is not None and exclude_arg.is_dir():
        excludes_by_stem = {p.stem: p for p in images_in(exclude_arg)[0]}
    report: list[dict[str, Any]] = []
    failures = unchanged = 0
    progress = tqdm(jobs, desc="inpaint", unit="img", disable=len(jobs) == 1 or args.quiet)
    for img_path, out_path in progress:
        mask_path = masks_by_stem.get(img_path.stem) if mask_arg.is_dir() else mask_arg
        entry: dict[str, Any] = {"image": str(img_path), "engine": engine.spec.name}
        try:
            if mask_path is None:
                raise InpaintError(f"no mask named {img_path.stem}.* in {mask_arg} for {img_path.name}")
            entry["mask"] = str(mask_path)
            exclude_path = exclude_arg
            if exclude_arg is not None and exclude_arg.is_dir():
                exclude_path = excludes_by_stem.get(img_path.stem)
                if exclude_path is None:
                    raise InpaintError(f"no exclude mask named {img_path.stem}.* in {exclude_arg} for {img_path.name}")
            if exclude_path is not None:
                entry["exclude"] = str(exclude_path)
            outputs = (
                [(options.seed, out_path)]
                if seeds is None
                else [(seed, variation_path(out_path, k)) for k, seed in enumerate(seeds, 1)]
            )
            seconds, note, filled = _run_one(engine, img_path, mask_path, exclude_path, outputs, options, args)
            unchanged += not filled
            entry.update(status="ok", filled=filled, seconds=round(seconds, 4))
            if seeds is None:
                entry["output"] = str(out_path)
            else:
                entry["outputs"] = [{"output": str(path), "seed": seed} for seed, path in outputs]
            if note:
                entry["note"] = note
                tqdm.write(f"inpaint: {img_path.name}: {note}", file=sys.stderr)
        except InpaintError as exc:
            failures += 1
            entry.update(status="error", error=one_line(exc))
            tqdm.write(f"inpaint: error: {one_line(exc)}", file=sys.stderr)
        report.append(entry)
    if json_path is not None:
        write_json(json_path, report)
    if not args.quiet:
        done = len(jobs) - failures - unchanged
        same = f"; {unchanged} written unchanged (empty mask)" if unchanged else ""
        print(f"inpaint: {done} of {len(jobs)} filled with {engine.spec.name}{same}", file=sys.stderr)
    return EXIT_USER_ERROR if failures else 0


def _run_one(
    engine: Engine,
    img_path: Path,
    mask_path: Path,
    exclude_path: Path | None,
    outputs: list[tuple[int, Path]],
    options: InpaintOptions,
    args: argparse.Namespace,
) -> tuple[float, str, bool]:
    """Fill one image once per (seed, output path) of ``outputs``; returns (seconds, notes, whether
    anything was filled). Each output keeps the image's depth, alpha and metadata."""
    loaded = load_image(img_path, max_pixels=args.max_pixels)
    h, w = loaded.rgb.shape[:2]
    mask = load_mask(mask_path, size=(w, h), resize=args.resize_mask, max_pixels=args.max_pixels)
    if mask.all():
        raise InpaintError(
            f"mask {mask_path.name} covers the whole of {img_path.name}: no pixel is left to fill from "
            "(white = fill, black = keep; is the mask inverted?)"
        )
    exclude = None if exclude_path is None else _load_exclude(exclude_path, (w, h), args.resize_mask)
    seconds = 0.0
    saved_notes: list[str] = []
    first: np.ndarray | None = None
    identical = len(outputs) > 1
    for seed, out_path in outputs:
        result = inpaint(loaded.rgb, mask, engine, replace(options, seed=seed, exclude=exclude))
        seconds += result.seconds
        if first is None:
            first = result.image
        elif identical and not np.array_equal(first, result.image):
            identical = False
        image = result.image
        if args.concat:
            from engine.sheet import concat_strip

            image = concat_strip(loaded.rgb, result.mask, result.image)
        saved_notes = save_result(out_path, loaded, image, args.quality, args.png_compression)[1]
    if getattr(args, "alpha_maps", None):
        box = result.extras.get("box")
        write_alpha_maps(args.alpha_maps, result.extras.get("alpha_maps", []), box[2] - box[0] if box else None)
    notes = [n for n in (loaded.note, result.note, *saved_notes) if n]
    if identical and result.note == "":
        notes.append("the variations came out identical: nothing of this fill depends on the seed (a thin hole?)")
    return seconds, "; ".join(notes), bool(result.mask.any())


# ------------------------------------------------------------------------------------- compare
def cmd_compare(args: argparse.Namespace) -> int:
    from engine.sheet import comparison_sheet, crop, hole_frame, mask_overlay

    out = Path(args.output)
    refuse_overwrites(
        [(out, "--output")],
        [(Path(args.image), "--image"), (Path(args.mask), "--mask"), (Path(args.exclude) if args.exclude else None, "--exclude")],
        args.overwrite,
    )  # fmt: skip
    check_writable_file(out, "--output")
    format_for(out)
    loaded = load_image(args.image, max_pixels=args.max_pixels)
    h, w = loaded.rgb.shape[:2]
    mask = load_mask(args.mask, size=(w, h), resize=args.resize_mask, max_pixels=args.max_pixels)
    exclude = None if args.exclude is None else _load_exclude(Path(args.exclude), (w, h), args.resize_mask)
    if args.engines:
        names = [n.strip() for n in args.engines.split(",") if n.strip()]
        specs = [get_spec(n) for n in names]
    else:
        specs = [s for s in list_specs() if s.availability()[0]]
    options = replace(_options(args), exclude=exclude)
    # The same framing as the editor's comparison grid: the holes' box with context, or all of it.
    box = hole_frame(mask) if args.frame == "hole" else (0, 0, w, h)
    tiles = [("input + mask", crop(mask_overlay(loaded.rgb, mask), box))]
    for spec in tqdm(specs, desc="compare", unit="engine", disable=args.quiet):
        engine = _engine(spec.name, args.device, None)
        result = inpaint(loaded.rgb, mask, engine, options)
        label = spec.display_name + (" + texture" if result.texture > 0 else "")
        tiles.append((f"{label}  {result.seconds:.2f} s", crop(result.image, box)))
    sheet = comparison_sheet(tiles, tile_width=args.tile_width)
    save_image(out, sheet, png_compression=args.png_compression)
    if not args.quiet:
        print(f"inpaint: wrote {args.output} ({len(specs)} engines)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------- eval
def cmd_eval(args: argparse.Namespace) -> int:
    from engine.evaluate import BASELINES, evaluate, format_table, list_images, pair_files, summarise, write_reports

    check_writable_folder(Path(args.output_dir), "--output-dir")  # before the run, not after it
    images = list_images(Path(args.images))
    masks = list_images(Path(args.masks))
    pairs = pair_files(images, masks)
    if args.limit:
        pairs = pairs[: args.limit]
    tested = [n.strip() for n in args.engine.split(",") if n.strip()]
    if args.weights and len(tested) != 1:
        raise InpaintError("--weights needs exactly one --engine")
    names = tested + [b for b in BASELINES if b not in tested and not args.no_baselines]
    engines = [_engine(n, args.device, args.weights if n in tested else None) for n in names]
    options = _options(args)
    bar = tqdm(total=len(pairs), desc="eval", unit="pair", disable=args.quiet)
    records = evaluate(engines, pairs, size=args.size, options=options, on_step=bar.update)
    bar.close()
    if not records:
        raise InpaintError("no image/mask pair had a hole ratio inside the evaluation buckets (1-60%)")
    rows = summarise(records)
    print(format_table(rows))
    out = Path(args.output_dir)
    stem = "eval-" + "-".join(tested)
    write_reports(records, rows, out / f"{stem}.csv", out / f"{stem}.json")
    print(f"wrote {out / stem}.csv and {out / stem}.json", file=sys.stderr)
    return 0


# -------------------------------------------------------------------------------------- models
def cmd_models(args: argparse.Namespace) -> int:
    rows = []
    for spec in list_specs():
        ok, reason = spec.availability()
        rows.append(
            {
                "name": spec.name,
                "display_name": spec.display_name,
                "available": ok,
                "reason": reason,
                "capabilities": sorted(spec.capabilities),
                "native_resolution": spec.native_resolution,
                "pad_multiple": spec.pad_multiple,
                "options": {o.name: o.default for o in spec.options},
                "paper": spec.paper,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        state = "available" if r["available"] else "UNAVAILABLE"
        caps = ", ".join(r["capabilities"]) or "-"
        opts = ", ".join(f"{k}={v}" for k, v in r["options"].items()) or "-"
        print(f"{r['name']:<8} {r['display_name']:<28} {state:<12} caps: {caps}; options: {opts}")
        print(f"{'':<8} {r['reason']}")
    return 0


# -------------------------------------------------------------------------------------- parser
def _common(p: argparse.ArgumentParser, with_engine: bool = True) -> None:
    if with_engine:
        p.add_argument("--engine", default="telea", help="engine name (see `inpaint models`)")
        p.add_argument("--weights", help="weights file to use instead of the installed one")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--strategy", choices=STRATEGIES, default="crop", help="high-resolution strategy (default crop)")
    p.add_argument("--margin", type=int, default=128, help="crop: context pixels around each hole")
    p.add_argument("--resize-limit", type=int, default=1024, help="resize: long-side limit in pixels")
    p.add_argument("--feather", type=int, default=0, help="blend a band of N px outside the hole (default 0)")
    p.add_argument(
        "--texture", type=float, default=None, metavar="STRENGTH",
        help="photo texture after the fill: the hole completed from the photo's own patches, the engine's fill "
        "guiding the structure (0 = off, 1 = the completion, up to 2; default: 1 for learned engines, off for "
        "classical ones)",
    )  # fmt: skip
    p.add_argument("--no-texture", dest="texture", action="store_const", const=0.0, help="same as --texture 0")
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=0,
        help=f"photo texture and patchmatch seed, 0-{MAX_SEED} (same seed, same fill)",
    )
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE", help="engine option, repeatable")
    p.add_argument("--resize-mask", action="store_true", help="scale a mask of another size to the image")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _exclude_arg(p: argparse.ArgumentParser, more: str) -> None:
    p.add_argument(
        "--exclude", metavar="MASK",
        help="mask of pixels never copied into the hole (white = excluded: the removed object's shadow, "
        f"another person); same rules as --mask{more}",
    )  # fmt: skip


def _png_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--png-compression", type=int, default=PNG_FAST, choices=range(10), metavar="0-9",
        help="PNG output: 1 = fast (default), 2-9 = smaller and slower files, 0 = uncompressed",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="inpaint", description="Inpaint Studio command line.")
    parser.add_argument("--version", action="version", version=f"inpaint (Inpaint Studio) {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="fill the masked region of an image or a folder of images")
    run.add_argument("--image", required=True, help="image file or folder")
    run.add_argument("--mask", required=True, help="mask file (applies to all images) or folder matched by stem")
    run.add_argument("--output", required=True, help="output file, or folder when --image is a folder")
    run.add_argument("--concat", action="store_true", help="write original | mask | result side by side")
    _exclude_arg(run, "; a folder with a folder --image: matched by stem like --mask")
    run.add_argument(
        "--variations", type=int, metavar="N",
        help=f"write N fills (1-{MAX_VARIATIONS}) from seeds --seed, --seed + 1, … as <stem>-v1 … <stem>-vN "
        "beside --output (patchmatch, or an engine with the texture stage)",
    )  # fmt: skip
    run.add_argument("--json", help="write a per-file report (engine, seconds, output) to this file")
    add_quality_arg(run)
    run.add_argument(
        "--alpha-maps",
        metavar="DIR",
        help="write the fusion levels' alpha maps (DFNet) as raw 8-bit PNGs alpha-L{level}-{w}x{h}.png "
        "plus alpha-maps.json with each level's min/mean/max (largest hole region)",
    )
    _common(run)
    add_file_args(run)
    _png_arg(run)
    run.set_defaults(func=cmd_run)

    cmp_ = sub.add_parser("compare", help="one comparison sheet of several engines on the same image and mask")
    cmp_.add_argument("--image", required=True)
    cmp_.add_argument("--mask", required=True)
    _exclude_arg(cmp_, "")
    cmp_.add_argument("--engines", help="comma-separated engine names (default: every available engine)")
    cmp_.add_argument("--output", required=True, help="sheet image file (.png/.jpg)")
    cmp_.add_argument("--tile-width", type=int_arg(32, 8192), default=480, help="tile width in pixels (32-8192)")
    cmp_.add_argument(
        "--frame", choices=("photo", "hole"), default="photo",
        help="tiles show the whole photo (default) or the holes' bounding box with context around it",
    )  # fmt: skip
    _common(cmp_, with_engine=False)
    add_file_args(cmp_)
    _png_arg(cmp_)
    cmp_.set_defaults(func=cmd_compare)

    ev = sub.add_parser(
        "eval", help="metrics by hole-ratio bucket beside Telea, Navier–Stokes and PatchMatch (--engine a,b: several)"
    )
    ev.add_argument("--images", required=True, help="folder of ground-truth photos")
    ev.add_argument("--masks", required=True, help="folder of masks (matched by stem, else every image × mask)")
    ev.add_argument("--size", type=int, default=512, help="scale photos to this long side first (0 = keep)")
    ev.add_argument("--limit", type=int, default=0, help="evaluate at most N pairs")
    ev.add_argument("--output-dir", default=".", help="where eval-<engine>.csv/.json go")
    ev.add_argument("--no-baselines", action="store_true", help="skip Telea, Navier–Stokes and PatchMatch")
    _common(ev)
    ev.set_defaults(engine="ns")
    ev.set_defaults(func=cmd_eval)

    add_restore_parser(sub)
    add_select_parser(sub)

    models = sub.add_parser("models", help="list engines, availability and capabilities")
    models.add_argument("--json", action="store_true")
    models.set_defaults(func=cmd_models)
    return parser


@quiet_on_closed_pipe  # `inpaint models | head -1` ends quietly (status 141), as Unix tools do
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a bad option (one line, see OneLineParser)
        return stop.code if isinstance(stop.code, int) else EXIT_USER_ERROR
    try:
        return int(args.func(args))
    except InpaintError as exc:
        print(f"inpaint: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("inpaint: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
