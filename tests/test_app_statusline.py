"""app.statusline.StatusLine on a bare status bar."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from app.statusline import StatusLine

pytestmark = pytest.mark.gui


def test_progress_and_facts(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    cancel = QAction("Cancel", window)
    line = StatusLine(window.statusBar(), cancel)
    window.show()
    assert not line.progress.isVisible() and not line.cancel_button.isVisible()
    line.show_busy(True)
    assert line.progress.isVisible() and line.cancel_button.isVisible() and line.progress.value() == 0
    assert line.progress_label.text() == "Starting…" and line.cancel_button.defaultAction() is cancel
    line.set_progress(0.25, "region 1/4")
    assert line.progress.value() == 250 and line.progress_label.text() == "region 1/4"
    line.show_busy(False)
    assert not line.progress.isVisible() and not line.progress_label.isVisible()

    line.show_info(None, 1.0, "—", "cpu", None)
    assert line.lbl_size.text() == "no photo" and line.lbl_time.text() == "last run: —"
    line.show_info((6000, 4000), 0.255, "Telea (OpenCV)", "cpu", 1.234)
    assert line.lbl_size.text() == "6000×4000 px (24.0 MP)" and line.lbl_zoom.text() == "zoom 26 %"
    assert line.lbl_engine.text() == "Telea (OpenCV) on CPU" and line.lbl_time.text() == "last run: 1.23 s"
    line.show_info((10, 10), 1.0, "Telea (OpenCV)", "cpu", None)
    assert line.lbl_time.text() == "last run: 1.23 s"  # kept until the next run
