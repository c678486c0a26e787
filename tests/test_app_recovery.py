"""Never lose work (issue #8, editor side): autosave + crash recovery, failed saves, bad masks."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from app.recovery import SESSION_FILE, read_session, recovery_dir
from app.window import MainWindow
from engine.pipeline import inpaint
from tests.gui_support import answer as _answer
from tests.gui_support import box_mask as _box
from tests.gui_support import make_window as _make_window
from tests.gui_support import open_window, save_photo

pytestmark = pytest.mark.gui
RECOVERY_AUTOSAVE_MS = 150  # short debounce: the tests wait for autosaves
ROOT = Path(__file__).resolve().parents[1]


def _crash(w: MainWindow) -> None:
    """What a killed editor leaves (simulated in this process): its session's files, no live lock, no window."""
    w.autosaver.enabled = False
    w.autosaver.session.release(remove=False)
    w.worker.shutdown()
    w.hide()


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    yield from open_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)


@pytest.fixture
def photo_path(photo: np.ndarray, tmp_path: Path) -> Path:
    return save_photo(photo, tmp_path)


# ------------------------------------------------------------------ autosave
def test_autosave_is_debounced_written_and_removed_after_save(qtbot, window: MainWindow, photo_path, tmp_path) -> None:
    w = window
    assert w.open_path(photo_path)
    qtbot.wait(3 * RECOVERY_AUTOSAVE_MS)
    assert w.autosaver.folder is None  # a just-opened photo has nothing to recover: no session at all

    soft = _box(w.doc.mask.shape, 100, 80, 140, 120, 200)  # soft brush values are kept exactly
    with qtbot.waitSignal(w.autosaver.saved, timeout=10000):
        w.doc.set_mask(soft, "paint")
    folder = w.autosaver.folder  # this window's own session, inside the recovery root
    assert folder is not None and folder.parent == recovery_dir()
    assert str(folder).startswith(os.environ["XDG_DATA_HOME"])
    session = read_session(folder)
    assert session is not None and session.source == photo_path.resolve()
    assert np.array_equal(session.mask, soft) and session.image is None  # image unchanged: not copied
    assert session.undo_index == 1 and session.revision == w.doc.revision

    result = inpaint(w.doc.image, w.doc.hole(), "telea").image
    with qtbot.waitSignal(w.autosaver.saved, timeout=10000):
        w.doc.apply_result(result)
    session = read_session(folder)
    assert np.array_equal(session.image, result) and not session.mask.any()
    pngs = sorted(p.name for p in folder.iterdir())
    assert len(pngs) == 3 and not [p for p in pngs if p.startswith(".")]  # json + mask + image, no leftovers

    assert w.save_to(tmp_path / "out.png")
    assert not (folder / SESSION_FILE).exists()  # saved: nothing to recover
    w.doc.set_mask(soft, "paint again")
    qtbot.waitUntil(lambda: (folder / SESSION_FILE).exists(), timeout=10000)
    w.close()
    assert read_session(folder) is None  # a clean close removes the session
    assert not list(recovery_dir().iterdir())  # its folder and its lock too


def test_undo_back_to_clean_removes_the_session(qtbot, window: MainWindow, photo_path) -> None:
    w = window
    assert w.open_path(photo_path)
    with qtbot.waitSignal(w.autosaver.saved, timeout=10000):
        w.doc.set_mask(_box(w.doc.mask.shape, 10, 10, 50, 50), "paint")
    assert read_session(w.autosaver.folder) is not None
    w.doc.undo_stack.undo()
    qtbot.waitUntil(lambda: read_session(w.autosaver.folder) is None, timeout=10000)


def test_autosave_is_debounced(qtbot, window: MainWindow, photo_path) -> None:
    w = window
    assert w.open_path(photo_path)
    saves: list[int] = []
    w.autosaver.saved.connect(saves.append)
    for i in range(20):  # a burst of strokes: one write, not twenty
        w.doc.set_mask(_box(w.doc.mask.shape, i, i, i + 30, i + 30), f"stroke {i}")
    assert not saves
    qtbot.waitUntil(lambda: bool(saves), timeout=10000)
    qtbot.wait(400)
    assert saves == [20]
    assert np.array_equal(read_session(w.autosaver.folder).mask, w.doc.mask)


