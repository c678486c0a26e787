"""``resources/weights/EVAL.md`` from ``inpaint eval`` reports: the bar summaries of issues #6 and #16,
the contact sheet, each engine's table; optionally the texture section of each model card.

``python -m training evaldoc --eval data/eval/eval-*.json --output resources/weights/EVAL.md
[--sheet eval-sheet.jpg] [--cards resources/weights] [--command "..."]``
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.evaluate import BASELINES, BUCKET_ORDER, TEXTURE_SUFFIX
from training.card import (
    BAR_BPE,
    BAR_PSNR,
    TEXTURE_BUCKETS,
    TEXTURE_RATIO,
    bar_check,
    refresh_texture_section,
    summary_table,
    texture_bar_check,
)


def write_eval_doc(
    reports: list[str | Path],
    output: str | Path,
    commands: list[str] | None = None,
    sheet: str | None = None,
    cards: str | Path | None = None,
) -> Path:
    """``resources/weights/EVAL.md``: every engine's ``inpaint eval`` report beside the baselines.

    ``reports``: eval-<engine>.json files (one per learned engine, all on the same images and
    masks; each holds the engine alone, ``<engine>+texture`` and the baselines). Writes the bar
    summaries (issue #6: PSNR on the 30–60 % and object buckets, BPE on object holes, the engine
    alone against Navier–Stokes; issue #38: structure, texture and PSNR with the exemplar completion),
    the contact sheet ``sheet`` (a file name next to the output) if given, and each engine's table.
    ``cards``: a folder of ``<engine>.md`` model cards whose texture section is refreshed too.
    """
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for path in reports:  # one summary: reports may hold several engines, the baselines in any of them
        for row in json.loads(Path(path).read_text())["summary"]:
            merged.setdefault((row["bucket"], row["engine"]), row)
    rows_all = list(merged.values())
    names = sorted({r["engine"] for r in rows_all if not r["engine"].endswith(TEXTURE_SUFFIX)} - set(BASELINES))
    if not names or not any(r["engine"] == "ns" for r in rows_all):
        raise ValueError(f"{', '.join(map(str, reports))}: need learned engines and the Navier–Stokes baseline")
    # Each engine's table: the engine, its +texture rows and the baselines, bucket by bucket.
    order = {b: i for i, b in enumerate(BUCKET_ORDER)}
    rows_all.sort(key=lambda r: order.get(r["bucket"], len(order)))
    loaded = [
        (name, [r for r in rows_all if r["engine"] in {name, f"{name}{TEXTURE_SUFFIX}", *BASELINES}]) for name in names
    ]
    lines = [
        "# Evaluation of the shipped weights",
        "",
        "Held-out validation photos of the Debian corpus (`resources/corpus/split.txt` val part, scaled and "
        "centre-cropped to 512²) × fixed masks per hole-ratio bucket, composited results, beside OpenCV Telea, "
        "Navier–Stokes and the exemplar PatchMatch fill on the same images and masks. PSNR in dB, L1 and BPE "
        "(5-px band inside the hole edge, DFNet §4.2) in % of 255, detail = mean |Laplacian| of luma in the hole, "
        "result / truth; structure = PSNR of σ 4 px Gaussian blurs (dB; blur earns nothing, plausible texture "
        "costs nothing); texture = sliced Wasserstein distance ×1000 of the hole's 7×7 patches to the photo's, "
        "on three Laplacian bands (lower is better; blur and noise both score high). `<engine>+texture` is the "
        "engine followed by the exemplar completion (`engine/texture.py`, not part of the papers, on by default for "
        "learned engines; off with `--texture 0`), scored from the same run of the engine.",
        "",
        "Commands:",
        "",
        "```sh",
        *(commands or []),
        "```",
        "",
        "## Against the bar of issue #6 (engine alone vs Navier–Stokes)",
        "",
        "| engine | "
        + " | ".join(f"PSNR {b}" for b in BAR_PSNR)
        + " | "
        + " | ".join(f"BPE {b}" for b in BAR_BPE)
        + " | bar |",
        "|---|" + "---|" * (len(BAR_PSNR) + len(BAR_BPE) + 1),
    ]
    for engine, summary in loaded:
        rows = {(r["bucket"], r["engine"]): r for r in summary}
        cells = []
        for key, buckets in (("psnr", BAR_PSNR), ("bpe", BAR_BPE)):
            for b in buckets:
                mine, ns = rows.get((b, engine)), rows.get((b, "ns"))
                # BPE margins over Navier–Stokes are hundredths of a point: three decimals, as in the cards.
                digits = 3 if key == "bpe" else 2
                cells.append(f"{mine[key]:.{digits}f} / {ns[key]:.{digits}f}" if mine and ns else "—")
        ok, _ = bar_check(summary, engine)
        lines.append(f"| {engine} | " + " | ".join(cells) + f" | {'met' if ok else 'not yet'} |")
    lines += ["", "Cells: engine / NS. See each model card (`<engine>.md`) for the recipe and training time.", ""]
    lines += _texture_section(loaded)
    if sheet:
        lines += [
            "## Contact sheet",
            "",
            "Held-out photos with object holes, cropped to the hole with context: the masked input, the truth, "
            "the baselines and every learned engine alone and with its photo texture.",
            "",
            f"![contact sheet]({sheet})",
            "",
        ]
    for engine, summary in loaded:
        lines += [f"## {engine}", "", *summary_table(summary), ""]
        if cards is not None and (Path(cards) / f"{engine}.md").is_file():
            refresh_texture_section(Path(cards) / f"{engine}.md", summary, engine)
    out = Path(output)
    out.write_text("\n".join(lines))
    return out


def _texture_section(loaded: list[tuple[str, list[dict[str, Any]]]]) -> list[str]:
    """EVAL.md lines of the issue #38 bar: each learned engine with its photo texture, and patchmatch."""
    lines = [
        "## Against the bar of issue #38 (photo texture: exemplar completion)",
        "",
        "Learned engines with their photo texture: structure ≥ NS + 0.3 dB, "
        f"texture ≤ {TEXTURE_RATIO} × NS's, PSNR ≥ NS, on the {', '.join(TEXTURE_BUCKETS)} buckets; "
        f"PatchMatch: structure ≥ NS, texture ≤ {TEXTURE_RATIO} × NS's.",
        "",
        "| engine | bucket | structure dB: +texture / alone / NS | texture: +texture / alone / NS | "
        "PSNR dB: +texture / NS | bar |",
        "|---|---|---|---|---|---|",
    ]
    judged = [(engine, summary) for engine, summary in loaded]
    if loaded:
        judged.append(("patchmatch", loaded[0][1]))
    for engine, summary in judged:
        rows = {(r["bucket"], r["engine"]): r for r in summary}
        textured = f"{engine}{TEXTURE_SUFFIX}" if (TEXTURE_BUCKETS[0], f"{engine}{TEXTURE_SUFFIX}") in rows else engine
        for bucket in TEXTURE_BUCKETS:
            mine, alone, ns = rows.get((bucket, textured)), rows.get((bucket, engine)), rows.get((bucket, "ns"))
            if not (mine and alone and ns):
                lines.append(f"| {engine} | {bucket} | — | — | — | not evaluated |")
                continue
            ok = texture_bar_check(summary, engine, (bucket,))[0]
            lines.append(
                f"| {textured} | {bucket} | {mine['structure']:.2f} / {alone['structure']:.2f} / {ns['structure']:.2f} "
                f"| {mine['texture']:.0f} / {alone['texture']:.0f} / {ns['texture']:.0f} "
                f"({mine['texture'] / ns['texture']:.2f}×) | {mine['psnr']:.2f} / {ns['psnr']:.2f} | "
                f"{'met' if ok else 'not yet'} |"
            )
    return [*lines, ""]
