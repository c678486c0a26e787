"""The recovery sessions on disk: one folder per editor window, held by a lock file while its window lives.

Layout under the recovery root (:func:`recovery_dir`)::

    recovery/
      <id>/        one window's session: session.json and its PNGs (written by app.recovery.Autosaver)
      <id>.lock    the QLockFile that window's process holds for as long as it runs

A window takes a fresh ``<id>`` and its lock when it starts, writes only into ``<id>/`` and removes both
when it closes. The lock is taken before the folder is made and dropped after the folder is removed, so a
folder whose lock someone else can take belongs to nobody: the process that held it is gone (QLockFile
checks whether the pid recorded in the lock file still runs; on Unix the kernel also drops the ``flock`` of a
killed process, and a stale lock file is only removed under that ``flock``). Such a *dead* session is what a
crash left behind and is offered at the next start; a live window's folder cannot be locked by any other
window, so nobody else offers, clears or overwrites it. :func:`read_session` reads a session folder's content.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QLockFile

LOCK_SUFFIX = ".lock"

#: Session folders this process holds. QLockFile treats a lock recorded under our own pid as live; after a
#: pid is reused (containers restart with small pids) a dead session could carry it, and this set tells
#: the two apart.
_HELD: set[Path] = set()


def recovery_dir() -> Path:
    """The recovery root, ``$XDG_DATA_HOME/inpaint-studio/recovery`` (``~/.local/share`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inpaint-studio" / "recovery"


SESSION_FILE = "session.json"
FORMAT_VERSION = 1


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


def read_session(folder: Path) -> Session | None:
    """The session in the session folder ``folder``, or None if there is none or it cannot be read
    (a damaged recovery folder must never stop the editor from starting)."""
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


def clear_session(folder: Path) -> None:
    """Delete the recovery files of the session folder ``folder`` (after a save, or undo back to clean)."""
    if not folder.is_dir():
        return
    (folder / SESSION_FILE).unlink(missing_ok=True)  # first: the session is gone even if the rest fails
    for p in folder.iterdir():
        if p.suffix == ".png" or p.name.startswith("."):
            p.unlink(missing_ok=True)


def _lock_file(folder: Path) -> QLockFile:
    lock = QLockFile(str(folder.with_name(folder.name + LOCK_SUFFIX)))
    # 0 = never stale by age: the default (30 s) would let a second window take a live window's lock
    # once it is older than that. Staleness then means only "its process is gone".
    lock.setStaleLockTime(0)
    return lock


def _try_lock(lock: QLockFile, folder: Path) -> bool:
    if lock.tryLock(0):
        return True
    info = lock.getLockInfo()  # PySide6: (pid, hostname, app name); pid 0 when unreadable
    pid = info[0] if isinstance(info, tuple) and info else 0
    if pid == os.getpid() and folder not in _HELD:
        # Recorded under our pid but not held by us: a dead process had the same pid. The removal takes
        # the lock file's flock first, so it fails (and we skip) if any live holder exists after all.
        return lock.removeStaleLockFile() and lock.tryLock(0)
    return False


class SessionFolder:
    """A session folder and the lock that makes it this process's (see the module docstring)."""

    def __init__(self, folder: Path, lock: QLockFile) -> None:
        self.folder = folder
        self._lock = lock
        _HELD.add(folder)

    @classmethod
    def create(cls, root: Path) -> SessionFolder:
        """A new, locked session under ``root`` (its folder is made by the first write).

        Raises OSError when ``root`` cannot be created or locked in (read-only or full disk)."""
        root.mkdir(parents=True, exist_ok=True)
        for _ in range(16):  # a name taken by chance (8 random hex digits): draw again
            folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
            lock = _lock_file(folder)
            if not lock.tryLock(0):
                if lock.error() != QLockFile.LockError.LockFailedError:
                    raise OSError(f"cannot create a lock file in {root} ({lock.error().name})")
                continue
            if folder.exists():  # a dead session with the same name: never write into it
                lock.unlock()
                continue
            return cls(folder, lock)
        raise OSError(f"cannot find a free session name in {root}")

    @property
    def held(self) -> bool:
        return self._lock.isLocked()

    def release(self, remove: bool) -> None:
        """Give the session up: ``remove`` deletes its folder first (a clean close, a discarded session),
        otherwise the files stay and the session is offered again at the next start."""
        if remove:
            with contextlib.suppress(OSError):  # a leftover is offered again later; never block closing
                shutil.rmtree(self.folder, ignore_errors=False)
        self._lock.unlock()  # also deletes the lock file
        _HELD.discard(self.folder)


def claim_dead(root: Path) -> Iterator[SessionFolder]:
    """Lock and yield, one at a time and newest first, each session folder under ``root`` whose owner is gone.

    The caller owns what it is given (restore and keep it, or :meth:`SessionFolder.release` it); folders not
    reached yet stay unlocked, free for another window. Lock files without a folder (a window that crashed
    before its first autosave) are removed on the way."""
    if not root.is_dir():
        return
    with contextlib.suppress(OSError):
        for lock_path in root.glob("*" + LOCK_SUFFIX):
            folder = root / lock_path.name.removesuffix(LOCK_SUFFIX)
            if not folder.exists():
                lock = _lock_file(folder)
                if _try_lock(lock, folder):
                    lock.unlock()

    def newest_first(folder: Path) -> float:
        with contextlib.suppress(OSError):
            return -folder.stat().st_mtime
        return 0.0

    try:
        folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=newest_first)
    except OSError:
        return
    for folder in folders:
        if folder in _HELD:
            continue
        lock = _lock_file(folder)
        if not _try_lock(lock, folder):
            continue
        if folder.is_dir():
            yield SessionFolder(folder, lock)
        else:  # another window claimed and discarded it between our listing and our lock
            lock.unlock()