def test_failed_autosave_keeps_the_previous_session(
    qtbot, window: MainWindow, photo_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.recovery

    w = window
    assert w.open_path(photo_path)
    first = _box(w.doc.mask.shape, 10, 10, 60, 60)
    w.doc.set_mask(first, "paint")
    assert w.autosaver.save_now()
    real_replace = os.replace

    def full_on_session(src, dst):
        if str(dst).endswith(SESSION_FILE):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(app.recovery.os, "replace", full_on_session)
    w.doc.set_mask(_box(w.doc.mask.shape, 100, 100, 200, 200), "paint more")
    with qtbot.waitSignal(w.autosaver.failed, timeout=10000) as blocker:
        w.autosaver.save_now()
    assert "No space left" in blocker.args[0]
    assert "autosave" in w.statusBar().currentMessage()
    assert np.array_equal(read_session(w.autosaver.folder).mask, first)  # the old session is intact and consistent
    monkeypatch.setattr(app.recovery.os, "replace", real_replace)  # not monkeypatch.undo(): keeps XDG_DATA_HOME
    assert w.autosaver.save_now()
    assert np.array_equal(read_session(w.autosaver.folder).mask, w.doc.mask)


def test_damaged_recovery_folder_is_ignored(qtbot, tmp_path: Path) -> None:
    folder = recovery_dir()
    folder.mkdir(parents=True)
    damaged = '{"version": 1, "mask": "missing.png"'
    (folder / SESSION_FILE).write_text(damaged)  # where sessions lived before each window had its own
    w = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    assert not w.offer_recovery()  # no dialog, no crash
    w.close()
    kept = [p.read_text() for p in folder.glob(f"*/{SESSION_FILE}")]
    assert kept == [damaged]  # moved into a session folder of its own, and kept: it may be someone's work


# -------------------------------------------------------------- crash + restore
DRIVER = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app import main as entry
    from engine.pipeline import inpaint

    photo, out = sys.argv[1], sys.argv[2]
    qapp = QApplication(sys.argv[:1])

    def drive():
        w = next(x for x in QApplication.topLevelWidgets() if type(x).__name__ == "MainWindow")
        assert w.doc.source.path is not None, "photo not opened"
        w.autosaver.timer.setInterval(100)
        d = w.doc
        m = np.zeros_like(d.mask); m[60:110, 80:150] = 255
        d.set_mask(m, "stroke 1")
        d.apply_result(inpaint(d.image, d.hole(), "telea").image, "Apply Telea")
        m = np.zeros_like(d.mask); m[150:200, 30:90] = 255; m[20:30, 200:300] = 180
        d.set_mask(m, "stroke 2")
        def killed_after_save(_index):
            np.savez(out, image=d.image, mask=d.mask)
            # a last stroke that the autosave has not seen yet, then the crash
            d.set_mask(np.full_like(d.mask, 255), "last stroke")
            os.kill(os.getpid(), signal.SIGKILL)
        w.autosaver.saved.connect(killed_after_save)

    QTimer.singleShot(0, drive)
    entry.main(["inpaint-studio", photo])
    """
)


def test_kill_9_then_restore_brings_back_mask_and_applied_edits(
    qtbot, photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected_file = tmp_path / "expected.npz"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1", INPAINT_STUDIO_RECOVERY="discard")
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(photo_path), str(expected_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    expected = np.load(expected_file)
    assert len(list(recovery_dir().glob(f"*/{SESSION_FILE}"))) == 1

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    w = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    try:
        assert w.offer_recovery()
        assert "photo.png" in asked[0] and "undo history" in asked[0]
        assert np.array_equal(w.doc.image, expected["image"])
        assert np.array_equal(w.doc.mask, expected["mask"])  # the last (unsaved) stroke is the only loss
        assert w.doc.source.path == photo_path.resolve() and not w.doc.undo_stack.isClean()
        assert "[*]" in w.windowTitle() and w.isWindowModified()
        original = np.asarray(Image.open(photo_path).convert("RGB"))
        w.doc.undo_stack.undo()  # the mask
        w.doc.undo_stack.undo()  # the restored edits as one step: back to the original photo
        assert np.array_equal(w.doc.image, original)
    finally:
        w.close()


def test_restore_without_the_source_file_and_declining(
    qtbot, photo_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    assert w.open_path(photo_path)
    edited = inpaint(w.doc.image, _box(w.doc.mask.shape, 50, 50, 90, 90), "telea").image
    w.doc.apply_result(edited)
    mask = _box(w.doc.mask.shape, 0, 0, 320, 5)
    w.doc.set_mask(mask, "paint")
    assert w.autosaver.save_now()
    _crash(w)
    photo_path.unlink()

    w2 = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    monkeypatch.setenv("INPAINT_STUDIO_RECOVERY", "restore")
    assert w2.offer_recovery()  # no dialog: answered by the environment
    assert np.array_equal(w2.doc.image, edited) and np.array_equal(w2.doc.mask, mask)
    assert not w2.doc.undo_stack.isClean()
    w2.doc.undo_stack.undo()
    assert not w2.doc.undo_stack.isClean()  # resetClean: the restored photo counts as unsaved
    assert w2.autosaver.save_now()
    _crash(w2)

    w3 = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    _answer(monkeypatch, QMessageBox.StandardButton.No)
    monkeypatch.delenv("INPAINT_STUDIO_RECOVERY")
    assert not w3.offer_recovery()
    assert not list(recovery_dir().glob(f"*/{SESSION_FILE}")) and not w3.doc.loaded
    w3.close()


def test_timed_autosave_encodes_off_the_gui_thread(qtbot, window: MainWindow, photo_path, monkeypatch) -> None:
    """The debounce timer's save encodes and writes on the autosave thread (the GUI thread only
    snapshots), and clear() waits for that write before removing the session."""
    import threading

    from app import recovery

    threads: list[str] = []
    real = recovery._write_png

    def spy(path: Path, array: np.ndarray) -> None:
        threads.append(threading.current_thread().name)
        real(path, array)

    monkeypatch.setattr(recovery, "_write_png", spy)
    w = window
    assert w.open_path(photo_path)
    first = _box(w.doc.mask.shape, 10, 10, 60, 60)
    with qtbot.waitSignal(w.autosaver.saved, timeout=10000):
        w.doc.set_mask(first, "paint")
    assert threads and all(name.startswith("autosave") for name in threads)
    assert threading.current_thread().name not in threads
    assert np.array_equal(read_session(w.autosaver.folder).mask, first)
    w.autosaver.clear()  # waits for the writer, then removes the session
    assert read_session(w.autosaver.folder) is None


# ------------------------------------------------------- several editor processes
LIVE_DRIVER = textwrap.dedent(
    """
    import os, sys
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app import main as entry

    photo, out, row = sys.argv[1], sys.argv[2], int(sys.argv[3])
    qapp = QApplication(sys.argv[:1])

    def drive():
        w = next(x for x in QApplication.topLevelWidgets() if type(x).__name__ == "MainWindow")
        assert w.doc.source.path is not None, "photo not opened"
        w.autosaver.timer.setInterval(100)
        m = np.zeros_like(w.doc.mask); m[row:row + 20, 40:200] = 255

        def autosaved(_index):  # tell the test, then keep running until it kills us
            np.save(out + ".part.npy", m)
            os.replace(out + ".part.npy", out)

        w.autosaver.saved.connect(autosaved)
        w.doc.set_mask(m, "stroke")

    QTimer.singleShot(0, drive)
    entry.main(["inpaint-studio", photo])
    """
)


def test_two_editors_each_get_their_own_session_back_after_kill_9(
    qtbot, photo: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's repro: two editors paint; a third starts and closes meanwhile (it must neither offer nor
    remove their live sessions); both are killed; each session comes back, into a window of its own."""
    from app.main import _recover_in_more_windows

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1")
    # Were a live session taken for a crashed one, these editors would delete it (and the test see that).
    env["INPAINT_STUDIO_RECOVERY"] = "discard"
    editors = []
    for name, row in (("a", 30), ("b", 150)):
        path = tmp_path / f"{name}.png"
        Image.fromarray(photo).save(path)
        log = (tmp_path / f"{name}.log").open("w")
        cmd = [sys.executable, "-c", LIVE_DRIVER, str(path), str(tmp_path / f"{name}.npy"), str(row)]
        editors.append((name, path, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)))
    try:
        qtbot.waitUntil(
            lambda: all((tmp_path / f"{n}.npy").exists() or p.poll() is not None for n, _, p in editors),
            timeout=180000,
        )
        for name, _, proc in editors:
            assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
        masks = {path.resolve(): np.load(tmp_path / f"{name}.npy") for name, path, _ in editors}

        monkeypatch.delenv("INPAINT_STUDIO_RECOVERY", raising=False)
        monkeypatch.setattr(QMessageBox, "question", lambda *a: pytest.fail("a live session was offered"))
        second = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
        assert not second.offer_recovery()
        second.close()
        live = {s.source: s.mask for s in map(read_session, recovery_dir().iterdir()) if s is not None}
        assert live.keys() == masks.keys() and all(np.array_equal(live[k], masks[k]) for k in masks)
    finally:
        for _, _, proc in editors:
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)

    monkeypatch.setenv("INPAINT_STUDIO_RECOVERY", "restore")
    first = _make_window(qtbot, tmp_path, RECOVERY_AUTOSAVE_MS)
    assert first.offer_recovery()
    more = _recover_in_more_windows(first)  # what `inpaint-studio` does after the first restored session
    try:
        assert len(more) == 1
        restored = {w.doc.source.path: w.doc.mask for w in (first, *more)}
        assert restored.keys() == masks.keys() and all(np.array_equal(restored[k], masks[k]) for k in masks)
        assert first.autosaver.folder != more[0].autosaver.folder  # each went on with its own session
    finally:
        for w in more:
            w.ask_before_close = False
            w.close()
        first.close()
    assert not list(recovery_dir().iterdir())  # clean closes: nothing left to offer
