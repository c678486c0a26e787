"""The bundled sample photos (``resources/samples``) and *File ▸ Open sample*.

A sample is every ``resources/samples/*.jpg``; its ready mask, when there is one, is
``<name>_mask.png`` beside it (255 = remove). Samples are found by globbing, so a photo dropped
into the folder (e.g. ``old_<name>.jpg``, an old photo to restore) shows up in the menu without
code changes. Qt is imported lazily so that ``app.launch`` can list samples before any display
check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.paths import DEFAULT_SAMPLE, SAMPLES

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu

    from app.window import MainWindow


@dataclass(frozen=True)
class Sample:
    """One bundled photo and its mask file (None when the sample has no ready mask)."""

    name: str
    photo: Path
    mask: Path | None

    @property
    def label(self) -> str:
        """Menu text: the name, and what the sample is for."""
        if self.name.startswith("old_"):
            return f"{self.name} (old photo: Restore ▸ Detect scratches)"
        return f"{self.name} (mask ready: press Run)" if self.mask is not None else self.name


def list_samples(folder: Path = SAMPLES) -> list[Sample]:
    """Samples in ``folder``, sorted by name: those with a ready mask first, then the others."""
    found = []
    for photo in sorted(folder.glob("*.jpg")):
        mask = photo.with_name(f"{photo.stem}_mask.png")
        found.append(Sample(photo.stem, photo, mask if mask.is_file() else None))
    return sorted(found, key=lambda s: (s.mask is None, s.name))


def default_sample(folder: Path = SAMPLES) -> Sample | None:
    """The sample ``make run`` opens: :data:`engine.paths.DEFAULT_SAMPLE` when it is there with its
    mask, else the first sample with a mask, else any sample (None for an empty folder)."""
    samples = list_samples(folder)
    with_mask = [s for s in samples if s.mask is not None]
    preferred = [s for s in with_mask if s.name == DEFAULT_SAMPLE]
    return (preferred or with_mask or samples or [None])[0]


def find_sample(name: str, folder: Path = SAMPLES) -> Sample | None:
    """The sample called ``name`` (file stem), or None."""
    return next((s for s in list_samples(folder) if s.name == name), None)


def open_sample(window: MainWindow, sample: Sample) -> bool:
    """Open ``sample`` in ``window`` with its mask loaded (one undoable step), so Run works at once."""
    if not window.open_path(sample.photo):
        return False
    if sample.mask is not None:
        if not window.load_mask_file(sample.mask):
            return False
        # The sample as shipped (photo + its mask) is the unmodified state: opening another sample
        # right away must not ask to discard changes. Undo still removes the mask.
        window.doc.undo_stack.setClean()
    share = window.doc.hole().mean() / 255 * 100
    window.status(
        f"Sample {sample.name}: the red mask ({share:.1f} % of the photo) marks what to remove; "
        "press Run (Ctrl+Return) or Compare engines"
        if sample.mask is not None
        else f"Sample {sample.name}: paint over what to remove, or use Restore ▸ Detect scratches",
        15000,
    )
    return True


def fill_menu(menu: QMenu, window: MainWindow, folder: Path = SAMPLES) -> None:
    """(Re)build *Open sample*: one action per sample, listed fresh each time the menu opens."""
    menu.clear()
    samples = list_samples(folder)
    if not samples:
        menu.addAction("(no samples in resources/samples)").setEnabled(False)
    for sample in samples:
        action = menu.addAction(sample.label)
        action.setStatusTip(str(sample.photo))
        action.triggered.connect(lambda _=False, s=sample: open_sample(window, s))


def attach_menu(menu: QMenu, window: MainWindow) -> None:
    """Wire *Open sample* so that it lists the folder's samples whenever it is shown."""
    menu.aboutToShow.connect(lambda: fill_menu(menu, window))
