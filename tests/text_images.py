"""Posters with known text, drawn with Pillow in the bundled font: what the text check must read."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path(__file__).resolve().parents[1] / "resources" / "fonts" / "StudioSansCJK-Bold.otf"


def draw_boxes(image: Image.Image, boxes, texts=None) -> Image.Image:
    """`image` with each box's text (or texts[i] in its place: a misspelling) drawn white, centred
    in the box and turned with it."""
    out = image.convert("RGB")
    for i, box in enumerate(boxes):
        text = box.text if texts is None else texts[i]
        font = ImageFont.truetype(str(FONT), int(box.height * 0.7))
        layer = Image.new("RGBA", (int(box.width), int(box.height)), (0, 0, 0, 0))
        ImageDraw.Draw(layer).text((box.width / 2, box.height / 2), text, font=font, fill="white", anchor="mm")
        layer = layer.rotate(-box.rotation, expand=True, resample=Image.BICUBIC)  # the box turns clockwise
        cx, cy = box.x + box.width / 2, box.y + box.height / 2
        out.paste(layer, (round(cx - layer.width / 2), round(cy - layer.height / 2)), layer)
    return out


def poster(boxes, texts=None, size=(1024, 1024)) -> Image.Image:
    return draw_boxes(Image.new("RGB", size, (30, 60, 120)), boxes, texts)
