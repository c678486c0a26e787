"""The on-disk evaluation set: square held-out photos and one mask file per bucket."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from engine.metrics import mask_bucket
from training.cli import main


def test_evalset_writes_photos_and_bucket_masks(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        Image.fromarray(rng.integers(0, 256, (300, 500, 3), dtype=np.uint8)).save(corpus / f"{name}.png")
    split = tmp_path / "split.txt"
    split.write_text("train a.png\nval b.png\nval c.png\n")
    assert main(["evalset", "--data", str(corpus), "--split", str(split), "--out", str(tmp_path / "ev"),
                 "--size", "128", "--per-bucket", "2"]) == 0  # fmt: skip
    images = sorted(p.name for p in (tmp_path / "ev" / "images").iterdir())
    assert images == ["b.png", "c.png"]  # only the held-out part
    assert Image.open(tmp_path / "ev" / "images" / "b.png").size == (128, 128)
    masks = sorted((tmp_path / "ev" / "masks").iterdir())
    assert len(masks) == 16  # 6 ratio buckets + 2 object buckets, 2 each
    buckets = [mask_bucket(np.asarray(Image.open(m))) for m in masks]
    assert buckets.count("object 15-30%") == 2 and buckets.count("40-50%") == 2
