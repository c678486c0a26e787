"""The installable package (issue #40): ``pip wheel .`` holds the weights, model cards, samples, icon and desktop
entry, and a fresh environment that installs only that wheel has working learned engines and the trained
damage detector, all read from its own installed copy — never from this checkout.

The fresh environment gets its third-party libraries (torch, Qt, …) from this one through a ``.pth`` line, so
nothing is downloaded; the packages of the project itself come only from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from engine.paths import BUNDLED_WEIGHTS, SAMPLES

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from (a copy: an in-tree build leaves build/ behind, whose stale files a later
#: build would ship).
SOURCES = ("pyproject.toml", "setup.py", "README.md", "engine", "app", "training", "resources")


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "corpus")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    # No build isolation: setuptools comes from this environment instead of a download.
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(out),
        ]
    )
    (found,) = out.glob("inpaint_studio-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the wheel installed; returns its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # Appended after the new environment's own site-packages, so the project's packages resolve to the wheel's copy.
    (Path(purelib) / "_host_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)])
    return venv / "bin"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INPAINT_STUDIO_WEIGHTS")}
    return env | {"XDG_DATA_HOME": str(tmp_path / "data"), "OMP_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen"}


def test_the_wheel_ships_weights_cards_samples_icon_and_desktop_entry(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    weights = sorted(p.name for p in BUNDLED_WEIGHTS.iterdir() if p.suffix in (".safetensors", ".md", ".json"))
    assert len([w for w in weights if w.endswith(".safetensors")]) >= 6  # five engines and the detector at least
    samples = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in (".jpg", ".png"))
    expected = (
        [f"inpaint_resources/weights/{name}" for name in weights]
        + [f"inpaint_resources/samples/{name}" for name in samples]
        + ["inpaint_resources/icons/inpaint-studio.svg", "inpaint_resources/icons/inpaint-studio.png"]
        + ["inpaint_resources/inpaint-studio.desktop", "inpaint_resources/__init__.py", "engine/paths.py"]
    )
    assert not [name for name in expected if name not in names]
    assert "[gui_scripts]\ninpaint-studio = app.main:main" in entry_points
    assert "[console_scripts]\ninpaint = engine.cli:main" in entry_points


def test_installed_wheel_has_working_learned_engines(installed: Path, tmp_path: Path) -> None:
    proc = _run([str(installed / "inpaint"), "models", "--json"], env=_env(tmp_path), cwd=tmp_path)
    learned = [e for e in json.loads(proc.stdout) if "learned" in e["capabilities"]]
    assert {e["name"] for e in learned} >= {"pconv", "dfnet", "glcic", "deepgin", "isnet"}
    site = installed.parent.resolve()
    for engine in learned:
        assert engine["available"], engine
        weights = Path(engine["reason"].removeprefix("weights "))
        assert weights.is_file() and weights.resolve().is_relative_to(site), engine["reason"]  # the wheel's copy


PROBE = """
import json
import numpy as np
import engine.paths as paths
from engine.damage import detect_damage, network_weights
from engine.pipeline import inpaint
from engine.imageio import load_image

photo = load_image(paths.SAMPLE_PHOTO).rgb[:96, :128]
mask = np.zeros(photo.shape[:2], np.uint8); mask[30:60, 40:80] = 255
filled = inpaint(photo, mask, "dfnet").image
found = detect_damage(photo, 0.5)
print(json.dumps({
    "resources": str(paths.RESOURCES), "repository": paths.REPOSITORY and str(paths.REPOSITORY),
    "detector": found.detector, "detector_weights": str(network_weights()),
    "changed": int((filled != photo).any(axis=2).sum()),
}))
"""


def test_installed_wheel_runs_an_engine_and_the_trained_detector(installed: Path, tmp_path: Path) -> None:
    out = _run([str(installed / "python"), "-c", PROBE], env=_env(tmp_path), cwd=tmp_path).stdout
    facts = json.loads(out.splitlines()[-1])
    site = installed.parent.resolve()
    assert Path(facts["resources"]).resolve().is_relative_to(site) and facts["repository"] is None
    assert facts["detector"] == "network"  # not the classical fallback
    assert Path(facts["detector_weights"]).resolve().is_relative_to(site)
    assert facts["changed"] > 0


def test_installed_editor_registers_its_menu_entry_and_icon(installed: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    _run([str(installed / "inpaint-studio"), "--install-desktop"], env=env, cwd=tmp_path)
    data = tmp_path / "data"
    entry = (data / "applications" / "inpaint-studio.desktop").read_text()
    assert f"Exec={installed / 'inpaint-studio'} %f" in entry and "Icon=inpaint-studio" in entry
    assert (data / "icons/hicolor/scalable/apps/inpaint-studio.svg").read_text().lstrip().startswith("<?xml")
    assert (data / "icons/hicolor/256x256/apps/inpaint-studio.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
