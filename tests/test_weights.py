"""Weights files: round trip, metadata, tamper and pickle refusal."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from engine.errors import InpaintError
from engine.weights import load_weights, read_metadata, save_weights


def _tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {"conv.weight": torch.randn(4, 3, 3, 3, generator=g), "conv.bias": torch.randn(4, generator=g)}


def test_round_trip_keeps_values_and_metadata(tmp_path: Path) -> None:
    path = save_weights(
        tmp_path / "x.safetensors", _tensors(), {"engine": "pconv", "width": 0.5, "steps": 10}, dtype=None
    )
    tensors, meta = load_weights(path, expected_engine="pconv")
    for name, t in _tensors().items():
        assert torch.equal(tensors[name], t)
    assert meta["width"] == 0.5 and meta["steps"] == 10 and len(meta["sha256"]) == 64
    assert read_metadata(path)["engine"] == "pconv"


def test_fp16_export(tmp_path: Path) -> None:
    path = save_weights(tmp_path / "x.safetensors", _tensors(), {"engine": "pconv"})
    tensors, _ = load_weights(path)
    assert tensors["conv.weight"].dtype == torch.float16


def test_tampered_file_refused(tmp_path: Path) -> None:
    path = save_weights(tmp_path / "x.safetensors", _tensors(), {"engine": "pconv"}, dtype=None)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # flip bits inside the last tensor's bytes
    path.write_bytes(bytes(data))
    with pytest.raises(InpaintError, match=r"x\.safetensors failed its integrity check"):
        load_weights(path)


def test_truncated_and_wrong_engine_refused(tmp_path: Path) -> None:
    path = save_weights(tmp_path / "x.safetensors", _tensors(), {"engine": "pconv"}, dtype=None)
    with pytest.raises(InpaintError, match="exported for engine 'pconv', not 'dfnet'"):
        load_weights(path, expected_engine="dfnet")
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(InpaintError, match="not a valid safetensors"):
        load_weights(path)


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(InpaintError, match="does not exist"):
        load_weights(tmp_path / "none.safetensors")


class _SideEffect:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, ("touch SIDE_EFFECT_MARKER",))


def test_pickle_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("evil.safetensors", "evil.pth"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(_SideEffect(), protocol=4))
        with pytest.raises(InpaintError, match=r"pickle|safetensors"):
            load_weights(path)
    zipped = tmp_path / "evil2.safetensors"
    torch.save({"x": torch.zeros(1)}, zipped)  # a torch zip checkpoint renamed
    with pytest.raises(InpaintError, match="pickle"):
        load_weights(zipped)
    assert not (tmp_path / "SIDE_EFFECT_MARKER").exists()
