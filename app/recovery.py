"""Crash recovery: the editing session is autosaved to a folder and offered back on the next start.

Layout of the recovery folder (``$XDG_DATA_HOME/inpaint-studio/recovery``):

- ``session.json`` — source photo path, undo index/count, document revision, file names below.
- ``mask-<gen>.png`` — the current mask, uint8 H×W gray, stored exactly (soft brush values kept).
- ``image-<gen>.png`` — the current image (uint8 RGB), only when it differs from the source file
  (an applied result); otherwise the source file is re-read on restore.

Consistency without a multi-file transaction: the PNGs get a fresh generation number, are each
written to a temp file and renamed, and only then ``session.json`` (also temp + ``os.replace``)
points at them. A kill at any moment leaves either the old or the new session, never a mix.
Older generations are removed after the new ``session.json`` is in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal

from app.document import Document

SESSION_FILE = "session.json"
FORMAT_VERSION = 1


def recovery_dir() -> Path:
    """``$XDG_DATA_HOME/inpaint-studio/recovery`` (``~/.local/share`` when the variable is unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inpaint-studio" / "recovery"


@dataclass
class Session:
    """A recovered session. ``image`` is uint8 H×W×3 RGB or None (= the unchanged source file);
    ``mask`` uint8 H×W (0 = keep, > 127 = hole)."""

    source: Path | None
    mask: np.ndarray
    image: np.ndarray | None
    revision: int
    undo_index: int
    undo_count: int
    saved_at: float


def _atomic_write(path: Path, write: Callable[[object], None]) -> None:
    """Write through ``write(binary file)`` into a temp file next to ``path``, fsync, rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_png(path: Path, array: np.ndarray) -> None:
    # compress_level 1: autosave runs on the GUI thread, speed matters more than size here.
    _atomic_write(path, lambda f: Image.fromarray(array).save(f, format="PNG", compress_level=1))


def read_session(folder: Path | None = None) -> Session | None:
    """The session in ``folder`` (default :func:`recovery_dir`), or None if there is none or it
    cannot be read (a damaged recovery folder must never stop the editor from starting)."""
    folder = folder or recovery_dir()
    try:
        meta = json.loads((folder / SESSION_FILE).read_text(encoding="utf-8"))
        if meta.get("version") != FORMAT_VERSION:
            return None
        with Image.open(folder / meta["mask"]) as im:
            mask = np.asarray(im.convert("L")).copy()
        image = None
        if meta.get("image"):
            with Image.open(folder / meta["image"]) as im:
                image = np.asarray(im.convert("RGB")).copy()
            if image.shape[:2] != mask.shape:
                return None
        source = Path(meta["source"]) if meta.get("source") else None
        return Session(
            source,
            mask,
            image,
            int(meta.get("revision", 0)),
            int(meta.get("undo_index", 0)),
            int(meta.get("undo_count", 0)),
            float(meta.get("saved_at", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def clear_session(folder: Path | None = None) -> None:
    """Delete the recovery files (after a clean close, a save, or when the user declines)."""
    folder = folder or recovery_dir()
    if not folder.is_dir():
        return
    (folder / SESSION_FILE).unlink(missing_ok=True)  # first: the session is gone even if the rest fails
    for p in folder.iterdir():
        if p.suffix == ".png" or p.name.startswith("."):
            p.unlink(missing_ok=True)


class Autosaver(QObject):
    """Writes ``doc`` to the recovery folder ``delay_ms`` after a change (debounced by a QTimer).

    Changes are the undo stack's index moving (a finished stroke, an applied result, undo, redo)
    and a new photo. The timer is not restarted while it runs, so continuous editing is still saved
    at least every ``delay_ms``. A clean document (just opened or saved) has nothing to recover:
    its session is removed instead of written.
    """

    saved = Signal(int)  # undo index written
    failed = Signal(str)  # why the autosave could not be written (disk full, …)

    def __init__(self, doc: Document, folder: Path | None = None, delay_ms: int = 2000) -> None:
        super().__init__(doc)
        self.doc = doc
        self.folder = folder or recovery_dir()
        self.enabled = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.save_now)
        self._generation = 0
        self._pristine: np.ndarray | None = None  # the image as read from the source file
        self._image_file: tuple[int, str] | None = None  # (revision, file name) of the image PNG written
        doc.undo_stack.indexChanged.connect(self.schedule)
        doc.image_replaced.connect(self._on_image_replaced)

    def _on_image_replaced(self) -> None:
        self.mark_pristine()
        self.schedule()

    def mark_pristine(self, pristine: bool = True) -> None:
        """Whether the current image equals the source file (False after restoring applied edits)."""
        self._pristine = self.doc.image if pristine else None

    def schedule(self, *_: object) -> None:
        if self.enabled and not self.timer.isActive():
            self.timer.start()

    def save_now(self) -> bool:
        """Write the session now (or remove it if there is nothing unsaved). False on failure."""
        self.timer.stop()
        doc = self.doc
        if not self.enabled:
            return False
        if not doc.loaded or doc.undo_stack.isClean():
            self.clear()
            return True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._generation += 1
            gen = f"{os.getpid()}-{self._generation}"
            keep: set[str] = {SESSION_FILE}
            mask_name = f"mask-{gen}.png"
            _write_png(self.folder / mask_name, doc.mask)
            keep.add(mask_name)
            image_name = None
            if self._pristine is None or doc.image is not self._pristine:
                if self._image_file is not None and self._image_file[0] == doc.revision:
                    image_name = self._image_file[1]  # unchanged since the last autosave
                else:
                    image_name = f"image-{gen}.png"
                    _write_png(self.folder / image_name, doc.image)
                    self._image_file = (doc.revision, image_name)
                keep.add(image_name)
            meta = {
                "version": FORMAT_VERSION,
                "source": str(doc.source.path) if doc.source.path else None,
                "mask": mask_name,
                "image": image_name,
                "revision": doc.revision,
                "undo_index": doc.undo_stack.index(),
                "undo_count": doc.undo_stack.count(),
                "saved_at": time.time(),
            }
            payload = json.dumps(meta, indent=1).encode()
            _atomic_write(self.folder / SESSION_FILE, lambda f: f.write(payload))
            for p in self.folder.iterdir():  # previous generations, and temp files of a killed run
                if p.name not in keep and (p.suffix == ".png" or p.name.startswith(".")):
                    p.unlink(missing_ok=True)
        except OSError as exc:
            self.failed.emit(f"autosave to {self.folder} failed: {exc.strerror or exc}")
            return False
        self.saved.emit(doc.undo_stack.index())
        return True

    def clear(self) -> None:
        self.timer.stop()
        self._image_file = None
        with contextlib.suppress(OSError):  # a stale session is only offered again; never block closing
            clear_session(self.folder)
