"""Offering autosaved sessions back after a crash, and restoring one into the document.

:mod:`app.recovery` writes the sessions, :mod:`app.recovery_sessions` locks and reads them; :class:`RecoveryOffer`
is the editor's side of the next start: for each session a crashed window left (never one a running window still
holds), ask (or obey ``INPAINT_STUDIO_RECOVERY=restore|discard``), then bring back image, mask and applied edits.
One window takes one session; :func:`app.main.main` opens a window for each further one.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QMessageBox

from app.document import Document, Source
from app.feedback import Feedback
from app.recovery import Autosaver
from app.recovery_sessions import SESSION_FILE, Session, SessionFolder, claim_dead, read_session
from engine.errors import InpaintError
from engine.imageio import load_image


def _move_legacy_session(root: Path) -> None:
    """Before sessions had folders of their own, one session lived in the root itself: move it into a
    session folder of its own (left unlocked, so it is offered like any other dead session)."""
    if not (root / SESSION_FILE).is_file():
        return
    with contextlib.suppress(OSError):
        held = SessionFolder.create(root)
        held.folder.mkdir()
        for p in root.iterdir():
            if p.is_file() and (p.name == SESSION_FILE or p.suffix == ".png"):
                os.replace(p, held.folder / p.name)
        held.release(remove=False)


def dead_sessions(root: Path) -> Iterator[tuple[SessionFolder, Session | None]]:
    """Each session under the recovery root ``root`` that no running window holds (a crash left it), locked
    for the caller, with its content (None if unreadable), newest first; see :func:`app.recovery_sessions.claim_dead`."""
    _move_legacy_session(root)
    for held in claim_dead(root):
        yield held, read_session(held.folder)


def count_dead_sessions(root: Path) -> int:
    """How many readable sessions under ``root`` no running window holds (each left exactly as found)."""
    found = 0
    for held, session in dead_sessions(root):
        found += session is not None
        held.release(remove=False)
    return found


class RecoveryOffer:
    """Restore or discard the session the autosaver of ``doc`` left behind."""

    def __init__(self, doc: Document, autosaver: Autosaver, feedback: Feedback, max_pixels: int | None = None) -> None:
        """``max_pixels``: the largest source photo to read again (None: Pillow's guard), as for opening."""
        self.doc = doc
        self.autosaver = autosaver
        self.feedback = feedback
        self.max_pixels = max_pixels

    def offer(self, answer: bool | None = None) -> bool:
        """Offer the sessions crashed windows left behind, newest first, until one is restored into this
        document. ``answer`` (or ``INPAINT_STUDIO_RECOVERY=restore|discard``) skips the question. A declined
        session is deleted; one that cannot be read or restored stays for a later start. Returns True if a
        session was restored (the sessions after it are left for other windows)."""
        for held, session in dead_sessions(self.autosaver.root):
            if session is None:
                # Without session.json (killed during its first write) nothing is recoverable: it goes. A damaged
                # one, or one from a newer version, stays: deleting what we cannot read could delete someone's work.
                held.release(remove=not (held.folder / SESSION_FILE).exists())
            elif not self._accepted(session, answer):
                held.release(remove=True)
                self.feedback.status("Discarded the autosaved session")
            elif self.restore(session, held):
                return True
            else:
                held.release(remove=False)
        return False

    def _accepted(self, session: Session, answer: bool | None) -> bool:
        """Whether to restore ``session``: ``answer``, the environment's, or the user's."""
        if answer is None:
            choice = os.environ.get("INPAINT_STUDIO_RECOVERY", "").lower()
            if choice in ("restore", "discard"):
                answer = choice == "restore"
            else:
                name = session.source.name if session.source else "an untitled photo"
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.saved_at))
                reply = QMessageBox.question(
                    self.feedback.parent,
                    "Restore unsaved work?",
                    f"Inpaint Studio was not closed properly. Unsaved edits of {name} were autosaved at {when}.\n\n"
                    "Restore them? The image, the mask and the applied results come back; the undo history "
                    "does not (the restored edits become a single undo step). No discards them for good.",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.Yes,  # unlike other questions: Enter keeps the work
                )
                answer = reply == QMessageBox.StandardButton.Yes
        return answer

    def restore(self, session: Session, held: SessionFolder) -> bool:
        """Bring back the autosaved image, mask and applied edits (see :mod:`app.recovery`); the window's
        autosaver then continues the session ``held`` in place of its own."""
        loaded = None
        if session.source is not None:
            try:
                loaded = load_image(session.source, max_pixels=self.max_pixels)
            except InpaintError:
                loaded = None  # moved or deleted: the autosaved image alone can still be restored
        if loaded is not None and loaded.rgb.shape[:2] == session.mask.shape:
            self.doc.set_image(loaded.rgb, Source(session.source, loaded.format, loaded.exif, loaded.icc))
            if session.image is not None and not np.array_equal(session.image, loaded.rgb):
                self.doc.apply_result(session.image, "Restored edits")  # undo goes back to the original
        elif session.image is not None:
            self.doc.set_image(session.image, Source(session.source))
            self.autosaver.mark_pristine(False)
            self.doc.undo_stack.resetClean()  # unsaved work, even with an empty undo stack
        else:
            self.feedback.show_error(
                "Cannot restore",
                f"the photo {session.source} of the autosaved session cannot be read any more "
                "(moved, deleted or changed size); put it back and restart to restore the mask",
            )
            return False
        self.doc.set_mask(session.mask, "Restored mask")
        self.autosaver.adopt(held)
        self.autosaver.schedule()  # rewrite it in this window's own files soon
        self.feedback.status("Restored the autosaved session (Save to keep it)", 10000)
        return True
