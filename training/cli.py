"""Command line: ``python -m training corpus|train|resume|eval|export|detector-card``.

  python -m training corpus --out data/corpus --split resources/corpus/split.txt
  python -m training train --engine pconv --data DIR --val DIR --size 256 --width 0.5 --steps N --batch B --out runs/NAME
  python -m training train --engine pconv --data data/corpus --split resources/corpus/split.txt --out runs/NAME
  python -m training train --config run.toml            # same keys as the flags (see training.config)
  python -m training resume runs/NAME [--steps M]       # continue, optionally to a larger step count
  python -m training eval runs/NAME --images DIR [--masks DIR] [--size 512]
  python -m training export runs/NAME --output resources/weights/pconv.safetensors
Distributed: ``torchrun --nproc_per_node K -m training train ...`` (gloo on CPU).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from engine.console import quiet_on_closed_pipe
from engine.errors import InpaintError


def _corpus(args: argparse.Namespace) -> int:
    from training.corpus import build_corpus

    stats = build_corpus(args.out, split_path=args.split, min_side=args.min_side)
    print(" ".join(f"{k}={v}" for k, v in stats.items()))
    return 0


def _train(args: argparse.Namespace) -> int:
    from training.config import resolve
    from training.loop import train

    overrides = {
        k: getattr(args, k)
        for k in (
            "engine",
            "data",
            "val",
            "split",
            "out",
            "size",
            "width",
            "steps",
            "batch",
            "seed",
            "vgg",
            "val_every",
            "ckpt_every",
            "val_count",
            "threads",
            "init",
            "device",
        )
    }
    if args.masks:
        overrides["masks"] = json.loads(args.masks)
    if args.recipe:
        overrides["recipe"] = json.loads(args.recipe)
    cfg = resolve(args.config, overrides)
    if cfg.engine == "scratch":  # the damage detector has its own segmentation loop
        from training.recipes.scratch import train as train_detector

        _report_detector(train_detector(cfg, progress=not args.quiet))
        return 0
    result = train(cfg, progress=not args.quiet)
    _report(result.metrics)
    return 0


def _resume(args: argparse.Namespace) -> int:
    from training import checkpoint
    from training.config import TrainConfig
    from training.loop import train

    state = checkpoint.load(Path(args.run) / "ckpt.pt")
    cfg = TrainConfig.from_json(state["config"])
    cfg = replace(cfg, out=str(args.run))
    if args.steps is not None:
        cfg = replace(cfg, steps=args.steps)
    if args.device is not None:  # e.g. a run begun on a lent GPU, continued on the CPU
        cfg = replace(cfg, device=args.device)
        cfg.check()
    if int(state["step"]) >= cfg.steps:
        print(f"{args.run} already finished {state['step']} of {cfg.steps} steps; pass --steps to train further")
        return 0
    if cfg.engine == "scratch":
        from training.recipes.scratch import train as train_detector

        _report_detector(train_detector(cfg, resume=True, progress=not args.quiet))
        return 0
    result = train(cfg, resume=True, progress=not args.quiet)
    _report(result.metrics)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from engine.evaluate import format_table
    from training.export import evaluate_run

    rows, report = evaluate_run(args.run, args.images, args.masks, size=args.size, baselines=not args.no_baselines)
    print(format_table(rows))
    print(f"reports in {report}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import torch

    from training.export import export_run

    if checkpoint_engine(args.run) == "scratch":
        from training.recipes.scratch import export as export_detector

        dtype = None if args.fp32 else torch.float16
        print(f"wrote {export_detector(args.run, args.output, dtype=dtype, threshold=args.threshold)}")
        return 0
    if args.threshold is not None:
        from training.errors import TrainingError

        raise TrainingError("--threshold is for the scratch detector's runs only")
    path = export_run(args.run, args.output, dtype=None if args.fp32 else torch.float16, native=args.native)
    print(f"wrote {path}")
    return 0


def _evalset(args: argparse.Namespace) -> int:
    from training.evalset import build_evalset

    images, masks = build_evalset(args.data, args.out, args.split, args.size, args.per_bucket)
    print(f"wrote {images} images and {masks} masks to {args.out}")
    return 0


def _card(args: argparse.Namespace) -> int:
    from training.card import write_card

    path = write_card(args.weights, args.eval, args.output, args.notes, args.command)
    print(f"wrote {path}")
    return 0


def _evaldoc(args: argparse.Namespace) -> int:
    from training.evaldoc import write_eval_doc

    path = write_eval_doc(args.eval, args.output, args.command, args.sheet, args.cards)
    print(f"wrote {path}")
    return 0


def _evalsheet(args: argparse.Namespace) -> int:
    from training.evalsheet import write_sheet

    print(f"wrote {write_sheet(args.images, args.masks, args.output, args.mask, args.count)}")
    return 0


def checkpoint_engine(run: Path) -> str:
    """The engine name recorded in a run's config.json ("" when it has none)."""
    config = Path(run) / "config.json"
    try:
        return str(json.loads(config.read_text()).get("engine", ""))
    except (OSError, json.JSONDecodeError):
        return ""


