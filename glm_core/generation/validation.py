"""Checks on what the user asks for, and safe loading of untrusted reference images.

Every error message names the problem and the fix, because it is shown to the user as is.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from struct import error as StructError
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # Pillow can be built without LittleCMS; CMYK then falls back to the plain formula
    from PIL import ImageCms
except ImportError:  # pragma: no cover
    ImageCms = None

from glm_core.generation.request import GenerationRequest

# The real model's limits (zai-org/GLM-Image). The tiny demo model takes smaller sizes,
# which is why validate_request and nearest_valid_size take the side limits as arguments.
MIN_SIDE = 512
MAX_SIDE = 2048
MULTIPLE = 32  # the AR grid is H/32 x W/32
MIN_STEPS = 1
MAX_STEPS = 200
# Guidance 1.0 turns classifier-free guidance off; below 1 pushes *away* from the prompt,
# which is never what a user means. 1.5 is recommended and 1.5-4 is what people use, so 20
# leaves room to experiment while catching typos such as 150.
MIN_GUIDANCE = 1.0
MAX_GUIDANCE = 20.0
MAX_SEED = 2**32 - 1
MAX_REFERENCES = 4
RECOMMENDED_SIZES = [
    (1280, 1280),
    (1568, 1056), (1056, 1568),
    (1472, 1088), (1088, 1472),
    (1728, 960), (960, 1728),
]
# A reference, layer or mask may be up to 4x the largest canvas the model makes (2048x2048).
MAX_IMAGE_PIXELS = 4 * MAX_SIDE * MAX_SIDE
# What a designer drops, decided from the file's first bytes, never from its name. Anything
# else (EPS/PS/PDF run Ghostscript; FITS, ICNS, ... are exotic) is refused before Pillow sees it.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF")
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"BM", "BMP"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
# TIFF compressions Pillow decodes itself or with plain zlib/LZW (no exotic libtiff codecs).
_TIFF_COMPRESSIONS = ("raw", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits")


class InvalidRequest(ValueError):
    """A request the model cannot run. `problems` lists each problem, str() joins them."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class ImageLoadError(ValueError):
    """An image file that cannot be used; the message says why and what to do."""


