"""A newcomer's first minutes: `make run` (app.launch), the bundled samples, the default engine,
and the comparison grid framed on the edit. The real MainWindow, driven with pytest-qt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QRectF, QSettings
from PySide6.QtWidgets import QApplication

from app import launch, samples
from app.settings import Settings
from app.window import MainWindow
from engine import ranking
from engine.imageio import load_image, load_mask
from engine.paths import DEFAULT_SAMPLE, SAMPLES

pytestmark = pytest.mark.gui


def _settings(path: Path) -> Settings:
    return Settings(QSettings(str(path), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, tmp_path: Path) -> Iterator:
    made: list[MainWindow] = []

    def make(settings_file: str = "settings.ini") -> MainWindow:
        w = MainWindow(_settings(tmp_path / settings_file))
        w.ask_before_close = False
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        made.append(w)
        return w

    yield make
    for w in made:
        w.worker.cancel()
        w.close()


# ------------------------------------------------------------------------------------ samples
def test_samples_are_found_by_globbing_with_their_masks(tmp_path: Path) -> None:
    shipped = samples.list_samples()
    with_mask = [s.name for s in shipped if s.mask is not None]
    assert len(with_mask) >= 3 and DEFAULT_SAMPLE in with_mask
    assert all(s.mask == SAMPLES / f"{s.name}_mask.png" for s in shipped if s.mask is not None)
    # A photo dropped into the folder (e.g. the old photo of issue #19) is listed without code changes.
    shutil.copy(SAMPLES / "kite.jpg", tmp_path / "kite.jpg")
    shutil.copy(SAMPLES / "kite_mask.png", tmp_path / "kite_mask.png")
    shutil.copy(SAMPLES / "storm.jpg", tmp_path / "old_storm.jpg")
    found = samples.list_samples(tmp_path)
    assert [(s.name, s.mask is not None) for s in found] == [("kite", True), ("old_storm", False)]
    assert "old photo" in found[1].label
    assert samples.default_sample(tmp_path).name == "kite"
    assert samples.find_sample("nothing", tmp_path) is None


def test_make_run_entry_opens_the_sample_with_its_mask(qtbot, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    seen: dict[str, object] = {}

    def fake_exec() -> int:
        # the shown one: a closed window of an earlier test may linger (top-level widgets come in no set order)
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow" and w.isVisible())
        seen.update(title=window.windowTitle(), hole=window.doc.hole().copy(), run=window.acts.run.isEnabled())
        window.ask_before_close = False
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    # what `make run` starts once a display is usable (QT_QPA_PLATFORM=offscreen here)
    assert launch.main([], env={"QT_QPA_PLATFORM": "offscreen"}) == 0
    assert f"{DEFAULT_SAMPLE}.jpg" in str(seen["title"])
    expected = load_mask(SAMPLES / f"{DEFAULT_SAMPLE}_mask.png")
    assert np.array_equal(seen["hole"], expected) and expected.any()
    assert seen["run"] is True


def test_open_sample_menu_then_run_fills_the_mask(qtbot, make_window) -> None:
    w = make_window()
    w.samples_menu.aboutToShow.emit()  # what opening File ▸ Open sample does
    actions = {a.text(): a for a in w.samples_menu.actions()}
    boats = next(a for text, a in actions.items() if text.startswith("boats"))
    assert any(text.startswith("kite") for text in actions)
    boats.trigger()
    photo = load_image(SAMPLES / "boats.jpg").rgb
    hole = w.doc.hole() > 0
    assert np.array_equal(w.doc.image, photo)
    assert np.array_equal(hole, load_mask(SAMPLES / "boats_mask.png") > 0)
    assert w.doc.undo_stack.isClean()  # opening another sample does not ask to discard anything
    assert w.engine_panel.select("ns")
    with qtbot.waitSignal(w.result_shown, timeout=30000) as blocker:
        assert w.run_engine()
    result = blocker.args[0].image
    assert np.array_equal(result[~hole], photo[~hole])
    assert np.abs(result[hole].astype(int) - photo[hole]).mean() > 5  # the posts are gone, not kept
    w.samples_menu.aboutToShow.emit()
    next(a for a in w.samples_menu.actions() if a.text().startswith("kite")).trigger()
    assert "kite.jpg" in w.windowTitle() and w.doc.hole().any()


# ------------------------------------------------------------------------------ default engine
def test_editor_starts_on_the_best_engine_of_the_evaluation(make_window, monkeypatch, tmp_path: Path) -> None:
    available = make_window("a.ini").engine_panel.available_names()
    assert make_window("b.ini").engine_panel.current_name() == ranking.best_engine(available)
    # Derived from the document, not a name in the code: another EVAL.md ranks another engine first.
    doc = ranking.EVAL_DOC.read_text()
    runner_up = ranking.ranked_engines()[1]
    edited = doc.replace(f"| {ranking.ranked_engines()[0]} |", "| demoted |", 1)
    (tmp_path / "EVAL.md").write_text(edited)
    monkeypatch.setattr(ranking, "EVAL_DOC", tmp_path / "EVAL.md")
    assert make_window("c.ini").engine_panel.current_name() == runner_up


def test_the_users_choice_of_engine_is_remembered(make_window) -> None:
    w = make_window("same.ini")
    combo = w.engine_panel.combo
    index = combo.findData("telea")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)  # what picking it in the list does
    w.close()
    assert make_window("same.ini").engine_panel.current_name() == "telea"
    # a programmatic change (no pick by the user) is not a choice
    other = make_window("other.ini")
    other.engine_panel.select("telea")
    other.close()
    assert make_window("other.ini").engine_panel.current_name() != "telea"


# ---------------------------------------------------------------------------- framed compare
def test_compare_cells_open_on_the_hole_box(qtbot, make_window, tmp_path: Path) -> None:
    w = make_window()
    rng = np.random.default_rng(3)
    photo = np.clip(rng.normal(120, 30, (800, 1200, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "big.png")
    assert w.open_path(tmp_path / "big.png")
    mask = np.zeros((800, 1200), np.uint8)
    mask[500:580, 700:800] = 255
    w.doc.set_mask(mask, "test")
    with qtbot.waitSignal(w.compare_shown, timeout=30000):
        assert w.compare_engines(["telea", "ns"])
    grid = w.compare_window
    qtbot.waitExposed(grid)
    qtbot.wait(50)  # let the grid lay its cells out (they re-frame on resize)
    hole = QRectF(700, 500, 100, 80)
    photo_rect = QRectF(0, 0, 1200, 800)
    rects = [c.view.visible_rect() for c in grid.cells]
    for r in rects:
        assert r.contains(hole), (r, hole)
        assert r.width() < photo_rect.width() and r.height() < photo_rect.height(), r
    # zoom and pan stay synchronised across cells
    grid.cells[0].view.zoomed.emit(1.25)
    grid.cells[0].view.horizontalScrollBar().setValue(grid.cells[0].view.horizontalScrollBar().value() + 20)
    assert grid.cells[1].view.visible_rect() == grid.cells[0].view.visible_rect()
    # the outline of the hole can be shown in every cell
    grid.outline_button.setChecked(True)
    assert all(c.view.outline.isVisible() for c in grid.cells)
    assert grid.cells[0].view.outline.path().boundingRect().adjusted(-1, -1, 1, 1).contains(QRectF(700, 500, 99, 79))
    # the exported sheet is framed as the grid shows it (zoomed and panned): tiles have its proportions
    x0, y0, x1, y1 = grid.shown_box
    assert grid.shown_box != grid.frame_box
    framed = np.asarray(Image.open(grid.export_sheet(tmp_path / "framed.png")))
    tile = framed[:, 6 : 6 + 480]
    assert (x1 - x0) < 1200 and framed.shape[1] == 2 * (480 + 6) + 6
    assert framed.shape[0] == 6 + round((y1 - y0) * 480 / (x1 - x0)) + max(22, 480 // 18) + 6
    assert tile.std() > 0
    # Fit toggles the whole photo, in the cells and in the sheet
    grid.fit_button.setChecked(True)
    for c in grid.cells:
        assert c.view.visible_rect().adjusted(-2, -2, 2, 2).contains(photo_rect)
    whole = np.asarray(Image.open(grid.export_sheet(tmp_path / "whole.png")))
    assert whole.shape[0] == 6 + round(800 * 480 / 1200) + max(22, 480 // 18) + 6
    grid.fit_button.setChecked(False)
    assert all(c.view.visible_rect().contains(hole) for c in grid.cells)


# ------------------------------------------------------------------------------- headless run
def test_no_display_runs_the_demo_and_prints_the_sheet(capsys, tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    assert launch.main(["--engines", "telea,ns", "--output", str(out)], env={}) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("inpaint-studio: no display") and len(lines) == 2
    assert Path(lines[-1]) == out.resolve() and out.is_file()
    sheet = np.asarray(Image.open(out))
    assert sheet.ndim == 3 and sheet.shape[1] == 3 * (480 + 6) + 6  # input + two engines in one row


@pytest.mark.parametrize("failure", ["libraries", "display"])
def test_display_that_qt_cannot_use_falls_back_to_the_demo(monkeypatch, capsys, tmp_path: Path, failure) -> None:
    monkeypatch.setattr(launch.syslibs, "ensure_platform_libs", lambda platform, **_: failure != "libraries")
    monkeypatch.setattr(launch.syslibs, "qt_starts", lambda: (False, "could not connect to display :0"))
    out = tmp_path / "sheet.png"
    assert launch.main(["--engines", "ns", "--output", str(out)], env={"DISPLAY": ":0"}) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == str(out.resolve()) and out.is_file()
    if failure == "display":
        assert "could not connect to display :0" in printed[0]
