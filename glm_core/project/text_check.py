"""Read every text box back from an image and say whether it came out exactly (Qt-free).

For each visible box with text: crop its region (rotation undone, a small margin around it), read
it with rapidocr (PP-OCR in ONNX; its models ship in the wheel, so it runs offline on the CPU),
and compare with what the designer typed:

    ok          exact after folding whitespace and full/half-width forms; case is kept (a title in
                capitals must come out in capitals)
    read        what OCR saw, its lines joined by spaces
    similarity  1 - normalised edit distance, over characters when the text holds CJK and over
                words otherwise, as CVTG-2K and LongText-Bench score text

OCR misses malformed glyphs now and then, so `ok` means "reads right", not "is flawless".
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from glm_core.project.textbox import TextBox

# CJK letters (ideographs, kana, hangul): such text is scored per character and set without
# word spaces.
_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
# A space next to a CJK letter: CJK typesetting gives it no width, and OCR never reports it.
_CJK_SPACE = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")
# Around the box, as a share of its shorter side: room for strokes that overshoot the box, too
# little to take in a neighbouring box's text.
MARGIN = 0.15
MIN_CROP_HEIGHT = 64  # px: smaller crops are scaled up before reading


class OcrUnavailable(RuntimeError):
    """rapidocr or onnxruntime cannot load; the message says how to fix it."""


@dataclass(frozen=True)
class BoxCheck:
    index: int  # the box's place among the boxes given, 1-based
    text: str  # what the designer typed
    read: str  # what OCR saw
    ok: bool
    similarity: float  # 0..1
    box: tuple[float, float, float, float]  # x, y, width, height in canvas pixels
    note: str = ""  # why the box could not be read, when it could not

    def to_json(self) -> dict:
        data = {"index": self.index, "text": self.text, "read": self.read, "ok": self.ok,
                "similarity": self.similarity, "box": list(self.box)}
        return {**data, "note": self.note} if self.note else data

    def recipe_entry(self) -> dict:
        """What a recipe keeps (glm_core.generation.recipe.Recipe.text_check)."""
        return {"text": self.text, "read": self.read, "ok": self.ok, "similarity": self.similarity}


def normalise(text: str) -> str:
    """Fold full/half-width forms (Ａ→A, ５０％→50%, ｶ→カ) and whitespace; keep case and all else."""
    folded = "".join(unicodedata.normalize("NFKC", c) if c == "\u3000" or "\uff00" <= c <= "\uffef" else c
                     for c in text)
    return _CJK_SPACE.sub("", " ".join(folded.split()))


def similarity(expected: str, read: str) -> float:
    """1 - edit distance / longer length: characters when `expected` holds CJK, else words."""
    a, b = normalise(expected), normalise(read)
    units_a, units_b = (list(a), list(b)) if _HAS_CJK.search(a) else (a.split(), b.split())
    longest = max(len(units_a), len(units_b))
    return 1.0 if longest == 0 else round(1 - _edit_distance(units_a, units_b) / longest, 4)


def _edit_distance(a: Sequence, b: Sequence) -> int:
    row = list(range(len(b) + 1))
    for i, unit in enumerate(a, start=1):
        diagonal, row[0] = row[0], i
        for j, other in enumerate(b, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (unit != other))
    return row[-1]


def crop_box(image: Image.Image, box: TextBox, canvas_size: tuple[int, int] | None = None) -> Image.Image | None:
    """The box's region of `image`, turned upright, with MARGIN around it; None when the box lies
    wholly outside the image. `canvas_size` is the size the box was placed on (default: the
    image's own); the box is scaled from it to the image."""
    canvas_w, canvas_h = canvas_size or image.size
    sx, sy = image.width / canvas_w, image.height / canvas_h
    cx, cy = (box.x + box.width / 2) * sx, (box.y + box.height / 2) * sy
    margin = MARGIN * min(box.width * sx, box.height * sy)
    w, h = box.width * sx + 2 * margin, box.height * sy + 2 * margin
    # A square around the centre holds the box at any angle; it is cut first so only it is rotated.
    side = math.ceil(math.hypot(w, h)) + 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    turn = math.radians(box.rotation)
    reach_x = (abs(w * math.cos(turn)) + abs(h * math.sin(turn))) / 2
    reach_y = (abs(w * math.sin(turn)) + abs(h * math.cos(turn))) / 2
    if cx + reach_x <= 0 or cy + reach_y <= 0 or cx - reach_x >= image.width or cy - reach_y >= image.height:
        return None
    rgb = image.convert("RGB")
    inside = rgb.crop((max(0, left), max(0, top), min(image.width, left + side), min(image.height, top + side)))
    # Past the image's edge: its average colour, which reads as background, not as a stroke.
    fill = tuple(round(v) for v in _mean_colour(inside))
    square = Image.new("RGB", (side, side), fill)
    square.paste(inside, (max(0, left) - left, max(0, top) - top))
    if box.rotation % 360:
        # The box turns clockwise on the canvas; PIL turns counter-clockwise, which undoes it.
        square = square.rotate(box.rotation, resample=Image.BICUBIC, center=(cx - left, cy - top), fillcolor=fill)
    x0, y0 = cx - left - w / 2, cy - top - h / 2
    return square.crop((round(x0), round(y0), round(x0 + w), round(y0 + h)))


def _mean_colour(image: Image.Image) -> tuple[float, ...]:
    stats = image.resize((1, 1), Image.BOX).getpixel((0, 0))
    return stats if isinstance(stats, tuple) else (stats,) * 3


def check_text(image: Image.Image, boxes: Sequence[TextBox], canvas_size: tuple[int, int] | None = None) -> list[BoxCheck]:
    """Check each visible box with text (hidden and empty boxes are skipped, as the prompt skips
    them). Raises OcrUnavailable when a box needs reading and OCR cannot load."""
    results = []
    for index, box in enumerate(boxes, start=1):
        if not box.visible or not box.text.strip():
            continue
        place = (box.x, box.y, box.width, box.height)
        crop = crop_box(image, box, canvas_size)
        if crop is None:
            results.append(BoxCheck(index, box.text, "", False, 0.0, place,
                                    note="the box lies outside the image: move it onto the canvas to check it"))
            continue
        read = ocr_engine().read(crop)
        results.append(BoxCheck(index, box.text, read, normalise(read) == normalise(box.text),
                                similarity(box.text, read), place))
    return results


class OcrEngine:
    """One rapidocr engine (detection + recognition; our crops are upright, so no angle classifier)."""

    def __init__(self, engine):
        self._engine = engine
        self._lock = threading.Lock()  # one ONNX session set, one image at a time

    def read(self, image: Image.Image) -> str:
        if image.height < MIN_CROP_HEIGHT:  # small print: detection needs letters a few dozen px tall
            scale = MIN_CROP_HEIGHT / image.height
            image = image.resize((max(1, round(image.width * scale)), MIN_CROP_HEIGHT), Image.BICUBIC)
        with self._lock:
            result = self._engine(image.convert("RGB"), use_cls=False)
        return " ".join(result.txts or ())  # lines come top to bottom, left to right


_engine: OcrEngine | None = None
_engine_lock = threading.Lock()


def ocr_engine() -> OcrEngine:
    """The process's OCR engine, loaded on first use (about 2 s); raises OcrUnavailable."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = OcrEngine(_load_rapidocr())
        return _engine


def _load_rapidocr():
    from glm_core.paths import onnxruntime_cache

    with onnxruntime_cache():
        return _start_rapidocr()


def _start_rapidocr():
    try:
        import onnxruntime  # noqa: F401 - imported inside onnxruntime_cache()
        from rapidocr import RapidOCR

        # Detection at the crop's own size (capped): its default scales the short side up to 736 px,
        # ten times the work on a wide title box for no better reading.
        return RapidOCR(params={"Global.log_level": "error", "Det.limit_type": "max", "Det.limit_side_len": 960})
    except ImportError as exc:
        raise OcrUnavailable(f"The text check needs OCR, which cannot load ({exc}): "
                             "run `pip install rapidocr onnxruntime`.") from exc
    except Exception as exc:  # noqa: BLE001 - a broken install shows up as anything
        raise OcrUnavailable(f"The text check's OCR failed to start ({type(exc).__name__}: {exc}): "
                             "reinstall it with `pip install --force-reinstall rapidocr onnxruntime`.") from exc
