"""Help ▸ About: the version, the licence, and where the shipped weights and sample photos come from.

The weights' facts are read from their model cards (``resources/weights/<name>.md``: title, paper,
training data) so the dialog never disagrees with them; the photos' licences from
``resources/samples/LICENSE.md``.
"""

from __future__ import annotations

import html
import importlib.metadata
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from engine.paths import BUNDLED_WEIGHTS, SAMPLES

LICENCE = "MIT"
CORPUS_NOTE = (
    "The networks were trained by this project on photos from Debian wallpaper packages "
    "(resources/corpus/split.txt); those photos are under their packages' free licences "
    "(GPL-2+, LGPLv3, CC-BY-SA), named per photo in resources/samples/LICENSE.md."
)


def version() -> str:
    """The installed package's version, or "development" when run from a bare checkout."""
    try:
        return importlib.metadata.version("inpaint-studio")
    except importlib.metadata.PackageNotFoundError:
        return "development"


def model_cards(folder: Path = BUNDLED_WEIGHTS) -> list[tuple[str, str, str]]:
    """(title, paper line, data line) of every model card in ``folder`` (``*.md`` with a "model card" title)."""
    cards = []
    for card in sorted(folder.glob("*.md")):
        lines = card.read_text(encoding="utf-8").splitlines()
        if not lines or "model card" not in lines[0]:
            continue
        title = lines[0].lstrip("# ").replace(" — model card", "")
        paper = next((ln.removeprefix("Paper: ").split(" Weights:")[0] for ln in lines if ln.startswith("Paper:")), "")
        data = next((ln.removeprefix("- Data: ") for ln in lines if ln.startswith("- Data:")), "")
        cards.append((title, paper, _data_source(data)))
    return cards


def _data_source(line: str) -> str:
    """The corpus named on a card's "- Data:" line: its closing parenthesis, else the text before one."""
    line = line.replace("`", "").replace("*", "").strip()
    if line.endswith(")") and "(" in line:
        return line[line.rindex("(") + 1 : -1]
    return line.split("(")[0].strip()


def about_html() -> str:
    """The dialog's text (HTML)."""
    rows = "".join(
        f"<li><b>{html.escape(t)}</b> — {html.escape(p)}<br><small>trained on: {html.escape(d or 'see its card')}"
        "</small></li>"
        for t, p, d in model_cards()
    )
    return (
        f"<h2>Inpaint Studio {html.escape(version())}</h2>"
        f"<p>Remove objects and restore old photos. Licence: {LICENCE}.</p>"
        f"<h3>Shipped weights</h3><ul>{rows}</ul>"
        f"<p>{html.escape(CORPUS_NOTE)} Each network's model card is in {html.escape(str(BUNDLED_WEIGHTS))}.</p>"
        "<h3>Sample photos</h3>"
        f"<p>From Debian wallpaper packages; author and licence of each in {html.escape(str(SAMPLES / 'LICENSE.md'))}.</p>"
        "<h3>Methods</h3><p>OpenCV (Apache-2.0) for the classical fills and GrabCut object selection, "
        "PyTorch (BSD) for the networks, Qt for Python (LGPLv3) for the editor.</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Inpaint Studio")
        self.resize(620, 560)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setFocus(Qt.FocusReason.OtherFocusReason)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
