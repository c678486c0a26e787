"""Real-material fill benchmark (issue #38, item 3): object-shaped holes in real photos, the
project's engines beside G'MIC (and pypatchmatch when installed), texture backgrounds apart.

Three commands (``python -m benchmarks.fill_real CMD --help``)::

    python -m benchmarks.fill_real build --out data/realfill
    python -m benchmarks.fill_real run --set data/realfill --engines pconv,dfnet,glcic,deepgin,isnet,patchmatch,ns \
        --json runs/realfill.json [--limit N] [--family texture|structure]
    python -m benchmarks.fill_real sheet --set data/realfill --output docs/figures/fill-real-sheet.jpg

``build`` writes the 512×512 photos and their object masks (:mod:`benchmarks.realfill_set`, which
lists every source and crop box; it calls ``apt-get download`` for two Debian packages). ``run``
fills every photo × mask with each engine through ``engine.pipeline.inpaint`` with default
``InpaintOptions()`` (what a user gets: texture stage on for the learned engines), and with each
installed peer (:mod:`benchmarks.realfill_peers`, outputs cached under ``<set>/cache/``); it scores
the composites against the photo with ``engine.metrics`` texture (sliced Wasserstein ×1000, lower is
better), structure (PSNR of σ 4 px blurs) and PSNR, prints one table per family × bucket with each
method's mean texture also as a ratio to G'MIC's mean texture on the same pairs, and writes every
per-pair row and the summary to the JSON. ``sheet`` draws 100 % crops around the hole (input with the
hole tinted, truth, G'MIC, patchmatch, dfnet, glcic) for the boats plank, the meadow sample's stone
table and three set photos.
Nothing here installs anything.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.realfill_peers import available_peers, cached_fill
from benchmarks.realfill_set import BUCKETS, FAMILIES, SIZE, build, plank_mask
from engine.imageio import load_image, load_mask, save_image, write_json
from engine.metrics import mask_bucket, psnr, structure_psnr, texture_distance
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import Engine, create_engine

DEFAULT_ENGINES = "pconv,dfnet,glcic,deepgin,isnet,patchmatch,ns"
#: The methods whose mean texture the ratio columns divide by (summary key ``texture_vs_<name>``).
REFERENCES = ("gmic", "gmic-ms")
BOATS = Path("resources/samples/boats.jpg")
#: A real object on textured ground, at the sample's 2048 px (no truth: the table stands there), and the
#: 600 px window (x0, y0, x1, y1) of the sheet: the table's top and the meadow and snow around it.
MEADOW = Path("resources/samples/meadow.jpg")
MEADOW_BOX = (1300, 760, 1900, 1360)
#: Sheet rows after the boats plank and the meadow table: (family, image, mask bucket).
SHEET_CASES: tuple[tuple[str, str, str], ...] = (
    ("texture", "tux-pebbles", "obj5-15"),
    ("texture", "sk-grass", "obj5-15"),
    ("structure", "cv-building", "obj5-15"),
)
SHEET_METHODS = ("gmic", "gmic-ms", "patchmatch", "dfnet", "glcic")
SHEET_MIN_CROP = 288
SHEET_CONTEXT = 24
SHEET_MAX_BYTES = 600 * 1024


# ---------------------------------------------------------------------------------------------
# run


def list_pairs(root: Path, families: Sequence[str], limit: int | None) -> list[tuple[str, Path, Path]]:
    """(family, image, mask) for the first ``limit`` photos of each family, every bucket's mask."""
    pairs: list[tuple[str, Path, Path]] = []
    for family in families:
        images = sorted((root / family / "images").glob("*.png"))[:limit]
        if not images:
            raise SystemExit(
                f"no photos in {root / family / 'images'}: run `python -m benchmarks.fill_real build` first"
            )
        for image in images:
            for bucket in BUCKETS:
                mask = root / family / "masks" / f"{image.stem}-{bucket}.png"
                if mask.exists():
                    pairs.append((family, image, mask))
    return pairs


