"""Engine weights: ``.safetensors`` tensors plus JSON metadata, with a content hash.

File layout: a safetensors file whose header metadata holds one key, ``inpaint_studio``, a JSON
object with at least ``engine`` (name), ``width`` (float), ``config`` (dict of build kwargs),
``sha256`` (of the tensors, see :func:`tensors_sha256`), and optionally ``steps``, ``data``,
``metrics``, ``recipe``, ``created``. Pickle checkpoints are never loaded (no ``torch.load``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from engine.errors import InpaintError

META_KEY = "inpaint_studio"
FORMAT_VERSION = 1
# Zip (torch.save since 1.6) and raw pickle magic numbers: refused before any parsing.
_PICKLE_MAGICS = (b"PK\x03\x04", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def tensors_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """Hash of names, dtypes, shapes and bytes, in name order (independent of file layout)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        # reshape(-1): 0-dim tensors (BatchNorm num_batches_tracked) cannot be viewed as bytes directly.
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def save_weights(
    path: str | Path,
    tensors: dict[str, torch.Tensor],
    metadata: dict[str, Any],
    dtype: torch.dtype | None = torch.float16,
) -> Path:
    """Write ``tensors`` (floating ones cast to ``dtype``; None keeps them) atomically.

    ``metadata`` must contain ``engine``; ``width`` defaults to 1.0 and ``config`` to {}.
    Returns the path written.
    """
    if "engine" not in metadata:
        raise ValueError("weights metadata needs an 'engine' entry")
    out: dict[str, torch.Tensor] = {}
    for name, t in tensors.items():
        t = t.detach().cpu()
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype)
        out[name] = t.contiguous()
    meta = {"format": FORMAT_VERSION, "width": 1.0, "config": {}, **metadata}
    meta["sha256"] = tensors_sha256(out)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(out, tmp, metadata={META_KEY: json.dumps(meta, sort_keys=True)})
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; weights are ordinary readable files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Metadata of a weights file without loading tensors (header only)."""
    path = _check_file(Path(path))
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(META_KEY)
    except (SafetensorError, OSError, ValueError) as exc:
        raise InpaintError(
            f"weights file {path} is not a valid safetensors file ({exc}); re-export or re-download it"
        ) from None
    return _parse_meta(path, raw)


def load_weights(
    path: str | Path, expected_engine: str | None = None
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Load tensors and metadata, verifying hash and engine name.

    Raises :class:`InpaintError` naming the file for: missing file, pickle/zip checkpoint,
    unparsable or truncated safetensors, missing metadata, hash mismatch (tampered or corrupt),
    weights exported for another engine.
    """
    path = _check_file(Path(path))
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            raw = (handle.metadata() or {}).get(META_KEY)
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise InpaintError(
            f"weights file {path} is not a valid safetensors file ({exc}); re-export or re-download it"
        ) from None
    meta = _parse_meta(path, raw)
    if expected_engine is not None and meta.get("engine") != expected_engine:
        raise InpaintError(
            f"weights file {path} was exported for engine {meta.get('engine')!r}, not {expected_engine!r}"
        )
    actual = tensors_sha256(tensors)
    if actual != meta.get("sha256"):
        raise InpaintError(
            f"weights file {path} failed its integrity check (sha256 of tensors does not match its "
            "metadata): the file is corrupt or was modified; re-export it"
        )
    return tensors, meta


def _check_file(path: Path) -> Path:
    if not path.is_file():
        raise InpaintError(f"weights file {path} does not exist")
    if path.suffix.lower() != ".safetensors":
        raise InpaintError(f"weights file {path} is not a .safetensors file; only safetensors weights are loaded")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_PICKLE_MAGICS):
        raise InpaintError(
            f"weights file {path} is a pickle/torch checkpoint; refusing to load it (pickles can run code). "
            "Export it to safetensors with `python -m training export`"
        )
    return path


def _parse_meta(path: Path, raw: str | None) -> dict[str, Any]:
    if raw is None:
        raise InpaintError(
            f"weights file {path} has no Inpaint Studio metadata; export it with `python -m training export`"
        )
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError:
        raise InpaintError(f"weights file {path} has unreadable metadata (not JSON)") from None
    if not isinstance(meta, dict) or "engine" not in meta or "sha256" not in meta:
        raise InpaintError(f"weights file {path} metadata lacks 'engine' or 'sha256'")
    return meta