def is_valid_text(text: str) -> bool:
    """False for text holding lone surrogates (a JSON \\ud800 escape, a non-UTF-8 byte on the
    command line), which no file or terminal can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _side_range(min_side: int, max_side: int) -> tuple[int, int]:
    lo = math.ceil(min_side / MULTIPLE) * MULTIPLE
    hi = max_side // MULTIPLE * MULTIPLE
    if lo < MULTIPLE or lo > hi:
        raise ValueError(f"no multiple of {MULTIPLE} lies between {min_side} and {max_side}")
    return lo, hi


def nearest_valid_size(width: int, height: int, min_side: int = MIN_SIDE,
                       max_side: int = MAX_SIDE) -> tuple[int, int]:
    """The valid size closest to width x height, keeping the aspect ratio as well as possible."""
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    lo, hi = _side_range(min_side, max_side)
    w, h = float(width), float(height)
    # An aspect ratio beyond hi:lo cannot be kept: stretch the short side up to the limit.
    if w / h > hi / lo:
        h = w * lo / hi
    elif h / w > hi / lo:
        w = h * lo / hi
    # Scale the size as a whole into range, so 4000x3000 becomes 2048x1536, not 2048x2048.
    # (After the ratio clamp, scaling the long side down never pushes the short one below lo.)
    scale = min(1.0, hi / max(w, h))
    scale = max(scale, lo / min(w, h))
    # Both sides now lie in [lo, hi]; rounding to the nearest multiple (half up) keeps them there.
    def snap(v: float) -> int:
        return min(hi, max(lo, math.floor(v * scale / MULTIPLE + 0.5) * MULTIPLE))
    return snap(w), snap(h)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_request(request: GenerationRequest, min_side: int = MIN_SIDE,
                     max_side: int = MAX_SIDE) -> None:
    """Raise InvalidRequest listing every problem with `request` (and its fix)."""
    problems: list[str] = []
    if not isinstance(request.prompt, str) or not request.prompt.strip():
        problems.append("The prompt is empty: type a prompt describing the image.")
    elif not is_valid_text(request.prompt):
        problems.append("The prompt holds bytes that are not UTF-8 text: retype it, "
                        "or pass it in a UTF-8 terminal.")

    w, h = request.width, request.height
    if not (_is_int(w) and _is_int(h)) or w < 1 or h < 1:
        problems.append(f"Size {w}x{h} is not a size in pixels: use whole numbers, "
                        f"e.g. {RECOMMENDED_SIZES[0][0]}x{RECOMMENDED_SIZES[0][1]}.")
    else:
        issues = []
        for name, v in (("width", w), ("height", h)):
            if v < min_side:
                issues.append(f"{name} {v} is below the minimum {min_side}")
            elif v > max_side:
                issues.append(f"{name} {v} is above the maximum {max_side}")
            elif v % MULTIPLE:
                issues.append(f"{name} {v} is not a multiple of {MULTIPLE}")
        if issues:
            nw, nh = nearest_valid_size(w, h, min_side, max_side)
            text = " and ".join(issues)
            problems.append(f"{text[0].upper()}{text[1:]}: use {nw}x{nh} (sides must be "
                            f"multiples of {MULTIPLE} from {min_side} to {max_side}).")

    s = request.steps
    if not _is_int(s) or not MIN_STEPS <= s <= MAX_STEPS:
        problems.append(f"Steps {s} is out of range: use {MIN_STEPS} to {MAX_STEPS} "
                        f"(30 to 50 recommended).")

    g = request.guidance
    if (not isinstance(g, (int, float)) or isinstance(g, bool) or not math.isfinite(g)
            or not MIN_GUIDANCE <= g <= MAX_GUIDANCE):
        problems.append(f"Guidance {g} is out of range: use {MIN_GUIDANCE:g} to "
                        f"{MAX_GUIDANCE:g} (1.5 recommended).")

    seed = request.seed
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= MAX_SEED):
        problems.append(f"Seed {seed} is out of range: use 0 to {MAX_SEED}, "
                        f"or leave it empty for a random seed.")

    n = len(request.reference_images)
    if n > MAX_REFERENCES:
        problems.append(f"{n} reference images given: GLM-Image takes at most "
                        f"{MAX_REFERENCES}; remove {n - MAX_REFERENCES}.")
    if problems:
        raise InvalidRequest(problems)


def image_format(head: bytes) -> str | None:
    """The format a file's first 12 bytes announce (one of IMAGE_FORMATS), or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for magic, fmt in _SIGNATURES if head.startswith(magic)), None)


def _display_name(source) -> str:
    return f"'{Path(source).name}'" if isinstance(source, (str, os.PathLike)) else "The image"


def _head(source) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read(12)
    at = source.tell()
    head = source.read(12)
    source.seek(at)
    return head


