"""Can Qt's platform plugin load on this machine? Which Debian/Ubuntu packages are missing if not?

PySide6's wheel bundles Qt but not the X11/Wayland client libraries its platform plugins link to;
a fresh Debian or Ubuntu desktop misses some (libxcb-cursor0, libxcb-icccm4, ...), and Qt then
aborts with "Could not load the Qt platform plugin". ``ldd`` of the plugin lists every shared
library it needs, transitively, and marks the absent ones ``=> not found``: that is checked here
*without importing Qt*, so the check works exactly where importing Qt would fail.

Stdlib only (it runs before anything else in ``make run``). :func:`ensure_platform_libs` prints the
one command that installs the packages, and runs it with apt-get only as root and only with the user's
consent: asked on a terminal, or given up front (``make run INSTALL_SYSTEM_LIBS=1``,
``python -m app.launch --install-system-libs``). Changing the system is never a side effect of starting
an editor.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: soname -> Debian/Ubuntu package, checked with ``dpkg -S`` on Debian 12 for every library that
#: ``ldd`` lists for PySide6 6.x's libqxcb.so and libqwayland.so (Qt's own libraries excluded:
#: they ship in the wheel). Ubuntu 24.04 renamed a few (libglib2.0-0t64, libpng16-16t64); the old
#: names are virtual packages there, which apt-get install resolves.
PACKAGES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libpng16.so.16": "libpng16-16",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libexpat.so.1": "libexpat1",
    "libz.so.1": "zlib1g",
}

#: Qt platform name -> plugin file in PySide6/Qt/plugins/platforms.
PLUGINS = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")

Runner = Callable[..., subprocess.CompletedProcess]


def parse_ldd(text: str) -> list[str]:
    """Sonames that ``ldd`` output marks ``=> not found``, each once, in order of appearance."""
    seen: list[str] = []
    for line in text.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def packages_for(sonames: Sequence[str]) -> tuple[list[str], list[str]]:
    """(Debian packages providing ``sonames``, sorted and unique; sonames with no known package)."""
    packages = sorted({PACKAGES[s] for s in sonames if s in PACKAGES})
    unknown = [s for s in sonames if s not in PACKAGES]
    return packages, unknown


def install_command(packages: Sequence[str], root: bool) -> str:
    """The one shell command that installs ``packages`` (with ``sudo`` unless already root)."""
    prefix = "" if root else "sudo "
    return f"{prefix}apt-get install -y {' '.join(packages)}"


def platform_for(env: Mapping[str, str]) -> str | None:
    """The Qt platform the editor would use under ``env``; None when there is no display at all.

    An explicit ``QT_QPA_PLATFORM`` wins (its first entry: "wayland;xcb" means try wayland).
    Otherwise an X display (also XWayland's, in a Wayland session) means xcb — Qt falls back to it
    when its wayland plugin cannot load, so xcb's libraries are the ones the editor needs — and a
    Wayland display alone means wayland.
    """
    explicit = env.get("QT_QPA_PLATFORM", "").strip()
    if explicit:
        return explicit.split(";")[0].split(":")[0].strip() or None
    if env.get("DISPLAY"):
        return "xcb"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return None


def plugin_path(platform: str) -> Path | None:
    """The bundled plugin file for ``platform`` (None if unknown or PySide6 is not installed)."""
    name = PLUGINS.get(platform)
    spec = importlib.util.find_spec("PySide6")  # locates the package without importing Qt
    if name is None or spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms" / name
    return path if path.exists() else None


def missing_libs(plugin: Path, run: Runner = subprocess.run) -> list[str] | None:
    """Sonames ``plugin`` needs that are not installed; None when ``ldd`` is unavailable."""
    if shutil.which("ldd") is None:
        return None
    proc = run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    return parse_ldd(proc.stdout + proc.stderr)


#: Starts Qt's GUI layer on the chosen platform and quits: what the editor would do first.
PROBE = "from PySide6.QtGui import QGuiApplication; QGuiApplication([]); print('ok')"


def qt_starts(run: Runner = subprocess.run, timeout: float = 60.0) -> tuple[bool, str]:
    """(whether Qt's platform plugin loads and connects to the display here, Qt's last message).

    Run in a child process because a plugin that cannot load aborts the whole process (SIGABRT),
    and a display that is set but unreachable (a stale ``DISPLAY`` over ssh) fails the same way.
    """
    try:
        proc = run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, f"Qt did not start within {timeout:.0f} s"
    if proc.returncode == 0 and "ok" in (proc.stdout or ""):
        return True, ""
    lines = [line.strip() for line in (proc.stderr or "").splitlines() if line.strip()]
    # Qt's first qt.qpa line names the cause ("could not connect to display :0"); the later ones
    # are generic (and from 6.5 always blame xcb-cursor, even when it is installed).
    cause = next((line for line in lines if line.startswith("qt.qpa")), lines[-1] if lines else "")
    return False, cause or f"exit status {proc.returncode}"


def ask_on_terminal(question: str) -> bool:
    """``question`` answered y/yes on the terminal; False without one (nobody to ask) or on end of input."""
    if not sys.stdin.isatty():
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def ensure_platform_libs(
    platform: str,
    run: Runner = subprocess.run,
    is_root: bool | None = None,
    has_apt: bool | None = None,
    say: Callable[[str], None] = print,
    consent: Callable[[str], bool] | None = None,
) -> bool:
    """Check ``platform``'s plugin; print the command that installs what is missing, and run it with
    apt-get when root and ``consent(question)`` says yes (None: never; :func:`ask_on_terminal` asks).

    Returns True when the plugin's libraries are all present (or cannot be checked: no ldd, a
    platform this module does not know), False when some are still missing.
    """
    plugin = plugin_path(platform)
    if plugin is None:
        return True
    missing = missing_libs(plugin, run)
    if not missing:
        return True
    packages, unknown = packages_for(missing)
    root = os.geteuid() == 0 if is_root is None else is_root
    apt_present = shutil.which("apt-get") is not None if has_apt is None else has_apt
    say(f"inpaint-studio: Qt's {platform} plugin needs system libraries that are missing: {', '.join(missing)}")
    command = install_command(packages, root)
    agreed = bool(packages and root and apt_present and consent is not None and consent(f"Run `{command}` now?"))
    if agreed:
        say("inpaint-studio: installing " + " ".join(packages) + " with apt-get")
        quiet_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}  # no debconf questions

        def apt_get(*words: str) -> bool:
            return run(["apt-get", *words], check=False, env=quiet_env).returncode == 0

        install = ("install", "-y", "--no-install-recommends", *packages)
        # a fresh machine's package index is often empty or stale: update once, then try again
        ok = apt_get(*install) or (apt_get("update") and apt_get(*install))
        still = missing_libs(plugin, run) or []
        if ok and not still:
            return True
        say("inpaint-studio: apt-get could not install them all; still missing: " + ", ".join(still or missing))
        return False
    if packages:
        say("inpaint-studio: install them with:  " + command)
        if root and apt_present:
            say("inpaint-studio: or let `make run INSTALL_SYSTEM_LIBS=1` run it for you")
    if unknown:
        say("inpaint-studio: no known package for " + ", ".join(unknown) + " (try: apt-file search NAME)")
    return False
