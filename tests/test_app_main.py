"""The `inpaint-studio` entry point (what `make run` starts) opens the bundled sample photo."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app import main as entry
from engine.paths import SAMPLE_PHOTO


def test_entry_point_opens_the_sample_photo(qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    seen: dict[str, object] = {}

    def fake_exec() -> int:
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        seen["title"] = window.windowTitle()
        seen["size"] = window.doc.size
        window.ask_before_close = False
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    assert entry.main(["inpaint-studio", str(SAMPLE_PHOTO)]) == 0
    assert "storm.jpg" in str(seen["title"])
    assert seen["size"] == (1440, 960)  # (width, height)
