"""The recipe inside exported PNGs, so any image can be reproduced or re-opened later.

Two text chunks are written: `glm_image_studio` (iTXt, the recipe as JSON, what we read back)
and `parameters` (the A1111 convention, so other viewers and tools show the settings too).
PNG files are untrusted input: text sizes are capped, JSON is parsed (never evaluated) and
every field is type-checked; anything odd raises RecipeError with a readable message.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

from PIL import Image, PngImagePlugin

from glm_core.files import atomic_save, refuse_overwrite
from glm_core.generation.recipe import Recipe
from glm_core.generation.request import DEFAULT_GUIDANCE, DEFAULT_STEPS
from glm_core.generation.validation import ImageLoadError, is_valid_text, open_image

RECIPE_KEY = "glm_image_studio"
PARAMETERS_KEY = "parameters"
SCHEMA_VERSION = 1
SAMPLER = "FlowMatch Euler"
# Far above any real prompt, far below Pillow's own 1 MB per-chunk cap (MAX_TEXT_CHUNK).
MAX_TEXT_CHARS = 256 * 1024
MODES = ("t2i", "i2i", "edit")
_APP_PREFIX = "GLM-Image Studio "


class RecipeError(ValueError):
    """A recipe chunk that cannot be used; the message says why and what to do."""


def _pnginfo(recipe: Recipe) -> PngImagePlugin.PngInfo:
    try:
        payload = json.dumps({"schema_version": SCHEMA_VERSION, **recipe.to_dict()},
                             ensure_ascii=False, allow_nan=False)
        params = parameters_text(recipe)
        if max(len(payload), len(params)) > MAX_TEXT_CHARS:
            raise RecipeError(f"The prompt is too long to store in the PNG "
                              f"({len(recipe.prompt):,} characters): shorten it.")
        info = PngImagePlugin.PngInfo()
        info.add_text(PARAMETERS_KEY, params)  # tEXt, or iTXt when not latin-1 (CJK, emoji)
        info.add_itxt(RECIPE_KEY, payload)
        return info
    except UnicodeEncodeError as e:  # lone surrogates, e.g. from a broken paste
        raise RecipeError("The prompt contains invalid characters that cannot be saved: "
                          "retype the prompt (or paste it as plain text).") from e
    except (TypeError, ValueError) as e:
        if isinstance(e, RecipeError):
            raise
        raise RecipeError(f"The recipe cannot be stored ({e}): guidance must be a finite "
                          f"number; this is a bug, please report it.") from e


def save_png(image: Image.Image, path: str | os.PathLike, recipe: Recipe | None,
             overwrite: bool = False, dpi: int | None = None) -> None:
    """Write `image` with its recipe (None: an image made elsewhere, nothing to embed) to `path`
    atomically, with `dpi` in its pHYs chunk for print; an existing file is refused
    (FileExistsError) unless overwrite=True."""
    if not overwrite:
        refuse_overwrite(path)  # before encoding, which takes a while for big images
    options = {"pnginfo": _pnginfo(recipe)} if recipe is not None else {}
    if dpi is not None:
        options["dpi"] = (dpi, dpi)
    atomic_save(path, lambda f: image.save(f, format="PNG", **options), overwrite=overwrite)


def png_bytes(image: Image.Image, recipe: Recipe) -> bytes:
    """The PNG file as bytes, recipe included (clipboard, drag and drop, tests)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=_pnginfo(recipe))
    return buf.getvalue()


def _quote(value: str) -> str:
    """A1111 quotes values that contain its separators; json.dumps does the escaping."""
    return json.dumps(value, ensure_ascii=False) if any(c in value for c in ',:"\n\r') else value


