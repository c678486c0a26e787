"""Offering the autosaved session back after a crash, and restoring it into the document.

:mod:`app.recovery` writes and reads the session; :class:`RecoveryOffer` is the editor's side of the next start:
ask (or obey ``INPAINT_STUDIO_RECOVERY=restore|discard``), then bring back image, mask and applied edits.
"""

from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtWidgets import QMessageBox

from app.document import Document, Source
from app.feedback import Feedback
from app.recovery import Autosaver, Session, read_session
from engine.errors import InpaintError
from engine.imageio import load_image


class RecoveryOffer:
    """Restore or discard the session the autosaver of ``doc`` left behind."""

    def __init__(self, doc: Document, autosaver: Autosaver, feedback: Feedback) -> None:
        self.doc = doc
        self.autosaver = autosaver
        self.feedback = feedback

    def offer(self, answer: bool | None = None) -> bool:
        """If an autosaved session exists (the last run did not close cleanly), ask whether to
        restore it. ``answer`` (or ``INPAINT_STUDIO_RECOVERY=restore|discard``) skips the question.
        Returns True if a session was restored."""
        session = read_session(self.autosaver.folder)
        if session is None:
            return False
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
        if answer:
            return self.restore(session)
        self.autosaver.clear()
        self.feedback.status("Discarded the autosaved session")
        return False

    def restore(self, session: Session | None = None) -> bool:
        """Bring back the autosaved image, mask and applied edits (see :mod:`app.recovery`)."""
        session = session or read_session(self.autosaver.folder)
        if session is None:
            return False
        loaded = None
        if session.source is not None:
            try:
                loaded = load_image(session.source)
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
        self.feedback.status("Restored the autosaved session (Save to keep it)", 10000)
        return True
