"""Training errors: a subclass of the project's one user-facing exception type."""

from __future__ import annotations

from engine.errors import InpaintError


class TrainingError(InpaintError):
    """A problem the user can fix (bad data folder, unknown engine, corrupt checkpoint, ...).

    The message names the file or value and says what to do; the CLI prints it and exits 2.
    """