def score(truth: np.ndarray, out: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """texture, structure and PSNR of ``out`` against ``truth`` (uint8 H×W×3 RGB), hole ``mask``."""
    return {
        "texture": texture_distance(truth, out, mask),
        "structure": structure_psnr(truth, out),
        "psnr": psnr(truth, out),
    }


def load_engines(names: Sequence[str], device: str) -> dict[str, Engine]:
    """name -> engine built once; an engine that cannot be built is reported and left out."""
    engines: dict[str, Engine] = {}
    for name in names:
        try:
            engines[name] = create_engine(name, device=device)
        except Exception as exc:  # missing weights, unknown name: say so and go on with the others
            print(f"engine {name} left out: {exc}")
    return engines


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def summarise(rows: Sequence[dict[str, object]], order: Sequence[str]) -> list[dict[str, object]]:
    """Per (family, bucket, method): pairs, mean texture / structure / PSNR, mean and median seconds,
    and for each reference R of :data:`REFERENCES` that ran, ``texture_vs_<R>`` = the method's mean
    texture / R's mean texture over the pairs both have."""
    groups: dict[tuple[str, str, str], list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        groups[(str(r["family"]), str(r["bucket"]), str(r["method"]))].append(r)
    out: list[dict[str, object]] = []
    buckets = [label for _lo, _hi, label in BUCKETS.values()]
    for family in FAMILIES:
        for bucket in buckets:
            refs = {
                ref: {(r["image"], r["mask"]): float(r["texture"]) for r in groups.get((family, bucket, ref), [])}  # type: ignore[arg-type]
                for ref in REFERENCES
            }
            for method in order:
                group = groups.get((family, bucket, method))
                if not group:
                    continue
                texture = [float(r["texture"]) for r in group]  # type: ignore[arg-type]
                seconds = [float(r["seconds"]) for r in group]  # type: ignore[arg-type]
                entry: dict[str, object] = {
                    "family": family,
                    "bucket": bucket,
                    "method": method,
                    "pairs": len(group),
                    "texture": _mean(texture),
                    "structure": _mean([float(r["structure"]) for r in group]),  # type: ignore[arg-type]
                    "psnr": _mean([float(r["psnr"]) for r in group]),  # type: ignore[arg-type]
                    "seconds_mean": float(np.mean(seconds)),
                    "seconds_median": float(statistics.median(seconds)),
                }
                for ref, by_pair in refs.items():
                    shared = [
                        (t, by_pair[(r["image"], r["mask"])])
                        for t, r in zip(texture, group, strict=True)
                        if (r["image"], r["mask"]) in by_pair
                    ]
                    entry[f"texture_vs_{ref}"] = (
                        _mean([a for a, _ in shared]) / _mean([b for _, b in shared]) if shared else math.nan
                    )
                out.append(entry)
    return out


def format_tables(summary: Sequence[dict[str, object]]) -> str:
    """One text table per family × bucket: texture (and its ratio to each reference), structure,
    PSNR, median seconds per fill."""
    lines: list[str] = []
    last: tuple[object, object] | None = None
    for s in summary:
        if (s["family"], s["bucket"]) != last:
            last = (s["family"], s["bucket"])
            heads = "".join(f"{'÷' + ref:>9}" for ref in REFERENCES)
            lines += [
                "",
                f"{s['family']} · {s['bucket']} ({s['pairs']} pairs)",
                f"{'method':<13}{'texture':>8}{heads}{'struct dB':>11}{'PSNR dB':>9}{'s/fill':>8}",
            ]
        ratios = "".join(
            f"{'' if math.isnan(v) else f'{v:.2f}':>9}"
            for v in (float(s.get(f"texture_vs_{ref}", math.nan)) for ref in REFERENCES)  # type: ignore[arg-type]
        )
        lines.append(
            f"{s['method']!s:<13}{float(s['texture']):>8.1f}{ratios}"  # type: ignore[arg-type]
            f"{float(s['structure']):>11.2f}{float(s['psnr']):>9.2f}{float(s['seconds_median']):>8.2f}"  # type: ignore[arg-type]
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    root = Path(args.set)
    families = [args.family] if args.family else list(FAMILIES)
    pairs = list_pairs(root, families, args.limit)
    peers, missing = available_peers()
    print(f"peers run: {', '.join(peers) or 'none'}")
    for name, why in missing.items():
        print(f"peer missing: {name}: {why}")
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    engines = load_engines(names, args.device)
    order = [*peers, *engines]
    options = InpaintOptions()
    rows: list[dict[str, object]] = []
    totals: dict[str, float] = defaultdict(float)
    t_start = time.perf_counter()
    for k, (family, image_path, mask_path) in enumerate(pairs, 1):
        truth = load_image(image_path).rgb
        mask = load_mask(mask_path, size=(truth.shape[1], truth.shape[0]))
        bucket = mask_bucket(mask)
        hole = mask > 127
        base = {
            "family": family,
            "image": image_path.name,
            "mask": mask_path.name,
            "bucket": bucket,
            "hole_ratio": float(hole.mean()),
        }
        for name, peer in peers.items():
            out, seconds, cached = cached_fill(peer, truth, mask, root / "cache")
            rows.append({**base, "method": name, "seconds": seconds, "cached": cached, **score(truth, out, mask)})
            totals[name] += seconds
        for name, engine in engines.items():
            result = inpaint(truth, mask, engine, options)
            out = np.where(hole[..., None], result.image, truth)
            rows.append(
                {
                    **base,
                    "method": name,
                    "seconds": result.seconds,
                    "texture_seconds": result.texture_seconds,
                    **score(truth, out, mask),
                }
            )
            totals[name] += result.seconds
        print(
            f"[{k}/{len(pairs)}] {family}/{mask_path.stem} ({bucket}) {time.perf_counter() - t_start:.0f} s", flush=True
        )
    wall = time.perf_counter() - t_start
    summary = summarise(rows, order)
    print(format_tables(summary))
    print(
        f"\n{len(pairs)} pairs, {wall:.0f} s wall; fill seconds per method: "
        + ", ".join(f"{n} {totals[n]:.0f}" for n in order)
    )
    if args.json:
        write_json(
            Path(args.json),
            {
                "set": str(root),
                "options": "InpaintOptions() defaults",
                "device": args.device,
                "peers_run": list(peers),
                "peers_missing": missing,
                "engines": list(engines),
                "wall_seconds": wall,
                "fill_seconds_total": dict(totals),
                "summary": summary,
                "rows": rows,
            },
        )
        print(f"wrote {args.json}")


# ---------------------------------------------------------------------------------------------
# sheet


def crop_window(
    mask: np.ndarray, minimum: int = SHEET_MIN_CROP, context: int = SHEET_CONTEXT
) -> tuple[int, int, int, int]:
    """Square (x0, y0, x1, y1) around the hole of ``mask`` (uint8 H×W): the hole's bounding box with
    ``context`` px on each side, at least ``minimum`` px, shifted to stay inside the image."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask > 127)
    side = max(minimum, int(xs.max() - xs.min()) + 1 + 2 * context, int(ys.max() - ys.min()) + 1 + 2 * context)
    side = min(side, h, w)
    cx, cy = (int(xs.min()) + int(xs.max()) + 1) // 2, (int(ys.min()) + int(ys.max()) + 1) // 2
    x0 = int(np.clip(cx - side // 2, 0, w - side))
    y0 = int(np.clip(cy - side // 2, 0, h - side))
    return (x0, y0, x0 + side, y0 + side)


def sheet(args: argparse.Namespace) -> None:
    from engine.sheet import comparison_sheet, crop, draw_outline, mask_overlay

    root = Path(args.set)
    peers, missing = available_peers()
    for name, why in missing.items():
        print(f"peer missing: {name}: {why}")
    engines = load_engines([m for m in SHEET_METHODS if m not in peers], args.device)
    meadow_mask = load_mask(MEADOW.with_name("meadow_mask.png"))
    cases: list[tuple[str, np.ndarray, np.ndarray, bool, tuple[int, int, int, int] | None]] = [
        ("boats plank", load_image(BOATS).rgb, plank_mask(), False, None),
        ("meadow table", load_image(MEADOW).rgb, meadow_mask, False, MEADOW_BOX),
    ]
    for family, name, bucket in SHEET_CASES:
        image = load_image(root / family / "images" / f"{name}.png").rgb
        mask = load_mask(root / family / "masks" / f"{name}-{bucket}.png")
        cases.append((f"{name} {bucket}", image, mask, True, None))
    rows: list[np.ndarray] = []
    for title, image, mask, has_truth, window in cases:
        box = window or crop_window(mask)
        hole = mask > 127
        tiles = [
            (f"{title}: input", crop(draw_outline(mask_overlay(image, mask), mask), box)),
            ("truth" if has_truth else "photo (no truth)", crop(image, box)),
        ]
        for method in SHEET_METHODS:
            if method in peers:
                out = cached_fill(peers[method], image, mask, root / "cache")[0]
            elif method in engines:
                out = np.where(hole[..., None], inpaint(image, mask, engines[method], InpaintOptions()).image, image)
            else:
                continue
            tiles.append((method, crop(out, box)))
        side = box[2] - box[0]
        rows.append(comparison_sheet(tiles, tile_width=side, columns=len(tiles)))
        print(f"{title}: crop {box}")
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=32) for r in rows]
    page = np.concatenate(padded, axis=0)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    for quality in (90, 86, 82, 78, 74, 70, 65, 60):
        save_image(output, page, quality=quality)
        if output.stat().st_size <= SHEET_MAX_BYTES:
            break
    print(f"wrote {output} ({page.shape[1]}×{page.shape[0]}, JPEG q{quality}, {output.stat().st_size // 1024} KB)")


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.fill_real", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the 512×512 photos and object masks (downloads two Debian packages)")
    b.add_argument("--out", default="data/realfill")
    b.add_argument("--debs", default=None, help="folder of .deb files to reuse/keep (default: a temp folder)")
    r = sub.add_parser("run", help="fill every photo × mask, score, print tables, write JSON")
    r.add_argument("--set", default="data/realfill")
    r.add_argument("--engines", default=DEFAULT_ENGINES)
    r.add_argument("--json", default=None)
    r.add_argument("--limit", type=int, default=None, help="first N photos of each family")
    r.add_argument("--family", choices=FAMILIES, default=None)
    r.add_argument("--device", default="cpu")
    s = sub.add_parser("sheet", help="contact sheet of 100 %% crops")
    s.add_argument("--set", default="data/realfill")
    s.add_argument("--output", default="docs/figures/fill-real-sheet.jpg")
    s.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    if args.command == "build":
        rows = build(Path(args.out), Path(args.debs) if args.debs else None)
        for row in rows:
            print(f"{row['family']:<10}{row['name']:<16}{row['origin']}  box {row['box']}  masks {row['masks']}")
        print(f"wrote {len(rows)} photos ({SIZE}×{SIZE}) under {args.out}")
    elif args.command == "run":
        run(args)
    else:
        sheet(args)


if __name__ == "__main__":
    main(sys.argv[1:])
