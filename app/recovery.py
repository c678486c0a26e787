"""Crash recovery: each editor window autosaves its editing session, offered back after a crash.

Every window has a session folder of its own under the recovery root (``$XDG_DATA_HOME/inpaint-studio/recovery``),
held by a lock file while the window lives (:mod:`app.recovery_sessions`): two windows never touch each other's
session, and after a crash every session whose lock is free is offered (:mod:`app.recovery_offer`). A session
folder holds:

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
import secrets
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal

from app.document import Document
from app.recovery_sessions import (
    FORMAT_VERSION,
    SESSION_FILE,
    Session,
    SessionFolder,
    clear_session,
    read_session,
    recovery_dir,
)

# The session layout lives in app.recovery_sessions; callers of the autosave get it from here too.
__all__ = ["FORMAT_VERSION", "SESSION_FILE", "Autosaver", "Session", "clear_session", "read_session", "recovery_dir"]


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


def _raise(error: OSError) -> None:
    raise error


def _write_png(path: Path, array: np.ndarray) -> None:
    # compress_level 1: speed matters more than size for a file that lives until the next save.
    _atomic_write(path, lambda f: Image.fromarray(array).save(f, format="PNG", compress_level=1))


class Autosaver(QObject):
    """Writes ``doc`` to the recovery folder ``delay_ms`` after a change (debounced by a QTimer).

    Changes are the undo stack's index moving (a finished stroke, an applied result, undo, redo)
    and a new photo. The timer is not restarted while it runs, so continuous editing is still saved
    at least every ``delay_ms``. A clean document (just opened or saved) has nothing to recover:
    its session is removed instead of written.

    ``root`` is the recovery root (default :func:`recovery_dir`); the autosaver locks a session folder of
    its own inside it (:attr:`folder`) before its first write — a window with nothing unsaved has nothing
    to protect and leaves no trace — and gives it up in :meth:`close`.
    """

    saved = Signal(int)  # undo index written
    failed = Signal(str)  # why the autosave could not be written (disk full, …)
    _written = Signal(int, str)  # from the autosave thread: (undo index, error or "")

    def __init__(self, doc: Document, root: Path | None = None, delay_ms: int = 2000) -> None:
        super().__init__(doc)
        self.doc = doc
        self.root = root or recovery_dir()
        self.session: SessionFolder | None = None  # claimed by the first write (_prepare)
        self.enabled = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.save_in_background)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._pending: Future[None] | None = None
        self._written.connect(self._on_written)
        self._generation = 0
        self._token = secrets.token_hex(3)  # file names unique across processes, even with a reused pid
        self._pristine: np.ndarray | None = None  # the image as read from the source file
        self._image_file: tuple[int, str] | None = None  # (revision, file name) of the image PNG written
        doc.undo_stack.indexChanged.connect(self.schedule)
        doc.image_replaced.connect(self._on_image_replaced)

    @property
    def folder(self) -> Path | None:
        """This window's session folder (None before its first autosave)."""
        return self.session.folder if self.session is not None else None

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
        """Write the session now and wait for it (or remove it if there is nothing unsaved).

        False on failure. The debounce timer uses :meth:`save_in_background` instead."""
        self.timer.stop()
        self.wait()
        if not self.enabled:
            return False
        job = self._prepare()
        if job is None:
            return True
        write, index = job
        try:
            write()
        except OSError as exc:
            self._on_written(index, exc.strerror or str(exc))
            return False
        self.saved.emit(index)
        return True

    def save_in_background(self) -> None:
        """Snapshot the session on the GUI thread, encode and write it on the autosave thread.

        A 24 MP mask PNG takes ~0.1 s to encode and an applied 24 MP image ~1 s: on the GUI
        thread that froze brush strokes (benchmarks/gui.py). ``saved``/``failed`` arrive later."""
        if not self.enabled:
            return
        if self._pending is not None and not self._pending.done():
            self.timer.start()  # the previous write is still running: try again after the delay
            return
        job = self._prepare()
        if job is None:
            return
        write, index = job

        def run() -> None:
            try:
                write()
            except OSError as exc:
                self._written.emit(index, exc.strerror or str(exc))
            else:
                self._written.emit(index, "")

        self._pending = self._pool.submit(run)

    def wait(self) -> None:
        """Block until a background write has finished (before clearing or writing again)."""
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def _on_written(self, index: int, error: str) -> None:
        if error:
            self._image_file = None  # it may not have been written: write it again next time
            self.failed.emit(f"autosave to {self.folder or self.root} failed: {error}")
        else:
            self.saved.emit(index)

    def _prepare(self) -> tuple[Callable[[], None], int] | None:
        """Copy what the session needs (GUI thread) and return (writer, undo index); None when
        the document is clean, after removing its session."""
        doc = self.doc
        if not doc.loaded or doc.undo_stack.isClean():
            self.clear()
            return None
        self._generation += 1
        gen = f"{self._token}-{self._generation}"
        mask_name = f"mask-{gen}.png"
        mask = doc.mask.copy()  # painted in place: copy; images are replaced, never modified
        image_name, image = None, None
        if self._pristine is None or doc.image is not self._pristine:
            if self._image_file is not None and self._image_file[0] == doc.revision:
                image_name = self._image_file[1]  # unchanged since the last autosave
            else:
                image_name, image = f"image-{gen}.png", doc.image
                self._image_file = (doc.revision, image_name)
        index = doc.undo_stack.index()
        meta = {
            "version": FORMAT_VERSION,
            "source": str(doc.source.path) if doc.source.path else None,
            "mask": mask_name,
            "image": image_name,
            "revision": doc.revision,
            "undo_index": index,
            "undo_count": doc.undo_stack.count(),
            "saved_at": time.time(),
        }
        try:  # locked on the GUI thread: never two sessions for one window
            self.session = self.session or SessionFolder.create(self.root)
        except OSError as exc:  # read-only or full disk: reported through `failed`, tried again next time
            self._image_file = None
            return partial(_raise, exc), index
        folder = self.session.folder

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            _write_png(folder / mask_name, mask)
            if image is not None:
                _write_png(folder / image_name, image)
            payload = json.dumps(meta, indent=1).encode()
            _atomic_write(folder / SESSION_FILE, lambda f: f.write(payload))
            keep = {SESSION_FILE, mask_name, image_name}
            for p in folder.iterdir():  # previous generations, and temp files of a killed run
                if p.name not in keep and (p.suffix == ".png" or p.name.startswith(".")):
                    p.unlink(missing_ok=True)

        return write, index

    def clear(self) -> None:
        """Remove this window's session files (saved, or back to clean); the folder stays this window's."""
        self.timer.stop()
        self.wait()  # a write still in flight must not re-create the session after this
        self._image_file = None
        if self.folder is not None:
            with contextlib.suppress(OSError):  # a stale session is only offered again; never block closing
                clear_session(self.folder)

    def adopt(self, session: SessionFolder) -> None:
        """Continue the dead ``session`` just restored into the document: its files stay until the next
        autosave replaces them (a crash before that still finds them), and this window's own, empty
        session is given up."""
        self.timer.stop()
        self.wait()
        if self.session is not None:
            self.session.release(remove=True)
        self.session = session
        self._image_file = None  # the adopted folder's image file is not ours: write one next time

    def close(self) -> None:
        """A deliberate close: stop autosaving and remove this window's session and its lock."""
        self.enabled = False
        self.clear()
        if self.session is not None:
            self.session.release(remove=True)
