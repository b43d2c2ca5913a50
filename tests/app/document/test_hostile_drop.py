"""A PostScript file named like a PNG, dropped on the window, goes through the same loader as the
command line: refused in one line naming it, Ghostscript never asked, the poster untouched."""

from PIL import EpsImagePlugin
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n{} loop\nshowpage\n"


def test_dropped_postscript_named_png_is_refused_without_ghostscript(make_window, tmp_path,
                                                                      error_boxes, monkeypatch):
    touched = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open",
                        lambda self: touched.append("EpsImageFile._open"))
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: touched.append("gs"))
    window = make_window(source=None)
    size_before = window.doc.size
    path = tmp_path / "poster.png"
    path.write_bytes(POSTSCRIPT)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window.canvas.viewport(), QDragEnterEvent(*args))
    QApplication.sendEvent(window.canvas.viewport(), QDropEvent(*args))
    boxes = error_boxes(window)
    assert len(boxes) == 1 and "'poster.png' is not an image this app reads" in boxes[0].text()
    assert touched == [] and window.doc.size == size_before