def parameters_text(recipe: Recipe) -> str:
    """The A1111-style text: prompt, then one `Key: value, ...` line."""
    fields = [("Steps", recipe.steps), ("Sampler", SAMPLER), ("CFG scale", recipe.guidance),
              ("Seed", recipe.seed), ("Layout seed", "" if recipe.layout_seed is None else recipe.layout_seed), ("Size", f"{recipe.width}x{recipe.height}"),
              ("Model", recipe.model_id), ("Model revision", recipe.model_revision),
              ("Quantization", recipe.quantization)]
    if recipe.mode != "t2i" or recipe.reference_count:
        fields += [("Mode", recipe.mode), ("Reference images", recipe.reference_count)]
    fields.append(("Version", _APP_PREFIX + recipe.app_version))
    line = ", ".join(f"{k}: {_quote(str(v))}" for k, v in fields if v != "")
    if not _plain_prompt(recipe.prompt):  # the lines above would not read back as typed: say it exactly
        line += f", Prompt: {json.dumps(recipe.prompt, ensure_ascii=False)}"
    return f"{recipe.prompt}\n{line}"


def _plain_prompt(prompt: str) -> bool:
    """A prompt the A1111 reading gives back as it is: no outer whitespace (readers strip it), no
    carriage return (they normalise line ends), no line that starts the negative prompt."""
    return (prompt == prompt.strip() and "\r" not in prompt
            and not any(line.startswith("Negative prompt:") for line in prompt.split("\n")))


