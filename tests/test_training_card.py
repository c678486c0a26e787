"""Model cards: metadata, bar verdict with numbers, validation table."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from engine.models.glcic import GLCICEngine
from engine.torch_engine import export_module
from training.card import bar_check, write_card


def _summary(
    psnr_gap: float, bpe_gap: float, structure_gap: float = 0.5, texture_ratio: float = 0.7
) -> list[dict[str, object]]:
    """NS, glcic, glcic+texture (NS's structure + ``structure_gap``, texture ``texture_ratio`` × NS's)
    and patchmatch rows on the bar buckets."""
    rows = []
    for bucket in ("30-40%", "40-50%", "50-60%", "object 5-15%", "object 15-30%"):
        base = {"bucket": bucket, "n": 4, "ssim": 0.9, "l1": 1.0, "detail": 0.5, "seconds": 0.1}
        rows.append({**base, "engine": "ns", "psnr": 30.0, "bpe": 3.0, "structure": 33.0, "texture": 400.0})
        mine = {"psnr": 30.0 + psnr_gap, "bpe": 3.0 + bpe_gap, "structure": 33.0 + structure_gap}
        rows.append({**base, "engine": "glcic", **mine, "texture": 500.0})
        rows.append({**base, "engine": "glcic+texture", **mine, "texture": 400.0 * texture_ratio})
        rows.append({**base, "engine": "patchmatch", "psnr": 29.0, "bpe": 3.5, "structure": 33.1, "texture": 280.0})
    return rows


def test_texture_bar_check() -> None:
    from training.card import texture_bar_check

    assert texture_bar_check(_summary(0.5, -0.2), "glcic")[0]
    ok, lines = texture_bar_check(_summary(0.5, -0.2, texture_ratio=0.8), "glcic")
    assert not ok and any("texture 320 vs NS 400 (0.80×)" in line and line.endswith("✗") for line in lines)
    assert not texture_bar_check(_summary(0.5, -0.2, structure_gap=0.2), "glcic")[0]  # below NS + 0.3 dB
    assert not texture_bar_check(_summary(-0.1, -0.2), "glcic")[0]  # PSNR below NS
    assert texture_bar_check(_summary(0.5, -0.2), "patchmatch")[0]  # 280 <= 0.75 × 400, structure >= NS
    low = [{**r, "structure": 32.9} if r["engine"] == "patchmatch" else r for r in _summary(0.5, -0.2)]
    assert not texture_bar_check(low, "patchmatch")[0]  # structure below NS


def test_bar_check_needs_every_criterion() -> None:
    assert bar_check(_summary(0.5, -0.2), "glcic")[0]
    ok, lines = bar_check(_summary(0.5, +0.2), "glcic")
    assert not ok and any("BPE object 5-15%: 3.200 % vs NS 3.000 % — ✗" in line for line in lines)
    assert not bar_check(_summary(-0.1, -0.2), "glcic")[0]


def test_card_contents(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = GLCICEngine.build(0.125, {})
    weights = export_module(
        module, tmp_path / "glcic.safetensors", "glcic", 0.125, {"mean": [0.5, 0.5, 0.5]}, steps=1234,
        wall_clock=7200.0, recipe={"paper": "Iizuka", "vgg": None, "size": 256, "batch": 4},
    )  # fmt: skip
    report = tmp_path / "eval.json"
    report.write_text(json.dumps({"summary": _summary(-1.0, 1.0), "records": []}))
    card = write_card(weights, report, tmp_path / "glcic.md", notes="- blurry", command="inpaint eval ...")
    text = card.read_text()
    assert "Does not meet the bar yet" in text and "PSNR 30-40%: 29.00 dB vs NS 30.00 dB — ✗" in text
    assert "Steps: 1234; wall-clock 2.00 h" in text and "Width 0.125" in text and "- blurry" in text
    assert "| object 15-30% | glcic | 4 | 29.00 |" in text
    assert "Deviation from the paper" not in text  # faithful weights: no deviation line


def test_card_states_the_prefill_deviation(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = GLCICEngine.build(0.125, {"prefill": "ns"})
    weights = export_module(
        module, tmp_path / "glcic.safetensors", "glcic", 0.125, {"prefill": "ns"}, steps=10,
        wall_clock=60.0, recipe={"paper": "Iizuka", "vgg": None, "size": 256, "batch": 4,
                                 "options": {"objective": "reconstruction", "ema": 0.995}},
    )  # fmt: skip
    report = tmp_path / "eval.json"
    report.write_text(json.dumps({"summary": _summary(0.5, -0.2), "records": []}))
    text = write_card(weights, report, tmp_path / "glcic.md").read_text()
    assert "**Meets the bar.**" in text
    assert "Deviation from the paper (CPU budget):** the network is a residual on a classical `ns` prefill" in text
    assert "Deviation from the paper (objective):** trained as the generator alone on L1 over the hole" in text
    assert "exponential moving average of the generator (decay 0.995 per step)" in text
    assert "RMSE over the hole" not in text and "average-pooled" not in text


def test_card_states_the_head_and_optimiser_options() -> None:
    from training.card import _option_lines

    text = "\n".join(
        _option_lines(
            {"objective": "reconstruction", "hole_loss": "rmse", "band_weight": 12, "blur_sigmas": [2, 8],
             "edge_radii": [3, 12], "clip_grad": 1.0}
        )
    )  # fmt: skip
    assert "RMSE over the hole plus 12 × L1 over its 5-px boundary band" in text
    assert "one coefficient map per blur sigma (2, 8 px)" in text
    assert "at least 3, 12 px from the known ones" in text
    assert "clipped to a global L2 norm of 1" in text
    assert "at least" not in "\n".join(_option_lines({"blur_sigmas": [2]}))


def test_eval_doc_summarises_every_engine(tmp_path: Path) -> None:
    from training.evaldoc import write_eval_doc

    reports = []
    for engine, gap in (("glcic", 0.5), ("pconv", -1.0)):
        rows = [{**r, "engine": r["engine"].replace("glcic", engine)} for r in _summary(gap, -gap)]
        path = tmp_path / f"eval-{engine}.json"
        path.write_text(json.dumps({"summary": rows, "records": []}))
        reports.append(path)
    text = write_eval_doc(reports, tmp_path / "EVAL.md", ["inpaint eval --engine glcic ..."]).read_text()
    assert "inpaint eval --engine glcic ..." in text
    glcic = next(line for line in text.splitlines() if line.startswith("| glcic |"))
    pconv = next(line for line in text.splitlines() if line.startswith("| pconv |"))
    assert "30.50 / 30.00" in glcic and glcic.endswith("| met |")
    assert "29.00 / 30.00" in pconv and pconv.endswith("| not yet |")
    assert "## glcic" in text and "## pconv" in text
    assert (
        "| glcic+texture | object 15-30% | 33.50 / 33.50 / 33.00 | 280 / 500 / 400 (0.70×) | 30.50 / 30.00 | met |"
        in text
    )
    assert "| patchmatch | 30-40% |" in text and "| pconv+texture | 30-40% |" in text


def test_texture_section_is_refreshed_in_place_keeping_the_notes(tmp_path: Path) -> None:
    from training.card import TEXTURE_HEADING, refresh_texture_section

    card = tmp_path / "glcic.md"
    card.write_text("# GLCIC\n\n## Status\n\nok\n\n## Training\n\n- steps\n\n## Known weaknesses\n\n- my notes\n")
    refresh_texture_section(card, _summary(0.5, -0.2), "glcic")
    first = card.read_text()
    assert first.index("## Status") < first.index(TEXTURE_HEADING) < first.index("## Training")
    assert "--texture 0" in first and "not part of the paper" in first and "bar: met" in first
    assert "- object 15-30%: structure 33.50 dB vs alone 33.50 / NS 33.00" in first
    refresh_texture_section(card, _summary(0.5, -0.2, texture_ratio=0.9), "glcic")
    second = card.read_text()
    assert second.count(TEXTURE_HEADING) == 1 and "bar: not met yet" in second and "- my notes" in second
