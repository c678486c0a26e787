"""Preferences dialog: overlay colours and opacity, JPEG quality, PNG compression, largest photo to open."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QSlider,
    QSpinBox,
    QWidget,
)

from app.settings import Settings

#: The label of the largest-photo preference; error messages point the user to it.
MAX_PIXELS_LABEL = "Largest photo to open"


class ColorButton(QPushButton):
    """A button showing a colour; clicking it picks another."""

    def __init__(self, color: QColor) -> None:
        super().__init__()
        self.color = color
        self.clicked.connect(self._pick)
        self._paint()

    def _paint(self) -> None:
        self.setText(self.color.name())
        self.setStyleSheet(
            f"background: {self.color.name()}; color: {'black' if self.color.lightness() > 128 else 'white'};"
        )

    def _pick(self) -> None:
        c = QColorDialog.getColor(self.color, self, "Choose colour")
        if c.isValid():
            self.color = c
            self._paint()


class PreferencesDialog(QDialog):
    """Edits the :class:`app.settings.Settings`; :meth:`store` writes them back (after OK)."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences — Inpaint Studio")
        self.settings = settings
        self.mask_color = ColorButton(settings.color("overlay/color"))
        self.proposal_color = ColorButton(settings.color("overlay/proposal_color"))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(5, 100)
        self.opacity.setValue(int(settings.get("overlay/opacity")))
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setValue(int(settings.get("save/jpeg_quality")))
        self.png_compression = QSpinBox()
        self.png_compression.setRange(0, 9)
        self.png_compression.setValue(int(settings.get("save/png_compression")))
        self.png_compression.setToolTip(
            "1 = fast (default: a 24 MP photo in under a second of CPU), 2-9 = Pillow's encoder at that "
            "zlib level: smaller files, much slower (level 6: ~12 s of CPU for 24 MP), 0 = uncompressed"
        )
        default_mp = round((Image.MAX_IMAGE_PIXELS or 0) / 1e6)
        self.max_megapixels = QSpinBox()
        self.max_megapixels.setRange(0, 100_000)
        self.max_megapixels.setSuffix(" MP")
        self.max_megapixels.setSpecialValueText(f"Default ({default_mp} MP)")
        self.max_megapixels.setValue(int(settings.get("open/max_megapixels")))
        self.max_megapixels.setToolTip(
            f"Photos with more pixels are refused, as a guard against files made to exhaust memory "
            f"(decompression bombs). Raise it only to open big files you trust (100 MP cameras exist). "
            f"Default: Pillow's limit, about {default_mp} MP."
        )
        form = QFormLayout(self)
        form.addRow("Mask colour", self.mask_color)
        form.addRow("Proposed-mask colour", self.proposal_color)
        form.addRow("Mask opacity", self.opacity)
        form.addRow("Default JPEG quality", self.quality)
        form.addRow("PNG compression", self.png_compression)
        form.addRow(MAX_PIXELS_LABEL, self.max_megapixels)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def store(self) -> None:
        """Write the dialog's values to the settings."""
        self.settings.set("overlay/color", self.mask_color.color.name())
        self.settings.set("overlay/proposal_color", self.proposal_color.color.name())
        self.settings.set("overlay/opacity", self.opacity.value())
        self.settings.set("save/jpeg_quality", self.quality.value())
        self.settings.set("save/png_compression", self.png_compression.value())
        self.settings.set("open/max_megapixels", self.max_megapixels.value())
