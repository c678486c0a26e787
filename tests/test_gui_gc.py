"""Cyclic garbage is collected on the GUI thread, never on the engine worker (app/gui_gc.py)."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

from PySide6.QtCore import QObject

from app import gui_gc
from tests.gui_support import make_window


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_window_moves_collection_to_the_gui_thread(qtbot, tmp_path: Path) -> None:
    make_window(qtbot, tmp_path)
    assert not gc.isenabled()
    collector = gui_gc.install()
    assert gui_gc.install() is collector  # one per application, however many windows

    # A Qt object in a cycle, dropped on the GUI thread ...
    holder = QObject()
    holder.cycle = holder  # type: ignore[attr-defined]
    ref = weakref.ref(holder)
    del holder
    # ... survives a worker thread allocating far past the collector's thresholds ...
    # (kept alive: the count the thresholds compare is allocations minus deallocations)
    kept: list[list[int]] = []
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(50 * gc.get_threshold()[0])))
    worker.start()
    worker.join()
    assert ref() is not None and gc.get_count()[0] > gc.get_threshold()[0]
    # ... and is freed by the GUI thread's timer.
    before = collector.collections
    qtbot.waitUntil(lambda: ref() is None, timeout=5000)
    assert collector.collections > before


def test_check_collects_only_when_a_generation_is_due(qtbot) -> None:
    collector = gui_gc.install()
    gc.collect()  # all counts back to zero
    assert collector.check() == 0
    node = _Node()
    ref = weakref.ref(node)
    del node
    for _ in range(gc.get_threshold()[0] + 1):
        _Node()
    assert collector.check() > 0
    assert ref() is None
