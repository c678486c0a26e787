"""``inpaint select``: an object's silhouette from a box around it, written as a mask (engine/select.py).

User errors raise :class:`InpaintError`; ``engine.cli.main`` prints them as one line and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from engine.errors import InpaintError
from engine.imageio import load_image, save_image
from engine.select import parse_box, select_object


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``select`` on the ``inpaint`` sub-command parser ``sub``."""
    p = sub.add_parser("select", help="propose the mask of the object inside a box (GrabCut; shadows are not included)")
    p.add_argument("--image", required=True, help="photo file")
    p.add_argument("--box", required=True, help="x0,y0,x1,y1 in image pixels around the object (e.g. 40,30,200,180)")
    p.add_argument("--output", required=True, help="mask file to write (PNG: 255 = object)")
    p.add_argument("--grow", type=int, default=6, help="grow the silhouette by N px so edges go too (default 6)")
    p.set_defaults(func=cmd_select)
    return p


def cmd_select(args: argparse.Namespace) -> int:
    if args.grow < 0:
        raise InpaintError(f"--grow {args.grow} must not be negative")
    box = parse_box(args.box)
    loaded = load_image(args.image)
    mask = select_object(loaded.rgb, box, grow=args.grow)
    out = save_image(args.output, mask)
    share = np.count_nonzero(mask) / mask.size * 100
    print(f"inpaint: selected {np.count_nonzero(mask)} px ({share:.2f} % of the photo) -> {out}", file=sys.stderr)
    return 0
