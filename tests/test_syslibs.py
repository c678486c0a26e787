"""`make run`'s system-library check (app.syslibs): ldd parsing, package mapping, install or advice.

No real apt-get runs here: the command runner is a fake that records what would have run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from app import syslibs

# Shaped like `ldd libqxcb.so` on a fresh Debian 12 desktop without the xcb utility libraries.
FAKE_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibweird-thing.so.3 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""
CLEAN_LDD = "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)\n"


def test_parse_ldd_lists_each_missing_library_once_in_order() -> None:
    assert syslibs.parse_ldd(FAKE_LDD) == [
        "libxcb-cursor.so.0",
        "libxcb-icccm.so.4",
        "libxkbcommon-x11.so.0",
        "libweird-thing.so.3",
    ]
    assert syslibs.parse_ldd(CLEAN_LDD) == []


def test_packages_for_maps_sonames_to_debian_packages() -> None:
    packages, unknown = syslibs.packages_for(syslibs.parse_ldd(FAKE_LDD))
    assert packages == ["libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0"]
    assert unknown == ["libweird-thing.so.3"]
    assert syslibs.install_command(packages, root=False) == (
        "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0"
    )
    assert syslibs.install_command(["libegl1"], root=True) == "apt-get install -y libegl1"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"DISPLAY": ":0"}, "xcb"),
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "xcb"),  # XWayland: Qt falls back to xcb
        ({"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
        ({"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, "wayland"),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "vnc"),
    ],
)
def test_platform_for_environment(env: dict[str, str], expected: str | None) -> None:
    assert syslibs.platform_for(env) == expected


class FakeRunner:
    """Stands in for subprocess.run: ldd answers from a queue, apt-get calls are only recorded."""

    def __init__(self, ldd_outputs: list[str], apt_ok: bool = True) -> None:
        self.ldd_outputs = ldd_outputs
        self.apt_ok = apt_ok
        self.calls: list[list[str]] = []

    def __call__(self, cmd: list[str], **_kw: object) -> subprocess.CompletedProcess:
        self.calls.append(list(cmd))
        if cmd[0] == "ldd":
            return subprocess.CompletedProcess(cmd, 0, self.ldd_outputs.pop(0), "")
        return subprocess.CompletedProcess(cmd, 0 if self.apt_ok else 100, "", "")


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    fake = tmp_path / "libqxcb.so"
    fake.write_bytes(b"")
    monkeypatch.setattr(syslibs, "plugin_path", lambda platform: fake if platform == "xcb" else None)
    monkeypatch.setattr(syslibs.shutil, "which", lambda name: f"/usr/bin/{name}")
    return fake


def _yes(_question: str) -> bool:
    return True


def test_root_installs_the_missing_packages_then_rechecks(plugin: Path) -> None:
    run = FakeRunner([FAKE_LDD.replace("libweird-thing.so.3 => not found", ""), CLEAN_LDD])
    said: list[str] = []
    questions: list[str] = []

    def agree(question: str) -> bool:
        questions.append(question)
        return True

    assert syslibs.ensure_platform_libs("xcb", run=run, is_root=True, has_apt=True, say=said.append, consent=agree)
    assert questions == ["Run `apt-get install -y libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0` now?"]
    apt = [c for c in run.calls if c[0] == "apt-get"]
    assert apt == [["apt-get", "install", "-y", "--no-install-recommends", "libxcb-cursor0", "libxcb-icccm4",
                    "libxkbcommon-x11-0"]]  # fmt: skip
    assert [c[0] for c in run.calls] == ["ldd", "apt-get", "ldd"]
    assert any("missing: libxcb-cursor.so.0" in s for s in said)


def test_root_retries_after_apt_get_update_when_install_fails(plugin: Path) -> None:
    run = FakeRunner([FAKE_LDD, FAKE_LDD], apt_ok=False)
    said: list[str] = []
    assert not syslibs.ensure_platform_libs("xcb", run=run, is_root=True, has_apt=True, say=said.append, consent=_yes)
    assert [c[:2] for c in run.calls if c[0] == "apt-get"] == [["apt-get", "install"], ["apt-get", "update"]]
    assert "still missing" in said[-1]


def test_non_root_prints_the_one_command_and_installs_nothing(plugin: Path) -> None:
    run = FakeRunner([FAKE_LDD])
    said: list[str] = []
    assert not syslibs.ensure_platform_libs("xcb", run=run, is_root=False, has_apt=True, say=said.append)
    assert all(c[0] == "ldd" for c in run.calls)
    assert any(s.endswith("sudo apt-get install -y libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0") for s in said)
    assert any("libweird-thing.so.3" in s and "apt-file" in s for s in said)


@pytest.mark.parametrize("consent", [None, lambda question: False])
def test_root_without_consent_only_prints_the_command(plugin: Path, consent) -> None:
    """`make run` as root used to run apt-get after one printed line; now it asks, or only prints."""
    run = FakeRunner([FAKE_LDD])
    said: list[str] = []
    assert not syslibs.ensure_platform_libs(
        "xcb", run=run, is_root=True, has_apt=True, say=said.append, consent=consent
    )
    assert [c[0] for c in run.calls] == ["ldd"]
    assert any(s.endswith(":  apt-get install -y libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0") for s in said)
    assert any("INSTALL_SYSTEM_LIBS=1" in s for s in said)


def test_asking_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["y", "", "no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr(syslibs.sys.stdin, "isatty", lambda: True, raising=False)
    assert [syslibs.ask_on_terminal("Run it?") for _ in range(3)] == [True, False, False]  # N is the default
    monkeypatch.setattr(syslibs.sys.stdin, "isatty", lambda: False, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked without a terminal"))
    assert not syslibs.ask_on_terminal("Run it?")  # no terminal (CI, a pipe): nobody to ask, so no


def test_nothing_missing_or_nothing_to_check_is_fine(plugin: Path) -> None:
    run = FakeRunner([CLEAN_LDD])
    assert syslibs.ensure_platform_libs("xcb", run=run, is_root=False, say=lambda s: None)
    assert syslibs.ensure_platform_libs("offscreen", run=FakeRunner([]), is_root=False, say=lambda s: None)


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_every_display_library_the_real_plugins_link_has_a_package() -> None:
    """The map is checked against this machine's actual ldd output of PySide6's plugins."""
    for platform in syslibs.PLUGINS:
        plugin = syslibs.plugin_path(platform)
        assert plugin is not None, f"PySide6 ships no {platform} plugin?"
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False).stdout
        names = {line.split()[0] for line in out.splitlines() if "=>" in line}
        display = {n for n in names if n.startswith(("libxcb", "libX", "libxkb", "libEGL", "libGL", "libwayland"))}
        assert display, out
        assert display <= set(syslibs.PACKAGES), sorted(display - set(syslibs.PACKAGES))


def test_qt_probe_reports_qts_last_message() -> None:
    def failing(cmd: list[str], **_kw: object) -> subprocess.CompletedProcess:
        err = "qt.qpa.xcb: could not connect to display :9\nThis application failed to start.\n"
        return subprocess.CompletedProcess(cmd, -6, "", err)

    assert syslibs.qt_starts(run=failing) == (False, "qt.qpa.xcb: could not connect to display :9")

    def quiet(cmd: list[str], **_kw: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(cmd, 1, "", "Segmentation fault\n")

    assert syslibs.qt_starts(run=quiet) == (False, "Segmentation fault")

    def timing_out(cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
        raise subprocess.TimeoutExpired(cmd, kw["timeout"])

    assert syslibs.qt_starts(run=timing_out, timeout=5)[0] is False


def test_qt_probe_really_starts_qt_offscreen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert syslibs.qt_starts() == (True, "")
    monkeypatch.setenv("QT_QPA_PLATFORM", "no-such-platform")
    ok, message = syslibs.qt_starts()
    assert not ok and message


def test_root_installs_after_updating_a_stale_package_index(plugin: Path) -> None:
    class StaleIndex(FakeRunner):
        def __call__(self, cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
            done = super().__call__(cmd, **kw)
            updated = ["apt-get", "update"] in self.calls[:-1]
            if cmd[0] == "apt-get":
                assert kw["env"]["DEBIAN_FRONTEND"] == "noninteractive"  # type: ignore[index]
                ok = cmd[1] == "update" or updated  # install fails until the index is updated
                return subprocess.CompletedProcess(cmd, 0 if ok else 100, "", "")
            return done

    run = StaleIndex([FAKE_LDD, CLEAN_LDD])
    assert syslibs.ensure_platform_libs("xcb", run=run, is_root=True, has_apt=True, say=lambda s: None, consent=_yes)
    assert [c[:2] for c in run.calls] == [["ldd", str(plugin)], ["apt-get", "install"], ["apt-get", "update"],
                                          ["apt-get", "install"], ["ldd", str(plugin)]]  # fmt: skip
