"""Hostile project files and recipe chunks: pixel bombs refused from the PNG headers before any
decoding, and text that is not valid Unicode (lone surrogates) refused at the reader."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from glm_core.generation.recipe import Recipe
from glm_core.project import HistoryEntry, ImageLayer, Project, ProjectError, load_project, \
    save_project, write_project
from glm_core.project.file import MAX_TOTAL_PIXELS
from glm_core.project.metadata import RECIPE_KEY, RecipeError, read_recipe, save_png

RECIPE = Recipe(prompt="MARKER", seed=1, steps=2, guidance=1.5, width=64, height=64)


def small_project() -> Project:
    return Project(width=64, height=64, layers=[ImageLayer(Image.new("RGB", (64, 64)))],
                   history=[HistoryEntry(Image.new("RGB", (64, 64)), RECIPE)],
                   scene_prompt="MARKER")


def project_members(project: Project) -> dict[str, bytes]:
    buf = io.BytesIO()
    write_project(project, buf)
    with zipfile.ZipFile(buf) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def pack(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_history_of_all_zero_canvases_is_refused_before_decoding(tmp_path, monkeypatch):
    """~130 history images of 2048x2048 zeros: a few hundred KB that would decode to GBs."""
    files = project_members(small_project())
    doc = json.loads(files["project.json"])
    zero = io.BytesIO()
    Image.new("RGB", (2048, 2048)).save(zero, "PNG")
    entry = doc["history"][0]
    doc["history"] = []
    for i in range(MAX_TOTAL_PIXELS // (2048 * 2048) + 2):
        item_id = f"{i:032x}"
        doc["history"].append({**entry, "id": item_id})
        files[f"history/{item_id}.png"] = zero.getvalue()
    files["project.json"] = json.dumps(doc).encode()
    (tmp_path / "bomb.glmstudio").write_bytes(pack(files))
    assert (tmp_path / "bomb.glmstudio").stat().st_size < 5_000_000
    decoded = []
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load",
                        lambda self: decoded.append(self.size))
    with pytest.raises(ProjectError, match=r"'bomb.glmstudio' cannot be opened: its images hold "
                                           r"more than [\d,]+ pixels in all .*history/"):
        load_project(tmp_path / "bomb.glmstudio")
    assert decoded == []  # refused from the headers alone


def test_a_project_the_loader_would_refuse_is_never_saved(tmp_path):
    canvas = Image.new("RGB", (2048, 2048))
    history = [HistoryEntry(canvas, RECIPE) for _ in range(MAX_TOTAL_PIXELS // (2048 * 2048) + 1)]
    project = Project(width=64, height=64, history=history)
    with pytest.raises(ProjectError, match="cannot be saved: its images hold.*delete some history"):
        save_project(project, tmp_path / "big.glmstudio")
    assert list(tmp_path.iterdir()) == []


def test_lone_surrogate_in_project_json_is_refused_in_one_line(tmp_path):
    files = project_members(small_project())
    files["project.json"] = files["project.json"].replace(b'"MARKER"', b'"sale \\ud800"')
    (tmp_path / "odd.glmstudio").write_bytes(pack(files))
    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path / "odd.glmstudio")
    message = str(caught.value)
    assert "'odd.glmstudio'" in message and "not valid Unicode" in message and "\n" not in message


def png_with_surrogate_recipe(path) -> None:
    save_png(Image.new("RGB", (64, 64)), path, RECIPE)
    with Image.open(path) as im:
        chunk = im.text[RECIPE_KEY]
    info = PngImagePlugin.PngInfo()
    info.add_itxt(RECIPE_KEY, chunk.replace('"MARKER"', '"sale \\ud800"'))
    Image.new("RGB", (64, 64)).save(path, pnginfo=info)


def test_lone_surrogate_in_a_recipe_chunk_is_refused(tmp_path):
    png_with_surrogate_recipe(tmp_path / "odd.png")
    with pytest.raises(RecipeError, match="not valid Unicode"):
        read_recipe(tmp_path / "odd.png")
