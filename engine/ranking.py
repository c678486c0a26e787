"""Which engine the shipped evaluation ranks best: the editor's default engine.

Read from ``resources/weights/EVAL.md``, the document ``python -m training evaldoc`` writes from
the ``inpaint eval`` reports, so a re-trained or re-evaluated set of weights changes the default
with no code edit. The ranking uses that document's summary table ("Against the bar of issue
#6"): of the engines whose ``bar`` column says ``met``, the one with the highest mean PSNR over the
table's ``PSNR <bucket>`` columns (large and object holes, the cells' first number being the
engine's own). Columns are found by their header, so columns added later (texture, structure)
change nothing. No table, or no engine that met the bar: None, and the caller falls back.
"""

from __future__ import annotations

import math
from pathlib import Path

from engine.paths import BUNDLED_WEIGHTS

EVAL_DOC = BUNDLED_WEIGHTS / "EVAL.md"
#: The engine used when the evaluation names none that is available (the better classical fill
#: by every bucket of EVAL.md's Telea/NS rows).
FALLBACK_ENGINE = "ns"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _number(cell: str) -> float:
    try:
        return float(cell.split("/")[0].strip())
    except ValueError:
        return math.nan


def bar_scores(text: str) -> dict[str, float]:
    """{engine: mean PSNR over the summary's PSNR columns} for engines that met the bar."""
    lines = [line.strip() for line in text.splitlines()]

    def is_header(line: str) -> bool:
        cells = _cells(line) if line.startswith("|") else []
        return cells[:1] == ["engine"] and "bar" in cells and any(c.startswith("PSNR ") for c in cells)

    start = next((i for i, line in enumerate(lines) if is_header(line)), None)
    if start is None:
        return {}
    header = _cells(lines[start])
    scores: dict[str, float] = {}
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            break  # the table ended
        row = dict(zip(header, _cells(line), strict=False))
        if row.get("bar", "").lower() != "met":
            continue  # also skips the |---| separator
        psnr = [p for k, v in row.items() if k.startswith("PSNR ") and not math.isnan(p := _number(v))]
        if psnr:
            scores[row["engine"]] = sum(psnr) / len(psnr)
    return scores


def ranked_engines(path: Path | None = None) -> list[str]:
    """Engines that met the bar in ``path`` (default :data:`EVAL_DOC`), best first (empty if the file is missing)."""
    try:
        text = (path or EVAL_DOC).read_text(encoding="utf-8")
    except OSError:
        return []
    scores = bar_scores(text)
    return sorted(scores, key=lambda name: (-scores[name], name))


def best_engine(available: list[str] | None = None, path: Path | None = None) -> str:
    """The best-ranked engine of ``path`` that is in ``available`` (default: every engine the
    registry reports available), else :data:`FALLBACK_ENGINE`."""
    if available is None:
        from engine.registry import list_specs  # heavy (torch): only when asked to check

        available = [s.name for s in list_specs() if s.availability()[0]]
    for name in ranked_engines(path):
        if name in available:
            return name
    return FALLBACK_ENGINE
