"""Export to PNG and copy to the clipboard, recipe embedded, encoded off the GUI thread.

PNG-encoding a 2048² image takes about a second; done on the GUI thread it would freeze the
window. Work runs on a private one-thread pool; results come back through a queued signal and
are re-emitted on the GUI thread (safe to wait on in tests).
"""

from __future__ import annotations

import io
import logging
import re
import traceback
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QMimeData, QObject, QThreadPool, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage

from app.ui.images import pil_to_qimage
from glm_core.project.metadata import png_bytes, save_png
from glm_core.project.print_export import enlarge
from glm_core.generation.recipe import Recipe

log = logging.getLogger(__name__)


def suggested_file_name(recipe: Recipe | None) -> str:
    """"poster-summer-nights-1234.png": a few prompt words, then the seed."""
    if recipe is None:
        return "poster.png"
    words = re.findall(r"\w+", recipe.prompt.lower())[:5]
    slug = "-".join(words)[:48].strip("-") or "image"
    return f"{slug}-{recipe.seed}.png"


def _plain_png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class Exporter(QObject):
    saved = Signal(Path)
    copied = Signal()
    failed = Signal(str, str)  # message, details

    _saved = Signal(Path)  # emitted on the pool thread; relayed on the GUI thread
    _encoded = Signal(bytes, QImage)
    _failed = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # exports run in the order asked for
        self._saved.connect(self._relay_saved)
        self._encoded.connect(self._fill_clipboard)
        self._failed.connect(self.failed)
        # Set by the text layout: PIL image -> PIL image with the text boxes drawn over it
        # ("Overlay my text"), or None. Runs here on the GUI thread, where Qt draws text safely.
        self.overlay = None

    def save(self, image: Image.Image, path: Path, recipe: Recipe | None, overwrite: bool,
             dpi: int | None = None, scale: int = 1) -> None:
        """Write `image` (with the overlay, when set) as a PNG; for print, `dpi` goes into its pHYs
        chunk and `scale` enlarges it by resampling, off the GUI thread (4x of 2048² takes seconds)."""
        if self.overlay is not None:
            image = self.overlay(image)

        def work() -> None:
            try:
                save_png(enlarge(image, scale), path, recipe, overwrite=overwrite, dpi=dpi)
            except Exception as exc:  # noqa: BLE001 - reported to the user, never lost in a thread
                log.exception("export to %s failed", path)
                self._failed.emit(f"Could not export “{path.name}”: {exc}", traceback.format_exc())
            else:
                log.info("exported %s", path)
                self._saved.emit(path)

        self._pool.start(work)

    def copy(self, image: Image.Image, recipe: Recipe | None, qimage: QImage) -> None:
        if self.overlay is not None:
            image = self.overlay(image)
            qimage = pil_to_qimage(image)

        def work() -> None:
            try:
                data = png_bytes(image, recipe) if recipe is not None else _plain_png(image)
            except Exception as exc:  # noqa: BLE001
                log.exception("copy to clipboard failed")
                self._failed.emit(f"Could not copy the image: {exc}", traceback.format_exc())
            else:
                self._encoded.emit(data, qimage)

        self._pool.start(work)

    def wait(self) -> None:
        self._pool.waitForDone()

    @Slot(Path)
    def _relay_saved(self, path: Path) -> None:
        self.saved.emit(path)

    @Slot(bytes, QImage)
    def _fill_clipboard(self, data: bytes, qimage: QImage) -> None:
        # PNG bytes keep the recipe for apps that take them; the plain image suits all others.
        mime = QMimeData()
        mime.setData("image/png", data)
        mime.setImageData(qimage)
        QGuiApplication.clipboard().setMimeData(mime)
        self.copied.emit()