@contextlib.contextmanager
def open_image(source: str | os.PathLike | BinaryIO, formats: tuple[str, ...] = IMAGE_FORMATS,
               max_pixels: int = MAX_IMAGE_PIXELS, name: str | None = None
               ) -> Iterator[Image.Image]:
    """The one way an untrusted image file is opened: its format is sniffed from its bytes
    and must be one of `formats`, its size is checked from the header before any decoding,
    and Pillow's warnings stay off stderr (our size check refuses what they warn about).
    Yields the opened, not yet decoded, image; raises ImageLoadError naming the file."""
    name = name or _display_name(source)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fmt = image_format(_head(source))
        except FileNotFoundError as e:
            raise ImageLoadError(f"{name} was not found: check the file still exists.") from e
        except OSError as e:
            raise ImageLoadError(f"{name} cannot be read ({e.strerror or e}): "
                                 f"choose an image file you can open.") from e
        if fmt not in formats:
            kinds = "PNG" if formats == ("PNG",) else "PNG, JPEG, WebP, BMP or TIFF"
            raise ImageLoadError(f"{name} is not an image this app reads ({kinds}, whatever its "
                                 f"name says): choose a {kinds.replace(' or', ',')} file.")
        try:
            im = Image.open(source, formats=[fmt])
        except Image.DecompressionBombError as e:
            raise ImageLoadError(f"{name} is far too large to open safely: "
                                 f"resize it below {max_pixels:,} pixels first.") from e
        except (UnidentifiedImageError, SyntaxError, ValueError, OSError, EOFError,
                StructError) as e:
            raise ImageLoadError(f"{name} is damaged or not a {fmt} image: "
                                 f"re-export or download it again.") from e
        with im:
            # Only the header has been read so far: refuse huge images before decoding them.
            width, height = im.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    f"{name} is {width}x{height} ({width * height / 1e6:.1f} megapixels), more "
                    f"than the {max_pixels / 1e6:.1f} megapixels allowed: resize it first.")
            if fmt == "TIFF" and im.info.get("compression", "raw") not in _TIFF_COMPRESSIONS:
                raise ImageLoadError(f"{name} is a TIFF compressed with "
                                     f"{str(im.info.get('compression'))[:20]}: save it as a PNG.")
            yield im


def load_image(path_or_file: str | os.PathLike | BinaryIO,
               max_pixels: int = MAX_IMAGE_PIXELS) -> Image.Image:
    """Open an untrusted image as a fully loaded 8-bit RGB copy (the file is closed)."""
    name = _display_name(path_or_file)
    with open_image(path_or_file, max_pixels=max_pixels) as im:
        try:
            im.load()
        except Image.DecompressionBombError as e:
            raise ImageLoadError(f"{name} is far too large to decode safely: resize it.") from e
        except (OSError, SyntaxError, ValueError, EOFError, StructError) as e:
            raise ImageLoadError(f"{name} is damaged or incomplete (truncated?): "
                                 f"re-export or download it again.") from e
        try:
            im = _upright(im)
            return _to_rgb(im)
        except (OSError, ValueError) as e:
            raise ImageLoadError(f"{name} uses colour mode {im.mode}, which cannot be "
                                 f"converted: save it as an RGB PNG or JPEG first.") from e


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phones store portraits sideways plus a rotate flag)."""
    try:
        return ImageOps.exif_transpose(im)
    except (OSError, ValueError, SyntaxError, KeyError, TypeError, StructError):
        return im  # malformed EXIF: keep the pixels as stored rather than reject the image


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # Pillow's convert("L") clips 16-bit values at 255 instead of scaling them.
        # The file does not say what full scale is, so guess from the brightest value:
        # 0..1 floats, 8-bit data in a wide container, 16-bit data, or anything wider.
        im = im.convert("F") if im.mode == "F" else im.convert("I")
        top = im.getextrema()[1]
        if im.mode == "F" and 0 < top <= 1.0:
            full = 1.0
        else:
            full = 255 if top <= 255 else 65535 if top <= 65535 else top
        im = im.point(lambda v: v * (255 / full)).convert("L")
    if im.mode == "CMYK":
        return _cmyk_to_rgb(im)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La", "PA", "RGBa", "RGBA"):
        # Transparent areas become white (a poster background), not black.
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")  # L, 1, YCbCr, RGB (always a copy, detached from the file)


def _cmyk_to_rgb(im: Image.Image) -> Image.Image:
    """Use the embedded ICC profile when there is one; the plain formula gives dull colours."""
    icc = im.info.get("icc_profile")
    if icc and ImageCms is not None:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"),
                                             outputMode="RGB")
        except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
            pass  # broken profile: fall back to the plain conversion
    return im.convert("RGB")
