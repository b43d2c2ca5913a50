"""What the OCR text check costs on the CPU, and whether it reads exact text as exact.

    python bench/text_check.py

Draws posters at 1024x1024 with the window's own text routine (the "Overlay my text" path,
app/cli_text.QtTextRenderer) over a colour gradient: Latin, CJK, mixed, rotated and small text,
five boxes each. The overlay draws every box exactly, so every box must read back exact; a miss
is a checker bug (crop, margin, normalising) to fix, not a tolerance to widen. Prints seconds
per box and per poster (after one warm-up read; ONNX Runtime uses every core) and the share of
exact boxes per kind; exits 1 when any box misses.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("GLM_STUDIO_HOME", tempfile.mkdtemp(prefix="glm-bench-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from glm_core.project.text_check import check_text, ocr_engine  # noqa: E402
from glm_core.project.textbox import TextBox  # noqa: E402

SIZE = 1024
# Five rows per poster: (text, x, y, width, height, rotation).
POSTERS = {
    "latin": [("SUMMER SALE", 80, 60, 864, 150, 0), ("Up to 50% off", 160, 260, 704, 90, 0),
              ("TODAY'S DEALS", 120, 420, 784, 110, 0), ('He said "go"', 220, 600, 584, 90, 0),
              ("Open 9am - 9pm", 260, 800, 504, 70, 0)],
    "cjk": [("夏日特惠", 212, 60, 600, 160, 0), ("全场五折", 262, 280, 500, 120, 0), ("新品上市", 312, 450, 400, 100, 0),
            ("限时抢购", 312, 620, 400, 100, 0), ("欢迎光临", 362, 800, 300, 80, 0)],
    "mixed": [("夏日特惠 50%", 112, 60, 800, 150, 0), ("SALE 全场五折", 162, 280, 700, 110, 0),
              ("2025 新品", 262, 450, 500, 100, 0), ("VIP 会员日", 262, 620, 500, 100, 0), ("Café 咖啡", 312, 800, 400, 80, 0)],
    "rotated": [("TILTED TITLE", 150, 100, 700, 120, -12), ("夏日特惠", 300, 350, 420, 110, 20),
                ("RUNS DOWN", 700, 520, 440, 80, 90), ("SIDEWAYS", -120, 560, 440, 80, -90),
                ("Slanted 50%", 300, 820, 420, 80, 8)],
    "small": [("Terms apply", 40, 40, 150, 24, 0), ("Free entry", 830, 40, 150, 24, 0),
              ("www.example.com", 40, 960, 220, 22, 0), ("仅限今日", 860, 960, 120, 26, 0),
              ("Doors 8 PM", 437, 500, 150, 26, 0)],
}


def background() -> Image.Image:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    rgb = np.stack([40 + x * 100 // SIZE, 30 + y * 60 // SIZE, 120 + (x + y) * 60 // (2 * SIZE)], axis=2)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def main() -> int:
    from app.cli_text import QtTextRenderer

    renderer = QtTextRenderer()
    started = time.perf_counter()
    engine = ocr_engine()
    load = time.perf_counter() - started
    engine.read(background().crop((0, 0, 400, 100)))  # the first read builds the ONNX sessions
    print(f"OCR load {load:.2f} s (first read excluded below)\n")
    print(f"{'poster':<8} {'boxes':>5} {'exact':>6} {'s/poster':>9} {'s/box':>6}  misses")
    per_box, per_poster, exact_all, total = [], [], 0, 0
    for name, rows in POSTERS.items():
        boxes = [TextBox(text, x, y, w, h, rotation=r, color="#ffffff") for text, x, y, w, h, r in rows]
        image = renderer.overlay(background(), boxes, (SIZE, SIZE))
        started = time.perf_counter()
        checks = check_text(image, boxes)
        seconds = time.perf_counter() - started
        per_poster.append(seconds)
        per_box.append(seconds / len(boxes))
        exact = sum(c.ok for c in checks)
        exact_all, total = exact_all + exact, total + len(checks)
        misses = "; ".join(f"{c.text!r} read {c.read!r}" for c in checks if not c.ok)
        print(f"{name:<8} {len(checks):>5} {exact:>6} {seconds:>9.2f} {seconds / len(boxes):>6.2f}  {misses or '-'}")
    print(f"\nall: {exact_all}/{total} exact; median {statistics.median(per_poster):.2f} s per 1024² poster "
          f"(5 boxes), {statistics.median(per_box):.2f} s per box")
    return 0 if exact_all == total else 1


if __name__ == "__main__":
    sys.exit(main())
