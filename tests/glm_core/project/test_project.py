"""Project files (glm_core.project): round trips, old formats, crash-safe saving, hostile files."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import fields, replace
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from glm_core.project import file as project_file, model as project_model
from glm_core.project.metadata import MODES
from glm_core.project import (FORMAT, FORMAT_VERSION, HistoryEntry, ImageLayer, Project,
                              ProjectError, load_project, save_project, write_project)
from glm_core.generation.recipe import Recipe
from glm_core.project.textbox import ALIGNMENTS, ROLES, TextBox

ROOT = Path(__file__).resolve().parents[3]
RECIPE = Recipe(prompt="海报「开业大吉」 🎉", seed=42, steps=30, guidance=1.5, width=16,
                height=12, model_id="zai-org/GLM-Image", quantization="ar=nf4,dit=bf16")


def noise(mode: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Every byte different-ish, so a wrong channel order or lost alpha shows."""
    n = size[0] * size[1] * len(mode)
    return Image.frombytes(mode, size, bytes((i * 37 + seed * 11) % 256 for i in range(n)))


def sample_project() -> Project:
    first = HistoryEntry(noise("RGB", (16, 12), 1), RECIPE, created="2025-03-01T10:00:00+00:00")
    return Project(
        width=16, height=12,
        layers=[ImageLayer(noise("RGB", (16, 12), 2), name="背景 background"),
                ImageLayer(noise("RGBA", (5, 7), 3), name="logo 🎨", visible=False, opacity=0.25,
                           x=-3, y=9)],
        boxes=[TextBox("开业大吉", 1.5, 2.0, 10.0, 4.0),
               TextBox("Grand opening 🎉🚀", 0, 8, 16, 3, role="subtitle", font_family="Noto Sans",
                       weight=400, color="#12ABef", align="left", rotation=-12.5, visible=False,
                       locked=True, id="subtitle-1")],
        mask=noise("L", (16, 12), 4),
        history=[first, HistoryEntry(noise("RGB", (8, 8), 5), replace(RECIPE, mode="edit"),
                                     created="2025-03-01T10:05:00+00:00", source_id=first.id)],
        scene_prompt="a night market, lanterns\nline two",
        pinned_prompt="A poster titled “开业大吉”",
        settings={"steps": 30, "guidance": 1.5, "seed_lock": True, "seed": None, "quant": "nf4"},
    )


def to_bytes(project: Project) -> bytes:
    buf = io.BytesIO()
    write_project(project, buf)
    return buf.getvalue()


def assert_same_image(a: Image.Image | None, b: Image.Image | None) -> None:
    if a is None or b is None:
        assert a is b
        return
    assert (a.mode, a.size) == (b.mode, b.size)
    assert a.tobytes() == b.tobytes()


def assert_same_project(a: Project, b: Project) -> None:
    assert (a.width, a.height) == (b.width, b.height)
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers):
        assert (la.id, la.name, la.visible, la.opacity, la.x, la.y) == \
            (lb.id, lb.name, lb.visible, lb.opacity, lb.x, lb.y)
        assert_same_image(la.image, lb.image)
    assert a.boxes == b.boxes
    assert_same_image(a.mask, b.mask)
    assert len(a.history) == len(b.history)
    for ha, hb in zip(a.history, b.history):
        assert (ha.id, ha.recipe, ha.created, ha.source_id) == \
            (hb.id, hb.recipe, hb.created, hb.source_id)
        assert_same_image(ha.image, hb.image)
    assert (a.scene_prompt, a.pinned_prompt) == (b.scene_prompt, b.pinned_prompt)
    assert a.settings == b.settings
    assert a == b  # the dataclass comparison agrees (images compare pixel for pixel)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def pack(files: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def repack(data: bytes, **changes) -> bytes:
    """The project `data` with members replaced (dicts are written as JSON) or removed (None)."""
    files = members(data)
    for key, value in changes.items():
        name = {"manifest": "manifest.json", "doc": "project.json"}.get(key, key)
        if value is None:
            files.pop(name, None)
        else:
            files[name] = json.dumps(value) if isinstance(value, (dict, list)) else value
    return pack(files)


