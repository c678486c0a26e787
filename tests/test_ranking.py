"""The default engine comes from the shipped evaluation document (engine.ranking)."""

from __future__ import annotations

import json
from pathlib import Path

from engine import ranking
from engine.registry import list_specs
from training.card import BAR_PSNR
from training.evaldoc import write_eval_doc

BUCKETS = ("0-10%", "10-20%", "20-30%", "30-40%", "40-50%", "50-60%", "object 5-15%", "object 15-30%")


def _report(tmp_path: Path, engine: str, gain: float, bpe_gain: float = 0.1) -> Path:
    """An `inpaint eval` JSON report: ``engine`` ``gain`` dB above NS on every bucket."""
    rows = []
    for i, bucket in enumerate(BUCKETS):
        ns = 40.0 - i
        for name, psnr, bpe in (("telea", ns - 0.5, 2.5), ("ns", ns, 2.3), (engine, ns + gain, 2.3 - bpe_gain)):
            rows.append(
                {"bucket": bucket, "engine": name, "n": 4, "psnr": psnr, "ssim": 0.9, "l1": 1.0, "bpe": bpe,
                 "detail": 0.5, "structure": psnr + 3, "texture": 0.2, "seconds": 0.1}
            )  # fmt: skip
    path = tmp_path / f"eval-{engine}.json"
    path.write_text(json.dumps({"summary": rows}))
    return path


def test_ranking_reads_what_evaldoc_writes(tmp_path: Path) -> None:
    """Round trip through the real writer: a change of EVAL.md's layout that breaks the ranking fails here."""
    reports = [_report(tmp_path, "dfnet", 0.3), _report(tmp_path, "pconv", 0.8), _report(tmp_path, "glcic", 0.5)]
    reports.append(_report(tmp_path, "isnet", 2.0, bpe_gain=-0.5))  # best PSNR but misses the BPE bar
    doc = write_eval_doc(reports, tmp_path / "EVAL.md", ["inpaint eval ..."])
    assert ranking.ranked_engines(doc) == ["pconv", "glcic", "dfnet"]
    scores = ranking.bar_scores(doc.read_text())
    # the score is the mean PSNR over the summary's bar buckets, the engine's own number of each cell
    assert abs(scores["pconv"] - (sum(40.0 - BUCKETS.index(b) for b in BAR_PSNR) / len(BAR_PSNR) + 0.8)) < 0.01
    assert ranking.best_engine(["telea", "ns", "glcic", "dfnet"], doc) == "glcic"  # pconv not available
    assert ranking.best_engine(["telea", "ns"], doc) == ranking.FALLBACK_ENGINE


def test_missing_or_tableless_document_falls_back(tmp_path: Path) -> None:
    assert ranking.ranked_engines(tmp_path / "none.md") == []
    (tmp_path / "plain.md").write_text("# Evaluation\n\nno table yet\n")
    assert ranking.best_engine(["ns", "pconv"], tmp_path / "plain.md") == "ns"


def test_shipped_document_names_an_available_learned_engine() -> None:
    ranked = ranking.ranked_engines()
    assert ranked, "resources/weights/EVAL.md has no engine that met the bar"
    available = {s.name for s in list_specs() if s.availability()[0]}
    assert ranking.best_engine() == next(n for n in ranked if n in available)
