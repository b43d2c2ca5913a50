"""Untrusted image files go through one loader (validation.open_image): the format comes from
the file's bytes, only PNG, JPEG, WebP, BMP and plain TIFF are opened, nothing runs Ghostscript,
and every refusal is one line naming the file, with no Pillow warning beside it."""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from PIL import EpsImagePlugin, Image, PngImagePlugin

from glm_core.generation.masking import load_mask
from glm_core.generation.validation import MAX_IMAGE_PIXELS, MAX_SIDE, ImageLoadError, \
    image_format, load_image
from glm_core.project.metadata import RecipeError, read_recipe

# `{} loop` never ends: Ghostscript rendering this would hang the loader.
POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\n{} loop\nshowpage\n"
FITS = b"SIMPLE  =                    T" + b" " * 50 + b"BITPIX  =                    8"


@pytest.fixture
def no_ghostscript(monkeypatch):
    """Fails the test if Pillow's EPS reader is even asked (it hands the file to `gs`)."""
    touched = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open",
                        lambda self: touched.append("EpsImageFile._open"))
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript",
                        lambda *a, **k: touched.append("Ghostscript"))
    monkeypatch.setattr(EpsImagePlugin.subprocess, "check_call",
                        lambda *a, **k: touched.append("subprocess"))
    yield touched
    assert touched == [], "the PostScript file reached Pillow's Ghostscript path"


def test_postscript_named_png_is_refused_by_every_loader(tmp_path, no_ghostscript):
    poster = tmp_path / "poster.png"
    poster.write_bytes(POSTSCRIPT)
    for load in (load_image, load_mask):
        with pytest.raises(ImageLoadError, match="'poster.png' is not an image this app reads"):
            load(poster)
    with pytest.raises(RecipeError, match="'poster.png' is not an image"):
        read_recipe(poster)


def test_fits_named_png_is_refused_with_the_file_name(tmp_path):
    (tmp_path / "scan.png").write_bytes(FITS + b" " * 2800)
    with pytest.raises(ImageLoadError, match="'scan.png' is not an image this app reads"):
        load_image(tmp_path / "scan.png")


def test_damaged_webp_names_the_file_not_pillow(tmp_path):
    buf = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(buf, "WEBP")
    data = bytearray(buf.getvalue())
    data[12:40] = b"\xff" * 28  # the VP8 chunk header and frame tag
    (tmp_path / "photo.webp").write_bytes(bytes(data))
    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "photo.webp")
    message = str(caught.value)
    assert message.startswith("'photo.webp' is damaged") and "\n" not in message


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_pillow_decompression_warning_becomes_our_message(tmp_path):
    (tmp_path / "huge.png").write_bytes(png_header(10_000, 10_000))  # Pillow warns above 89 MP
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning reaching the user fails the test
        with pytest.raises(ImageLoadError, match="'huge.png' is 10000x10000.*megapixels"):
            load_image(tmp_path / "huge.png")


def test_budget_is_sized_from_the_largest_canvas():
    assert MAX_IMAGE_PIXELS == 4 * MAX_SIDE * MAX_SIDE


def test_tiff_with_an_exotic_codec_is_refused(tmp_path):
    Image.new("1", (64, 64)).save(tmp_path / "fax.tif", compression="group4")
    with pytest.raises(ImageLoadError, match="'fax.tif' is a TIFF compressed with group4"):
        load_image(tmp_path / "fax.tif")


def test_gif_is_refused_whatever_its_name(tmp_path):
    Image.new("P", (8, 8)).save(tmp_path / "anim.png", "GIF")
    with pytest.raises(ImageLoadError, match="'anim.png' is not an image this app reads"):
        load_image(tmp_path / "anim.png")


@pytest.mark.parametrize("fmt, options", [("PNG", {}), ("JPEG", {}), ("WEBP", {}), ("BMP", {}),
                                          ("TIFF", {"compression": "tiff_lzw"})])
def test_what_a_designer_drops_loads_whatever_its_name(tmp_path, fmt, options):
    path = tmp_path / "misnamed.dat"
    Image.new("RGB", (40, 30), (200, 20, 20)).save(path, fmt, **options)
    assert image_format(path.read_bytes()[:12]) == fmt
    image = load_image(path)
    assert image.size == (40, 30) and image.mode == "RGB"


def test_a_png_named_jpg_keeps_its_recipe(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a red poster\nSteps: 30, Seed: 7, Size: 64x64")
    Image.new("RGB", (64, 64)).save(tmp_path / "export.jpg", "PNG", pnginfo=info)
    recipe = read_recipe(tmp_path / "export.jpg")
    assert recipe is not None and recipe.seed == 7
