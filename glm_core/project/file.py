"""The project file (.glmstudio): one zip holding JSON for the document and PNGs for pixels.

    manifest.json        {"format": "glm-image-studio-project", "format_version": 2, "app_version"}
    project.json         everything but pixels (glm_core.project.model.project_to_json)
    layers/<id>.png      one per image layer, RGB or RGBA
    history/<id>.png     one per history entry, RGB
    mask.png             the edit mask, "L", when there is one

Member names are generated from hex ids, never read from the file, and members are read into
memory by exact name: nothing is ever extracted, so names like ../../x are simply never opened.
Project files come from strangers (shared templates, downloads), so every size is capped before
the work it would cost is done, and any damage raises ProjectError, never another exception.
"""

from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from glm_core import __version__
from glm_core.files import atomic_save, refuse_overwrite
import glm_core.project.history_inputs as history_inputs
from glm_core.project.model import Project, ProjectError, new_id, project_from_json, \
    project_to_json
from glm_core.generation.validation import MAX_IMAGE_PIXELS, MAX_SIDE, ImageLoadError, \
    is_valid_text, open_image

FORMAT = "glm-image-studio-project"
FORMAT_VERSION = 2
PROJECT_SUFFIX = ".glmstudio"
MANIFEST = "manifest.json"
DOCUMENT = "project.json"
MASK = "mask.png"
V1_IMAGE = "image.png"
# Below 2**31 - 1, so zipfile never needs ZIP64 and the loader can refuse ZIP64 outright.
MAX_FILE_BYTES = 2_000_000_000
MAX_MEMBERS = 2000
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 1024  # our names are short: ~100 bytes per entry
# A 4096x4096 RGBA PNG stored without compression is ~67 MB; nothing we write is bigger.
MAX_MEMBER_BYTES = 128 * 1024**2
MAX_TOTAL_BYTES = 3 * 1024**3  # a little above MAX_FILE_BYTES: PNGs do not deflate further
MAX_MANIFEST_BYTES = 64 * 1024
MAX_JSON_BYTES = 64 * 1024**2
# PNGs compress flat areas ~1000:1, so the byte caps do not bound memory: this does. 128
# canvases of the largest size the model makes (2048x2048), ~2 GB as RGBA; checked from the
# PNG headers of every image before any is decoded.
MAX_TOTAL_PIXELS = 128 * MAX_SIDE * MAX_SIDE
# Saving runs every minute (autosave): fast compression matters more than ~15% in file size.
PNG_COMPRESS_LEVEL = 1
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IMAGE_MEMBER = re.compile(r"(layers|history|inputs)/[0-9a-f]{8,64}\.png|mask\.png|image\.png")
# What a damaged zip or PNG can raise from zipfile, zlib and Pillow; all mean "damaged".
_DAMAGE = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error,
           struct.error, RecursionError, SyntaxError, Image.DecompressionBombError)


def member_name(kind: str, item_id: str | None) -> str:
    return {"layer": f"layers/{item_id}.png", "history": f"history/{item_id}.png",
            "input": f"inputs/{item_id}.png", "mask": MASK}[kind]


def prior_member(entry_id: str, key: str) -> str:
    """A history entry's AR tokens, one .npy array per key (history_inputs.array_keys)."""
    return f"priors/{entry_id}.{key}.npy"


# --- saving --------------------------------------------------------------------------------

