"""``inpaint-studio --install-desktop``: the editor in the desktop's application menu, with its icon.

pip installs files only inside the Python environment; desktop menus read ``.desktop`` entries from
``$XDG_DATA_HOME/applications`` and icon themes from ``$XDG_DATA_HOME/icons`` (freedesktop.org
specifications). This copies the entry and the icon shipped in the package there, for the current user,
with ``Exec`` pointing at this environment's ``inpaint-studio`` so the menu starts the copy that was
installed, whether or not its folder is on ``PATH``. Stdlib only: no Qt needed.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from engine.paths import DESKTOP_FILE, ICON_PNG, ICON_SVG

APP_ID = "inpaint-studio"  # the entry's file name, its Icon= name and the window's desktop file name


def launcher() -> str:
    """The ``inpaint-studio`` of the running environment (next to its Python), else the one on PATH."""
    beside = Path(sys.executable).parent / APP_ID
    if beside.is_file():
        return str(beside)
    return shutil.which(APP_ID) or APP_ID


def _exec_value(program: str) -> str:
    # Desktop Entry Specification: an argument with spaces or reserved characters is double-quoted, and
    # inside the quotes ", `, $ and \\ are escaped with a backslash.
    if not any(c in program for c in " \t\n\"'\\><~|&;$*?#()`"):
        return program
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in program)
    return f'"{escaped}"'


def install_desktop_entry(data_home: Path | None = None, program: str | None = None) -> list[Path]:
    """Write the menu entry and the icons under ``data_home`` (default ``$XDG_DATA_HOME``, else
    ``~/.local/share``); ``program`` is what the entry runs (default :func:`launcher`). Returns the files."""
    base = data_home or Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    entry = DESKTOP_FILE.read_text(encoding="utf-8")
    entry = entry.replace(f"Exec={APP_ID} ", f"Exec={_exec_value(program or launcher())} ")
    targets = {
        base / "applications" / f"{APP_ID}.desktop": entry.encode(),
        base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": ICON_SVG.read_bytes(),
        base / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png": ICON_PNG.read_bytes(),
    }
    for path, data in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(targets)