def _detector_card(args: argparse.Namespace) -> int:
    from training.detector_card import write_detector_card

    path = write_detector_card(args.weights, args.families, args.output, args.speed, args.notes, args.command)
    print(f"wrote {path} ({path.stat().st_size / 1024:.1f} KB)")
    return 0


def _verifier_removed(args: argparse.Namespace) -> int:
    raise InpaintError(
        "`python -m training verifier` was removed in issue #39: the damage detector has no component verifier "
        "any more (it cut recall on damage it was never tuned on); train the detector itself with "
        "`python -m training train --engine scratch` (docs/restore-families.md)"
    )


def _report_detector(metrics: dict[str, float]) -> None:
    if metrics:
        print("validation: " + "  ".join(f"{k}={v:.4f}" for k, v in metrics.items()))


def _report(metrics: dict[str, float]) -> None:
    if metrics:
        keys = ("psnr", "ssim", "l1", "bpe", "detail", "structure", "texture")
        print("validation: " + "  ".join(f"{k}={metrics[k]:.4g}" for k in keys if k in metrics))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="download the Debian wallpaper packages and build the photo corpus")
    p.add_argument("--out", required=True, type=Path, help="folder for the images and split.txt")
    p.add_argument(
        "--split", type=Path, default=None, help="also copy split.txt here (e.g. resources/corpus/split.txt)"
    )
    p.add_argument("--min-side", type=int, default=512, help="drop images whose short side is smaller")
    p.set_defaults(func=_corpus)

    p = sub.add_parser("train", help="train an engine from scratch")
    p.add_argument("--config", type=Path, help="TOML file with the same keys as these flags")
    p.add_argument("--engine", help="pconv, dfnet, glcic, deepgin, isnet, or scratch (the damage detector)")
    p.add_argument("--data", help="training image folder (or the corpus folder with --split)")
    p.add_argument("--val", help="validation image folder (default: the split's val part)")
    p.add_argument("--split", help="split list (resources/corpus/split.txt)")
    p.add_argument("--out", help="run folder (runs/NAME)")
    p.add_argument("--size", type=int, help="crop side (default 256)")
    p.add_argument("--width", type=float, help="channel width multiplier (1.0 = paper; default 0.5)")
    p.add_argument("--steps", type=int, help="total training steps; phases scale with it")
    p.add_argument("--batch", type=int, help="batch per process")
    p.add_argument("--seed", type=int)
    p.add_argument(
        "--vgg", help="'none' (offline default), 'random' (seeded random VGG) or a torchvision VGG weights file"
    )
    p.add_argument("--masks", help='mask mix as JSON, e.g. \'{"free_form": 0.5, "rectangle": 0.5}\'')
    p.add_argument("--recipe", help="recipe options as JSON, e.g. '{\"w_hole\": 6}'")
    p.add_argument("--val-every", dest="val_every", type=int)
    p.add_argument("--ckpt-every", dest="ckpt_every", type=int)
    p.add_argument("--val-count", dest="val_count", type=int)
    p.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    p.add_argument("--init", help="warm start from exported weights (.safetensors), e.g. the shipped ones")
    p.add_argument("--device", help="cpu (default), cuda or cuda:N; with torchrun, cuda = each process's own GPU")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    p = sub.add_parser("resume", help="continue a run from its checkpoint")
    p.add_argument("run", type=Path)
    p.add_argument("--steps", type=int, help="new total step count (default: the run's)")
    p.add_argument("--device", help="train on this device from now on (default: the run's)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_resume)

    p = sub.add_parser("eval", help="evaluate a run with the protocol (beside Telea and Navier–Stokes)")
    p.add_argument("run", type=Path)
    p.add_argument("--images", required=True, type=Path)
    p.add_argument("--masks", type=Path, default=None, help="mask folder (default: the fixed validation masks)")
    p.add_argument("--size", type=int, default=512, help="long side the images are scaled to")
    p.add_argument("--no-baselines", action="store_true")
    p.set_defaults(func=_eval)

    p = sub.add_parser("export", help="write engine weights (.safetensors, fp16) from a run")
    p.add_argument("run", type=Path)
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--fp32", action="store_true", help="keep fp32 (default fp16)")
    p.add_argument("--native", type=int, help="working side for the engine (default: the training crop size)")
    p.add_argument(
        "--threshold", type=float,
        help="scratch detector only: its calibrated probability threshold at sensitivity 0.5 "
        "(benchmarks/restore_threshold.py; default 0.5)",
    )  # fmt: skip
    p.set_defaults(func=_export)

    p = sub.add_parser("verifier", help=argparse.SUPPRESS)  # removed in issue #39; says so when called
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_verifier_removed)

    p = sub.add_parser("evalset", help="write the held-out photos and bucket masks for `inpaint eval`")
    p.add_argument("--data", required=True, type=Path, help="corpus folder")
    p.add_argument("--split", type=Path, help="split list; its val part is used")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--size", type=int, default=512, help="square side of the written photos and masks")
    p.add_argument("--per-bucket", dest="per_bucket", type=int, default=1, help="masks per bucket")
    p.set_defaults(func=_evalset)

    p = sub.add_parser("card", help="write a model card from weights and an `inpaint eval` JSON report")
    p.add_argument("--weights", required=True, type=Path)
    p.add_argument("--eval", required=True, type=Path, help="eval-<engine>.json written by `inpaint eval`")
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--notes", default="", help="known weaknesses (markdown)")
    p.add_argument("--command", default="", help="the eval command, quoted in the card")
    p.set_defaults(func=_card)

    p = sub.add_parser(
        "detector-card", help="write the damage detector's model card from its weights and family benchmark"
    )
    p.add_argument("--weights", required=True, type=Path)
    p.add_argument("--families", required=True, type=Path, help="JSON of python -m benchmarks.restore_families --json")
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--speed", default="", help="measured speed, e.g. '0.4 s/MP (benchmarks.restore_speed)'")
    p.add_argument("--notes", default="", help="known weaknesses (markdown)")
    p.add_argument("--command", default="", help="the benchmark command, quoted in the card")
    p.set_defaults(func=_detector_card)

    p = sub.add_parser("evaldoc", help="write EVAL.md from several `inpaint eval` JSON reports")
    p.add_argument("--eval", required=True, type=Path, nargs="+", help="eval-<engine>.json files")
    p.add_argument("--output", required=True, type=Path)
    p.add_argument("--command", action="append", default=[], help="a command that produced them (repeatable)")
    p.add_argument("--sheet", help="contact sheet file (next to the output) to show, from `evalsheet`")
    p.add_argument("--cards", type=Path, help="folder of model cards whose texture section to refresh")
    p.set_defaults(func=_evaldoc)

    p = sub.add_parser("evalsheet", help="contact sheet of every engine ± texture on held-out object holes")
    p.add_argument("--images", required=True, type=Path, help="evaluation photos (data/evalset/images)")
    p.add_argument("--masks", required=True, type=Path, help="evaluation masks (data/evalset/masks)")
    p.add_argument("--mask", default="14-object_15-30pct.png", help="mask file name in --masks")
    p.add_argument("--count", type=int, default=6, help="number of photos")
    p.add_argument("--output", required=True, type=Path)
    p.set_defaults(func=_evalsheet)
    return parser


@quiet_on_closed_pipe  # output piped into `head` ends quietly (status 141), as Unix tools do
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InpaintError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