def save_project(project: Project, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write `project` to `path` atomically: a crash or full disk mid-save leaves the previous
    file intact. An existing file is refused (FileExistsError) unless overwrite=True; a project
    that could not be opened again raises ProjectError before anything is written."""
    if not overwrite:
        refuse_overwrite(path)  # before the slow PNG encoding
    doc = _document(project)
    atomic_save(path, lambda f: _write(project, doc, f), overwrite=overwrite)


def write_project(project: Project, file: BinaryIO) -> None:
    """Write the project file to a seekable binary file (tests, clipboard, in-memory copies)."""
    _write(project, _document(project), file)


def _document(project: Project) -> bytes:
    try:
        doc = project_to_json(project)
        data = json.dumps(doc, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from a broken paste
        raise ProjectError("The project cannot be saved: a text contains invalid characters; "
                           "retype it (or paste it as plain text).") from None
    except ProjectError as e:
        raise ProjectError(f"The project cannot be saved: {e}.") from e
    if len(data) > MAX_JSON_BYTES:
        raise ProjectError(f"The project cannot be saved: its texts take {len(data):,} bytes, "
                           f"more than the {MAX_JSON_BYTES:,} allowed; shorten or delete some.")
    return data


def _write(project: Project, doc: bytes, f: BinaryIO) -> None:
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "app_version": __version__}
    start = f.tell()
    try:
        with zipfile.ZipFile(f, "w", allowZip64=False) as zf:
            # The manifest first: a truncated file is recognised (and refused) early.
            zf.writestr(MANIFEST, json.dumps(manifest), zipfile.ZIP_DEFLATED)
            zf.writestr(DOCUMENT, doc, zipfile.ZIP_DEFLATED)
            images = [(member_name("layer", l.id), l.image) for l in project.layers]
            images += [(member_name("history", e.id), e.image) for e in project.history]
            # The inputs of history entries by content: the source of several edits is stored once.
            inputs = {history_inputs.image_id(image): image for image in history_inputs.input_images(project)}
            images += [(member_name("input", item_id), image) for item_id, image in inputs.items()]
            if project.mask is not None:
                images.append((MASK, project.mask))
            pixels = sum(image.width * image.height for _, image in images)
            if pixels > MAX_TOTAL_PIXELS:  # the loader would refuse it: never write one
                raise ProjectError(f"The project cannot be saved: its images hold {pixels:,} "
                                   f"pixels, more than the {MAX_TOTAL_PIXELS:,} a project can "
                                   f"open again; delete some history entries.")
            arrays = [(prior_member(e.id, key), array) for e in project.history if e.prior is not None
                      for key, array in history_inputs.prior_arrays(e.prior).items()]
            if 2 + len(images) + len(arrays) > MAX_MEMBERS:
                raise ProjectError(f"The project cannot be saved: it would hold more than {MAX_MEMBERS:,} "
                                   f"files, more than a project can open again; delete some history entries.")
            for name, image in images:
                zf.writestr(name, _png_bytes(image), zipfile.ZIP_STORED)  # PNG is compressed
            for name, array in arrays:
                zf.writestr(name, history_inputs.npy_bytes(array), zipfile.ZIP_DEFLATED)
    except zipfile.LargeZipFile:
        too_large = True  # ZIP64 would be needed: far past MAX_FILE_BYTES
    else:
        too_large = f.tell() - start > MAX_FILE_BYTES
    if too_large:
        raise ProjectError(f"The project cannot be saved: it would be larger than "
                           f"{MAX_FILE_BYTES / 1e9:.0f} GB; delete some history entries.")


def _png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


# --- loading -------------------------------------------------------------------------------

def load_project(source: str | os.PathLike | BinaryIO) -> Project:
    """Open a project file (a path, or a seekable binary file). Raises ProjectError naming the
    problem for anything damaged, hostile or too new; a missing or unreadable file raises the
    usual OSError."""
    if not isinstance(source, (str, os.PathLike)):
        return _load(source, "The project file")
    name = f"'{Path(source).name}'"
    with open(source, "rb") as f:
        return _load(f, name)


def _load(f: BinaryIO, name: str) -> Project:
    try:
        _check_directory(f)
        with zipfile.ZipFile(f) as zf:
            members = _Members(zf)
            members.check_pixels()
            version = _check_manifest(members.json(MANIFEST, MAX_MANIFEST_BYTES))
            doc = members.json(DOCUMENT, MAX_JSON_BYTES)
            aliases: dict[str, str] = {}  # an upgrade can point a new name at an old member
            for v in range(version, FORMAT_VERSION):
                doc = _UPGRADES[v](doc, aliases)
            return project_from_json(doc, lambda kind, item_id: members.image(
                aliases.get(member_name(kind, item_id), member_name(kind, item_id))), members.array)
    except ProjectError as e:
        raise ProjectError(f"{name} cannot be opened: {e}") from e
    except MemoryError:
        raise ProjectError(f"{name} cannot be opened: it needs more memory than is free; "
                           f"close other programs and try again.") from None
    except _DAMAGE as e:
        detail = str(e)[:200] or type(e).__name__
        raise ProjectError(f"{name} cannot be opened: it is damaged or not a GLM-Image Studio "
                           f"project ({detail}); open an autosave or a backup copy.") from e


def _check_directory(f: BinaryIO) -> None:
    """Refuse a zip whose central directory is huge before zipfile parses all of it."""
    size = f.seek(0, os.SEEK_END)
    if size > MAX_FILE_BYTES:
        raise ProjectError(f"it is {size / 1e9:.1f} GB; project files are at most "
                           f"{MAX_FILE_BYTES / 1e9:.0f} GB")
    tail_len = min(size, 22 + 65535)  # the end record, plus the longest possible comment
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return  # not a zip: zipfile says so
    entries, cd_size = struct.unpack("<HL", tail[at + 10:at + 16])
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        raise ProjectError("it is a ZIP64 archive, which GLM-Image Studio never writes")
    if entries > MAX_MEMBERS or cd_size > MAX_DIRECTORY_BYTES:
        raise ProjectError(f"it lists {entries:,} files ({cd_size:,} bytes of names); a "
                           f"project has at most {MAX_MEMBERS:,}")


def _check_manifest(manifest) -> int:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ProjectError("it is not a GLM-Image Studio project (its manifest is not ours)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectError(f"its format version {repr(version)[:20]} is invalid")
    if version > FORMAT_VERSION:
        raise ProjectError(f"it was made by a newer GLM-Image Studio (format {version}); "
                           f"update the app to open it")
    return version


class _Members:
    """Reads members into memory by exact name, enforcing every size limit."""

    def __init__(self, zf: zipfile.ZipFile):
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ProjectError(f"it holds {len(infos):,} files; a project has at most "
                               f"{MAX_MEMBERS:,}")
        self._zf, self._infos = zf, {}
        for info in infos:
            if info.filename in self._infos:  # which copy would win is zipfile's choice
                raise ProjectError(f"it holds '{info.filename[:60]}' twice")
            self._infos[info.filename] = info
        self._bytes = 0

    def read(self, name: str, limit: int) -> bytes:
        info = self._infos.get(name)
        if info is None:
            raise ProjectError(f"'{name}' is missing from it (it is incomplete or damaged)")
        if info.flag_bits & 0x1:
            raise ProjectError(f"'{name}' is encrypted, which GLM-Image Studio never does")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ProjectError(f"'{name}' uses a compression GLM-Image Studio never writes")
        if info.file_size > limit:
            raise ProjectError(f"'{name}' unpacks to {info.file_size:,} bytes, more than the "
                               f"{limit:,} allowed")
        if self._bytes + info.file_size > MAX_TOTAL_BYTES:
            raise ProjectError(f"its files unpack to more than {MAX_TOTAL_BYTES:,} bytes in all")
        with self._zf.open(info) as stream:
            # Headers can lie: never read past the size that was checked. One byte more
            # tells a member that inflates beyond its declared size.
            data = stream.read(info.file_size + 1)
        if len(data) != info.file_size:
            raise ProjectError(f"'{name}' unpacks to a different size than its header says")
        self._bytes += len(data)
        return data

    def json(self, name: str, limit: int):
        data = self.read(name, limit)
        try:
            value = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
        except RecursionError:
            raise ProjectError(f"'{name}' is nested too deeply") from None
        except ValueError as e:  # incl. UnicodeDecodeError and JSONDecodeError
            raise ProjectError(f"'{name}' is not valid JSON ({str(e)[:120]})") from None
        if not is_valid_text(json.dumps(value, ensure_ascii=False)):
            raise ProjectError(f"'{name}' holds text that is not valid Unicode (a lone "
                               f"surrogate such as \\ud800)")
        return value

    def array(self, entry_id: str, key: str):
        """A history entry's AR token array; ValueError names the member and what is wrong."""
        name = prior_member(entry_id, key)
        data = self.read(name, history_inputs.MAX_NPY_BYTES)
        try:
            return history_inputs.read_npy(data)
        except ValueError as e:
            raise ValueError(f"'{name}' {e}") from None

    def check_pixels(self) -> None:
        """Refuse, from the PNG headers alone, images that would decode to too much memory:
        a few MB of all-zero PNGs can unpack to gigabytes."""
        total = 0
        for name, info in self._infos.items():
            if not _IMAGE_MEMBER.fullmatch(name):
                continue  # a stray member is never read
            with self._zf.open(info) as stream:
                head = stream.read(24)
            if len(head) < 24 or not head.startswith(_PNG_SIGNATURE) or head[12:16] != b"IHDR":
                raise ProjectError(f"'{name}' is not a PNG image")
            w, h = struct.unpack(">II", head[16:24])
            if w * h > MAX_IMAGE_PIXELS:
                raise ProjectError(f"'{name}' is {w}x{h} pixels; at most {MAX_IMAGE_PIXELS:,} "
                                   f"are allowed")
            total += w * h
            if total > MAX_TOTAL_PIXELS:
                raise ProjectError(f"its images hold more than {MAX_TOTAL_PIXELS:,} pixels in "
                                   f"all (128 canvases of 2048x2048; reached at '{name}')")

    def image(self, name: str) -> Image.Image:
        data = self.read(name, MAX_MEMBER_BYTES)
        try:
            with open_image(io.BytesIO(data), formats=("PNG",), name=f"'{name}'") as im:
                im.load()
                out = im.copy()  # a plain Image, detached from the PNG bytes
        except ImageLoadError as e:
            raise ProjectError(str(e)) from None
        except _DAMAGE as e:
            raise ProjectError(f"'{name}' is a damaged PNG ({str(e)[:120]})") from None
        out.info = {}  # chunks like gamma or dpi are not part of the document
        return out


def _refuse_constant(token: str):
    raise ValueError(f"{token} is not a number")


# --- older formats -------------------------------------------------------------------------

def _upgrade_v1_to_v2(doc, aliases: dict[str, str]) -> dict:
    """Version 1 (the 0.1 previews) kept one flattened picture, `image.png`, flagged by
    "image": true, had no pinned prompt and did not record what a history entry was edited
    from. The picture becomes the single background layer of version 2."""
    if not isinstance(doc, dict):
        raise ProjectError("project.json should be an object")
    doc = dict(doc)
    has_image = doc.pop("image", False)
    if not isinstance(has_image, bool):
        raise ProjectError(f"project.image should be true or false, not {str(has_image)[:20]!r}")
    doc["layers"] = []
    if has_image:
        layer_id = new_id()
        aliases[member_name("layer", layer_id)] = V1_IMAGE
        doc["layers"].append({"id": layer_id, "name": "Background", "visible": True,
                              "opacity": 1.0, "x": 0, "y": 0})
    doc["pinned_prompt"] = None
    if isinstance(doc.get("history"), list):  # anything else is refused by the v2 reader
        doc["history"] = [{**e, "source_id": None} if isinstance(e, dict) else e
                          for e in doc["history"]]
    return doc


# _UPGRADES[v] turns a version v document into version v + 1.
_UPGRADES: dict[int, Callable[[dict, dict[str, str]], dict]] = {1: _upgrade_v1_to_v2}
