"""Text drawing for the command line: the window's own routine (app/text/typography.py), offered to
cli (cli/common.py), which never imports Qt, as its `TextRenderer`.

Nothing here imports Qt until text is drawn, so `python main.py generate --print-prompt` and
every command without --overlay or --layout-guide start without it. The first use makes a
QGuiApplication if the process has none (offscreen unless QT_QPA_PLATFORM says otherwise: the
command line shows no window) and registers the bundled fonts, exactly as the window does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from PIL import Image

from glm_core.project.textbox import TextBox

_app = None  # the QGuiApplication made here, kept for the life of the process


class QtTextRenderer:
    def __init__(self):
        self._ready = False

    def prepare(self) -> None:
        global _app
        if self._ready:
            return
        if not os.environ.get("QT_QPA_PLATFORM"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display needed (or perhaps present)
        from PySide6.QtGui import QGuiApplication

        if QGuiApplication.instance() is None:
            _app = QGuiApplication([sys.argv[0] if sys.argv and sys.argv[0] else "glm-image-studio"])
        from app.text.typography import load_bundled_fonts

        if not load_bundled_fonts():
            print("note: the bundled font (resources/fonts) is missing; text is drawn in a system font",
                  file=sys.stderr)
        self._ready = True

    def overlay(self, image: Image.Image, boxes: Sequence[TextBox], size: tuple[int, int]) -> Image.Image:
        """`image` with the visible boxes drawn over it at its full resolution ("Overlay my text")."""
        self.prepare()
        from app.text.typography import overlay_pil

        return overlay_pil(image, boxes, size)

    def layout_guide(self, boxes: Sequence[TextBox], size: tuple[int, int],
                     out_size: tuple[int, int] | None = None) -> Image.Image:
        """The boxes on the window's grey guide canvas, `out_size` pixels (default `size`), RGB."""
        self.prepare()
        from app.ui.images import qimage_to_pil
        from app.text.typography import render_layout_guide

        return qimage_to_pil(render_layout_guide(boxes, size, out_size or size)).convert("RGB")
