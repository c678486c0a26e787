"""The one exception type for errors a user can cause, plus cancellation."""

from __future__ import annotations


class InpaintError(Exception):
    """An error the user can act on (bad file, wrong mask size, missing weights, ...).

    The message is meant to be shown as-is: it names the file or value and says how to fix it.
    The GUI shows it in a dialog; the CLI prints it on one line and exits with code 2.
    """


class ImageTooLarge(InpaintError):
    """An image over the decompression-bomb limit in force (``limit`` pixels): refused unless the
    caller raises the limit deliberately (``inpaint --max-pixels``, the editor's preference)."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class Cancelled(Exception):
    """Raised inside a running job when the caller asked it to stop (not an error)."""


def one_line(message: object, limit: int = 400) -> str:
    """``message`` (an exception or text) as the single line the CLI prints: its lines joined with
    " | " (a wrapped library message such as PyTorch's state-dict report spans many), at most
    ``limit`` characters."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = " | ".join(lines) if lines else type(message).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
