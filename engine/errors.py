"""The one exception type for errors a user can cause, plus cancellation."""

from __future__ import annotations


class InpaintError(Exception):
    """An error the user can act on (bad file, wrong mask size, missing weights, ...).

    The message is meant to be shown as-is: it names the file or value and says how to fix it.
    The GUI shows it in a dialog; the CLI prints it on one line and exits with code 2.
    """


class Cancelled(Exception):
    """Raised inside a running job when the caller asked it to stop (not an error)."""
