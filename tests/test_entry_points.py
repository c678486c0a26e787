"""Console entry points end quietly when their reader closes the pipe, and the editor and `inpaint`
never load the training-only dependencies of the ``train`` extra."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.console import EXIT_CLOSED_PIPE

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUIET = (0, EXIT_CLOSED_PIPE, -signal.SIGPIPE)


def _script(name: str, module: str) -> list[str]:
    """The installed console script, else the module (an environment without the editable install)."""
    exe = BIN / name
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", module]


COMMANDS = {
    "inpaint models": [*_script("inpaint", "engine.cli"), "models"],
    "inpaint models --json": [*_script("inpaint", "engine.cli"), "models", "--json"],
    "inpaint --help": [*_script("inpaint", "engine.cli"), "--help"],
    "python -m training --help": [sys.executable, "-m", "training", "--help"],
    "python -m training train --help": [sys.executable, "-m", "training", "train", "--help"],
    "inpaint-studio --help": [*_script("inpaint-studio", "app.main"), "--help"],
}


def _env(buffered: bool) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen")
    # Unbuffered, the failing write is a print inside the program; buffered (the default for a pipe),
    # it is the interpreter's last flush at exit. Both must be quiet.
    env.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def _assert_quiet(code: int, err: str) -> None:
    assert code in QUIET, (code, err)
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    assert err == "", err


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_pipe_closed_before_any_output(name: str, buffered: bool) -> None:
    """The reader is gone before the first write: every write fails with EPIPE (deterministic)."""
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run(
            COMMANDS[name], stdout=w, stderr=subprocess.PIPE, env=_env(buffered), cwd=ROOT, timeout=120
        )
    finally:
        os.close(w)
    err = proc.stderr.decode()
    # 0 is allowed too: argparse itself ignores a failed write of its help text.
    _assert_quiet(proc.returncode, err)


@pytest.mark.parametrize("name", ["inpaint models", "python -m training train --help"])
def test_pipe_closed_after_the_first_line(name: str) -> None:
    """As `| head -1` does: one line read, then the pipe closed."""
    proc = subprocess.Popen(
        COMMANDS[name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(buffered=False), cwd=ROOT
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first.strip(), "no first line"
    if name == "inpaint models":
        assert first.split()[0] in {s.name for s in __import__("engine.registry").registry.list_specs()}
    else:
        assert first.startswith("usage:")
    _assert_quiet(code, err)


def test_shell_pipe_into_head() -> None:
    """`inpaint models | head -1` in bash: one line out, nothing on stderr, a quiet status."""
    cmd = " ".join(COMMANDS["inpaint models"])
    proc = subprocess.run(
        ["bash", "-c", f"{cmd} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env=_env(buffered=False),
        cwd=ROOT,
        timeout=120,
    )
    assert len(proc.stdout.splitlines()) == 1
    _assert_quiet(proc.returncode, proc.stderr)


def test_open_pipe_output_and_status_are_unchanged() -> None:
    """The guard changes nothing when the reader reads everything."""
    full = subprocess.run(COMMANDS["inpaint models"], capture_output=True, text=True, env=_env(True), cwd=ROOT)
    assert full.returncode == 0 and full.stderr == ""
    assert len(full.stdout.splitlines()) >= 2 * 5  # two lines per engine
    bad = subprocess.run(
        [*COMMANDS["inpaint models"][:-1], "run", "--image", "nope.png", "--mask", "nope.png", "--output", "o.png"],
        capture_output=True,
        text=True,
        env=_env(True),
        cwd=ROOT,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("inpaint: error:") and len(bad.stderr.splitlines()) == 1


TRAIN_ONLY = ("tensorboard", "matplotlib", "torch.utils.tensorboard")


def test_editor_and_inpaint_never_load_the_train_extra() -> None:
    """At run time, not only in the import graph: third-party libraries (skimage, torch) can load
    matplotlib or tensorboard lazily, which import-linter does not see."""
    probe = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "import app.window, app.main, engine.cli, engine.evaluate, engine.restore\n"
        "from engine.cli import main\n"
        "main(['models'])\n"
        "w = app.window.MainWindow(); w.ask_before_close = False; w.close()\n"
        f"print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in {TRAIN_ONLY!r} or m in {TRAIN_ONLY!r}))\n"
    )
    env = _env(True) | {"XDG_CONFIG_HOME": "/nonexistent-inpaint-test", "XDG_DATA_HOME": "/nonexistent-inpaint-test"}
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "LOADED []", proc.stdout[-500:]


def test_the_editor_is_a_gui_script_and_inpaint_a_console_script() -> None:
    """As installed (pyproject's [project.gui-scripts]): on Windows a GUI script opens no console window."""
    from importlib.metadata import entry_points

    gui = {e.name: e.value for e in entry_points(group="gui_scripts")}
    console = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert gui.get("inpaint-studio") == "app.main:main" and "inpaint-studio" not in console
    assert console.get("inpaint") == "engine.cli:main"


def test_install_desktop_writes_the_menu_entry_and_icons(tmp_path: Path) -> None:
    from app.desktop import install_desktop_entry

    program = "/opt/my tools/bin/inpaint-studio"  # a space: the Exec value must be quoted
    written = install_desktop_entry(tmp_path, program)
    entry = (tmp_path / "applications" / "inpaint-studio.desktop").read_text()
    assert 'Exec="/opt/my tools/bin/inpaint-studio" %f\n' in entry
    assert "Icon=inpaint-studio" in entry and "Categories=Graphics;" in entry
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "applications/inpaint-studio.desktop",
        "icons/hicolor/256x256/apps/inpaint-studio.png",
        "icons/hicolor/scalable/apps/inpaint-studio.svg",
    ]
    install_desktop_entry(tmp_path, "/usr/bin/inpaint-studio")  # again: replaced, not appended
    assert "Exec=/usr/bin/inpaint-studio %f\n" in (tmp_path / "applications" / "inpaint-studio.desktop").read_text()


TEST_TOOLS = ("pytest", "pytest-qt", "ruff", "hypothesis", "import-linter")


def _make(*args: str) -> str:
    """What `make -n -B ARGS` would run (every recipe, nothing run)."""
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", *args], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_installs_no_test_tools_and_make_test_does() -> None:
    def pinned(lock: str) -> set[str]:
        lines = (ROOT / lock).read_text().splitlines()
        return {line.split("==")[0].lower().replace("_", "-") for line in lines if "==" in line}

    assert not pinned("requirements.lock") & set(TEST_TOOLS)
    assert pinned("requirements-dev.lock") >= set(TEST_TOOLS)
    run, test = _make("run"), _make("test")
    assert "requirements-dev.lock" not in run and "requirements-train.lock" not in run
    assert "-r requirements-dev.lock" in test and "-r requirements-train.lock" in test
    # apt-get only with the user's yes: asked, or given as INSTALL_SYSTEM_LIBS=1
    assert run.rstrip().endswith("-m app.launch")
    assert _make("run", "INSTALL_SYSTEM_LIBS=1").rstrip().endswith("-m app.launch --install-system-libs")
