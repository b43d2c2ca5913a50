"""Request checks, size snapping and safe image loading (glm_core.generation.validation)."""

from __future__ import annotations

import io
import math
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from glm_core.generation.request import GenerationRequest
from glm_core.generation.validation import (MAX_SEED, MAX_SIDE, MIN_SIDE, MULTIPLE, RECOMMENDED_SIZES,
                                 ImageLoadError, InvalidRequest, load_image, nearest_valid_size,
                                 validate_request)

LIMITS = [(MIN_SIDE, MAX_SIDE), (64, 512)]  # the real model, the tiny demo model


# --- nearest_valid_size ----------------------------------------------------------------------

@pytest.mark.parametrize("size, expected", [
    ((1000, 1024), (992, 1024)),
    ((1024, 1024), (1024, 1024)),
    ((4000, 3000), (2048, 1536)),
    ((100, 100), (512, 512)),
    ((300, 200), (768, 512)),
    ((1, 10000), (512, 2048)),
    ((1920, 1080), (1920, 1088)),
])
def test_nearest_valid_size_examples(size, expected):
    assert nearest_valid_size(*size) == expected


@settings(max_examples=500)
@given(st.integers(1, 10000), st.integers(1, 10000), st.sampled_from(LIMITS))
def test_nearest_valid_size_is_always_valid(width, height, limits):
    lo, hi = limits
    w, h = nearest_valid_size(width, height, lo, hi)
    for side in (w, h):
        assert side % MULTIPLE == 0 and lo <= side <= hi
    validate_request(GenerationRequest("x", w, h), lo, hi)
    # The aspect ratio is kept (up to rounding) whenever the limits allow it.
    if lo / hi <= width / height <= hi / lo:
        assert abs(math.log(w / h) - math.log(width / height)) <= 2 * math.log((lo + 16) / (lo - 16))


@given(st.integers(1, 64), st.integers(1, 64), st.sampled_from(LIMITS))
def test_valid_sizes_are_left_alone(a, b, limits):
    lo, hi = limits
    w, h = a * MULTIPLE, b * MULTIPLE
    if lo <= w <= hi and lo <= h <= hi:
        assert nearest_valid_size(w, h, lo, hi) == (w, h)


def test_nearest_valid_size_rejects_nonsense():
    with pytest.raises(ValueError):
        nearest_valid_size(0, 100)
    with pytest.raises(ValueError):
        nearest_valid_size(100, 100, 100, 120)  # no multiple of 32 in 100..120


# --- validate_request ------------------------------------------------------------------------

def test_recommended_sizes_and_defaults_are_valid():
    for w, h in RECOMMENDED_SIZES:
        validate_request(GenerationRequest("a poster", w, h, seed=MAX_SEED))
    validate_request(GenerationRequest("a poster"))
    validate_request(GenerationRequest("tiny", 64, 64), min_side=64, max_side=512)


def problems(**fields) -> list[str]:
    with pytest.raises(InvalidRequest) as err:
        validate_request(GenerationRequest(**{"prompt": "a poster", **fields}))
    assert str(err.value) == "\n".join(err.value.problems)
    return err.value.problems


@pytest.mark.parametrize("fields, message", [
    ({"prompt": ""}, "The prompt is empty: type a prompt describing the image."),
    ({"prompt": " \n\t"}, "The prompt is empty: type a prompt describing the image."),
    ({"width": 1000}, "Width 1000 is not a multiple of 32: use 992x1024"),
    ({"height": 4096}, "Height 4096 is above the maximum 2048: use 512x2048"),
    ({"width": 256, "height": 256}, "Width 256 is below the minimum 512 and height 256 is below "
                                    "the minimum 512: use 512x512"),
    ({"width": 1024.0}, "Size 1024.0x1024 is not a size in pixels"),
    ({"steps": 0}, "Steps 0 is out of range: use 1 to 200 (30 to 50 recommended)."),
    ({"steps": 201}, "Steps 201 is out of range"),
    ({"guidance": 0.5}, "Guidance 0.5 is out of range: use 1 to 20 (1.5 recommended)."),
    ({"guidance": float("nan")}, "Guidance nan is out of range"),
    ({"seed": -1}, "Seed -1 is out of range: use 0 to 4294967295, or leave it empty"),
    ({"seed": 2**32}, "Seed 4294967296 is out of range"),
    ({"reference_images": [Image.new("RGB", (8, 8))] * 5},
     "5 reference images given: GLM-Image takes at most 4; remove 1."),
])
def test_each_problem_is_named_with_its_fix(fields, message):
    found = problems(**fields)
    assert len(found) == 1 and found[0].startswith(message)


def test_all_problems_are_reported_together():
    found = problems(prompt="", width=1000, steps=0, seed=-3)
    assert len(found) == 4


def test_four_references_are_fine():
    validate_request(GenerationRequest("edit", reference_images=[Image.new("RGB", (8, 8))] * 4))


def test_tiny_model_limits_change_the_suggestion():
    with pytest.raises(InvalidRequest, match="use 512x512 .*from 64 to 512"):
        validate_request(GenerationRequest("x", 1024, 1024), min_side=64, max_side=512)


# --- load_image ------------------------------------------------------------------------------

def saved(tmp_path, image: Image.Image, name: str, **kw):
    path = tmp_path / name
    image.save(path, **kw)
    return path


