"""The status bar's widgets: progress of the running job with its Cancel button, and the permanent facts
(photo size, zoom, engine and device, time of the last run). Transient messages go through app.feedback."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton


class StatusLine:
    """Widgets added to ``bar``; ``cancel``: the action the button next to the progress bar triggers."""

    def __init__(self, bar: QStatusBar, cancel: QAction) -> None:
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress_label = QLabel()
        self.cancel_button = QToolButton()
        self.cancel_button.setDefaultAction(cancel)
        self.lbl_size = QLabel()
        self.lbl_zoom = QLabel()
        self.lbl_engine = QLabel()
        self.lbl_time = QLabel("last run: —")
        for w in (self.progress_label, self.progress, self.cancel_button):
            bar.addWidget(w)
            w.setVisible(False)
        for w in (self.lbl_size, self.lbl_zoom, self.lbl_engine, self.lbl_time):
            bar.addPermanentWidget(w)

    def show_busy(self, busy: bool) -> None:
        """Show the progress (from zero) while a job runs; hide it after."""
        if busy:
            self.set_progress(0.0, "Starting…")
        for w in (self.progress, self.progress_label, self.cancel_button):
            w.setVisible(busy)

    def set_progress(self, fraction: float, message: str) -> None:
        """``fraction`` in [0, 1]."""
        self.progress.setValue(round(fraction * 1000))
        self.progress_label.setText(message)

    def show_info(
        self, size: tuple[int, int] | None, zoom: float, engine: str, device: str, last_seconds: float | None
    ) -> None:
        """``size``: (width, height) of the photo, None when none is open; ``zoom``: 1.0 = 100 %.
        ``last_seconds`` None keeps the time shown (a new photo does not erase it)."""
        w, h = size or (0, 0)
        self.lbl_size.setText(f"{w}×{h} px ({w * h / 1e6:.1f} MP)" if size else "no photo")
        self.lbl_zoom.setText(f"zoom {zoom * 100:.0f} %")
        self.lbl_engine.setText(f"{engine} on {device.upper()}")
        if last_seconds is not None:
            self.lbl_time.setText(f"last run: {last_seconds:.2f} s")
