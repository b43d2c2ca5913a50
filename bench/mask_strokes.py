"""What a mask brush stroke costs on a 2048² document.

    python bench/mask_strokes.py [--size 2048] [--samples 100] [--repeat 3]

A stroke is `--samples` mouse samples along a wave across the image. For each brush diameter,
hardness and distance between samples it prints the best of `--repeat` runs of:
  paint   - mask_ops.stroke_segment alone (the pixels)
  tool    - the BrushTool's whole gesture: a mask snapshot at press, painting, overlay refresh of
            each dirty rect, and the EditMask command at release (its first redo included)
  view    - the same stroke as real mouse events through a CanvasView (offscreen), with the
            viewport repainted after every sample, as a screen would (image + mask drawn)
The goal: a 100-sample stroke well under 1 s in all of them.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.canvas.view import CanvasView  # noqa: E402
from app.document.model import DocumentModel  # noqa: E402
from app.mask.layer import MaskLayer  # noqa: E402
from app.mask.ops import ADD, stroke_segment  # noqa: E402
from app.mask.tools import BrushSettings, BrushTool  # noqa: E402


def wave(side: int, samples: int, step: float) -> list[QPointF]:
    """`samples` points `step` px apart (along x) on a sine wave, wrapping inside the image."""
    points = []
    for i in range(samples):
        x = 100 + (i * step) % (side - 200)
        points.append(QPointF(x, side / 2 + side / 4 * math.sin(x / side * 6 * math.pi)))
    return points


class _Press:
    """The little of a QMouseEvent that the tool reads."""

    def __init__(self):
        self._button = Qt.MouseButton.LeftButton

    def button(self):
        return self._button

    def modifiers(self):
        return Qt.KeyboardModifier.NoModifier


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def time_paint(doc, points, size, hardness) -> None:
    doc.mask.fill(0)
    for a, b in zip(points[:1] + points[:-1], points):
        stroke_segment(doc.mask, a, b, size, hardness, ADD)


def time_tool(tool, view, doc, points) -> None:
    doc.mask.fill(0)
    event = _Press()
    tool.press(view, points[0], event)
    for point in points[1:]:
        tool.move(view, point, event)
    tool.release(view, points[-1], event)


def time_view(view, doc, points) -> None:
    doc.mask.fill(0)
    viewport = view.viewport()

    def send(kind, point, buttons):
        pos = QPointF(view.mapFromScene(point))
        event = QMouseEvent(kind, pos, viewport.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)
        viewport.repaint()  # paint now, as the screen would before the next sample

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, points[0], held)
    for point in points[1:]:
        send(QEvent.Type.MouseMove, point, held)
    send(QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="document side in pixels")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    side = args.size
    doc = DocumentModel(side, side)
    view = CanvasView()
    view.resize(1200, 800)
    view.show()
    picture = QImage(side, side, QImage.Format.Format_RGB888)
    picture.fill(QColor("#6a7f9a"))
    view.show_image(picture)
    layer = MaskLayer(doc)
    view.scene().addItem(layer)
    settings = BrushSettings()
    tool = BrushTool(lambda: doc, layer, settings)
    view.set_tool(tool)
    app.processEvents()

    print(f"{args.samples}-sample strokes on {side}x{side}, best of {args.repeat} "
          f"(view at fit zoom {view.zoom:.2f}, {view.viewport().width()}x{view.viewport().height()})")
    print()
    print("| brush px | hardness | sample step px | paint ms | tool ms | view ms | view ms/sample |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = 0.0
    for size in (8, 64, 256):
        for hardness in (1.0, 0.5):
            for step in (4, 16, 64):
                points = wave(side, args.samples, step)
                settings.set_size(size)
                settings.set_hardness(hardness)
                paint = best(lambda: time_paint(doc, points, size, hardness), args.repeat)
                tool_ms = best(lambda: time_tool(tool, view, doc, points), args.repeat)
                view_ms = best(lambda: time_view(view, doc, points), args.repeat)
                doc.undo_stack.clear()  # the undo entries of the runs are not part of the cost
                worst = max(worst, tool_ms, view_ms)
                print(f"| {size} | {hardness:g} | {step} | {paint:.1f} | {tool_ms:.1f} | {view_ms:.1f} | "
                      f"{view_ms / args.samples:.2f} |")
    repaint = best(lambda: [view.viewport().repaint() for _ in range(args.samples)], args.repeat)
    print()
    print(f"{args.samples} repaints of the view alone (image + mask, nothing painted): {repaint:.0f} ms: most of "
          "the view column; a screen coalesces repaints to its refresh rate")
    print(f"slowest stroke: {worst:.0f} ms ({'OK' if worst < 1000 else 'TOO SLOW'}: goal well under 1000 ms)")
    return 0 if worst < 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
