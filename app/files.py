"""Opening and saving photos and masks: the dialogs, the questions before anything is lost, recent files.

:class:`Files` works on a :class:`app.document.Document` and talks to the user through :class:`app.feedback.Feedback`;
what else must happen around a load or save (stop the engine, apply a shown result, forget the autosave) comes in
as callbacks, so it can be tested with a document alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from app import prompts, save_as
from app.document import Document, Source
from app.feedback import Feedback
from app.panels.preferences import MAX_PIXELS_LABEL
from app.settings import Settings
from engine.errors import ImageTooLarge, InpaintError
from engine.imageio import IMAGE_SUFFIXES, LoadedImage, load_image, load_mask, save_image, save_result
from engine.metadata import estimate_jpeg_quality

OPEN_FILTER = "Images (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ");;All files (*)"


def _nothing() -> None:
    pass


def too_large_message(path: Path, limit: int) -> str:
    """What the editor says when ``path`` has more than ``limit`` pixels: why, and how to raise the limit."""
    return (
        f"{path.name} is too large to open safely: it has more than {limit:,} pixels "
        f"({limit / 1e6:.0f} MP), the limit that guards against files made to exhaust memory. "
        f"If you trust the file, raise the limit in File ▸ Preferences… ▸ {MAX_PIXELS_LABEL}, "
        "then open it again."
    )


class Files:
    """File → document and document → file.

    ``before_open``: called once the new photo has been read, before it replaces the current one (the window
    cancels a running engine there). ``before_save``: called first by every save (the window offers to apply a
    shown result). ``after_save``: called once the photo is on disk (the window clears the autosave)."""

    def __init__(
        self,
        doc: Document,
        settings: Settings,
        feedback: Feedback,
        parent: QWidget,
        before_open: Callable[[], None] = _nothing,
        before_save: Callable[[], bool | None] = _nothing,
        after_save: Callable[[], None] = _nothing,
    ) -> None:
        self.doc = doc
        self.settings = settings
        self.feedback = feedback
        self.parent = parent
        self.before_open = before_open
        self.before_save = before_save
        self.after_save = after_save
        self._loaded: LoadedImage | None = None  # the opened photo: native pixels + metadata for saving

    # ------------------------------------------------------------------ photo
    def open_dialog(self) -> None:
        start = str(self.doc.source.path.parent) if self.doc.source.path else ""
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open photo", start, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo (EXIF rotation applied). Errors go to a dialog; returns success."""
        if not self.doc.undo_stack.isClean():
            name = (self.doc.save_path or self.doc.source.path or Path("The photo")).name
            answer = prompts.unsaved_before_open(self.parent, name)
            if answer == "cancel" or (answer == "save" and not self.save()):
                return False
        try:
            loaded = load_image(path, max_pixels=self.settings.max_pixels())
        except ImageTooLarge as exc:
            self.feedback.show_error("Cannot open photo", too_large_message(Path(path), exc.limit))
            return False
        except InpaintError as exc:
            self.feedback.show_error("Cannot open photo", str(exc))
            return False
        self.before_open()
        self._loaded = loaded
        self.doc.set_image(loaded.rgb, Source(loaded.path.resolve(), loaded.format, loaded.exif, loaded.icc))
        self.settings.add_recent(str(loaded.path.resolve()))
        if loaded.note:
            self.feedback.status(loaded.note, 10000)
        else:
            self.feedback.status(f"Opened {loaded.path.name}")
        return True

    def fill_recent(self, menu: QMenu) -> None:
        """Refill the Open Recent menu from the settings (connected to its ``aboutToShow``)."""
        menu.clear()
        files = self.settings.recent_files()
        if not files:
            menu.addAction("(none)").setEnabled(False)
        for f in files:
            act = menu.addAction(Path(f).name)
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _=False, f=f: self.open_path(f))

    def suggested_path(self) -> Path:
        """Where Save As starts: the last save, else ``<photo>-inpainted`` in the photo's format (PNG if unknown)."""
        src = self.doc.source.path or Path.cwd() / "untitled.png"
        suffix = src.suffix.lower() if src.suffix.lower() in save_as.SAVE_SUFFIXES else ".png"
        return self.doc.save_path or src.with_name(f"{src.stem}-inpainted{suffix}")

    def save(self) -> bool:
        if self.doc.save_path is None:
            return self.save_as()
        return self.save_to(self.doc.save_path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self.parent,
            "Save photo as",
            str(start := save_as.start_path(self.suggested_path())),
            save_as.SAVE_FILTER,
            save_as.filter_for(start),
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".png")
        quality = None
        if path.suffix.lower() in (".jpg", ".jpeg", ".webp"):
            # A JPEG saved from a JPEG offers the photo's own quality; keeping it keeps its exact tables.
            original = self._original() if path.suffix.lower() != ".webp" else None
            own = estimate_jpeg_quality(original.profile.jpeg_qtables) if original is not None else None
            label = "Quality (1–100):" if own is None else f"Quality (1–100; {own} = the photo's own, kept exactly):"
            start = own if own is not None else int(self.settings.get("save/jpeg_quality"))
            value, ok = QInputDialog.getInt(self.parent, "JPEG quality", label, start, 1, 100)
            if not ok:
                return False
            if value != own:
                quality = value
                self.settings.set("save/jpeg_quality", value)
        return self.save_to(path, quality)

    def save_to(self, path: str | Path, quality: int | None = None) -> bool:
        """Write the image (atomic, EXIF/ICC kept). An existing file — above all the original —
        is only replaced after the user confirms."""
        path = Path(path)
        if self.before_save() is False:  # the user cancelled (e.g. the apply-the-fill question)
            self.feedback.status("Not saved")
            return False
        if path.exists():
            original = self.doc.source.path is not None and path.resolve() == self.doc.source.path
            text = (
                f"{path.name} is the original photo. Replace it with the edited version? This cannot be undone."
                if original
                else f"{path.name} already exists. Replace it?"
            )
            if not self.feedback.confirm("Overwrite?", text):
                self.feedback.status("Not saved")
                return False
        try:
            notes = self._write(path, quality)
        except InpaintError as exc:
            self.feedback.show_error("Cannot save", str(exc))
            return False
        except OSError as exc:  # save_image turns I/O errors into InpaintError; this is a last resort
            self.feedback.show_error("Cannot save", f"could not save {path}: {exc.strerror or exc}")
            return False
        self.doc.save_path = path.resolve()
        self.doc.undo_stack.setClean()
        self.after_save()
        if notes:
            self.feedback.status(f"Saved {path}" + "".join(f"; {n}" for n in notes), 10000)
        else:
            self.feedback.status(f"Saved {path}")
        return True

    def _original(self) -> LoadedImage | None:
        """The photo as opened, with its native pixels (bit depth, alpha, CMYK) and metadata, when the
        document still is that photo (same source, same size); read again after a restored session."""
        src = self.doc.source.path
        if src is None:
            return None
        loaded = self._loaded
        if loaded is None or loaded.path.resolve() != src:
            try:
                loaded = self._loaded = load_image(src, max_pixels=self.settings.max_pixels())
            except InpaintError:
                return None
        return loaded if loaded.rgb.shape == self.doc.image.shape else None

    def _write(self, path: Path, quality: int | None) -> list[str]:
        """Save the image as the original was stored: pixels the user did not change keep their native
        values, depth, alpha and metadata (:func:`engine.imageio.save_result`). ``quality`` None: a JPEG
        saved from a JPEG keeps its own tables, other lossy saves use the preference. Returns the notes
        on conversions the chosen format forced (e.g. 16 bits into a JPEG)."""
        original = self._original()
        keeps_tables = (
            original is not None and original.profile.jpeg_qtables and path.suffix.lower() in (".jpg", ".jpeg")
        )
        if quality is None and not keeps_tables:
            quality = int(self.settings.get("save/jpeg_quality"))
        png = int(self.settings.get("save/png_compression"))
        if original is not None:
            return save_result(path, original, self.doc.image, quality, png)[1]
        save_image(path, self.doc.image, self.doc.source.exif, self.doc.source.icc, quality, png_compression=png)
        return []

    def may_close(self) -> bool:
        """Before the window closes: True if nothing unsaved is lost (no edits, saved now, or discarded)."""
        if self.doc.undo_stack.isClean():
            return True
        answer = QMessageBox.question(
            self.parent,
            "Unsaved changes",
            "Save the edited photo before closing?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        return answer != QMessageBox.StandardButton.Save or self.save()

    # ------------------------------------------------------------------- mask
    def load_mask_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Load mask", "", OPEN_FILTER)
        if path:
            self.load_mask_file(path)

    def load_mask_file(self, path: str | Path) -> bool:
        """Load a mask image (white/opaque = fill; gray values are thresholded at > 127, see
        ``engine.imageio.load_mask``). A mask of another size is scaled (nearest neighbour) only
        after the user agrees."""
        path = Path(path)
        try:
            mask = load_mask(path)
            if mask.shape != self.doc.mask.shape:
                (mw, mh), (w, h) = (mask.shape[1], mask.shape[0]), self.doc.size
                if not self.feedback.confirm(
                    "Resize mask?",
                    f"The mask {path.name} is {mw}×{mh} px but the photo is {w}×{h} px. "
                    "Scale the mask to the photo's size?",
                ):
                    self.feedback.status("Mask not loaded (different size)")
                    return False
                mask = load_mask(path, self.doc.size, resize=True)
        except InpaintError as exc:
            self.feedback.show_error("Cannot load mask", str(exc))
            return False
        self.doc.set_mask(mask, "Load mask")
        self.feedback.status(f"Loaded mask {path.name}" + ("" if mask.any() else " (it is empty: nothing to fill)"))
        return True

    def save_mask_dialog(self) -> None:
        default = self.suggested_path().with_name(f"{(self.doc.source.path or Path('mask')).stem}-mask.png")
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save mask", str(default), "PNG (*.png)")
        if path:
            self.save_mask_file(path)

    def save_mask_file(self, path: str | Path) -> bool:
        """Write the hole mask as a PNG: uint8 H×W, 255 = fill."""
        try:
            save_image(path, self.doc.hole())
        except InpaintError as exc:
            self.feedback.show_error("Cannot save mask", str(exc))
            return False
        self.feedback.status(f"Mask saved to {path}")
        return True