def close(a, b, tol=6) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_rgb_png_loads_as_detached_rgb_copy(tmp_path):
    path = saved(tmp_path, Image.new("RGB", (10, 6), (1, 2, 3)), "a.png")
    im = load_image(path)
    assert type(im) is Image.Image and im.mode == "RGB" and im.size == (10, 6)
    path.unlink()  # the file is closed and the pixels are loaded
    assert im.getpixel((0, 0)) == (1, 2, 3)


def test_file_object_works():
    buf = io.BytesIO()
    Image.new("L", (4, 4), 128).save(buf, format="PNG")
    buf.seek(0)
    assert load_image(buf).getpixel((0, 0)) == (128, 128, 128)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = saved(tmp_path, Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "red.jpg", quality=95)
    im = load_image(path)
    assert im.mode == "RGB" and close(im.getpixel((8, 8)), (255, 0, 0), tol=12)


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    im16 = Image.new("I;16", (3, 1))
    for x, v in enumerate((0, 32896, 65535)):
        im16.putpixel((x, 0), v)
    path = saved(tmp_path, im16, "deep.png")
    with Image.open(path) as check:
        assert check.mode.startswith("I")  # really stored as 16-bit
    im = load_image(path)
    assert [im.getpixel((x, 0)) for x in range(3)] == [(0, 0, 0), (128, 128, 128), (255,) * 3]


def test_float_tiff_in_0_to_1_is_scaled(tmp_path):
    f = Image.new("F", (2, 1))
    f.putpixel((1, 0), 1.0)
    im = load_image(saved(tmp_path, f, "f.tiff"))
    assert im.getpixel((0, 0)) == (0, 0, 0) and im.getpixel((1, 0)) == (255, 255, 255)


def test_rgba_png_is_composited_over_white(tmp_path):
    rgba = Image.new("RGBA", (2, 1), (255, 0, 0, 0))
    rgba.putpixel((1, 0), (255, 0, 0, 128))
    im = load_image(saved(tmp_path, rgba, "alpha.png"))
    assert im.getpixel((0, 0)) == (255, 255, 255)
    assert close(im.getpixel((1, 0)), (255, 127, 127), tol=2)


def test_la_png_is_composited_over_white(tmp_path):
    im = load_image(saved(tmp_path, Image.new("LA", (2, 2), (0, 0)), "la.png"))
    assert im.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_png(tmp_path, transparent):
    p = Image.new("P", (2, 1))
    p.putpalette([0, 0, 255, 0, 255, 0] + [0] * 762)
    p.putpixel((1, 0), 1)
    kw = {"transparency": 0} if transparent else {}
    im = load_image(saved(tmp_path, p, "pal.png", **kw))
    assert im.mode == "RGB"
    assert im.getpixel((0, 0)) == ((255, 255, 255) if transparent else (0, 0, 255))
    assert im.getpixel((1, 0)) == (0, 255, 0)


def test_grayscale_and_bilevel(tmp_path):
    assert load_image(saved(tmp_path, Image.new("L", (2, 2), 77), "g.png")).getpixel((0, 0)) \
        == (77, 77, 77)
    assert load_image(saved(tmp_path, Image.new("1", (2, 2), 1), "b.png")).getpixel((0, 0)) \
        == (255, 255, 255)


def test_exif_rotation_is_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display", as phones write portraits
    out = load_image(saved(tmp_path, im, "phone.jpg", exif=exif, quality=95))
    assert out.size == (20, 40)
    assert close(out.getpixel((10, 5)), (255, 0, 0), 20)  # the left half is now on top
    assert close(out.getpixel((10, 35)), (0, 0, 255), 20)


def test_truncated_file_is_refused(tmp_path):
    noise = Image.effect_noise((256, 256), 64).convert("RGB")
    data = saved(tmp_path, noise, "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="'cut.png' is damaged or incomplete.*download"):
        load_image(tmp_path / "cut.png")


def test_text_file_renamed_png_is_refused(tmp_path):
    (tmp_path / "notes.png").write_text("shopping list: eggs, milk")
    with pytest.raises(ImageLoadError, match="'notes.png' is not an image.*choose a PNG"):
        load_image(tmp_path / "notes.png")


def test_missing_file(tmp_path):
    with pytest.raises(ImageLoadError, match="'gone.png' was not found"):
        load_image(tmp_path / "gone.png")


def header_only_png(width: int, height: int) -> bytes:
    """A PNG that claims a size but has no real pixel data: decoding it would fail."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) \
        + chunk(b"IEND", b"")


def test_too_many_pixels_refused_before_decoding(tmp_path):
    (tmp_path / "big.png").write_bytes(header_only_png(5000, 5000))
    # "megapixels" (not "damaged") proves the size was checked before any decoding.
    with pytest.raises(ImageLoadError, match=r"5000x5000 \(25.0 megapixels\).*resize it"):
        load_image(tmp_path / "big.png")
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_image(saved(tmp_path, Image.new("L", (100, 100)), "small.png"), max_pixels=5000)


def test_decompression_bomb_refused_even_with_a_raised_limit(tmp_path):
    (tmp_path / "bomb.png").write_bytes(header_only_png(30000, 30000))  # > Pillow's own limit
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(tmp_path / "bomb.png", max_pixels=10**10)


def test_cmyk_with_a_broken_icc_profile_falls_back(tmp_path):
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    im = load_image(saved(tmp_path, cmyk, "odd.jpg", quality=95, icc_profile=b"not a profile"))
    assert close(im.getpixel((8, 8)), (255, 0, 0), tol=12)
