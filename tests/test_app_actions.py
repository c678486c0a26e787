"""app.actions and app.feedback on bare widgets: shortcuts, wiring, enabling, menus — no main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from app.actions import Actions
from app.feedback import Feedback

pytestmark = pytest.mark.gui

# The editor's shortcuts (README "Keyboard"); a change here is a change users notice.
SHORTCUTS = {
    "open": ["Ctrl+O"],
    "save": ["Ctrl+S"],
    "save_as": ["Ctrl+Shift+S"],
    "load_mask": ["Ctrl+Shift+O"],
    "save_mask": ["Ctrl+Alt+S"],
    "prefs": ["Ctrl+,"],
    "redo": ["Ctrl+Shift+Z", "Ctrl+Y"],
    "brush": ["B"],
    "eraser": ["E"],
    "smaller": ["["],
    "bigger": ["]"],
    "object": ["O"],
    "grow": ["Ctrl+G"],
    "shrink": ["Ctrl+Shift+G"],
    "invert": ["Ctrl+I"],
    "clear": ["Del"],
    "show_mask": ["H"],
    "zoom_in": ["Ctrl++", "Ctrl+="],
    "zoom_out": ["Ctrl+-"],
    "fit": ["Ctrl+0"],
    "actual_size": ["Ctrl+1"],
    "run": ["Ctrl+Return", "Ctrl+Enter"],
    "escape": ["Esc"],
    "apply": ["Return", "Enter"],
    "compare": ["Ctrl+Shift+Return"],
    "detect": ["Ctrl+D"],
    "scratch": ["K"],
}


@pytest.fixture
def built(qtbot) -> tuple[Actions, QWidget, QWidget]:
    owner, canvas = QWidget(), QWidget()
    qtbot.addWidget(owner)
    qtbot.addWidget(canvas)
    owner.undo_stack = QUndoStack(owner)  # kept alive as long as its undo/redo actions
    return Actions(owner, owner.undo_stack, canvas), owner, canvas


def _keys(action: QAction) -> list[str]:
    return [k.toString(QKeySequence.SequenceFormat.PortableText) for k in action.shortcuts() if not k.isEmpty()]


def test_every_shortcut_and_no_clash(built) -> None:
    acts, owner, canvas = built
    for name, keys in SHORTCUTS.items():
        assert _keys(getattr(acts, name)) == keys, name
    assert "Ctrl+Z" in _keys(acts.undo)
    every = [k for a in owner.actions() + canvas.actions() for k in _keys(a)]
    assert len(every) == len(set(every)), sorted(every)
    # Return and Delete only while the photo has focus: they must not steal keys from text fields
    for act in (acts.apply, acts.clear):
        assert act in canvas.actions() and act not in owner.actions()
        assert act.shortcutContext() == Qt.ShortcutContext.WidgetShortcut
    assert acts.run.toolTip() == "Fill the mask with the selected engine (Ctrl+Return)"


def test_connect_calls_slots_and_rejects_unknown_names(built) -> None:
    acts, _, _ = built
    calls: list[object] = []
    acts.connect({"run": lambda: calls.append("run"), "eraser": calls.append})
    acts.run.trigger()
    acts.eraser.trigger()  # checkable: the slot gets the new state
    acts.eraser.trigger()
    assert calls == ["run", True, False]
    calls.clear()
    acts.show_tool("eraser")
    assert acts.eraser.isChecked() and not acts.brush.isChecked()
    acts.show_tool("brush")
    assert acts.brush.isChecked() and not acts.eraser.isChecked()
    assert calls == [True, False]  # the eraser's slot heard both changes
    with pytest.raises(AttributeError, match="runn"):
        acts.connect({"runn": lambda: None})
    with pytest.raises(AttributeError, match="owner"):
        acts.connect({"owner": lambda: None})


def test_update_enables_by_state(built) -> None:
    acts, _, _ = built
    acts.update(loaded=False, busy=False, can_run=True, has_result=False)
    assert not acts.save.isEnabled() and not acts.run.isEnabled() and not acts.detect.isEnabled()
    acts.update(loaded=True, busy=False, can_run=True, has_result=False)
    assert acts.save.isEnabled() and acts.run.isEnabled() and acts.compare.isEnabled()
    assert not acts.cancel.isEnabled() and not acts.apply.isEnabled()
    acts.update(loaded=True, busy=True, can_run=True, has_result=True)
    assert not acts.run.isEnabled() and not acts.compare.isEnabled() and acts.cancel.isEnabled()
    assert acts.apply.isEnabled() and acts.discard.isEnabled()
    acts.update(loaded=True, busy=False, can_run=False, has_result=False)
    assert not acts.run.isEnabled() and acts.compare.isEnabled()


def test_menus_and_toolbar(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    stack = QUndoStack(window)
    acts = Actions(window, stack, QWidget(window))
    menus = acts.build_menus(window.menuBar())
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&Mask", "&View", "E&ngine", "&Restore", "&Help"]
    file_menu = window.menuBar().actions()[0].menu()
    assert file_menu.actions()[0] is acts.open and menus.samples.menuAction() in file_menu.actions()
    assert menus.recent.menuAction() in file_menu.actions()
    assert acts.fit in menus.view.actions()
    split = acts.build_toolbar(window, QWidget())
    assert (split.minimum(), split.maximum(), split.value()) == (0, 100, 100)


def test_feedback_status_error_and_confirm(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    feedback = Feedback(window, window.statusBar())
    feedback.status("hello")
    assert window.statusBar().currentMessage() == "hello"
    feedback.show_error("Cannot open photo", "x.jpg is not an image")
    assert feedback.last_error == "x.jpg is not an image" and feedback.error_box.isVisible()
    assert feedback.error_box.text() == "x.jpg is not an image"
    feedback.error_box.close()
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton):
        def question(parent, title, text, buttons, default):
            asked.append(title)
            assert default == QMessageBox.StandardButton.No  # Enter never destroys anything
            return button

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    assert feedback.confirm("Overwrite?", "x exists")
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not feedback.confirm("Overwrite?", "x exists")
    assert asked == ["Overwrite?", "Overwrite?"]