def read_recipe(source: str | os.PathLike | Image.Image) -> Recipe | None:
    """The recipe stored in a PNG, or None if it has none. Raises RecipeError for bad data."""
    if isinstance(source, Image.Image):
        return _recipe_from_chunks(_text_chunks(source))
    name = Path(source).name
    try:
        with open_image(source, name=f"'{name}'") as im:
            # Text chunks before the image data are read by open(); ours always are, and
            # reading no further means a hostile file's pixels are never decoded here.
            chunks = dict(im.info) if im.format == "PNG" else {}
    except ImageLoadError as e:
        if isinstance(e.__cause__, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise e.__cause__  # the usual OSErrors, with the usual messages
        if e.__cause__ is None:  # not an image format we read
            raise RecipeError(f"{e} Its recipe cannot be read.") from e
        raise RecipeError(f"'{name}' has damaged or oversized metadata: "
                          f"its recipe cannot be read.") from e
    return _recipe_from_chunks(chunks)


def _text_chunks(im: Image.Image) -> dict:
    if isinstance(im, PngImagePlugin.PngImageFile):
        try:
            return dict(im.text)  # loads the image to reach chunks after the pixel data too
        except (OSError, SyntaxError, ValueError, EOFError, AssertionError):
            pass  # truncated, or already closed (Pillow asserts): use what open() read
    return dict(im.info)  # a copy or a converted image keeps what was read at open


def _recipe_from_chunks(chunks: dict) -> Recipe | None:
    for key, parse in ((RECIPE_KEY, _from_json), (PARAMETERS_KEY, _from_parameters)):
        value = chunks.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_TEXT_CHARS:
            raise RecipeError(f"The '{key}' metadata is not text or is larger than "
                              f"{MAX_TEXT_CHARS:,} characters: the file is damaged.")
        recipe = parse(value)  # the JSON chunk wins: it is exact and typed
        if recipe is not None and not is_valid_text(json.dumps(recipe.to_dict(), ensure_ascii=False)):
            raise RecipeError(f"The '{key}' metadata holds text that is not valid Unicode "
                              f"(a lone surrogate such as \\ud800): the file is damaged.")
        return recipe
    return None


def _from_json(text: str) -> Recipe:
    try:
        data = json.loads(text, parse_constant=_not_a_number)  # refuse NaN / Infinity
    except (ValueError, RecursionError) as e:
        raise RecipeError(f"The stored recipe is not valid JSON ({e}): "
                          f"the file is damaged; its image can still be opened.") from e
    if not isinstance(data, dict):
        raise RecipeError("The stored recipe is not a JSON object: the file is damaged.")
    version = data.pop("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RecipeError(f"The stored recipe has an invalid schema version {version!r}.")
    try:
        recipe = Recipe.from_dict(data)
    except (TypeError, ValueError) as e:
        newer = version > SCHEMA_VERSION
        raise RecipeError(f"The stored recipe is invalid ({e}): " + (
            "it was written by a newer GLM-Image Studio; update the app." if newer
            else "the file is damaged.")) from e
    r = recipe  # Recipe.from_dict checks types; these are the values that make no sense
    if r.mode not in MODES:
        raise RecipeError(f"The stored recipe has an unknown mode {r.mode!r}: expected one "
                          f"of {', '.join(MODES)}; the file is damaged or from a newer app.")
    if not math.isfinite(r.guidance) or min(r.steps, r.width, r.height) < 1 \
            or r.seed < 0 or r.reference_count < 0 or (r.layout_seed or 0) < 0:
        raise RecipeError("The stored recipe has impossible numbers (negative or zero "
                          "sizes, steps or seed): the file is damaged.")
    return recipe


def _not_a_number(name: str):
    raise ValueError(f"{name} is not a number")


def _closing_quote(line: str, start: int) -> int:
    """Index of the quote closing the one at `start`, or -1. Skips backslash-escaped quotes."""
    k = start
    while (k := line.find('"', k + 1)) >= 0:
        slashes = 0
        while line[k - 1 - slashes] == "\\":
            slashes += 1
        if slashes % 2 == 0:
            return k
    return -1


def split_parameters(line: str) -> dict[str, str]:
    """Parse `Key: value, Key: "quoted, value", ...` in linear time: regexes and repeated
    json.raw_decode failures on hostile input both go quadratic."""
    out: dict[str, str] = {}
    i, n = 0, len(line)
    while i < n:
        colon = line.find(":", i)
        if colon < 0:
            break
        key = line[i:colon].strip(" ,")
        j = colon + 1
        while j < n and line[j] == " ":
            j += 1
        value = None
        if j < n and line[j] == '"' and (k := _closing_quote(line, j)) > 0:
            try:
                value, j = json.loads(line[j:k + 1]), k + 1
            except ValueError:
                value = None  # a bad escape: take the text literally up to the next comma
        if value is None:
            end = line.find(",", j)
            end = n if end < 0 else end
            value, j = line[j:end].strip(), end
        i = j + 1 if j < n and line[j] == "," else j
        if key and len(key) <= 64:
            out[key] = value
    return out


def _from_parameters(text: str) -> Recipe | None:
    """Read what we can from an A1111-style chunk (ours or another tool's)."""
    lines = text.strip().replace("\r\n", "\n").split("\n")
    params = split_parameters(lines[-1]) if lines else {}
    if len(params) >= 3 and params.keys() & {"Steps", "Seed", "Size", "CFG scale"}:
        lines = lines[:-1]
    else:
        params = {}
    prompt_lines = []
    for line in lines:
        if line.startswith("Negative prompt:"):
            break  # GLM-Image has no negative prompt; the rest is the negative one
        prompt_lines.append(line)
    prompt = params["Prompt"] if "Prompt" in params else "\n".join(prompt_lines).strip()  # ours, exact
    if not prompt and not params:
        return None

    def number(key, kind, default):
        try:
            value = kind(params[key])
            return value if math.isfinite(value) else default
        except (KeyError, ValueError, OverflowError):
            return default  # missing or unreadable: other tools write all sorts of things

    width, height = 1024, 1024
    size = params.get("Size", "").lower().split("x")
    if len(size) == 2 and all(s.strip().isdigit() and len(s.strip()) < 7 for s in size):
        width, height = int(size[0]), int(size[1])
    version = params.get("Version", "")
    mode = params.get("Mode", "t2i")
    return Recipe(
        prompt=prompt, seed=max(0, number("Seed", int, 0)),
        steps=number("Steps", int, DEFAULT_STEPS),
        guidance=float(number("CFG scale", float, DEFAULT_GUIDANCE)),
        width=width, height=height, mode=mode if mode in MODES else "t2i",
        reference_count=max(0, number("Reference images", int, 0)),
        layout_seed=None if "Layout seed" not in params else max(0, number("Layout seed", int, 0)),
        model_id=params.get("Model", ""), model_revision=params.get("Model revision", ""),
        quantization=params.get("Quantization", ""),
        app_version=version.removeprefix(_APP_PREFIX) if version else "")