def doc_of(data: bytes) -> dict:
    return json.loads(members(data)["project.json"])


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail instead of hanging: SIGALRM interrupts a stuck loader (POSIX, main thread)."""
    def expired(*_):
        raise TimeoutError(f"took more than {seconds} s")
    use_alarm = hasattr(signal, "setitimer")
    if use_alarm:
        old = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - start < seconds


def load_untrusted(data: bytes, seconds: float = 3.0) -> Project | ProjectError:
    """Load hostile bytes: a Project or a ProjectError, quickly; anything else fails the test."""
    with time_limit(seconds):
        try:
            return load_project(io.BytesIO(data))
        except ProjectError as e:
            return e


def refused(data: bytes, match: str = "") -> ProjectError:
    outcome = load_untrusted(data)
    assert isinstance(outcome, ProjectError), "the hostile file was accepted"
    assert match in str(outcome)
    return outcome


SAMPLE = sample_project()
SAMPLE_BYTES = to_bytes(SAMPLE)


# --- round trips ---------------------------------------------------------------------------

def test_round_trip_keeps_everything(tmp_path):
    path = tmp_path / "poster.glmstudio"
    save_project(SAMPLE, path)
    loaded = load_project(path)
    assert_same_project(SAMPLE, loaded)
    assert loaded.layers[1].image.mode == "RGBA" and loaded.mask.mode == "L"
    assert loaded.layers[1].image.getpixel((0, 0))[3] == SAMPLE.layers[1].image.getpixel((0, 0))[3]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_file_layout():
    files = members(SAMPLE_BYTES)
    manifest = json.loads(files["manifest.json"])
    assert manifest == {"format": FORMAT, "format_version": FORMAT_VERSION,
                        "app_version": manifest["app_version"]}
    assert sorted(files) == sorted(
        ["manifest.json", "project.json", "mask.png"]
        + [f"layers/{layer.id}.png" for layer in SAMPLE.layers]
        + [f"history/{entry.id}.png" for entry in SAMPLE.history])
    assert all(files[n].startswith(b"\x89PNG") for n in files if n.endswith(".png"))


def test_empty_project_round_trip():
    project = Project(width=512, height=768)
    assert load_project(io.BytesIO(to_bytes(project))) == project


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "poster.glmstudio"
    save_project(SAMPLE, path)
    other = replace(SAMPLE, scene_prompt="changed")
    with pytest.raises(FileExistsError, match="already exists"):
        save_project(other, path)
    assert load_project(path).scene_prompt == SAMPLE.scene_prompt
    save_project(other, path, overwrite=True)
    assert load_project(path).scene_prompt == "changed"


def test_every_textbox_field_is_checked_on_load():
    assert {f.name for f in fields(TextBox)} == set(project_model._BOX_FIELDS)


def test_box_without_newer_optional_fields_gets_defaults():
    doc = doc_of(SAMPLE_BYTES)
    doc["boxes"] = [{"text": "Hi", "x": 1, "y": 2, "width": 3, "height": 4}]
    box = load_project(io.BytesIO(repack(SAMPLE_BYTES, doc=doc))).boxes[0]
    assert (box.text, box.x, box.role, box.color) == ("Hi", 1.0, "title", "#ffffff")


texts = st.one_of(st.text(max_size=30), st.sampled_from(
    ["", "海报「开业大吉」", "🎉🚀 emoji", "line\nbreak\r\n", '"quotes" \\ back', "\x00nul"]))
hex_ids = st.text("0123456789abcdef", min_size=8, max_size=64)
coords = st.floats(-1e5, 1e5, allow_nan=False)
sizes = st.floats(0, 1e5, allow_nan=False)


def images(modes, size=None):
    def build(args):
        mode, (w, h) = args
        return st.binary(min_size=w * h * len(mode), max_size=w * h * len(mode)).map(
            lambda data: Image.frombytes(mode, (w, h), data))
    dims = st.just(size) if size else st.tuples(st.integers(1, 6), st.integers(1, 6))
    return st.tuples(st.sampled_from(modes), dims).flatmap(build)


boxes = st.builds(
    TextBox, text=texts, x=coords, y=coords, width=sizes, height=sizes,
    role=st.sampled_from(ROLES), font_family=texts, weight=st.integers(1, 1000),
    color=st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}"), align=st.sampled_from(ALIGNMENTS),
    rotation=st.floats(-360, 360), visible=st.booleans(), locked=st.booleans(),
    id=st.text(min_size=1, max_size=64))
layers = st.builds(ImageLayer, image=images(["RGB", "RGBA"]), name=texts, visible=st.booleans(),
                   opacity=st.floats(0, 1), x=st.integers(-5000, 5000),
                   y=st.integers(-5000, 5000), id=hex_ids)
recipes = st.builds(
    Recipe, prompt=texts, seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 200),
    guidance=st.floats(1, 20), width=st.integers(1, 4096), height=st.integers(1, 4096),
    mode=st.sampled_from(MODES), reference_count=st.integers(0, 4), model_id=texts)
history = st.builds(
    HistoryEntry, image=images(["RGB"]), recipe=recipes,
    created=st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
    source_id=st.none() | hex_ids, id=hex_ids)
scalars = (st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))


@st.composite
def projects(draw):
    w, h = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return Project(
        width=w, height=h,
        layers=draw(st.lists(layers, max_size=3, unique_by=lambda layer: layer.id)),
        boxes=draw(st.lists(boxes, max_size=4)),
        mask=draw(st.none() | images(["L"], (w, h))),
        history=draw(st.lists(history, max_size=3, unique_by=lambda entry: entry.id)),
        scene_prompt=draw(texts), pinned_prompt=draw(st.none() | texts),
        settings=draw(st.dictionaries(st.text(min_size=1, max_size=20), scalars, max_size=5)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_any_project_round_trips(project):
    assert_same_project(project, load_project(io.BytesIO(to_bytes(project))))


# --- older and newer formats ---------------------------------------------------------------

def v1_file(with_image: bool = True) -> tuple[bytes, Image.Image]:
    """A file as version 1 wrote it: one flattened `image.png`, no layers, no pinned prompt,
    history entries without source_id."""
    picture = noise("RGB", (16, 12), 7)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    doc = {"width": 16, "height": 12, "image": with_image,
           "boxes": [{"text": "旧 old", "x": 1, "y": 1, "width": 8, "height": 3}],
           "mask": False, "scene_prompt": "old scene", "settings": {"steps": 20},
           "history": [{"id": "ab" * 16, "recipe": RECIPE.to_dict(),
                        "created": "2024-12-24T08:00:00"}]}
    files = {"manifest.json": json.dumps({"format": FORMAT, "format_version": 1,
                                          "app_version": "0.0.9"}),
             "project.json": json.dumps(doc), f"history/{'ab' * 16}.png": buf.getvalue()}
    if with_image:
        files["image.png"] = buf.getvalue()
    return pack(files), picture


def test_version_1_file_is_upgraded():
    data, picture = v1_file()
    project = load_project(io.BytesIO(data))
    assert len(project.layers) == 1
    layer = project.layers[0]
    assert (layer.name, layer.visible, layer.opacity, layer.x, layer.y) == \
        ("Background", True, 1.0, 0, 0)
    assert_same_image(layer.image, picture)
    assert project.pinned_prompt is None
    assert project.boxes == [TextBox("旧 old", 1, 1, 8, 3, id=project.boxes[0].id)]
    assert (project.scene_prompt, project.settings) == ("old scene", {"steps": 20})
    entry = project.history[0]
    assert (entry.id, entry.recipe, entry.source_id) == ("ab" * 16, RECIPE, None)
    assert_same_image(entry.image, picture)
    # Saved again, it is a version 2 file with the picture under layers/.
    again = to_bytes(project)
    assert json.loads(members(again)["manifest.json"])["format_version"] == 2
    assert f"layers/{layer.id}.png" in members(again)
    assert_same_project(project, load_project(io.BytesIO(again)))


def test_version_1_file_without_image_has_no_layers():
    data, _ = v1_file(with_image=False)
    assert load_project(io.BytesIO(data)).layers == []


def test_newer_format_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.glmstudio"
    path.write_bytes(repack(SAMPLE_BYTES, manifest={"format": FORMAT, "format_version": 7,
                                                    "app_version": "9.0"}))
    with pytest.raises(ProjectError) as err:
        load_project(path)
    assert str(err.value) == ("'future.glmstudio' cannot be opened: it was made by a newer "
                              "GLM-Image Studio (format 7); update the app to open it")


@pytest.mark.parametrize("manifest, match", [
    ({"format": "something-else", "format_version": 2}, "not a GLM-Image Studio project"),
    ({"format": FORMAT, "format_version": 0}, "format version 0 is invalid"),
    ({"format": FORMAT, "format_version": "2"}, "format version '2' is invalid"),
    ({"format": FORMAT, "format_version": True}, "is invalid"),
    ([1, 2], "not a GLM-Image Studio project"),
])
def test_bad_manifest_is_refused(manifest, match):
    refused(repack(SAMPLE_BYTES, manifest=manifest), match)


def test_missing_members_are_refused():
    refused(repack(SAMPLE_BYTES, manifest=None), "'manifest.json' is missing")
    refused(repack(SAMPLE_BYTES, doc=None), "'project.json' is missing")
    refused(repack(SAMPLE_BYTES, **{"mask.png": None}), "'mask.png' is missing")
    refused(repack(SAMPLE_BYTES, **{f"layers/{SAMPLE.layers[0].id}.png": None}), "is missing")


# --- crash-safe saving ---------------------------------------------------------------------

def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "poster.glmstudio"
    save_project(SAMPLE, path)
    encode, calls = project_file._png_bytes, []

    def fails_midway(image):
        calls.append(image)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return encode(image)

    monkeypatch.setattr(project_file, "_png_bytes", fails_midway)
    with pytest.raises(OSError, match="No space left"):
        save_project(replace(SAMPLE, scene_prompt="new"), path, overwrite=True)
    assert len(calls) == 3
    assert_same_project(SAMPLE, load_project(path))
    assert list(tmp_path.iterdir()) == [path]


def test_killed_save_keeps_the_previous_file(tmp_path):
    """The process dies mid-write (no cleanup runs at all): the old file must still open."""
    path = tmp_path / "poster.glmstudio"
    save_project(SAMPLE, path)
    script = (
        "import os, sys\n"
        "from glm_core.project import file as project_file\n"
        "from glm_core.project import load_project, save_project\n"
        "encode, calls = project_file._png_bytes, []\n"
        "def dies(image):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 3:\n"
        "        os._exit(9)\n"
        "    return encode(image)\n"
        "project_file._png_bytes = dies\n"
        "project = load_project(sys.argv[1])\n"
        "project.scene_prompt = 'new'\n"
        "save_project(project, sys.argv[1], overwrite=True)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, env=env,
                            capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr.decode()
    assert_same_project(SAMPLE, load_project(path))
    litter = [p for p in tmp_path.iterdir() if p != path]
    assert len(litter) == 1 and litter[0].name.startswith(".poster.glmstudio.")  # the temp file


@pytest.mark.parametrize("change, match", [
    (lambda p: replace(p, layers=[replace(p.layers[0], opacity=math.nan)]), "opacity"),
    (lambda p: replace(p, layers=[replace(p.layers[0], opacity=1.5)]), "opacity"),
    (lambda p: replace(p, layers=[replace(p.layers[0], id="../../evil")]), "hex digits"),
    (lambda p: replace(p, layers=[p.layers[0], p.layers[0]]), "used twice"),
    (lambda p: replace(p, layers=[replace(p.layers[0], image=noise("L", (2, 2)))]), "mode L;"),
    (lambda p: replace(p, mask=noise("L", (3, 3))), "should match the canvas"),
    (lambda p: replace(p, mask=noise("RGB", (16, 12))), "mode RGB;"),
    (lambda p: replace(p, boxes=[replace(p.boxes[0], color="red")]), "colour"),
    (lambda p: replace(p, boxes=[replace(p.boxes[0], x=math.inf)]), "boxes[0].x"),
    (lambda p: replace(p, boxes=[replace(p.boxes[0], role="hero")]), "boxes[0].role"),
    (lambda p: replace(p, boxes=["not a box"]), "TextBox"),
    (lambda p: replace(p, settings={"nested": {"a": 1}}), "settings.nested"),
    (lambda p: replace(p, width=0), "project.width"),
    (lambda p: replace(p, scene_prompt="bad \ud800 surrogate"), "invalid characters"),
    (lambda p: replace(p, history=[replace(p.history[0], created="yesterday")]), "created"),
])
def test_save_refuses_what_could_not_be_opened(tmp_path, change, match):
    path = tmp_path / "bad.glmstudio"
    with pytest.raises(ProjectError, match="cannot be saved") as err:
        save_project(change(sample_project()), path)
    assert match in str(err.value)
    assert list(tmp_path.iterdir()) == []


# --- hostile and damaged files -------------------------------------------------------------

@pytest.mark.parametrize("data, match", [
    (b"", "damaged or not a GLM-Image Studio project"),
    (b"hello, not a zip", "damaged or not a GLM-Image Studio project"),
    (SAMPLE_BYTES[: len(SAMPLE_BYTES) // 2], "damaged"),
    (SAMPLE_BYTES[:-30], "damaged"),
])
def test_not_a_project_or_truncated(data, match):
    refused(data, match)


def test_missing_file_raises_the_usual_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_project(tmp_path / "nowhere.glmstudio")


def test_zip_slip_names_are_never_opened(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = members(SAMPLE_BYTES)
    files.update({"../../evil.txt": b"x", "/etc/evil": b"x", "C:\\evil.png": b"x",
                  "layers/../../evil.png": b"x"})
    project = load_untrusted(pack(files))
    assert isinstance(project, Project)  # stray members are ignored, and nothing written
    assert list(tmp_path.iterdir()) == [] and not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.parametrize("bad_id", ["../../x", "/etc/passwd", "..", "ABCDEF0123", "abc",
                                    "c:\\windows\\x", "0123456789abcdef/../x", 12345678])
def test_document_referencing_a_path_is_refused(bad_id):
    doc = doc_of(SAMPLE_BYTES)
    doc["layers"][0]["id"] = bad_id
    refused(repack(SAMPLE_BYTES, doc=doc), "layers[0].id should be an id of 8 to 64 hex digits")
    doc = doc_of(SAMPLE_BYTES)
    doc["history"][1]["source_id"] = bad_id
    refused(repack(SAMPLE_BYTES, doc=doc), "history[1].source_id")


def set_sizes(data: bytes, name: str, size: int) -> bytes:
    """Make the local and central headers of member `name` claim `size` uncompressed bytes."""
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<L", data, info.header_offset + 22, size)  # local header
    at = data.find(b"PK\x01\x02", info.header_offset + 30 + len(name) + info.compress_size)
    while at >= 0:  # central directory entries
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == name.encode():
            struct.pack_into("<L", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 46)
    return bytes(data)


def test_zip_bomb_member_that_lies_about_its_size_is_refused():
    doc = doc_of(SAMPLE_BYTES)
    doc["scene_prompt"] = ""
    bomb = json.dumps(doc).encode() + b" " * 100_000_000  # valid JSON, 100 MB: deflates to ~100 KB
    data = pack({**members(SAMPLE_BYTES), "project.json": bomb})
    assert len(data) < 1_000_000
    refused(set_sizes(data, "project.json", 1000), "damaged")  # claims 1 kB: read stops there
    refused(data, "unpacks to 100,")  # honest header: more than the JSON limit, never inflated


def test_member_claiming_a_huge_size_is_refused_before_reading():
    name = f"layers/{SAMPLE.layers[0].id}.png"
    refused(set_sizes(SAMPLE_BYTES, name, 3_000_000_000), "more than the 134,217,728 allowed")


def test_total_unpacked_size_is_capped(monkeypatch):
    total = sum(len(data) for data in members(SAMPLE_BYTES).values())
    monkeypatch.setattr(project_file, "MAX_TOTAL_BYTES", total - 1)
    refused(SAMPLE_BYTES, f"more than {total - 1:,} bytes in all")


def test_total_pixels_are_capped(monkeypatch):
    monkeypatch.setattr(project_file, "MAX_TOTAL_PIXELS", 16 * 12 + 10)
    refused(SAMPLE_BYTES, "pixels in all")


def png_claiming(width: int, height: int) -> bytes:
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_png_header_claiming_huge_pixels_is_refused_before_decoding():
    name = f"layers/{SAMPLE.layers[0].id}.png"
    refused(repack(SAMPLE_BYTES, **{name: png_claiming(100_000, 100_000)}),
            "is 100000x100000 pixels")


@pytest.mark.parametrize("png, match", [
    (png_claiming(16, 12), "damaged PNG"),  # too little pixel data
    (b"GIF89a not a png at all", "not a PNG"),
    (b"\x89PNG\r\n\x1a\n", "not a PNG"),
    (noise("RGB", (4, 4)).tobytes(), "not a PNG"),
])
def test_bad_png_is_refused(png, match):
    refused(repack(SAMPLE_BYTES, **{"mask.png": png}), match)


def png_of(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name, image, match", [
    ("mask.png", noise("L", (5, 5)), "should match the canvas"),
    ("mask.png", noise("RGB", (16, 12)), "mode RGB;"),
    (f"layers/{SAMPLE.layers[0].id}.png", Image.new("P", (4, 4)), "mode P;"),
    (f"layers/{SAMPLE.layers[0].id}.png", Image.new("I;16", (4, 4)), "mode I;16;"),
    (f"history/{SAMPLE.history[0].id}.png", noise("RGBA", (4, 4)), "mode RGBA;"),
])
def test_image_of_the_wrong_kind_is_refused(name, image, match):
    refused(repack(SAMPLE_BYTES, **{name: png_of(image)}), match)


def test_deeply_nested_json_is_refused():
    refused(repack(SAMPLE_BYTES, doc="[" * 200_000 + "]" * 200_000), "project.json")
    refused(repack(SAMPLE_BYTES, manifest='{"a":' * 10_000 + "1" + "}" * 10_000), "manifest")
    doc = doc_of(SAMPLE_BYTES)
    doc["settings"] = {"x": json.loads("[" * 500 + "]" * 500)}
    refused(repack(SAMPLE_BYTES, doc=doc), "settings.x")


def test_huge_strings_are_refused():
    for path in (("scene_prompt",), ("boxes", 0, "text"), ("layers", 0, "name"),
                 ("history", 0, "recipe", "prompt"), ("pinned_prompt",)):
        doc = doc_of(SAMPLE_BYTES)
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "x" * 10_000_000
        refused(repack(SAMPLE_BYTES, doc=doc), "characters long")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(literal):
    doc = json.dumps(doc_of(SAMPLE_BYTES)).replace('"opacity": 0.25', f'"opacity": {literal}')
    assert literal in doc
    refused(repack(SAMPLE_BYTES, doc=doc), "opacity" if literal == "1e999" else "not valid JSON")


def edit(path, value):
    """A change to the document: set the value at `path` (a missing value deletes the key)."""
    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return doc
    return apply


@pytest.mark.parametrize("change, match", [
    (lambda d: [d], "project should be an object"),
    (edit(["width"], "16"), "project.width"),
    (edit(["width"], 10**40), "project.width"),
    (edit(["height"], KeyError), "project.height is missing"),
    (edit(["width"], 2_000_000), "the canvas is 2000000x12"),
    (edit(["layers"], {}), "layers should be a list"),
    (edit(["layers"], [{}] * 201), "more than the 200 allowed"),
    (edit(["boxes"], [None]), "boxes[0] should be an object"),
    (edit(["boxes", 0, "color"], "#fff"), "boxes[0].color"),
    (edit(["boxes", 0, "color"], ["#ffffff"]), "boxes[0].color"),
    (edit(["boxes", 0, "role"], "hero"), "boxes[0].role should be one of title"),
    (edit(["boxes", 0, "align"], "justify"), "boxes[0].align"),
    (edit(["boxes", 0, "weight"], 400.5), "boxes[0].weight"),
    (edit(["boxes", 0, "weight"], True), "boxes[0].weight"),
    (edit(["boxes", 0, "x"], "1"), "boxes[0].x"),
    (edit(["boxes", 0, "width"], -1), "boxes[0].width"),
    (edit(["boxes", 0, "visible"], 1), "boxes[0].visible"),
    (edit(["boxes", 0, "id"], ""), "boxes[0].id"),
    (edit(["boxes", 0, "text"], KeyError), "boxes[0].text is missing"),
    (edit(["layers", 0, "opacity"], -0.1), "layers[0].opacity"),
    (edit(["layers", 0, "x"], 1.5), "layers[0].x"),
    (edit(["layers", 1, "id"], SAMPLE.layers[0].id), "used twice"),
    (edit(["history", 0, "recipe"], "a recipe"), "history[0].recipe should be an object"),
    (edit(["history", 0, "recipe", "seed"], KeyError), "history[0].recipe is not a valid"),
    (edit(["history", 0, "recipe", "seed"], "42"), "history[0].recipe is not a valid"),
    (edit(["history", 0, "recipe", "seed"], -1), "history[0].recipe.seed"),
    (edit(["history", 0, "recipe", "steps"], 0), "history[0].recipe.steps"),
    (edit(["history", 0, "recipe", "mode"], "outpaint"), "history[0].recipe.mode"),
    (edit(["history", 0, "recipe", "guidance"], 1e300), "history[0].recipe.guidance"),
    (edit(["history", 0, "created"], "yesterday"), "history[0].created"),
    (edit(["history", 0, "created"], 20250301), "history[0].created"),
    (edit(["mask"], "yes"), "project.mask"),
    (edit(["pinned_prompt"], 3), "project.pinned_prompt"),
    (edit(["settings"], []), "project.settings should be an object"),
    (edit(["settings"], {str(i): i for i in range(201)}), "more than the 200 allowed"),
    (edit(["settings", "seed"], [1]), "project.settings.seed"),
    (edit(["settings", "x" * 65], 1), "64 are allowed"),
])
def test_wrong_types_and_values_are_refused(change, match):
    refused(repack(SAMPLE_BYTES, doc=change(doc_of(SAMPLE_BYTES))), match)


def test_too_many_members_is_refused():
    files = {"manifest.json": json.dumps({"format": FORMAT, "format_version": 2})}
    files.update({f"junk/{i}": b"" for i in range(2001)})
    refused(pack(files, zipfile.ZIP_STORED), "a project has at most 2,000")


def test_duplicate_encrypted_and_exotic_members_are_refused():
    files = members(SAMPLE_BYTES)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("project.json", files["project.json"])
    refused(buf.getvalue(), "twice")

    data = bytearray(SAMPLE_BYTES)  # set the "encrypted" flag of the manifest, everywhere
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + offset] |= 1
    refused(bytes(data), "encrypted")

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            method = zipfile.ZIP_BZIP2 if name == "project.json" else zipfile.ZIP_STORED
            zf.writestr(name, data, method)
    refused(buf.getvalue(), "compression")


# --- fuzzing -------------------------------------------------------------------------------

SMALL = Project(width=4, height=3, layers=[ImageLayer(noise("RGBA", (2, 2)), id="ab" * 4)],
                boxes=[TextBox("标题", 0, 0, 4, 1, id="t")], mask=noise("L", (4, 3)),
                history=[HistoryEntry(noise("RGB", (2, 2)), RECIPE, id="cd" * 4)],
                settings={"steps": 30})
SMALL_BYTES = to_bytes(SMALL)


def mutate(data: bytes, ops) -> bytes:
    out = bytearray(data)
    for op, pos, arg in ops:
        pos %= len(out) + 1
        if op == "flip" and pos < len(out):
            out[pos] ^= 1 << (arg % 8)
        elif op == "set" and pos < len(out):
            out[pos] = arg % 256
        elif op == "truncate":
            del out[pos:]
        elif op == "insert":
            out[pos:pos] = bytes([arg % 256]) * (1 + arg % 7)
        elif op == "delete":
            del out[pos:pos + 1 + arg % 16]
        if not out:
            break
    return bytes(out)


mutations = st.lists(st.tuples(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]),
                               st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutations)
def test_loader_survives_mutated_files(ops):
    outcome = load_untrusted(mutate(SMALL_BYTES, ops))
    assert isinstance(outcome, (Project, ProjectError))


@FUZZ
@given(st.sampled_from(sorted(members(SMALL_BYTES))), mutations)
def test_loader_survives_mutated_members(name, ops):
    """Byte flips in the zip mostly trip its CRC check: also mutate members and repack them,
    so the mutations reach the JSON and PNG readers."""
    data = mutate(members(SMALL_BYTES)[name], ops)
    outcome = load_untrusted(repack(SMALL_BYTES, **{name: data}))
    assert isinstance(outcome, (Project, ProjectError))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)


def paths_in(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths_in(item, prefix + (i,))


SMALL_DOC = doc_of(SMALL_BYTES)
SMALL_PATHS = sorted(paths_in(SMALL_DOC), key=repr)


@FUZZ
@given(st.sampled_from(SMALL_PATHS), json_values)
def test_loader_survives_any_value_anywhere_in_the_document(path, value):
    doc = json.loads(json.dumps(SMALL_DOC))
    if path:
        edit(list(path), value)(doc)
    else:
        doc = value
    outcome = load_untrusted(repack(SMALL_BYTES, doc=json.dumps(doc)))
    assert isinstance(outcome, (Project, ProjectError))
