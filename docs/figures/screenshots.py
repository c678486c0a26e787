"""Screenshots of issue #41: the editor at 200 % device pixel ratio, and an AdobeRGB photo before/after
colour management. Run under a virtual X display so the grab is the real screen:

    QT_SCALE_FACTOR=2 xvfb-run -s "-screen 0 2600x2000x24" .venv/bin/python docs/figures/screenshots.py

Writes docs/figures/editor-200pct.jpg and docs/figures/adobergb-before-after.jpg and prints what they show.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFont
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtGui import QColorSpace, QImage
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.settings import Settings  # noqa: E402
from app.window import MainWindow  # noqa: E402
from engine.imageio import load_image, load_mask  # noqa: E402
from engine.paths import SAMPLES  # noqa: E402

OUT = ROOT / "docs" / "figures"


def settle(app: QApplication, ms: int = 1500) -> None:
    """Run the event loop for ``ms``: the window is mapped, laid out and painted on the X server."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def to_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : 3 * w].reshape(h, w, 3).copy()  # copied while ``image`` still owns the pixels


def window(app: QApplication, folder: Path) -> MainWindow:
    settings = Settings(QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
    w = MainWindow(settings, recovery_folder=folder / "recovery")
    w.ask_before_close = False
    w.resize(1240, 780)
    w.move(0, 0)
    w.show()
    settle(app)
    return w


def editor_at_200(app: QApplication, folder: Path) -> None:
    w = window(app, folder)
    assert w.open_path(SAMPLES / "nuthatch.jpg")
    ys, xs = np.nonzero(load_mask(SAMPLES / "nuthatch_mask.png"))
    w.acts.select.trigger()
    w.selector.select_box((int(xs.min()) - 20, int(ys.min()) - 20, int(xs.max()) + 20, int(ys.max()) + 20))
    settle(app)
    shot = app.primaryScreen().grabWindow(0)  # the whole (virtual) screen, device pixels
    dpr = shot.devicePixelRatio()
    frame = w.frameGeometry()
    crop = shot.copy(0, 0, round(frame.width() * dpr), round(frame.height() * dpr))
    rgb = to_array(crop.toImage())
    Image.fromarray(rgb).save(OUT / "editor-200pct.jpg", quality=70, optimize=True)
    print(
        f"editor-200pct.jpg: {rgb.shape[1]}×{rgb.shape[0]} device px of a {frame.width()}×{frame.height()} "
        f"window, device pixel ratio {dpr:g}; status: {w.statusBar().currentMessage()!r}"
    )
    w.close()


def adobe_rgb(app: QApplication, folder: Path) -> None:
    srgb = load_image(SAMPLES / "kite.jpg").rgb[0:640, 580:1540]  # 960×640 crop around the kite
    a98 = QColorSpace(QColorSpace.NamedColorSpace.AdobeRgb).iccProfile().data()
    to_a98 = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(a98)), "RGB", "RGB"
    )
    path = folder / "kite-adobergb.jpg"
    ImageCms.applyTransform(Image.fromarray(srgb), to_a98).save(path, quality=95, icc_profile=a98)
    w = window(app, folder)
    assert w.open_path(path)
    now = to_array(w.canvas.image_item.pixmap().toImage())
    raw = w.doc.image  # the file's AdobeRGB values, as an editor without colour management shows them
    err_raw = np.abs(raw.astype(int) - srgb).mean()
    err_now = np.abs(now.astype(int) - srgb).mean()
    sat = [float((np.ptp(a.astype(int), axis=2)).mean()) for a in (srgb, raw, now)]
    tile_w = 480
    tiles = [Image.fromarray(a).resize((tile_w, tile_w * 2 // 3)) for a in (raw, now)]
    sheet = Image.new("RGB", (2 * tile_w + 18, tile_w * 2 // 3 + 34), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (tile, label) in enumerate(
        zip(tiles, ("before: AdobeRGB values shown as sRGB", "now: converted from its ICC profile"), strict=True)
    ):
        x = 6 + i * (tile_w + 6)
        sheet.paste(tile, (x, 28))
        draw.text((x, 6), label, fill=(0, 0, 0), font=ImageFont.load_default(size=16))
    sheet.save(OUT / "adobergb-before-after.jpg", quality=80, optimize=True)
    print(
        f"adobergb-before-after.jpg: mean |error| vs the sRGB original: raw {err_raw:.1f}, shown now {err_now:.1f} "
        f"(0-255); mean saturation (max-min) sRGB {sat[0]:.1f}, raw {sat[1]:.1f}, shown now {sat[2]:.1f}"
    )
    w.close()


def main() -> None:
    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        editor_at_200(app, Path(tmp))
        adobe_rgb(app, Path(tmp))


if __name__ == "__main__":
    main()
