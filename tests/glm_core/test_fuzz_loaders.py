"""Fuzzing every reader of untrusted files: mutated images, masks, project files and recipe
chunks either load or raise our one-line error (ImageLoadError, ProjectError, RecipeError),
never another exception and never a hang. Deterministic (derandomize), a few hundred cases each."""

from __future__ import annotations

import contextlib
import io
import json
import signal
import zipfile
from pathlib import Path

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from glm_core.generation.masking import load_mask
from glm_core.generation.recipe import Recipe
from glm_core.generation.validation import ImageLoadError, load_image
from glm_core.project import HistoryEntry, ImageLayer, Project, ProjectError, load_project, \
    write_project
from glm_core.project.metadata import PARAMETERS_KEY, RECIPE_KEY, RecipeError, \
    parameters_text, read_recipe

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RECIPE = Recipe(prompt="海报 “SALE”", seed=7, steps=30, guidance=1.5, width=64, height=64)
POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n{} loop\n"


def encoded(fmt: str, mode: str = "RGB", **options) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise((16, 12), 50).convert(mode).save(buf, fmt, **options)
    return buf.getvalue()


IMAGES = [encoded("PNG"), encoded("PNG", "RGBA"), encoded("PNG", "I;16"), encoded("JPEG"),
          encoded("WEBP"), encoded("BMP"), encoded("TIFF", compression="tiff_lzw"),
          encoded("GIF", "P"), POSTSCRIPT]


def project_bytes() -> bytes:
    image = Image.effect_noise((16, 12), 50).convert("RGB")
    project = Project(width=16, height=12, layers=[ImageLayer(image)],
                      history=[HistoryEntry(image, RECIPE)], scene_prompt="海报",
                      mask=Image.new("L", (16, 12), 255))
    buf = io.BytesIO()
    write_project(project, buf)
    return buf.getvalue()


def mutations(seed: bytes):
    """`seed` with a few bytes overwritten, a run inserted, and possibly cut short."""
    def apply(change) -> bytes:
        writes, insert_at, inserted, cut = change
        data = bytearray(seed)
        for at, value in writes:
            data[at % len(data)] = value
        at = insert_at % (len(data) + 1)
        data[at:at] = inserted
        return bytes(data[:cut]) if cut is not None else bytes(data)
    return st.tuples(st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=6),
                     st.integers(0, 2**20), st.binary(max_size=8),
                     st.none() | st.integers(0, len(seed))).map(apply)


@contextlib.contextmanager
def time_limit(seconds: int):
    """A hang fails the test instead of the run (SIGALRM: POSIX, main thread)."""
    def expired(*_):
        raise TimeoutError(f"a loader took more than {seconds} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(st.sampled_from(IMAGES).flatmap(mutations))
def test_images_load_or_raise_our_error(data):
    with time_limit(10):
        try:
            image = load_image(io.BytesIO(data))
        except ImageLoadError as e:
            assert "\n" not in str(e)
        else:
            assert image.mode == "RGB"


@FUZZ
@given(st.sampled_from(IMAGES).flatmap(mutations))
def test_masks_load_or_raise_our_error(work, data):
    path = work / "mask.png"
    path.write_bytes(data)
    with time_limit(10):
        try:
            mask = load_mask(path)
        except ImageLoadError as e:
            assert "\n" not in str(e)
        else:
            assert mask.mode == "L"


def with_mutated_member(data: bytes, name: str):
    """The project zip, well formed, with member `name` mutated (past the zip's own CRCs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {info.filename: zf.read(info) for info in zf.infolist()}

    def repack(member: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for key, value in {**files, name: member}.items():
                zf.writestr(key, value)
        return buf.getvalue()
    return mutations(files[name]).map(repack)


def project_files():
    data = project_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
    return st.one_of(mutations(data), *[with_mutated_member(data, name) for name in names])


@FUZZ
@given(project_files())
def test_projects_load_or_raise_our_error(data):
    with time_limit(10):
        try:
            load_project(io.BytesIO(data))
        except ProjectError as e:
            assert "\n" not in str(e)


def chunk_texts():
    """Mutated recipe JSON and parameters text, arbitrary text, text spliced into the JSON
    prompt (quotes, backslashes), and a JSON lone-surrogate escape."""
    valid_json = json.dumps(RECIPE.to_dict(), ensure_ascii=False)
    seeds = [valid_json.encode(), parameters_text(RECIPE).encode()]
    mutated = st.sampled_from(seeds).flatmap(mutations).map(lambda b: b.decode("utf-8", "replace"))
    spliced = st.text(max_size=40).map(lambda t: valid_json.replace("海报", t))
    return st.one_of(mutated, st.text(max_size=200), spliced,
                     st.just(valid_json.replace("海报", "\\ud800")))


@FUZZ
@given(st.sampled_from([RECIPE_KEY, PARAMETERS_KEY]), chunk_texts())
def test_recipe_chunks_load_or_raise_our_error(work, key, text):
    info = PngImagePlugin.PngInfo()
    info.add_itxt(key, text)
    path = work / "recipe.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    with time_limit(10):
        try:
            recipe = read_recipe(path)
        except RecipeError as e:
            assert "\n" not in str(e)
        else:
            assert recipe is None or isinstance(recipe, Recipe)
