"""A hand-drawn craquelure on a portrait: what the damage detector does with a crack network it never saw.

``python -m benchmarks.restore_crack_scene [--weights W] [--figure OUT.jpg] [--json OUT]``

No real cracked scan ships with the project, so this is one drawn by hand (issue #39 asks for "a
real-looking crack network"): the polylines below were placed by eye over scikit-image's
``astronaut`` (an evaluation-only image: nothing is trained or tuned on it), as white cracks in the
emulsion 1–3 px wide with a soft dark edge, the whole print sepia-toned with film grain and saved as
JPEG q85, as a scan of an old cracked portrait would be. It is neither the training families' nor the
held-out ``cracks`` family's generator: fixed geometry, drawn once.

Prints precision / recall at 2 px of ``inpaint restore``'s automatic mask and of the mask with one
scratch-brush band (engine/damage_hint.py) painted 14 px around every crack, and the restored PSNR
against the uncracked print, for open cracks ("bold") and hairline ones ("faint"); ``--figure`` writes
damaged | marked (red) | restored of the face at 100 %, one row per strength.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage import data

from engine.damage import detect_damage
from engine.damage_hint import damage_for_hint
from engine.metrics import psnr
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import create_engine
from engine.restore import damage_scores

# The crack network in astronaut's 512×512 pixels: main cracks crossing the face, helmet and suit, and
# short branches off them, each a polyline of (x, y) points placed by eye.
CRACKS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((40, 20), (95, 70), (130, 92), (170, 140), (210, 160), (240, 205), (262, 260), (300, 310), (330, 380)),
    ((130, 92), (150, 60), (158, 20), (166, 0)),
    ((210, 160), (250, 150), (300, 158), (340, 140), (395, 150), (450, 130), (511, 118)),
    ((262, 260), (220, 290), (180, 300), (150, 340), (100, 360), (60, 410), (20, 430)),
    ((300, 310), (340, 300), (380, 320), (420, 310), (470, 330), (511, 320)),
    ((330, 380), (320, 420), (335, 470), (330, 511)),
    ((340, 140), (355, 190), (345, 230), (370, 270), (380, 320)),
    ((180, 300), (190, 350), (175, 400), (190, 460), (180, 511)),
    ((395, 150), (410, 100), (400, 60), (420, 20)),
    ((240, 205), (205, 230), (190, 250)),
    ((355, 190), (390, 200), (430, 185)),
    ((100, 360), (110, 400), (95, 450)),
    ((450, 130), (470, 180), (460, 230), (490, 260)),
)


STRENGTHS = {"bold": (1.0, 1.0), "faint": (0.45, 0.7)}  # (opacity of the paper showing, width factor)


def scene(strength: str = "bold", seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uncracked print, cracked scan, true mask): uint8 512×512×3 RGB, same, uint8 512×512 (255 = crack).
    ``strength``: "bold" (open cracks showing the paper) or "faint" (hairline cracks, half the contrast)."""
    opacity, thin = STRENGTHS[strength]
    rng = np.random.default_rng(seed)
    rgb = data.astronaut().astype(np.float32) / 255.0
    luma = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    sepia = np.stack([luma * 1.07, luma * 0.93, luma * 0.72], -1) * 0.85 + 0.08
    grain = cv2.GaussianBlur(rng.normal(0, 0.03, luma.shape).astype(np.float32), (0, 0), 0.8)
    print_ = np.clip(sepia + grain[..., None], 0, 1)
    ss = 4  # supersampled strokes: anti-aliased, sub-pixel widths
    core, edge = np.zeros((512 * ss, 512 * ss), np.uint8), np.zeros((512 * ss, 512 * ss), np.uint8)
    for line in CRACKS:
        pts = np.array(line, np.float32) * ss
        for a, b in itertools.pairwise(pts):
            width = float(rng.uniform(1.0, 2.6)) * thin
            pa, pb = tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int))
            cv2.line(edge, pa, pb, 255, round((width + 1.5) * ss), cv2.LINE_AA)
            cv2.line(core, pa, pb, round(255 * opacity), round(width * ss), cv2.LINE_AA)
    core_f = cv2.resize(core, (512, 512), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    edge_f = cv2.resize(edge, (512, 512), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255
    paper = np.array([0.93, 0.9, 0.8], np.float32)  # the paper base showing through the cracked emulsion
    cracked = print_ * (1 - 0.25 * opacity * np.clip(edge_f - core_f / opacity, 0, 1))  # the lifted edge's shadow
    cracked = cracked * (1 - core_f) + paper * core_f

    def to8(x: np.ndarray) -> np.ndarray:
        return np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8)

    def jpeg(x: np.ndarray) -> np.ndarray:
        _ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(x[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 85])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()

    clean, scan = jpeg(to8(print_)), jpeg(to8(cracked))
    truth = (np.abs(scan.astype(np.int16) - clean.astype(np.int16)).max(2) >= 8) & (edge_f[..., 0] > 0.2)
    return clean, scan, truth.astype(np.uint8) * 255


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", type=Path, help="detector weights (default: the installed ones)")
    ap.add_argument("--band", type=int, default=14, help="px the scratch-brush band reaches beyond each crack")
    ap.add_argument("--figure", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(2)
    engine = create_engine("ns")
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * args.band + 1, 2 * args.band + 1))
    report: dict[str, object] = {"weights": str(args.weights or "installed")}
    strips = []
    for strength in STRENGTHS:
        clean, scan, truth = scene(strength)
        found = detect_damage(scan, 0.5, method="network" if args.weights else "auto", weights=args.weights)
        hinted = np.maximum(found.mask, damage_for_hint(scan, cv2.dilate(truth, disc), found))
        rows: dict[str, object] = {"damage_share": float(np.mean(truth > 0)), "damaged_psnr": psnr(clean, scan)}
        restored = {}
        for name, mask in (("automatic", found.mask), ("with brush", hinted)):
            p, r = damage_scores(mask, truth)
            restored[name] = inpaint(scan, mask, engine, InpaintOptions()).image if mask.any() else scan
            db = psnr(clean, restored[name])
            rows[name] = {"precision": p, "recall": r, "marked": float(np.mean(mask > 0)), "restored_psnr": db}
            print(f"{strength:>5} {name:>11}: P {p:.3f} R {r:.3f} marked {np.mean(mask > 0):.2%} "
                  f"restored {db:.2f} dB (cracked {rows['damaged_psnr']:.2f} dB)")  # fmt: skip
        report[strength] = rows
        marked = scan.copy()
        marked[found.mask > 0] = (255, 0, 0)
        y, x = slice(0, 400), slice(100, 460)  # the face, helmet and shoulder
        strips.append(np.hstack([scan[y, x], marked[y, x], restored["automatic"][y, x]]))
    if args.figure:
        from engine.imageio import save_image

        save_image(args.figure, np.vstack(strips), quality=92)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
